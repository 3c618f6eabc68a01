"""The chat page's pure parts: branding and language, escaping, and what the service learns."""

from __future__ import annotations

import json
import re
from typing import Any

from supertenant.superset_ext.chat_page import chat_enabled, context_body, page_html
from supertenant.superset_ext.directory import TenantInfo


def tenant(**overrides: Any) -> TenantInfo:
    values: dict[str, Any] = {
        "slug": "sakura-shoes",
        "name": "さくら</script><b>",
        "locale": "ja",
        "status": "active",
        "database_id": 1,
        "role_ids": {},
        "dashboard_ids": {},
        "home_dashboard_id": None,
        "branding": {"app_name": "Sakura <Analytics>", "primary_color": "#d94f70"},
        "features": {"chat": True},
    }
    return TenantInfo(**(values | overrides))


def test_page_is_branded_localised_and_escaped() -> None:
    html = page_html(tenant(), "ja", csrf_token="tok</script>", nonce="n0nce")
    assert '<html lang="ja">' in html
    assert "--brand: #d94f70" in html
    assert "Sakura &lt;Analytics&gt;" in html
    assert "Sakura <Analytics>" not in html
    assert '<script nonce="n0nce">' in html
    config = re.search(r'id="chat-config" type="application/json">(.*?)</script>', html, re.S)
    assert config
    parsed = json.loads(config.group(1))
    assert parsed["csrf"] == "tok</script>"  # intact after JSON decoding, harmless inside the element
    assert parsed["strings"]["send"] == "送信"
    assert page_html(tenant(), "en", "t", "").count("<script>") == 1  # no nonce without Talisman


def test_context_names_only_the_callers_tenant() -> None:
    body = context_body(7, tenant(), "ja")
    assert body["user_id"] == 7
    assert body["tenant"]["slug"] == "sakura-shoes"
    assert body["tenant"]["features"]["chat"] is True
    assert set(body["tenant"]) == {"slug", "name", "locale", "status", "features"}
    assert context_body(1, None, "en")["tenant"] is None


def test_chat_switch() -> None:
    assert chat_enabled(tenant())
    assert not chat_enabled(tenant(features={"chat": False}))
    assert chat_enabled(tenant(features={}))  # the spec's default is on
    assert not chat_enabled(None)

"""Per-tenant theme: the tenant's brand tokens over the platform's base, never mutating it."""

from __future__ import annotations

import copy
from typing import Any
from xml.etree import ElementTree

import pytest

from supertenant.superset_ext.branding import (
    LOGO_PATH,
    TenantTheme,
    generated_logo_url,
    initials,
    monogram_svg,
    theme_for,
    wrap_themes,
)
from supertenant.superset_ext.directory import TenantInfo
from supertenant.superset_ext.experience import tenant_cache_key

BASE: dict[str, Any] = {
    "token": {
        "brandAppName": "Superset",
        "brandLogoUrl": "/static/assets/images/superset-logo-horiz.png",
        "brandLogoHeight": "24px",
        "colorPrimary": "#2893B3",
        "colorLink": "#2893B3",
        "fontFamily": "Inter",
    },
    "algorithm": "default",
}


def tenant(slug: str = "sakura-shoes", **branding: Any) -> TenantInfo:
    return TenantInfo(
        slug=slug,
        name="さくらシューズ株式会社",
        locale="ja",
        status="active",
        database_id=1,
        role_ids={},
        dashboard_ids={},
        home_dashboard_id=7,
        branding=branding,
        features={},
    )


def test_no_tenant_gets_the_platform_theme_as_a_copy() -> None:
    theme = theme_for(None, BASE)
    assert theme == BASE
    theme["token"]["colorPrimary"] = "#000000"
    assert BASE["token"]["colorPrimary"] == "#2893B3"


def test_tenant_tokens_override_the_brand_and_keep_the_rest() -> None:
    before = copy.deepcopy(BASE)
    theme = theme_for(
        tenant(app_name="Sakura Analytics", primary_color="#d94f70", logo_url="https://cdn.example/l.svg"),
        BASE,
    )
    token = theme["token"]
    assert token["brandAppName"] == token["brandLogoAlt"] == "Sakura Analytics"
    assert token["brandLogoUrl"] == "https://cdn.example/l.svg"
    assert token["colorPrimary"] == token["colorLink"] == "#d94f70"
    assert token["brandLogoHref"] == "/"
    assert token["fontFamily"] == "Inter"
    assert token["brandLogoHeight"] == "24px"
    assert theme["algorithm"] == "default"
    assert before == BASE, "the base theme must not be modified"


def test_app_name_defaults_to_the_tenant_name_and_logo_to_the_generated_monogram() -> None:
    info = tenant(primary_color="#d94f70")
    token = theme_for(info, BASE)["token"]
    assert token["brandAppName"] == "さくらシューズ株式会社"
    assert token["brandLogoUrl"] == generated_logo_url(info)
    assert token["brandLogoUrl"].startswith(LOGO_PATH + "?v=")


@pytest.mark.parametrize("color", [None, "", "red", "#12345", "#1234567", "javascript:1"])
def test_a_malformed_colour_keeps_the_base_colour(color: Any) -> None:
    assert theme_for(tenant(primary_color=color), BASE)["token"]["colorPrimary"] == "#2893B3"


def test_generated_logo_url_changes_with_the_branding_and_the_tenant() -> None:
    urls = {
        generated_logo_url(tenant(app_name="A", primary_color="#111111")),
        generated_logo_url(tenant(app_name="B", primary_color="#111111")),
        generated_logo_url(tenant(app_name="A", primary_color="#222222")),
        generated_logo_url(tenant("other", app_name="A", primary_color="#111111")),
    }
    assert len(urls) == 4
    assert generated_logo_url(tenant(app_name="A")) == generated_logo_url(tenant(app_name="A"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sakura Analytics", "SA"),
        ("Northwind Insights", "NI"),
        ("acme", "A"),
        ("さくらシューズ株式会社", "さ"),
        ("  ", "?"),
        ("north-wind", "NW"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_monogram_is_valid_svg_with_escaped_text_and_a_safe_colour() -> None:
    svg = monogram_svg('<script>alert(1)</script> & "co"', "#d94f70")
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag.endswith("svg")
    assert "<script>" not in svg
    assert 'fill="#d94f70"' in svg
    assert 'fill="#1a73e8"' in monogram_svg("x", 'red" onload="alert(1)')


def test_tenant_theme_is_the_base_dict_and_callable_per_page() -> None:
    current: list[TenantInfo | None] = [None]
    theme = TenantTheme(BASE, lambda: current[0])
    assert dict(theme) == BASE  # Superset's start-up code (system theme seeding) sees the base
    assert theme()["token"]["brandAppName"] == "Superset"
    current[0] = tenant(app_name="Sakura Analytics")
    assert theme()["token"]["brandAppName"] == "Sakura Analytics"
    assert theme["token"]["brandAppName"] == "Superset"


def test_wrap_themes_wraps_dicts_once_and_leaves_dark_mode_off() -> None:
    config: dict[str, Any] = {"THEME_DEFAULT": copy.deepcopy(BASE), "THEME_DARK": None}
    wrap_themes(config, lambda: None)
    wrapped = config["THEME_DEFAULT"]
    assert isinstance(wrapped, TenantTheme)
    assert config["THEME_DARK"] is None
    wrap_themes(config, lambda: None)
    assert config["THEME_DEFAULT"] is wrapped


def test_bootstrap_cache_key_differs_per_tenant() -> None:
    keys = {
        tenant_cache_key("abc", None),
        tenant_cache_key("abc", tenant("sakura-shoes")),
        tenant_cache_key("abc", tenant("northwind-outdoor")),
    }
    assert len(keys) == 3
    assert tenant_cache_key("abc", None).startswith("abc")

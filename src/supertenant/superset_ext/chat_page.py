"""The chat page inside Superset (same origin), its API proxy, and the caller's tenant for the service.

Three routes, registered by ``register_chat`` from ``init_app``:

* ``GET /supertenant/chat/`` — the page, in the tenant's branding and language (403 when the
  tenant's ``chat`` feature is off, sign-in first when anonymous).
* ``POST /supertenant/chat/api/chat`` — forwards ``{"text"}`` to the chat service
  (``SUPERTENANT_CHAT_SERVICE_URL``) with the caller's own Superset session cookie and the CSRF
  token Flask-WTF has just checked, so the service acts with the user's rights and nobody else's.
* ``GET /supertenant/chat/context`` — the caller's user id, tenant (slug, name, locale, features)
  and UI language, from the registry: how the service learns the tenant without trusting the body.

Everything but the three adapters is pure (``page_html``, ``context_body``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from flask import Flask

from supertenant.superset_ext.branding import app_name_of, primary_color_of, theme_for
from supertenant.superset_ext.directory import TenantInfo
from supertenant.superset_ext.flags import features_of

PAGE_PATH = "/supertenant/chat/"
API_PATH = "/supertenant/chat/api/chat"
CONTEXT_PATH = "/supertenant/chat/context"
PROXY_TIMEOUT = 90.0

_STRINGS: dict[str, tuple[str, str]] = {
    "title": ("Chart chat", "チャットでグラフ作成"),
    "intro": (
        'Ask for a chart in plain words, e.g. "cost by campaign last month" or "weekly clicks by device".',
        "「先月のキャンペーン別費用トップ10」「デバイス別の週次クリック数」のように、作りたいグラフを言葉で入力してください。",
    ),
    "placeholder": ("Describe a chart…", "作りたいグラフを入力…"),
    "send": ("Ask", "送信"),
    "open": ("Open the chart", "グラフを開く"),
    "interpretation": ("How I understood it", "解釈"),
    "thinking": ("Working…", "作成中…"),
    "you": ("You", "あなた"),
    "failed": (
        "The chat service did not answer; please try again.",
        "チャットサービスが応答しません。もう一度お試しください。",
    ),
    "disabled": (
        "The chart chat is not enabled for your organisation.",
        "ご利用の組織ではチャットによるグラフ作成が有効になっていません。",
    ),
    "no_tenant": (
        "The chart chat is for members of an organisation.",
        "チャットによるグラフ作成は組織のメンバー向けです。",
    ),
    "back": ("Back to Superset", "ホームに戻る"),
}


def say(key: str, locale: str) -> str:
    en, ja = _STRINGS[key]
    return ja if locale == "ja" else en


def chat_enabled(tenant: TenantInfo | None) -> bool:
    return tenant is not None and features_of(tenant)["chat"]


def context_body(user_id: int, tenant: TenantInfo | None, locale: str) -> dict[str, Any]:
    """What the chat service learns about its caller; only the caller's own tenant, never others'."""
    body: dict[str, Any] = {"user_id": user_id, "locale": locale, "tenant": None}
    if tenant is not None:
        body["tenant"] = {
            "slug": tenant.slug,
            "name": tenant.name,
            "locale": tenant.locale,
            "status": tenant.status,
            "features": features_of(tenant),
        }
    return body


def _script_json(value: Mapping[str, Any]) -> str:
    """JSON safe inside a <script> element (no "</script>" or HTML comment can be formed)."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def page_html(tenant: TenantInfo, locale: str, csrf_token: str, nonce: str) -> str:
    """The chat page: branded, localised, its script allowed by the page's CSP nonce."""
    theme = theme_for(tenant, {}).get("token", {})
    color = primary_color_of(tenant) or "#1a73e8"
    name = escape(app_name_of(tenant))
    logo = escape(str(theme.get("brandLogoUrl", "")), quote=True)
    strings = {key: say(key, locale) for key in _STRINGS}
    config = {"api": API_PATH, "csrf": csrf_token, "strings": strings}
    nonce_attr = f' nonce="{escape(nonce, quote=True)}"' if nonce else ""
    lang = "ja" if locale == "ja" else "en"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(strings["title"])} · {name}</title>
<style>
:root {{ --brand: {color}; }}
body {{ margin: 0; font-family: Inter, "Helvetica Neue", Arial, "Noto Sans CJK JP", sans-serif;
  background: #f7f8fa; color: #1f2328; }}
header {{ display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #fff;
  border-bottom: 3px solid var(--brand); }}
header img {{ height: 32px; }} header .name {{ font-weight: 700; }}
header a {{ margin-left: auto; color: var(--brand); text-decoration: none; }}
main {{ max-width: 860px; margin: 0 auto; padding: 20px; }}
#log {{ display: flex; flex-direction: column; gap: 12px; margin: 16px 0; }}
.msg {{ padding: 12px 14px; border-radius: 10px; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }}
.msg.user {{ align-self: flex-end; background: var(--brand); color: #fff; max-width: 80%; }}
.msg.refusal, .msg.error {{ border-left: 4px solid #d1242f; }}
.msg.clarify {{ border-left: 4px solid #bf8700; }}
.msg dl {{ display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0;
  font-size: 14px; }}
.msg dt {{ color: #59636e; }} .msg dd {{ margin: 0; }}
.msg a.chart {{ display: inline-block; margin-top: 6px; padding: 6px 12px; border-radius: 6px;
  background: var(--brand); color: #fff; text-decoration: none; }}
form {{ display: flex; gap: 8px; }}
input[type=text] {{ flex: 1; padding: 10px 12px; font-size: 16px; border: 1px solid #d0d7de;
  border-radius: 8px; }}
button {{ padding: 10px 18px; font-size: 16px; border: 0; border-radius: 8px; background: var(--brand);
  color: #fff; }}
</style></head>
<body data-tenant="{escape(tenant.slug, quote=True)}">
<header><img src="{logo}" alt="{name}"><span class="name">{name}</span>
<span>{escape(strings["title"])}</span><a href="/">{escape(strings["back"])}</a></header>
<main>
<p>{escape(strings["intro"])}</p>
<div id="log" aria-live="polite"></div>
<form id="ask"><input id="text" type="text" name="text" maxlength="500" autocomplete="off"
 placeholder="{escape(strings["placeholder"], quote=True)}" required>
<button type="submit">{escape(strings["send"])}</button></form>
</main>
<script id="chat-config" type="application/json">{_script_json(config)}</script>
<script{nonce_attr}>{_SCRIPT}</script>
</body></html>"""


_SCRIPT = """
(function () {
  const cfg = JSON.parse(document.getElementById('chat-config').textContent);
  const log = document.getElementById('log');
  const form = document.getElementById('ask');
  const input = document.getElementById('text');
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function show(answer) {
    const box = el('div', 'msg ' + (answer.kind || 'error'));
    box.appendChild(el('div', 'text', answer.message || cfg.strings.failed));
    if (answer.kind === 'chart') {
      box.appendChild(el('div', 'caption', cfg.strings.interpretation));
      const list = el('dl', 'interpretation');
      (answer.interpretation || []).forEach(function (slot) {
        const dt = el('dt', null, slot.label); dt.dataset.slot = slot.name;
        list.appendChild(dt); list.appendChild(el('dd', null, slot.text));
      });
      box.appendChild(list);
      const link = el('a', 'chart', cfg.strings.open);
      link.href = answer.explore_url; link.target = '_blank'; link.rel = 'noopener';
      box.appendChild(link);
    }
    if (answer.kind === 'clarify' && answer.options && answer.options.length) {
      box.appendChild(el('div', 'options', answer.options.join(' / ')));
    }
    log.appendChild(box);
  }
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    log.appendChild(el('div', 'msg user', text));
    input.value = '';
    const pending = el('div', 'msg pending', cfg.strings.thinking);
    log.appendChild(pending);
    try {
      const response = await fetch(cfg.api, {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': cfg.csrf},
        body: JSON.stringify({text: text})
      });
      let answer;
      try { answer = await response.json(); } catch (e) { answer = {kind: 'error'}; }
      pending.remove();
      show(answer);
    } catch (e) {
      pending.remove();
      show({kind: 'error', message: cfg.strings.failed});
    }
  });
})();
"""


# --- adapters ------------------------------------------------------------------------------------


def _ui_locale() -> str:
    from flask_babel import get_locale

    found = get_locale()
    return "ja" if found is not None and str(found).startswith("ja") else "en"


def _refusal(key: str, locale: str, status: int) -> Any:
    from flask import Response, jsonify, request

    if request.path.startswith(API_PATH) or request.path == CONTEXT_PATH:
        response = jsonify(
            kind="error", code=key if key != "disabled" else "chat_disabled", message=say(key, locale)
        )
        response.status_code = status
        return response
    return Response(say(key, locale), status, mimetype="text/plain; charset=utf-8")


def chat_page() -> Any:
    """``GET /supertenant/chat/``."""
    from flask import Response, redirect, request
    from flask_wtf.csrf import generate_csrf

    from supertenant.superset_ext.context import current_user_id, request_tenant

    if current_user_id() is None:
        return redirect(f"/login/?next={PAGE_PATH}")
    tenant, locale = request_tenant(), _ui_locale()
    if tenant is None:
        return _refusal("no_tenant", locale, 403)
    if not chat_enabled(tenant):
        return _refusal("disabled", locale, 403)
    nonce = str(getattr(request, "csp_nonce", "") or "")
    response = Response(page_html(tenant, locale, generate_csrf(), nonce), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def chat_context() -> Any:
    """``GET /supertenant/chat/context`` (JSON)."""
    from flask import jsonify

    from supertenant.superset_ext.context import current_user_id, request_tenant

    user_id = current_user_id()
    if user_id is None:
        response = jsonify(kind="error", code="unauthenticated", message="not signed in")
        response.status_code = 401
        return response
    response = jsonify(context_body(user_id, request_tenant(), _ui_locale()))
    response.headers["Cache-Control"] = "no-store"
    return response


def chat_api() -> Any:
    """``POST /supertenant/chat/api/chat``: CSRF-checked by Superset's CSRFProtect, then forwarded."""
    import httpx
    from flask import Response, current_app, jsonify, request

    from supertenant.settings import get_settings
    from supertenant.superset_ext.context import current_user_id, request_tenant

    locale = _ui_locale()
    if current_user_id() is None:
        response = jsonify(kind="error", code="unauthenticated", message="not signed in")
        response.status_code = 401
        return response
    tenant = request_tenant()
    if tenant is None:
        return _refusal("no_tenant", locale, 403)
    if not chat_enabled(tenant):
        return _refusal("disabled", locale, 403)
    body = request.get_json(silent=True)
    text = body.get("text") if isinstance(body, dict) else None
    cookie_name = str(current_app.config.get("SESSION_COOKIE_NAME") or "session")
    headers = {"X-CSRFToken": request.headers.get("X-CSRFToken", "")}
    try:
        upstream = httpx.post(
            get_settings().chat_service_url.rstrip("/") + "/v1/chat",
            json={"text": text if isinstance(text, str) else ""},
            cookies={"session": request.cookies.get(cookie_name, "")},
            headers=headers,
            timeout=PROXY_TIMEOUT,
        )
    except httpx.HTTPError:
        response = jsonify(kind="error", code="unavailable", message=say("failed", locale))
        response.status_code = 503
        return response
    return Response(upstream.content, upstream.status_code, mimetype="application/json")


def register_chat(app: Flask) -> None:
    """Called once from ``init_app``."""
    app.add_url_rule(PAGE_PATH, endpoint="supertenant_chat_page", view_func=chat_page, methods=["GET"])
    app.add_url_rule(
        CONTEXT_PATH, endpoint="supertenant_chat_context", view_func=chat_context, methods=["GET"]
    )
    app.add_url_rule(API_PATH, endpoint="supertenant_chat_api", view_func=chat_api, methods=["POST"])

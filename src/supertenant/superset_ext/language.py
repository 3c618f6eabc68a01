"""The UI language: the user's own choice, else their tenant's locale, else the hostname's tenant's.

Superset 6.1 uses Flask-AppBuilder's Babel locale selector
(``flask_appbuilder/babel/manager.py:BabelManager.get_locale``): the ``_l_``
query argument, else ``session["locale"]``, else ``BABEL_DEFAULT_LOCALE`` —
which it also *writes* into the session, so a default could never be told from
a choice. :func:`select_locale` replaces it (``app.extensions["babel"].locale_selector``)
and never writes the session: ``session["locale"]`` is then only ever set by
Superset's ``/lang/<locale>`` language picker, i.e. it is the user's explicit choice.

The frontend translates itself with ``/superset/language_pack/<lang>/``, which
Superset guards with ``has_access``; :func:`public_language_pack` serves the
(public, static) packs of the configured languages to anonymous callers so the
login page on a Japanese tenant's hostname is Japanese too.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

_LANGUAGE_PACK = re.compile(r"^/superset/language_pack/(?P<lang>[a-z]{2,3}(?:_[A-Z]{2})?)/?$")


def locale_for(
    *,
    requested: str | None,
    chosen: str | None,
    tenant_locale: str | None,
    default: str,
    languages: Collection[str],
) -> str:
    """The first usable of: ``?_l_=`` argument, the user's choice, the tenant's locale, the default."""
    for candidate in (requested, chosen, tenant_locale):
        if candidate and candidate in languages:
            return candidate
    return default


def language_pack_lang(path: str) -> str | None:
    """The language of a ``/superset/language_pack/<lang>/`` path, else None."""
    match = _LANGUAGE_PACK.match(path)
    return match["lang"] if match else None


# --- adapters ------------------------------------------------------------------------------------


def select_locale() -> str | None:
    """Flask-Babel ``locale_selector``: runs at most once per request (Flask-Babel caches the result)."""
    from flask import current_app, has_request_context, request, session

    from supertenant.superset_ext.context import EXTENSION_KEY, display_tenant

    default = str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")
    if not has_request_context():
        return default
    tenant = display_tenant() if EXTENSION_KEY in current_app.extensions else None
    return locale_for(
        requested=request.args.get("_l_"),
        chosen=session.get("locale"),
        tenant_locale=tenant.locale if tenant else None,
        default=default,
        languages=current_app.config.get("LANGUAGES") or {default: {}},
    )


def install_locale_selector(app: Any) -> None:
    """Swap Flask-AppBuilder's selector for ours on the app's Flask-Babel configuration."""
    app.extensions["babel"].locale_selector = select_locale


def public_language_pack() -> Any:
    """``before_request``: serve a configured language's pack to anonymous callers (e.g. the login page)."""
    from flask import current_app, request, send_file

    from supertenant.superset_ext.context import current_user_id

    if request.method != "GET":
        return None
    lang = language_pack_lang(request.path)
    if lang is None or lang not in (current_app.config.get("LANGUAGES") or {}):
        return None
    if current_user_id() is not None:
        return None  # Superset serves it to signed-in users itself (with its access log)
    import superset

    pack = Path(superset.__file__).parent / "translations" / lang / "LC_MESSAGES" / "messages.json"
    if not pack.is_file():
        return None
    return send_file(pack, mimetype="application/json", max_age=3600)

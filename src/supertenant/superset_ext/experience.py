"""Wires the per-tenant experience into Superset: branding, feature flags, language, home page.

The decisions are pure functions in ``branding``, ``flags``, ``language`` and
``home``; this module only plugs them in. Two Superset 6.1 functions are
wrapped, both for the bootstrap payload the frontend renders from:

* ``views/base.py:cached_common_bootstrap_data`` is memoized for 60 s per
  ``(user_id, locale)``. Theme, flags and menu depend on the tenant, and an
  anonymous page (login) has ``user_id=None`` on every hostname, so its cache
  key gets the page's tenant appended (Flask-Caching's writable
  ``make_cache_key``).
* ``views/utils.py:get_permissions`` feeds ``user.roles`` in the bootstrap and
  ``/api/v1/me/roles/``, from which the frontend decides which links to draw;
  a switched-off feature's permissions are left out there. Access checks do
  not use it: they stay with Superset's security manager and the guards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from supertenant.superset_ext.branding import LOGO_PATH, logo_response, wrap_themes
from supertenant.superset_ext.directory import TenantInfo
from supertenant.superset_ext.flags import (
    current_tenant,
    feature_guard,
    features_of,
    filter_menu,
    hidden_permissions,
    strip_permissions,
)
from supertenant.superset_ext.home import home_guard
from supertenant.superset_ext.language import install_locale_selector, public_language_pack

_WRAPPED = "_supertenant_wrapped"


def page_tenant() -> TenantInfo | None:
    """The tenant a page should look like (caller's, else hostname's); None outside a request."""
    from flask import current_app, has_request_context

    from supertenant.superset_ext.context import EXTENSION_KEY, display_tenant

    if not has_request_context() or EXTENSION_KEY not in current_app.extensions:
        return None
    return display_tenant()


def tenant_cache_key(base_key: str, tenant: TenantInfo | None) -> str:
    """A memoized bootstrap's key, made distinct per tenant (``-`` for the platform's own pages)."""
    return f"{base_key}:{tenant.slug if tenant else '-'}"


def bootstrap_overrides(data: dict[str, Any]) -> dict[str, Any]:
    """``COMMON_BOOTSTRAP_OVERRIDES_FUNC``: the menu without switched-off features, the right language.

    Superset's language picker reads ``session["locale"]`` (unset until the user
    picks one), so it is given the language actually in use instead.
    """
    menu_data = data.get("menu_data")
    if not isinstance(menu_data, dict):
        return {}
    menu_data = dict(menu_data)
    tenant = current_tenant()
    if tenant is not None and isinstance(menu_data.get("menu"), list):
        menu_data["menu"] = filter_menu(menu_data["menu"], features_of(tenant))
    navbar = dict(menu_data.get("navbar_right") or {})
    if data.get("locale"):
        navbar["locale"] = data["locale"]
    menu_data["navbar_right"] = navbar
    return {"menu_data": menu_data}


def _key_bootstrap_cache_by_tenant() -> None:
    from superset.views import base

    memoized = base.cached_common_bootstrap_data
    original: Callable[..., str] = memoized.make_cache_key
    if getattr(original, _WRAPPED, False):
        return

    def make_cache_key(f: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
        return tenant_cache_key(original(f, *args, **kwargs), page_tenant())

    setattr(make_cache_key, _WRAPPED, True)
    memoized.make_cache_key = make_cache_key


def _hide_switched_off_permissions() -> None:
    from superset.views import utils

    original = utils.get_permissions
    if getattr(original, _WRAPPED, False):
        return

    def get_permissions(user: Any) -> tuple[Any, Any]:
        roles, data_permissions = original(user)
        tenant = current_tenant()
        if tenant is None:
            return roles, data_permissions
        hidden = hidden_permissions(features_of(tenant))
        return (strip_permissions(roles, hidden) if hidden else roles), data_permissions

    setattr(get_permissions, _WRAPPED, True)
    utils.get_permissions = get_permissions


def register_experience(app: Flask) -> None:
    """Install the per-tenant experience; called once from ``init_app`` (``FLASK_APP_MUTATOR``)."""
    install_locale_selector(app)
    wrap_themes(app.config, page_tenant)
    app.add_url_rule(LOGO_PATH, endpoint="supertenant_logo", view_func=logo_response)
    app.before_request(public_language_pack)
    app.before_request(feature_guard)
    app.before_request(home_guard)
    _key_bootstrap_cache_by_tenant()
    _hide_switched_off_permissions()

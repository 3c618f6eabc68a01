"""Per-tenant branding through Superset 6.1 theming: app name, logo and primary colour.

Superset evaluates ``THEME_DEFAULT``/``THEME_DARK`` per request when they are
callables (``views/utils.py:get_config_value``). :class:`TenantTheme` is such
a callable *and* a plain dict holding the platform's base theme, so Superset's
start-up code that expects a dict (system theme seeding, sub-path handling)
keeps working on the base while every page gets its tenant's tokens.

A tenant without ``logo_url`` gets a generated monogram (its initials on its
primary colour) served by :func:`logo_response`, so no tenant shows Superset's
logo or another tenant's.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from supertenant.superset_ext.directory import TenantInfo

LOGO_PATH = "/supertenant/logo.svg"
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_FALLBACK_COLOR = "#1a73e8"  # the spec's default primary colour


def app_name_of(tenant: TenantInfo) -> str:
    """The tenant's product name: ``branding.app_name``, else its display name (the spec's rule)."""
    return str(tenant.branding.get("app_name") or tenant.name)


def primary_color_of(tenant: TenantInfo) -> str | None:
    """The tenant's ``#rrggbb`` colour, or None when unset or malformed (never pass junk to the UI)."""
    color = tenant.branding.get("primary_color")
    return color if isinstance(color, str) and _HEX_COLOR.fullmatch(color) else None


def logo_version(tenant: TenantInfo) -> str:
    """Changes whenever the generated logo would, so browsers never show a stale or foreign one."""
    seed = f"{tenant.slug}|{app_name_of(tenant)}|{primary_color_of(tenant)}"
    return hashlib.sha256(seed.encode()).hexdigest()[:12]


def generated_logo_url(tenant: TenantInfo) -> str:
    return f"{LOGO_PATH}?v={logo_version(tenant)}"


def theme_for(tenant: TenantInfo | None, default: Mapping[str, Any]) -> dict[str, Any]:
    """The Ant Design theme of ``tenant``: ``default`` with the tenant's brand tokens on top.

    ``default`` is never modified. No tenant (platform users, anonymous callers
    on the platform's own hostname, start-up) means the platform's theme.
    """
    theme: dict[str, Any] = copy.deepcopy(dict(default))
    if tenant is None:
        return theme
    token = dict(theme.get("token") or {})
    name = app_name_of(tenant)
    token["brandAppName"] = name
    token["brandLogoAlt"] = name
    token["brandLogoHref"] = "/"
    token["brandLogoUrl"] = tenant.branding.get("logo_url") or generated_logo_url(tenant)
    if color := primary_color_of(tenant):
        token["colorPrimary"] = color
        token["colorLink"] = color
    theme["token"] = token
    return theme


def initials(name: str) -> str:
    """One or two letters for a monogram: the first of the first two words, or the first character."""
    words = [w for w in re.split(r"[\s\-_.]+", name.strip()) if w]
    if not words:
        return "?"
    if len(words) >= 2 and words[0][0].isascii() and words[1][0].isascii():
        return (words[0][0] + words[1][0]).upper()
    return words[0][0].upper()


def monogram_svg(name: str, color: str | None) -> str:
    """A square SVG logo: the initials of ``name`` in white on ``color``; text is XML-escaped."""
    fill = color if color and _HEX_COLOR.fullmatch(color) else _FALLBACK_COLOR
    letters = escape(initials(name))
    label = escape(name, {'"': "&quot;"})
    size = 22 if len(initials(name)) > 1 else 26
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48" '
        f'role="img" aria-label="{label}">'
        f'<rect width="48" height="48" rx="10" fill="{fill}"/>'
        '<text x="24" y="25" text-anchor="middle" dominant-baseline="central" '
        "font-family=\"Inter, 'Helvetica Neue', Arial, 'Noto Sans CJK JP', sans-serif\" "
        f'font-size="{size}" font-weight="700" fill="#ffffff">{letters}</text></svg>'
    )


class TenantTheme(dict[str, Any]):
    """The platform's base theme as a dict; calling it gives the current page's tenant theme."""

    def __init__(self, base: Mapping[str, Any], tenant_of_page: Callable[[], TenantInfo | None]) -> None:
        super().__init__(copy.deepcopy(dict(base)))
        self._tenant_of_page = tenant_of_page

    def __call__(self) -> dict[str, Any]:
        return theme_for(self._tenant_of_page(), self)


def wrap_themes(config: dict[str, Any], tenant_of_page: Callable[[], TenantInfo | None]) -> None:
    """Make ``THEME_DEFAULT`` and ``THEME_DARK`` tenant-aware, keeping whatever base they hold.

    Called from the app mutator, where ``app.config`` already holds Superset's (or the
    deployment's) base themes; ``THEME_DARK = None`` (dark mode off) stays off.
    """
    for key in ("THEME_DEFAULT", "THEME_DARK"):
        base = config.get(key)
        if isinstance(base, TenantTheme) or base is None or callable(base):
            continue
        config[key] = TenantTheme(base, tenant_of_page)


def logo_response() -> Any:
    """``GET /supertenant/logo.svg``: the monogram of the page's tenant, 404 when there is none.

    Public (the login page shows it); it names only the tenant of the hostname asked, or the caller's.
    """
    from flask import Response, abort

    from supertenant.superset_ext.context import display_tenant

    tenant = display_tenant()
    if tenant is None:
        abort(404)
    response = Response(monogram_svg(app_name_of(tenant), primary_color_of(tenant)), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Vary"] = "Host, Cookie"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

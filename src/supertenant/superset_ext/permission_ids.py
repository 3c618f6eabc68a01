"""Permission-view ids by name, for the registry API's ``permission-ids`` endpoint."""

from __future__ import annotations

from typing import Any

MAX_PAIRS = 5000  # a tenant's three roles need about 90 distinct pairs


def parse_pairs(body: Any) -> list[tuple[str, str]]:
    """``{"permissions": [[permission, view_menu], …]}`` → pairs; ValueError naming what is wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("permissions"), list):
        raise ValueError('body must be a JSON object with a "permissions" list')
    raw = body["permissions"]
    if len(raw) > MAX_PAIRS:
        raise ValueError(f"permissions: {len(raw)} pairs asked")
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(raw):
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) and x for x in item)):
            raise ValueError(f"permissions[{index}]: expected [permission, view_menu], two non-empty strings")
        pairs.append((item[0], item[1]))
    return pairs


def permission_view_ids(
    session: Any, security_manager: Any, pairs: list[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The ids of those ``pairs`` Superset holds: one query, whatever the number of tenants."""
    if not pairs:
        return {}
    pvm = security_manager.permissionview_model
    permission = security_manager.permission_model
    view_menu = security_manager.viewmenu_model
    wanted = set(pairs)
    rows = (
        session.query(pvm.id, permission.name, view_menu.name)
        .join(permission, pvm.permission_id == permission.id)
        .join(view_menu, pvm.view_menu_id == view_menu.id)
        .filter(permission.name.in_({p for p, _ in wanted}), view_menu.name.in_({v for _, v in wanted}))
        .all()
    )
    return {(p, v): int(i) for i, p, v in rows if (p, v) in wanted}

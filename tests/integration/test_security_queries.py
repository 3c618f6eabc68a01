"""supertenant's faster security-manager queries give Superset's own answers, on a real metadata DB.

``user_view_menu_names`` (rewritten query) and ``can_access`` (remembered per request) against
Superset's own implementations, for every user and every dataset permission.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Server, Tenants, run_in_app

pytestmark = pytest.mark.integration

COMPARE_SCRIPT = """
import json, sys
from flask import g
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset import security_manager as sm
    from superset.extensions import db
    db_session = db.session
    from superset.security.manager import SupersetSecurityManager
    found = {}
    pairs = [(name, name) for name in ("all_datasource_access", "all_database_access")]
    from superset.connectors.sqla.models import SqlaTable
    pairs += [("datasource_access", t.perm) for t in db_session.query(SqlaTable).all()]
    pairs += [("can_read", "Dashboard"), ("can_write", "Chart"), ("can_execute_sql_query", "SQLLab")]
    for user in sm.session.query(sm.user_model).all():
        with app.test_request_context():
            g.user = user
            for name in ("datasource_access", "schema_access", "catalog_access", "database_access"):
                ours = sorted(sm.user_view_menu_names(name))
                theirs = sorted(SupersetSecurityManager.user_view_menu_names(sm, name))
                found[f"{user.username}:{name}"] = [ours, theirs]
            for permission, view in pairs:
                first, again = sm.can_access(permission, view), sm.can_access(permission, view)
                theirs = SupersetSecurityManager.can_access(sm, permission, view)
                found[f"{user.username}:{permission}:{view}"] = [[first, again], [theirs, theirs]]
    sys.stdout.write("\\n@@FOUND@@" + json.dumps(found))
"""


def test_user_view_menu_names_equals_supersets_for_every_user(server: Server, tenants: Tenants) -> None:
    found: dict[str, list[list[Any]]] = run_in_app(server, COMPARE_SCRIPT, "@@FOUND@@")
    members = {u.email for spec in tenants.specs.values() for u in spec.users}
    assert members <= {key.split(":")[0] for key in found}
    differing = {key: pair for key, pair in found.items() if pair[0] != pair[1]}
    assert differing == {}
    # the comparison is not vacuous: tenant users hold dataset permissions, and only their own
    some_viewer = next(u.email for spec in tenants.specs.values() for u in spec.users if u.role == "viewer")
    assert found[f"{some_viewer}:datasource_access"][0]
    granted = [
        key
        for key, pair in found.items()
        if key.startswith(f"{some_viewer}:datasource_access:") and pair[0][0]
    ]
    refused = [
        key
        for key, pair in found.items()
        if key.startswith(f"{some_viewer}:datasource_access:") and not pair[0][0]
    ]
    assert granted  # its own datasets
    assert refused  # and other tenants', which it may not read

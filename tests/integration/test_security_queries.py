"""supertenant's faster security-manager queries give Superset's own answers, on a real metadata DB."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import Server, Tenants

pytestmark = pytest.mark.integration

COMPARE_SCRIPT = """
import json, sys
from flask import g
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset import security_manager as sm
    from superset.security.manager import SupersetSecurityManager
    found = {}
    for user in sm.session.query(sm.user_model).all():
        with app.test_request_context():
            g.user = user
            for name in ("datasource_access", "schema_access", "catalog_access", "database_access"):
                ours = sorted(sm.user_view_menu_names(name))
                theirs = sorted(SupersetSecurityManager.user_view_menu_names(sm, name))
                found[f"{user.username}:{name}"] = [ours, theirs]
    sys.stdout.write("\\n@@FOUND@@" + json.dumps(found))
"""


def test_user_view_menu_names_equals_supersets_for_every_user(server: Server, tenants: Tenants) -> None:
    result = subprocess.run(
        [sys.executable, "-c", COMPARE_SCRIPT],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "@@FOUND@@" in result.stdout, result.stderr[-3000:]
    found: dict[str, list[list[str]]] = json.loads(result.stdout.split("@@FOUND@@", 1)[1])
    members = {u.email for spec in tenants.specs.values() for u in spec.users}
    assert members <= {key.split(":")[0] for key in found}
    differing = {key: pair for key, pair in found.items() if pair[0] != pair[1]}
    assert differing == {}
    # the comparison is not vacuous: tenant users hold dataset permissions, and only their own
    some_viewer = next(u.email for spec in tenants.specs.values() for u in spec.users if u.role == "viewer")
    assert found[f"{some_viewer}:datasource_access"][0]

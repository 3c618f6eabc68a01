"""Invalid specs through the real CLI against a real Superset: exit 2, file:line:key, nothing created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Server, Tenants
from .test_tenant_lifecycle import inventory

pytestmark = pytest.mark.integration

SUPERTENANT = str(Path(sys.executable).parent / "supertenant")
VALID = """slug: valid-one
name: Valid
warehouse:
  engine: duckdb
  path: w.duckdb
  schema: valid_one
  account_ids: ["111-222-3333"]
"""

# (name, YAML text, what the error must say)
INVALID = [
    ("unknown-key", VALID + "colour: red\n", ":8: colour"),
    ("bad-slug", VALID.replace("slug: valid-one", "slug: Valid_One"), ":1: slug"),
    ("missing-warehouse", "slug: no-wh\nname: X\n", "warehouse"),
    ("bad-account", VALID.replace("111-222-3333", "1112223333"), ":7: warehouse.account_ids[0]"),
    ("bad-engine", VALID.replace("engine: duckdb", "engine: snowflake"), ":4: warehouse"),
    ("bad-locale", VALID + "locale: fr\n", ":8: locale"),
    ("bad-role", VALID + "users:\n  - {email: a@b.example, role: owner}\n", ":9: users[0].role"),
    ("bad-email", VALID + "users:\n  - {email: not-an-email, role: viewer}\n", ":9: users[0].email"),
    ("unknown-feature", VALID + "features:\n  dark_mode: true\n", ":9: features.dark_mode"),
    ("bad-colour", VALID + "branding:\n  primary_color: red\n", ":9: branding.primary_color"),
    ("bad-template", VALID + "templates: [overview]\n", ":8: templates[0]"),
    ("yaml-syntax", VALID + "users: [\n", "yaml-syntax.yaml:"),
    ("duplicate-key", VALID + "name: Again\n", ":8: name"),
    ("javascript-logo", VALID + "branding:\n  logo_url: javascript:alert(1)\n", ":9: branding.logo_url"),
]


@pytest.mark.parametrize(("name", "text", "expected"), INVALID, ids=[case[0] for case in INVALID])
def test_invalid_spec_is_refused_and_creates_nothing(
    server: Server, tenants: Tenants, tmp_path: Path, name: str, text: str, expected: str
) -> None:
    spec_file = tmp_path / f"{name}.yaml"
    spec_file.write_text(text)
    env = dict(os.environ)
    env.update(
        {
            "SUPERTENANT_SUPERSET_URL": server.url,
            "SUPERTENANT_ADMIN_USERNAME": server.admin_username,
            "SUPERTENANT_ADMIN_PASSWORD": server.admin_password,
        }
    )
    with server.admin() as admin:
        before = inventory(admin)
        result = subprocess.run(
            [SUPERTENANT, "tenant", "apply", "-f", str(spec_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert inventory(admin) == before
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert f"{name}.yaml" in message
    assert expected in message, message
    assert server.admin_password not in result.stdout + result.stderr

"""Provisioning a BigQuery tenant's Superset database: the essence, the key, and the contract check."""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from supertenant.errors import ConfigError
from supertenant.provision import engine
from supertenant.provision.desired import database_essence
from supertenant.provision.engine import ApplyResult, Provisioner, _Run
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import TenantSpec
from supertenant.templates.uuids import object_uuid

SPEC = """\
slug: acme
name: Acme
warehouse:
  engine: bigquery
  project: acme-analytics
  dataset: tenant_acme
{extra}  account_ids: ["111-222-3333"]
"""


@cache
def pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def key(key_id: str = "key-1") -> dict[str, str]:
    return {
        "type": "service_account",
        "project_id": "acme-analytics",
        "private_key_id": key_id,
        "private_key": pem(),
        "client_email": "t-acme@acme-analytics.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


def spec(extra: str = "") -> TenantSpec:
    return parse_spec(SPEC.format(extra=extra), source="acme.yaml")


class FakeSuperset:
    """Just the database endpoints `_Run.database` uses, with the masking Superset applies on read."""

    def __init__(self) -> None:
        self.database: dict[str, Any] | None = None
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def find_one(self, resource: str, column: str, value: Any) -> dict[str, Any] | None:
        assert (resource, column) == ("database", "database_name")
        return None if self.database is None else {"id": 1, "uuid": self.database["uuid"]}

    def get(self, path: str) -> dict[str, Any]:
        assert self.database is not None
        assert path == "/api/v1/database/1/connection"
        masked = json.loads(self.database.get("masked_encrypted_extra") or "{}")
        if "credentials_info" in masked:
            masked["credentials_info"]["private_key"] = "XXXXXXXXXX"
        return {"result": self.database | {"masked_encrypted_extra": json.dumps(masked)}}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("POST", path, body))
        self.database = dict(body)
        return {"id": 1}

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("PUT", path, body))
        assert self.database is not None
        self.database |= body
        return {"id": 1}


def converge_database(
    fake: FakeSuperset, tenant: TenantSpec, base_dir: Path, *, dry_run: bool = False
) -> ApplyResult:
    result = ApplyResult(tenant.slug)
    _Run(Provisioner(fake), tenant, base_dir, dry_run, result).database()  # type: ignore[arg-type]
    return result


def test_the_byte_cap_is_stored_in_extra(tmp_path: Path) -> None:
    essence = database_essence(spec("  maximum_bytes_billed: 10000000000\n"), tmp_path)
    extra = json.loads(essence["extra"])
    assert extra["supertenant"] == {"maximum_bytes_billed": 10_000_000_000}
    assert essence["sqlalchemy_uri"] == "bigquery://acme-analytics"
    assert "supertenant" not in json.loads(database_essence(spec(), tmp_path)["extra"])


def test_the_key_goes_to_superset_encrypted_and_nowhere_else(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sa.json").write_text(json.dumps(key()))
    tenant = spec("  credentials_file: sa.json\n")
    fake = FakeSuperset()
    with caplog.at_level(logging.DEBUG):
        result = converge_database(fake, tenant, tmp_path)
    [(method, path, body)] = fake.calls
    assert (method, path) == ("POST", "/api/v1/database/")
    assert json.loads(body["masked_encrypted_extra"]) == {"credentials_info": key()}
    assert body["uuid"] == str(object_uuid("acme", "database"))
    assert [(c.action, c.kind) for c in result.changes] == [("create", "database")]
    shown = repr(result.changes) + caplog.text + "".join(capsys.readouterr())
    assert "PRIVATE KEY" not in shown
    assert "key-1" not in shown


def test_the_same_key_again_changes_nothing_and_a_rotated_key_is_sent(tmp_path: Path) -> None:
    (tmp_path / "sa.json").write_text(json.dumps(key()))
    tenant = spec("  credentials_file: sa.json\n")
    fake = FakeSuperset()
    converge_database(fake, tenant, tmp_path)
    assert converge_database(fake, tenant, tmp_path).changes == []
    assert len(fake.calls) == 1

    (tmp_path / "sa.json").write_text(json.dumps(key("key-2")))
    planned = converge_database(fake, tenant, tmp_path, dry_run=True)
    assert [(c.action, c.detail) for c in planned.changes] == [("update", {"fields": ["credentials"]})]
    assert len(fake.calls) == 1  # a plan writes nothing
    converge_database(fake, tenant, tmp_path)
    method, _, body = fake.calls[-1]
    assert method == "PUT"
    assert body == {"masked_encrypted_extra": json.dumps({"credentials_info": key("key-2")}, sort_keys=True)}


def test_switching_to_default_credentials_removes_the_key(tmp_path: Path) -> None:
    (tmp_path / "sa.json").write_text(json.dumps(key()))
    fake = FakeSuperset()
    converge_database(fake, spec("  credentials_file: sa.json\n"), tmp_path)
    result = converge_database(fake, spec(), tmp_path)
    assert [c.detail for c in result.changes] == [{"fields": ["credentials"]}]
    assert fake.calls[-1][2] == {"masked_encrypted_extra": "{}"}


def test_a_bad_key_file_stops_before_anything_is_written(tmp_path: Path) -> None:
    fake = FakeSuperset()
    with pytest.raises(ConfigError, match="does not exist"):
        converge_database(fake, spec("  credentials_file: missing.json\n"), tmp_path)
    assert fake.calls == []


def test_the_contract_check_runs_as_the_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Any, Path, str]] = []
    monkeypatch.setattr(
        engine.bigquery_warehouse,
        "check_warehouse_contract",
        lambda warehouse, base_dir, *, tenant: seen.append((warehouse, base_dir, tenant)),
    )
    tenant = spec()
    _Run(Provisioner(FakeSuperset()), tenant, tmp_path, True, ApplyResult("acme")).check_contract()  # type: ignore[arg-type]
    assert seen == [(tenant.warehouse, tmp_path, "acme")]

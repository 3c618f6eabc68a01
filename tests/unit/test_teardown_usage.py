"""`tenant delete` also removes the tenant's usage dashboard, and nothing of any other tenant (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supertenant.errors import NotFoundError, OwnershipError
from supertenant.metering import tenant_dashboard
from supertenant.provision.teardown import Teardown
from supertenant.superset_ext.policy import usage_uuid
from supertenant.templates.uuids import object_uuid

CHART_KEYS = [key for key, *_ in tenant_dashboard.chart_specs()]
TABLES = ("usage_daily", "users_daily", "cost_daily")


class FakeSuperset:
    """The REST resources Teardown reads and deletes, for tenants ``a`` and ``b``, in memory."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[int, dict[str, Any]]] = {}
        self.deleted: list[str] = []
        self.puts: list[tuple[str, dict[str, Any]]] = []
        self.tenants = {s: {"slug": s, "status": "active", "name": s} for s in ("a", "b")}
        self.members = {
            "a": [{"user_id": 11, "username": "admin@a"}],
            "b": [{"user_id": 21, "username": "x@b"}],
        }
        for slug, base in (("a", 100), ("b", 200)):
            self.add("database", base, database_name=slug, uuid=str(object_uuid(slug, "database")))
            self.add("dataset", base + 1, table_name="ads", database={"id": base})
            self.add("chart", base + 2, slice_name="Ads", datasource_id=base + 1, owners=[])
            usage_db = base + 50
            self.add(
                "database", usage_db, database_name=f"_usage_{slug}", uuid=str(usage_uuid(slug, "database"))
            )
            for i, table in enumerate(TABLES):
                self.add(
                    "dataset",
                    usage_db + 1 + i,
                    table_name=table,
                    database={"id": usage_db},
                    uuid=str(usage_uuid(slug, "dataset", table)),
                )
            for i, key in enumerate(CHART_KEYS):
                self.add(
                    "chart",
                    usage_db + 10 + i,
                    slice_name=f"Usage {key}",
                    datasource_id=usage_db + 1 + i % len(TABLES),
                    owners=[{"id": 1}],  # the platform admin created them
                    uuid=str(usage_uuid(slug, "chart", key)),
                )
            self.add(
                "dashboard",
                usage_db + 20,
                dashboard_title="Usage",
                owners=[{"id": 1}],
                uuid=str(usage_uuid(slug, "dashboard")),
            )
            for i, role in enumerate(("admin", "editor", "viewer", "usage")):
                self.add("security/roles", base + 30 + i, name=f"{slug}_{role}")
            self.add("security/groups", base + 40, name=f"{slug}_usage_admins")

    def add(self, resource: str, object_id: int, **fields: Any) -> None:
        self.rows.setdefault(resource, {})[object_id] = {"id": object_id, **fields}

    # -- the SupersetClient surface Teardown uses ---------------------------------------------

    def get(self, path: str, params: Any = None) -> dict[str, Any]:
        parts = path.removeprefix("/api/v1/supertenant/tenants/").split("/")
        if parts[0] not in self.tenants:
            raise NotFoundError(path)
        if parts[1:] == ["members"]:
            return {"result": self.members[parts[0]]}
        return {"result": dict(self.tenants[parts[0]])}

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.puts.append((path, body))
        return {"result": body}

    def delete(self, path: str) -> dict[str, Any]:
        self.deleted.append(path)
        resource, _, object_id = path.removeprefix("/api/v1/").rpartition("/")
        if resource == "supertenant/tenants":
            del self.tenants[object_id]
        elif self.rows.get(resource, {}).pop(int(object_id), None) is None:
            raise NotFoundError(path)
        return {}

    def iter_list(
        self, resource: str, *, filters: Any = None, columns: Any = None, **_: Any
    ) -> Iterator[Any]:
        for row in list(self.rows.get(resource, {}).values()):
            if all(self._match(row, f) for f in filters or []):
                yield row

    def find_one(self, resource: str, column: str, value: Any) -> dict[str, Any] | None:
        return next((r for r in self.rows.get(resource, {}).values() if r.get(column) == value), None)

    @staticmethod
    def _match(row: dict[str, Any], clause: dict[str, Any]) -> bool:
        if clause["opr"] == "rel_o_m":
            return bool(row.get(clause["col"], {}).get("id") == clause["value"])
        return bool(row.get(clause["col"]) == clause["value"])

    def ids(self, resource: str) -> set[int]:
        return set(self.rows.get(resource, {}))


def usage_file(root: Path, slug: str) -> Path:
    path = tenant_dashboard.default_path(root, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"duckdb")
    return path


def test_delete_removes_the_tenants_usage_objects_and_file_and_nothing_of_b(tmp_path: Path) -> None:
    fake = FakeSuperset()
    files = {slug: usage_file(tmp_path, slug) for slug in ("a", "b")}
    b_before = {r: {i for i in ids if i >= 200} for r, ids in ((r, fake.ids(r)) for r in fake.rows)}
    changes = Teardown(fake, "a", data_dir=tmp_path).run()  # type: ignore[arg-type]
    for resource, ids in fake.rows.items():
        assert {i for i in ids if i < 200} == set(), (resource, ids)  # every object of a is gone
        assert set(ids) == b_before[resource], resource  # every object of b is still there
    assert not files["a"].exists()
    assert files["b"].exists()
    assert fake.tenants.keys() == {"b"}
    keys = {(c.kind, c.key) for c in changes}
    assert {("database", "_usage_a"), ("groups", "a_usage_admins"), ("roles", "a_usage")} <= keys
    assert ("file", str(files["a"])) in keys
    assert {("dataset", t) for t in TABLES} <= keys
    # the group goes before the role it grants; datasets before their database; the file last
    order = [c.kind for c in changes]
    assert order.index("groups") < order.index("roles")
    assert order.index("dataset") < order.index("database")
    assert order[-2:] == ["file", "registry"]
    # marked as being deleted first, so the scheduled refresh does not rebuild it meanwhile
    assert fake.puts[0] == ("/api/v1/supertenant/tenants/a", {"slug": "a", "status": "deleting", "name": "a"})


def test_dry_run_lists_the_usage_objects_and_changes_nothing(tmp_path: Path) -> None:
    fake = FakeSuperset()
    path = usage_file(tmp_path, "a")
    before = {r: set(ids) for r, ids in fake.rows.items()}
    changes = Teardown(fake, "a", data_dir=tmp_path).run(dry_run=True)  # type: ignore[arg-type]
    assert {r: set(ids) for r, ids in fake.rows.items()} == before
    assert fake.deleted == []
    assert fake.puts == []
    assert path.exists()
    kinds = [c.kind for c in changes]
    assert kinds.count("chart") == 1 + len(CHART_KEYS)
    assert kinds.count("dashboard") == 1
    assert kinds.count("database") == 2
    assert "file" in kinds


def test_a_tenant_without_a_usage_dashboard_is_deleted_as_before(tmp_path: Path) -> None:
    fake = FakeSuperset()
    for resource, rows in fake.rows.items():  # a's usage objects, its usage role and group
        for object_id in [i for i in rows if 150 <= i < 200 or i in (133, 140)]:
            del fake.rows[resource][object_id]
    changes = Teardown(fake, "a", data_dir=tmp_path).run()  # type: ignore[arg-type]
    assert not {c.kind for c in changes} & {"file"}
    assert all(i >= 200 for ids in fake.rows.values() for i in ids)


def test_a_usage_database_with_a_foreign_uuid_is_refused(tmp_path: Path) -> None:
    fake = FakeSuperset()
    fake.rows["database"][150]["uuid"] = str(uuid.uuid4())
    with pytest.raises(OwnershipError, match="_usage_a"):
        Teardown(fake, "a", data_dir=tmp_path).run()  # type: ignore[arg-type]
    assert fake.deleted == []
    assert fake.puts == []  # not left marked as being deleted


def test_the_usage_file_defaults_to_the_settings_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supertenant.settings import get_settings

    monkeypatch.setenv("SUPERTENANT_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        path = Teardown(FakeSuperset(), "a").usage_file()  # type: ignore[arg-type]
    finally:
        get_settings.cache_clear()
    assert path == tenant_dashboard.default_path(tmp_path, "a")

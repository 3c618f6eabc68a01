"""PermissionIndex: resolves PVM ids with server-side filters, in a number of calls independent of tenants."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from supertenant.errors import NotFoundError
from supertenant.provision.engine import PermissionIndex
from supertenant.provision.permissions import Permission, dataset_permission
from supertenant.superset_api.client import SupersetClient

JSON = dict[str, Any]
FIXED: list[Permission] = [
    ("can_read", "Dashboard"),
    ("can_read", "Chart"),
    ("can_write", "Chart"),
    ("menu_access", "Dashboards"),
]


@dataclass
class FakeSecurityApi:
    """The three FAB list endpoints PermissionIndex uses, with FAB's filter semantics."""

    pvms: list[JSON] = field(default_factory=list)
    calls: list[tuple[str, list[JSON]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.permissions: dict[str, int] = {}
        self.views: dict[str, int] = {}

    def add(self, perm: str, view: str | None) -> int:
        permission = {"name": perm, "id": self.permissions.setdefault(perm, len(self.permissions) + 1)}
        view_menu = None
        if view is not None:
            view_menu = {"name": view, "id": self.views.setdefault(view, len(self.views) + 1)}
        pvm_id = len(self.pvms) + 100
        self.pvms.append({"id": pvm_id, "permission": permission, "view_menu": view_menu})
        return pvm_id

    def add_tenant(self, slug: str, first_dataset_id: int) -> list[Permission]:
        perms = [dataset_permission(slug, f"view_{i}", first_dataset_id + i) for i in range(4)]
        for perm, view in perms:
            self.add(perm, view)
        self.add("schema_access", f"[{slug}].[{slug}]")
        self.add("database_access", f"[{slug}].(id:{first_dataset_id})")
        return perms

    def iter_list(self, resource: str, *, filters: list[JSON] | None = None, **_: Any) -> Iterator[JSON]:
        filters = filters or []
        self.calls.append((resource, filters))
        if resource == "security/permissions":
            rows: list[JSON] = [{"id": i, "name": n} for n, i in self.permissions.items()]
        elif resource == "security/resources":
            rows = [{"id": i, "name": n} for n, i in self.views.items()]
        elif resource == "security/permissions-resources":
            rows = self.pvms
        else:
            raise AssertionError(f"unexpected listing of {resource}")
        for flt in filters:
            rows = [row for row in rows if self._matches(row, flt)]
        yield from rows

    @staticmethod
    def _matches(row: JSON, flt: JSON) -> bool:
        col, opr, value = flt["col"], flt["opr"], flt["value"]
        if opr == "in":
            return row[col] in value
        related = row.get(col)
        related_id = related["id"] if related else None
        if opr == "rel_o_m":
            return bool(related_id == value)
        if opr == "nrel_o_m":
            return related_id is not None and bool(related_id != value)
        raise AssertionError(f"operator {opr!r} is not one FAB offers here")

    def listed(self, resource: str) -> int:
        return sum(1 for r, _ in self.calls if r == resource)


def index(api: FakeSecurityApi) -> PermissionIndex:
    return PermissionIndex(cast(SupersetClient, api))


@pytest.fixture
def api() -> FakeSecurityApi:
    fake = FakeSecurityApi()
    for perm, view in FIXED:
        fake.add(perm, view)
    return fake


def test_resolves_fixed_and_dataset_permissions(api: FakeSecurityApi) -> None:
    mine = api.add_tenant("acme", 10)
    expected = {(p["permission"]["name"], p["view_menu"]["name"]): p["id"] for p in api.pvms}
    wanted = FIXED + mine
    assert index(api).ids(wanted) == [expected[p] for p in sorted(wanted)]


@pytest.mark.parametrize("other_tenants", [0, 1, 300])
def test_calls_do_not_depend_on_how_many_tenants_exist(api: FakeSecurityApi, other_tenants: int) -> None:
    for n in range(other_tenants):
        api.add_tenant(f"other-{n}", 1000 + 10 * n)
    mine = api.add_tenant("acme", 10)
    index(api).ids(FIXED + mine)
    # kinds of object permission, fixed PVMs, the 4 view menus by name, then one PVM listing each.
    assert [r for r, _ in api.calls] == [
        "security/permissions",
        "security/permissions-resources",
        "security/resources",
        *["security/permissions-resources"] * 4,
    ]


def test_fixed_listing_excludes_object_permissions_on_the_server(api: FakeSecurityApi) -> None:
    api.add_tenant("acme", 10)
    index(api).ids(FIXED)
    resource, filters = api.calls[1]
    assert resource == "security/permissions-resources"
    excluded = {api.permissions[n] for n in ("datasource_access", "schema_access", "database_access")}
    assert all((f["col"], f["opr"]) == ("permission", "nrel_o_m") for f in filters)
    assert {f["value"] for f in filters} == excluded


def test_known_ids_are_not_fetched_again(api: FakeSecurityApi) -> None:
    first = api.add_tenant("acme", 10)
    second = api.add_tenant("nippon", 20)
    perms = index(api)
    perms.ids(FIXED + first)
    before = len(api.calls)
    perms.ids(FIXED + first)
    assert len(api.calls) == before
    perms.ids(FIXED + second)  # a second tenant through the same index: its datasets only
    assert api.listed("security/permissions") == 1
    assert [r for r, _ in api.calls[before:]] == [
        "security/resources",
        *["security/permissions-resources"] * 4,
    ]


def test_only_object_permissions_skip_the_fixed_listing(api: FakeSecurityApi) -> None:
    mine = api.add_tenant("acme", 10)
    index(api).ids(mine)
    assert api.listed("security/permissions") == 0


def test_missing_permissions_are_named(api: FakeSecurityApi) -> None:
    api.add_tenant("acme", 10)
    gone = dataset_permission("acme", "deleted_view", 99)
    with pytest.raises(NotFoundError, match=r"can_fly on Dashboard.*superset init") as caught:
        index(api).ids([*FIXED, ("can_fly", "Dashboard"), gone])
    assert "deleted_view" in str(caught.value)


def test_pvms_without_permission_or_view_are_ignored(api: FakeSecurityApi) -> None:
    api.add("can_read", None)
    assert len(index(api).ids(FIXED)) == len(FIXED)


def test_many_views_are_looked_up_in_chunks(api: FakeSecurityApi) -> None:
    perms = [p for n in range(30) for p in api.add_tenant(f"t-{n}", 10 * n)]  # 120 dataset views
    assert len(index(api).ids(perms)) == 120
    lookups = [f for r, f in api.calls if r == "security/resources"]
    size = PermissionIndex.VIEW_NAMES_PER_REQUEST
    assert [len(f[0]["value"]) for f in lookups] == [size, size, 120 - 2 * size]

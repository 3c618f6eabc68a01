"""PermissionIndex: resolves PVM ids by name in one request, whatever the number of tenants."""

from __future__ import annotations

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
ENDPOINT = "/api/v1/supertenant/permission-ids"


@dataclass
class FakePermissionIdsApi:
    """Supertenant's ``permission-ids`` endpoint: the ids of the pairs it holds, others left out."""

    pvms: dict[Permission, int] = field(default_factory=dict)
    calls: list[list[Permission]] = field(default_factory=list)

    def add(self, perm: str, view: str) -> int:
        return self.pvms.setdefault((perm, view), len(self.pvms) + 100)

    def add_tenant(self, slug: str, first_dataset_id: int) -> list[Permission]:
        perms = [dataset_permission(slug, f"view_{i}", first_dataset_id + i) for i in range(4)]
        for perm, view in perms:
            self.add(perm, view)
        return perms

    def post(self, path: str, payload: JSON) -> JSON:
        assert path == ENDPOINT
        asked = [(str(p), str(v)) for p, v in payload["permissions"]]
        self.calls.append(asked)
        return {
            "result": [
                {"permission": p, "view_menu": v, "id": self.pvms[(p, v)]}
                for p, v in asked
                if (p, v) in self.pvms
            ]
        }


def index(api: FakePermissionIdsApi) -> PermissionIndex:
    return PermissionIndex(cast(SupersetClient, api))


@pytest.fixture
def api() -> FakePermissionIdsApi:
    fake = FakePermissionIdsApi()
    for perm, view in FIXED:
        fake.add(perm, view)
    return fake


def test_resolves_fixed_and_dataset_permissions_in_sorted_order(api: FakePermissionIdsApi) -> None:
    mine = api.add_tenant("acme", 10)
    wanted = FIXED + mine
    assert index(api).ids(wanted) == [api.pvms[p] for p in sorted(wanted)]


@pytest.mark.parametrize("other_tenants", [0, 1, 300])
def test_one_request_whatever_the_number_of_tenants(api: FakePermissionIdsApi, other_tenants: int) -> None:
    for n in range(other_tenants):
        api.add_tenant(f"other-{n}", 1000 + 10 * n)
    mine = api.add_tenant("acme", 10)
    index(api).ids(FIXED + mine + mine)  # duplicates asked once
    assert api.calls == [sorted(set(FIXED + mine))]


def test_known_ids_are_not_asked_again(api: FakePermissionIdsApi) -> None:
    first = api.add_tenant("acme", 10)
    second = api.add_tenant("nippon", 20)
    perms = index(api)
    perms.ids(FIXED + first)
    perms.ids(FIXED + first)
    assert len(api.calls) == 1
    perms.ids(FIXED + second)  # a second tenant through the same index: its datasets only
    assert api.calls[1] == sorted(second)


def test_missing_permissions_are_named(api: FakePermissionIdsApi) -> None:
    api.add_tenant("acme", 10)
    gone = dataset_permission("acme", "deleted_view", 99)
    with pytest.raises(NotFoundError, match=r"can_fly on Dashboard.*superset init") as caught:
        index(api).ids([*FIXED, ("can_fly", "Dashboard"), gone])
    assert "deleted_view" in str(caught.value)


def test_many_pairs_are_asked_in_chunks(api: FakePermissionIdsApi) -> None:
    perms = [p for n in range(300) for p in api.add_tenant(f"t-{n}", 10 * n)]  # 1200 dataset views
    assert len(index(api).ids(perms)) == 1200
    size = PermissionIndex.PAIRS_PER_REQUEST
    assert [len(c) for c in api.calls] == [size, 1200 - size]

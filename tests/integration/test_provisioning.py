"""The provisioning engine against a real Superset: converge, isolate rows, no-op second apply."""

from __future__ import annotations

import pytest

from supertenant.errors import NotFoundError
from supertenant.provision.engine import Provisioner

from .conftest import Server, Tenants
from .test_foundation import _cost_by_account

pytestmark = pytest.mark.integration


def test_second_apply_changes_nothing(server: Server, tenants: Tenants) -> None:
    with server.admin() as admin:
        provisioner = Provisioner(admin, password_lookup=lambda _: None)
        for spec in tenants.specs.values():
            assert provisioner.plan(spec, tenants.base_dir).changes == []
            assert provisioner.apply(spec, tenants.base_dir).changes == []


@pytest.mark.parametrize("slug", ["sakura-shoes", "northwind-outdoor"])
def test_viewer_reads_only_its_own_accounts(server: Server, tenants: Tenants, slug: str) -> None:
    spec = tenants.specs[slug]
    with tenants.login(server, slug, "viewer") as viewer:
        datasets = list(viewer.iter_list("dataset"))
        assert sorted(d["table_name"] for d in datasets) == sorted(
            ["ads_campaign_daily", "ads_adgroup_daily", "ads_keyword_daily", "ads_geo_daily"]
        )
        for dataset in datasets:
            rows = viewer.post("/api/v1/chart/data", _cost_by_account(dataset["id"]))["result"][0]["data"]
            assert sorted(r["account_id"] for r in rows) == sorted(spec.warehouse.account_ids)


def test_viewer_cannot_query_another_tenants_dataset(server: Server, tenants: Tenants) -> None:
    with tenants.login(server, "northwind-outdoor", "viewer") as other:
        foreign = [d["id"] for d in other.iter_list("dataset")]
    with tenants.login(server, "sakura-shoes", "viewer") as viewer:
        for dataset_id in [*foreign, 987654]:  # another tenant's dataset answers like a missing one
            with pytest.raises(NotFoundError):
                viewer.post("/api/v1/chart/data", _cost_by_account(dataset_id))

"""Per-tenant feature flags, routes refused, and what the UI is shown: pure functions on plain values."""

from __future__ import annotations

from typing import Any

import pytest

from supertenant.provision.permissions import EXPLORE, SQL_LAB, VIEWER, base_permissions
from supertenant.spec.models import Features
from supertenant.superset_ext.directory import TenantInfo
from supertenant.superset_ext.flags import (
    DEFAULT_FEATURES,
    TENANT_FLAGS,
    features_of,
    filter_menu,
    flags_for,
    hidden_permissions,
    refused_feature,
    strip_permissions,
)

BASE = {"ALERT_REPORTS": True, "ALLOW_FULL_CSV_EXPORT": True, "DASHBOARD_RBAC": False}
ALL_ON = dict.fromkeys(DEFAULT_FEATURES, True)
ALL_OFF = dict.fromkeys(DEFAULT_FEATURES, False)


def tenant(**features: Any) -> TenantInfo:
    return TenantInfo(
        slug="t",
        name="T",
        locale="en",
        status="active",
        database_id=1,
        role_ids={},
        dashboard_ids={},
        home_dashboard_id=None,
        branding={},
        features=features,
    )


def test_without_a_tenant_the_flags_are_the_base_ones() -> None:
    assert flags_for(None, BASE) == BASE
    assert flags_for(None, BASE) is not BASE


def test_each_feature_has_its_flag() -> None:
    on = flags_for(tenant(**ALL_ON), BASE)
    off = flags_for(tenant(**ALL_OFF), BASE)
    for flag in TENANT_FLAGS.values():
        assert on[flag] is True
        assert off[flag] is False


def test_sql_lab_flag_differs_per_tenant() -> None:
    assert flags_for(tenant(sql_lab=True), BASE)["SUPERTENANT_SQL_LAB"] is True
    assert flags_for(tenant(sql_lab=False), BASE)["SUPERTENANT_SQL_LAB"] is False


def test_tenant_features_narrow_superset_flags_but_never_widen_them() -> None:
    off = flags_for(tenant(alerts_reports=False, csv_export=False), BASE)
    assert off["ALERT_REPORTS"] is False
    assert off["ALLOW_FULL_CSV_EXPORT"] is False
    pinned_off = flags_for(tenant(alerts_reports=True, csv_export=True), {"ALERT_REPORTS": False})
    assert pinned_off["ALERT_REPORTS"] is False
    assert "ALLOW_FULL_CSV_EXPORT" not in pinned_off
    assert flags_for(tenant(**ALL_ON), BASE)["DASHBOARD_RBAC"] is False


def test_missing_or_malformed_registry_features_take_the_spec_defaults() -> None:
    assert features_of(tenant()) == Features().model_dump()
    assert features_of(tenant(sql_lab="yes", unknown=True))["sql_lab"] is False


SQL_LAB_PATHS = [
    "/sqllab/",
    "/sqllab",
    "/sqllab/history/",
    "/sqllab/p/abc/",
    "/superset/sqllab/",
    "/superset/sqllab/history/",
    "/api/v1/sqllab/execute/",
    "/api/v1/sqllab/results/",
    "/api/v1/sqllab/permalink",
    "/api/v1/query/",
    "/api/v1/saved_query/",
    "/savedqueryview/list/",
    "/tabstateview/",
    "/tabstateview/3",
    "/tableschemaview/",
    "//sqllab//",
]
EXPLORE_PATHS = [
    "/explore/",
    "/explore/p/abc/",
    "/superset/explore/",
    "/superset/explore/table/3/",
    "/superset/explore/p/k/",
    "/superset/explore_json/",
    "/api/v1/explore/",
    "/api/v1/explore/form_data",
    "/api/v1/explore/permalink/x",
]
OTHER_PATHS = [
    "/superset/welcome/",
    "/superset/dashboard/3/",
    "/api/v1/chart/data",
    "/api/v1/dashboard/",
    "/api/v1/database/1/table_metadata/",
    "/sqllabx/",
    "/explorer/",
    "/api/v1/query_x/",
    "/login/",
]


@pytest.mark.parametrize("path", SQL_LAB_PATHS)
def test_sql_lab_routes_are_refused_when_off(path: str) -> None:
    assert refused_feature(path, {**ALL_ON, "sql_lab": False}) == "sql_lab"
    assert refused_feature(path, ALL_ON) is None


@pytest.mark.parametrize("path", EXPLORE_PATHS)
def test_explore_routes_are_refused_when_off(path: str) -> None:
    assert refused_feature(path, {**ALL_ON, "explore": False}) == "explore"
    assert refused_feature(path, ALL_ON) is None


@pytest.mark.parametrize("path", OTHER_PATHS)
def test_other_routes_are_never_refused(path: str) -> None:
    assert refused_feature(path, ALL_OFF) is None


def test_hidden_permissions_follow_the_features_and_spare_viewer_permissions() -> None:
    assert hidden_permissions(ALL_ON) == frozenset()
    hidden = hidden_permissions(ALL_OFF)
    assert set(SQL_LAB) - set(VIEWER) <= hidden
    assert set(EXPLORE) - set(VIEWER) <= hidden
    assert ("can_csv", "Superset") in hidden
    assert not hidden & set(VIEWER)


@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
def test_roles_provisioned_for_the_features_lose_nothing_in_the_ui(role: str) -> None:
    """Consistency with provisioning: a role built for the features holds nothing the UI hides."""
    for values in (ALL_ON, ALL_OFF, {**ALL_ON, "sql_lab": False}, {**ALL_ON, "explore": False}):
        perms = base_permissions(role, Features(**values))
        assert not set(perms) & hidden_permissions(values)


def test_strip_permissions_keeps_the_bootstrap_shape() -> None:
    roles = {"t_admin": [["can_sqllab", "Superset"], ["can_read", "Dashboard"]], "Public": []}
    stripped = strip_permissions(roles, hidden_permissions({**ALL_ON, "sql_lab": False}))
    assert stripped == {"t_admin": [["can_read", "Dashboard"]], "Public": []}


MENU = [
    {"name": "Home", "label": "Home", "url": "/superset/welcome/"},
    {
        "name": "SQL Lab",
        "label": "SQL",
        "childs": [
            {"name": "SQL Editor", "url": "/sqllab/"},
            {"name": "Saved Queries", "url": "/savedqueryview/list/"},
            {"name": "Query Search", "url": "/sqllab/history/"},
        ],
    },
    {"name": "Data", "childs": [{"name": "Datasets"}, "-", {"name": "Saved Queries"}]},
]


def test_menu_loses_sql_lab_when_off() -> None:
    menu = filter_menu(MENU, {**ALL_ON, "sql_lab": False})
    assert [m["name"] for m in menu] == ["Home", "Data"]
    assert menu[1]["childs"] == [{"name": "Datasets"}, "-"]
    assert filter_menu(MENU, ALL_ON) == MENU

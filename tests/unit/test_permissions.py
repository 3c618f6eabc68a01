"""The tenant roles' permission sets: nothing forbidden, nested, each feature switches exactly its part."""

from __future__ import annotations

import itertools

import pytest

from supertenant.provision.permissions import (
    CSV_EXPORT,
    EDITOR_EXTRA,
    EXPLORE,
    SQL_LAB,
    VIEWER,
    Permission,
    base_permissions,
    database_permission,
    dataset_permission,
    forbidden,
)
from supertenant.spec.models import ROLES, Features

SWITCHES = ("sql_lab", "explore", "chat", "csv_export", "alerts_reports")
ALL_FEATURES: list[Features] = [
    Features(**dict(zip(SWITCHES, values, strict=True)))
    for values in itertools.product([False, True], repeat=len(SWITCHES))
]


def feature_id(features: Features) -> str:
    return "+".join(name for name in SWITCHES if getattr(features, name)) or "none"


def perms(role: str, features: Features) -> set[Permission]:
    return set(base_permissions(role, features))


every_role = pytest.mark.parametrize("role", ROLES)
every_features = pytest.mark.parametrize("features", ALL_FEATURES, ids=feature_id)


@every_role
@every_features
def test_no_role_holds_a_forbidden_permission(role: str, features: Features) -> None:
    assert forbidden(base_permissions(role, features)) == []


@every_role
@every_features
def test_no_role_holds_data_access(role: str, features: Features) -> None:
    """Data comes only from the tenant's own datasource/database permissions, added per tenant."""
    names = {name for name, _ in base_permissions(role, features)}
    assert not names & {"datasource_access", "database_access", "schema_access", "catalog_access"}


@every_role
@every_features
def test_permissions_are_sorted_and_unique(role: str, features: Features) -> None:
    result = base_permissions(role, features)
    assert result == sorted(set(result))


@pytest.mark.parametrize(
    "perm",
    [
        ("all_datasource_access", "all_datasource_access"),
        ("all_database_access", "all_database_access"),
        ("all_query_access", "all_query_access"),
        ("can_grant_guest_token", "SecurityRestApi"),
        ("can_set_embedded", "Dashboard"),
        ("can_write", "Theme"),
        ("can_write", "Tag"),
        ("can_invalidate", "CacheRestApi"),
        ("can_read", "RowLevelSecurity"),
        ("can_read", "CssTemplate"),
        ("can_list", "Log"),
        ("can_read", "SupertenantRegistry"),
        ("can_export", "ImportExportRestApi"),
        ("can_read", "OpenApi"),
        ("can_show", "SwaggerView"),
        ("can_add", "User"),
        ("can_write", "Role"),
    ],
)
def test_forbidden_flags_dangerous_permissions(perm: Permission) -> None:
    assert forbidden([perm]) == [perm]
    assert forbidden([("can_read", "Dashboard"), perm, ("can_read", "Chart")]) == [perm]


def test_own_recent_activity_is_the_one_allowed_log_permission() -> None:
    assert forbidden([("can_recent_activity", "Log")]) == []
    assert ("can_recent_activity", "Log") in VIEWER


@every_features
def test_roles_are_nested(features: Features) -> None:
    viewer, editor, admin = (perms(role, features) for role in ("viewer", "editor", "admin"))
    assert viewer <= editor <= admin
    assert viewer < editor  # an editor can always save charts and dashboards
    assert set(EDITOR_EXTRA) <= editor
    assert not set(EDITOR_EXTRA) & viewer


@every_role
@every_features
def test_explore_only_with_the_feature_and_never_for_viewers(role: str, features: Features) -> None:
    granted = set(EXPLORE) & perms(role, features)
    if features.explore and role != "viewer":
        assert granted == set(EXPLORE)
    else:
        assert granted == set()
    assert (("can_explore", "Superset") in perms(role, features)) is (features.explore and role != "viewer")


@every_role
@every_features
def test_sql_lab_only_for_admins_with_the_feature(role: str, features: Features) -> None:
    granted = set(SQL_LAB) & perms(role, features)
    if features.sql_lab and role == "admin":
        assert granted == set(SQL_LAB)
    else:
        assert granted == set()
        assert not any(view in {"SQLLab", "SQL Lab", "TabStateView"} for _, view in perms(role, features))


@every_role
@every_features
def test_chart_csv_only_with_the_feature(role: str, features: Features) -> None:
    assert (set(CSV_EXPORT) <= perms(role, features)) is features.csv_export
    assert (("can_csv", "Superset") in perms(role, features)) is features.csv_export


@pytest.mark.parametrize(
    ("role", "sql_lab", "explore"),
    [(role, sql_lab, explore) for role in ROLES for sql_lab in (False, True) for explore in (False, True)],
)
def test_no_csv_download_of_any_kind_without_csv_export(role: str, sql_lab: bool, explore: bool) -> None:
    features = Features(csv_export=False, sql_lab=sql_lab, explore=explore)
    assert [p for p in base_permissions(role, features) if "csv" in p[0].lower()] == []


@pytest.mark.parametrize(
    ("switch", "off_value"),
    [("chat", False), ("alerts_reports", True)],
)
@every_role
def test_switches_without_permissions_change_nothing(role: str, switch: str, off_value: bool) -> None:
    """chat and alerts_reports are not permission-driven: flipping them keeps every set unchanged."""
    base = Features()
    flipped = base.model_copy(update={switch: off_value})
    assert base_permissions(role, flipped) == base_permissions(role, base)


@pytest.mark.parametrize(
    ("database", "table", "dataset_id", "expected"),
    [
        ("acme", "ads_campaign_daily", 7, "[acme].[ads_campaign_daily](id:7)"),
        ("sakura-shoes", "ads_geo_daily", 123, "[sakura-shoes].[ads_geo_daily](id:123)"),
    ],
)
def test_dataset_permission_matches_superset(
    database: str, table: str, dataset_id: int, expected: str
) -> None:
    assert dataset_permission(database, table, dataset_id) == ("datasource_access", expected)


@pytest.mark.parametrize(
    ("database", "database_id", "expected"),
    [("acme", 3, "[acme].(id:3)"), ("sakura-shoes", 42, "[sakura-shoes].(id:42)")],
)
def test_database_permission_matches_superset(database: str, database_id: int, expected: str) -> None:
    assert database_permission(database, database_id) == ("database_access", expected)


@pytest.mark.parametrize(("database", "database_id"), [("acme", 3), ("sakura-shoes", 42)])
@pytest.mark.parametrize(("table", "dataset_id"), [("ads_campaign_daily", 7), ("ads_geo_daily", 1234)])
def test_permission_strings_match_supersets_security_manager(
    database: str, database_id: int, table: str, dataset_id: int
) -> None:
    """Superset names these view menus with its security manager's own static helpers."""
    from superset.security.manager import SupersetSecurityManager

    assert database_permission(database, database_id)[1] == SupersetSecurityManager.get_database_perm(
        database_id, database
    )
    assert dataset_permission(database, table, dataset_id)[1] == SupersetSecurityManager.get_dataset_perm(
        dataset_id, table, database
    )

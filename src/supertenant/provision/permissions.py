"""The curated permission sets of the three tenant roles (PURE data).

Built from Superset 6.1's Gamma role minus what a tenant must not hold
(research notes §1): theme and tag writes, self-registrations, cache
invalidation, the OpenAPI/Swagger views, global CSS templates, RLS listing,
user avatars and every admin-only view. Nothing here grants data: data comes
only from the tenant's own ``datasource_access`` (and, for SQL Lab,
``database_access``) permissions, added per tenant.
"""

from __future__ import annotations

from collections.abc import Iterable

from supertenant.spec.models import Features

Permission = tuple[str, str]  # (permission name, view-menu name)


def _expand(view: str, *perms: str) -> list[Permission]:
    return [(perm, view) for perm in perms]


VIEWER: tuple[Permission, ...] = (
    *_expand("Dashboard", "can_read", "can_drill", "can_view_chart_as_table", "can_view_query"),
    *_expand("Chart", "can_read"),
    *_expand("Dataset", "can_read", "can_get_drill_info"),
    *_expand("Datasource", "can_get"),
    *_expand("DashboardFilterStateRestApi", "can_read", "can_write"),
    *_expand("DashboardPermalinkRestApi", "can_read", "can_write"),
    *_expand("Api", "can_query", "can_query_form_data", "can_time_range"),
    *_expand(
        "Superset",
        "can_dashboard",
        "can_dashboard_permalink",
        "can_slice",
        "can_share_dashboard",
        "can_share_chart",
        "can_log",
        "can_language_pack",
        "can_fetch_datasource_metadata",
    ),
    *_expand("CurrentUserRestApi", "can_read", "can_write"),
    *_expand("MenuApi", "can_get"),
    *_expand("AvailableDomains", "can_read"),
    *_expand("AsyncEventsRestApi", "can_list"),
    *_expand("AdvancedDataType", "can_read"),
    *_expand("Log", "can_recent_activity"),
    *_expand("SecurityRestApi", "can_read"),
    *_expand("security", "can_read"),
    *_expand("UserDBModelView", "can_userinfo", "resetmypassword"),
    *_expand("ResetMyPasswordView", "can_this_form_get", "can_this_form_post"),
    *_expand("Home", "menu_access"),
    *_expand("Dashboards", "menu_access"),
    *_expand("Charts", "menu_access"),
)

EXPLORE: tuple[Permission, ...] = (
    *_expand("Explore", "can_read"),
    *_expand("Superset", "can_explore", "can_explore_json"),
    *_expand("ExploreFormDataRestApi", "can_read", "can_write"),
    *_expand("ExplorePermalinkRestApi", "can_read", "can_write"),
    *_expand("Datasource", "can_external_metadata", "can_external_metadata_by_name"),
)

EDITOR_EXTRA: tuple[Permission, ...] = (
    *_expand("Chart", "can_write"),
    *_expand("Dashboard", "can_write"),
    *_expand("Datasets", "menu_access"),
    *_expand("Data", "menu_access"),
)

CSV_EXPORT: tuple[Permission, ...] = (*_expand("Superset", "can_csv"),)

SQL_LAB: tuple[Permission, ...] = (
    *_expand("Database", "can_read"),
    *_expand(
        "SQLLab",
        "can_read",
        "can_execute_sql_query",
        "can_get_results",
        "can_format_sql",
        "can_estimate_query_cost",
    ),
    *_expand("Superset", "can_sqllab", "can_sqllab_history"),
    *_expand("Query", "can_read"),
    *_expand("SavedQuery", "can_read", "can_write"),
    *_expand("SqlLabPermalinkRestApi", "can_read", "can_write"),
    *_expand(
        "TabStateView",
        "can_activate",
        "can_delete",
        "can_delete_query",
        "can_get",
        "can_migrate_query",
        "can_post",
        "can_put",
    ),
    *_expand("TableSchemaView", "can_delete", "can_expanded", "can_post"),
    *_expand("SQL Lab", "menu_access"),
    *_expand("SQL Editor", "menu_access"),
    *_expand("Query Search", "menu_access"),
    *_expand("Saved Queries", "menu_access"),
)

SQL_LAB_CSV: tuple[Permission, ...] = (*_expand("SQLLab", "can_export_csv"),)

# Held by no tenant role, ever; a test checks none of the sets above contains one of these.
FORBIDDEN_VIEWS = frozenset(
    {
        "Theme",
        "Themes",
        "Tag",
        "Tags",
        "TagView",
        "UserRegistrationsRestAPI",
        "CacheRestApi",
        "SwaggerView",
        "OpenApi",
        "CssTemplate",
        "RowLevelSecurity",
        "Row Level Security",
        "user",
        "User",
        "Role",
        "Group",
        "ImportExportRestApi",
        "SupertenantRegistry",
        "Log",
    }
)
FORBIDDEN_PERMISSIONS = frozenset(
    {
        "all_database_access",
        "all_datasource_access",
        "all_query_access",
        "can_grant_guest_token",
        "can_set_embedded",
    }
)
ALLOWED_EXCEPTIONS: frozenset[Permission] = frozenset({("can_recent_activity", "Log")})  # own activity only


def base_permissions(role: str, features: Features) -> list[Permission]:
    """The non-data permissions of a tenant role, given the tenant's features, sorted and unique."""
    perms: list[Permission] = list(VIEWER)
    if features.csv_export:
        perms += CSV_EXPORT
    if role in ("editor", "admin"):
        perms += EDITOR_EXTRA
        if features.explore:
            perms += EXPLORE
    if role == "admin" and features.sql_lab:
        perms += SQL_LAB
        if features.csv_export:
            perms += SQL_LAB_CSV
    return sorted(set(perms))


def dataset_permission(database_name: str, table_name: str, dataset_id: int) -> Permission:
    """Superset's view-menu name for one dataset (``get_dataset_perm``)."""
    return ("datasource_access", f"[{database_name}].[{table_name}](id:{dataset_id})")


def database_permission(database_name: str, database_id: int) -> Permission:
    """Superset's view-menu name for one database (``get_database_perm``)."""
    return ("database_access", f"[{database_name}].(id:{database_id})")


def forbidden(perms: Iterable[Permission]) -> list[Permission]:
    """Any permission in ``perms`` that no tenant role may hold."""
    return [
        p
        for p in perms
        if p not in ALLOWED_EXCEPTIONS and (p[1] in FORBIDDEN_VIEWS or p[0] in FORBIDDEN_PERMISSIONS)
    ]

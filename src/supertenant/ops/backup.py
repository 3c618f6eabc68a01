"""`supertenant backup`: read everything a restore needs out of Superset, over REST, as a Snapshot.

The metadata DB dump (``dbdump``) is the complete, secret-bearing copy; this snapshot is the
reviewable, secret-free one that goes into git: Superset's own asset export (passwords masked)
plus what that export leaves out — roles and their permissions, users, RLS rules, owners and the
tenant registry. A tenant's slice of it is the offboarding export.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import prison
import structlog

from supertenant.errors import ConfigError, NotFoundError, TemporaryError
from supertenant.ops import layout
from supertenant.provision import desired
from supertenant.registry.records import Membership, TenantRecord
from supertenant.superset_api.client import JSON, PAGE_SIZE, SupersetClient
from supertenant.templates.uuids import object_uuid

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Index:
    """Ids → stable names for the objects a snapshot refers to."""

    databases: dict[int, str]  # id → uuid
    datasets: dict[int, str]
    charts: dict[int, str]
    dashboards: dict[int, str]
    roles: dict[int, str]  # id → name
    users: dict[int, str]  # id → username
    dataset_database: dict[str, str]  # dataset uuid → database uuid


def collect(client: SupersetClient, slugs: Iterable[str] | None = None) -> layout.Snapshot:
    """A snapshot of the whole instance, or (``slugs``) of only these tenants' objects."""
    index, owners = _index(client)
    assets = layout.unzip_export(client.request("GET", "/api/v1/assets/export/").content)
    tenants = client.get("/api/v1/supertenant/tenants/")["result"]
    wanted = None if slugs is None else set(slugs)
    if wanted is not None and (unknown := wanted - {t["slug"] for t in tenants}):
        raise NotFoundError(f"not in the registry: {', '.join(sorted(unknown))}")
    backups: list[layout.TenantBackup] = []
    managed: dict[str, str] = {}
    for row in tenants:
        if wanted is not None and row["slug"] not in wanted:
            continue
        record = TenantRecord.model_validate(row)
        members = [
            Membership.model_validate(m)
            for m in client.get(f"/api/v1/supertenant/tenants/{record.slug}/members")["result"]
        ]
        backups.append(
            layout.portable_tenant(record, members, index.databases, index.roles, index.dashboards)
        )
        # The export drops is_managed_externally/external_url: stamp them back, by the engine's rule.
        database_uuid = str(object_uuid(record.slug, "database"))
        owned = [database_uuid] + [d for d, db in index.dataset_database.items() if db == database_uuid]
        managed |= dict.fromkeys(owned, desired.owner_url(record.slug))
    assets = layout.stamp_managed(assets, managed)
    roles = _roles(client, index)
    users = _users(client)
    rls = _rls(client, index)
    snapshot = layout.Snapshot(
        source=_host(client.base_url),
        assets=assets,
        roles=roles,
        users=users,
        rls=rls,
        tenants=backups,
        owners=owners,
    )
    if wanted is None:
        return snapshot
    keep = set().union(*(owned_uuids(client, slug, index) for slug in wanted))
    return tenant_slice(snapshot, wanted, keep)


def owned_uuids(client: SupersetClient, slug: str, index: _Index) -> set[str]:
    """UUIDs of the tenant's database, datasets, charts and dashboards — found by the very rules
    ``tenant delete`` uses (Teardown), so an export holds exactly what a delete would remove."""
    from supertenant.provision.teardown import Teardown

    teardown = Teardown(client, slug)
    member_ids = {
        int(m["user_id"]) for m in client.get(f"/api/v1/supertenant/tenants/{slug}/members")["result"]
    }
    database = teardown._database()
    datasets = teardown._datasets(database)
    found = {index.databases[int(database["id"])]} if database else set()
    found |= {index.datasets[int(d["id"])] for d in datasets}
    found |= {index.charts[int(c["id"])] for c in teardown._charts(datasets, member_ids)}
    found |= {index.dashboards[int(d["id"])] for d in teardown._dashboards(member_ids)}
    return found


def tenant_slice(snapshot: layout.Snapshot, slugs: set[str], keep: set[str]) -> layout.Snapshot:
    """Only these tenants' objects: ``keep`` assets, their registry rows, roles, members, RLS rules."""
    tenants = [t for t in snapshot.tenants if t.slug in slugs]
    members = {m.username for t in tenants for m in t.members}
    role_names = {n for t in tenants for n in t.role_names.values()}
    rls_names = {n for slug in slugs for n in desired.rls_names(slug)}
    return snapshot.model_copy(
        update={
            "assets": layout.select_assets(snapshot.assets, keep),
            "tenants": tenants,
            "roles": [r for r in snapshot.roles if r.name in role_names],
            "users": [u for u in snapshot.users if u.username in members],
            "rls": [r for r in snapshot.rls if r.name in rls_names],
            "owners": {k: v for k, v in snapshot.owners.items() if k in keep},
        }
    )


def _index(client: SupersetClient) -> tuple[_Index, dict[str, list[str]]]:
    users = {
        int(u["id"]): u["username"] for u in client.iter_list("security/users", columns=["id", "username"])
    }
    databases = {int(d["id"]): str(d["uuid"]) for d in client.iter_list("database", columns=["id", "uuid"])}
    owners: dict[str, list[str]] = {}
    dataset_rows = all_rows(client, "dataset", ["id", "uuid", "database.id", "owners.id"])
    chart_rows = all_rows(client, "chart", ["id", "uuid", "owners.id"])
    dashboard_rows = all_rows(client, "dashboard", ["id", "uuid", "owners.id"])
    for row in dataset_rows + chart_rows + dashboard_rows:
        owners[str(row["uuid"])] = sorted(
            users[int(o["id"])] for o in row.get("owners", []) if int(o["id"]) in users
        )
    roles = {int(r["id"]): r["name"] for r in client.iter_list("security/roles")}
    index = _Index(
        databases=databases,
        datasets={int(d["id"]): str(d["uuid"]) for d in dataset_rows},
        charts={int(c["id"]): str(c["uuid"]) for c in chart_rows},
        dashboards={int(d["id"]): str(d["uuid"]) for d in dashboard_rows},
        roles=roles,
        users=users,
        dataset_database={str(d["uuid"]): databases[int(d["database"]["id"])] for d in dataset_rows},
    )
    return index, owners


def all_rows(client: SupersetClient, resource: str, columns: list[str]) -> list[JSON]:
    """Every row, checked against Superset's own count.

    These lists have no unique sort column; the modification time is unique in practice, and
    the count check turns a skipped or repeated row (ties, or a write during the backup) into a
    temporary error instead of a silently incomplete backup.
    """
    rows: dict[int, JSON] = {}
    page, total = 0, 0
    while True:
        query = {
            "page": page,
            "page_size": PAGE_SIZE,
            "columns": columns,
            "order_column": "changed_on_delta_humanized",
            "order_direction": "asc",
        }
        body = client.get(f"/api/v1/{resource}/", params={"q": prison.dumps(query)})
        total = int(body.get("count", 0))
        rows.update((int(r["id"]), r) for r in body.get("result", []))
        if (page + 1) * PAGE_SIZE >= total:
            break
        page += 1
    if len(rows) != total:
        raise TemporaryError(
            f"listing {resource}s returned {len(rows)} of {total}; was Superset being changed?"
        )
    return [rows[k] for k in sorted(rows)]


def _roles(client: SupersetClient, index: _Index) -> list[layout.RoleBackup]:
    roles = []
    for role_id, name in sorted(index.roles.items(), key=lambda item: item[1]):
        rows = client.get(f"/api/v1/security/roles/{role_id}/permissions/")["result"]
        perms = sorted(
            (
                layout.portable_permission(
                    r["permission_name"], r["view_menu_name"], index.databases, index.datasets
                )
                for r in rows
            ),
            key=lambda p: (p.permission, p.view, p.ref.uuid if p.ref else ""),
        )
        roles.append(layout.RoleBackup(name=name, permissions=perms))
    return roles


def _users(client: SupersetClient) -> list[layout.UserBackup]:
    return [
        layout.UserBackup(
            username=u["username"],
            first_name=u.get("first_name") or "",
            last_name=u.get("last_name") or "",
            email=u.get("email") or "",
            active=bool(u.get("active", True)),
            roles=sorted(r["name"] for r in u.get("roles", [])),
        )
        for u in sorted(client.iter_list("security/users"), key=lambda u: str(u["username"]))
    ]


def _rls(client: SupersetClient, index: _Index) -> list[layout.RlsBackup]:
    rules = []
    for row in client.iter_list("rowlevelsecurity", columns=["id", "name"]):
        rule: JSON = client.get(f"/api/v1/rowlevelsecurity/{row['id']}")["result"]
        rules.append(
            layout.RlsBackup(
                name=rule["name"],
                description=rule.get("description"),
                filter_type=rule["filter_type"],
                clause=rule["clause"],
                group_key=rule.get("group_key") or None,
                tables=sorted(index.datasets[int(t["id"])] for t in rule.get("tables", [])),
                roles=sorted(index.roles[int(r["id"])] for r in rule.get("roles", [])),
            )
        )
    return sorted(rules, key=lambda r: r.name)


def _host(url: str) -> str:
    """Where the backup came from, without any credentials a URL might carry."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


# -- the git repository -----------------------------------------------------------------------------


def commit(repo: Path, snapshot: layout.Snapshot) -> str:
    """Write the snapshot into ``repo`` (a git repository, created if needed) as exactly one commit."""
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        _git(repo, "init", "--quiet")
    layout.write_snapshot(snapshot, repo)
    _git(repo, "add", "--all", "--", *layout.MANAGED)
    message = f"backup {snapshot.created_at} from {snapshot.source}: {len(snapshot.tenants)} tenant(s)"
    _git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


def _git(repo: Path, *args: str) -> str:
    command = [
        "git",
        "-C",
        str(repo),
        "-c",
        "user.name=supertenant backup",
        "-c",
        "user.email=backup@supertenant.invalid",
        "-c",
        "commit.gpgsign=false",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ConfigError(f"git {args[0]} in {repo} failed: {result.stderr.strip()[:300]}")
    return result.stdout

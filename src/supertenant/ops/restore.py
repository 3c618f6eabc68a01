"""`supertenant restore`: rebuild a backup in an empty Superset, over REST.

Order matters: assets first (Superset's import keeps UUIDs and creates the per-dataset
permissions), then roles with their permissions re-pointed at the new ids, users, owners,
RLS rules, and last the registry — the row that makes every object a tenant's again.
Secrets are not in the backup; they come from a separate file (see :class:`RestoreSecrets`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog
import yaml
from pydantic import BaseModel, ConfigDict, Field

from supertenant.errors import NotFoundError, OwnershipError, SupersetAPIError
from supertenant.ops import layout
from supertenant.provision.engine import PermissionIndex
from supertenant.superset_api.client import SupersetClient

log = structlog.get_logger(__name__)


class DatabaseSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str | None = None
    encrypted_extra: dict[str, str] = Field(default_factory=dict)  # JSON path → value


class RestoreSecrets(BaseModel):
    """The secrets file: never in the backup repository, kept in Secret Manager.

    ``{"databases": {"<name>": {"password": "…", "encrypted_extra":
    {"$.credentials_info.private_key": "…"}}}, "users": {"<username>": "<password>"}}``
    """

    model_config = ConfigDict(extra="forbid")

    databases: dict[str, DatabaseSecrets] = Field(default_factory=dict)
    users: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> RestoreSecrets:
        return cls() if path is None else cls.model_validate_json(path.read_text(encoding="utf-8"))


@dataclass
class RestoreResult:
    restored: dict[str, int] = field(default_factory=dict)
    new_passwords: dict[str, str] = field(default_factory=dict)  # shown once, never logged
    problems: list[str] = field(default_factory=list)


@dataclass
class _Target:
    databases: dict[str, int]
    datasets: dict[str, int]
    charts: dict[str, int]
    dashboards: dict[str, int]


def restore(
    client: SupersetClient,
    snapshot: layout.Snapshot,
    secrets_: RestoreSecrets,
    *,
    generate_password: Callable[[], str] = lambda: secrets.token_urlsafe(18),
) -> RestoreResult:
    """Restore ``snapshot``; refuses when a tenant of it is already registered on the target."""
    present = {t["slug"] for t in client.get("/api/v1/supertenant/tenants/")["result"]}
    if clash := sorted(present & {t.slug for t in snapshot.tenants}):
        raise OwnershipError(
            f"tenants already registered on the target: {', '.join(clash)}; restore into an empty Superset"
        )
    result = RestoreResult()
    _assets(client, snapshot, secrets_, result)
    target = _target(client)
    _dashboard_scopes(client, snapshot, target, result)
    role_ids = _roles(client, snapshot, target, result)
    user_ids = _users(client, snapshot, role_ids, secrets_, generate_password, result)
    _owners(client, snapshot, target, user_ids, result)
    _rls(client, snapshot, target, role_ids, result)
    _registry(client, snapshot, target, role_ids, user_ids, result)
    return result


def _assets(
    client: SupersetClient, snapshot: layout.Snapshot, secrets_: RestoreSecrets, result: RestoreResult
) -> None:
    if not snapshot.assets:
        return
    files = layout.database_files(snapshot.assets)
    passwords = {files[n]: s.password for n, s in secrets_.databases.items() if n in files and s.password}
    extras = {
        files[n]: s.encrypted_extra for n, s in secrets_.databases.items() if n in files and s.encrypted_extra
    }
    for name, path in sorted(files.items()):
        if layout.MASK in snapshot.assets[path] and files[name] not in passwords:
            result.problems.append(
                f"database {name!r}: no password in the secrets file; set it after the restore"
            )
    client.request(
        "POST",
        "/api/v1/assets/import/",
        files={"bundle": ("backup.zip", layout.asset_bundle(snapshot.assets), "application/zip")},
        data={"passwords": json.dumps(passwords), "encrypted_extra_secrets": json.dumps(extras)},
    )
    result.restored["assets"] = len(snapshot.assets)


def _target(client: SupersetClient) -> _Target:
    def by_uuid(resource: str) -> dict[str, int]:
        from supertenant.ops.backup import all_rows

        return {str(r["uuid"]): int(r["id"]) for r in all_rows(client, resource, ["id", "uuid"])}

    databases = {str(d["uuid"]): int(d["id"]) for d in client.iter_list("database", columns=["id", "uuid"])}
    return _Target(databases, by_uuid("dataset"), by_uuid("chart"), by_uuid("dashboard"))


def _dashboard_scopes(
    client: SupersetClient, snapshot: layout.Snapshot, target: _Target, result: RestoreResult
) -> None:
    """Repair the filter scopes Superset's import leaves on the source's chart ids."""
    count = 0
    for path, text in sorted(snapshot.assets.items()):
        if not path.startswith("dashboards/"):
            continue
        dashboard_uuid = layout.asset_uuid(text)
        if dashboard_uuid not in target.dashboards:
            result.problems.append(f"dashboard {dashboard_uuid} ({path}) was not imported")
            continue
        id_map = {
            old: target.charts[uuid]
            for old, uuid in layout.dashboard_chart_ids(text).items()
            if uuid in target.charts
        }
        dashboard_id = target.dashboards[str(dashboard_uuid)]
        current = client.get(f"/api/v1/dashboard/{dashboard_id}")["result"]
        metadata = json.loads(current.get("json_metadata") or "{}")
        exported = (yaml.safe_load(text) or {}).get("metadata") or {}
        fixed = layout.repair_dashboard_metadata(metadata, exported, id_map)
        if fixed != metadata:
            client.put(f"/api/v1/dashboard/{dashboard_id}", {"json_metadata": json.dumps(fixed)})
            count += 1
    result.restored["dashboard_scopes"] = count


def _roles(
    client: SupersetClient, snapshot: layout.Snapshot, target: _Target, result: RestoreResult
) -> dict[str, int]:
    existing = {r["name"]: int(r["id"]) for r in client.iter_list("security/roles")}
    index = PermissionIndex(client)
    count = 0
    for role in snapshot.roles:
        if role.name in layout.BUILTIN_ROLES:
            continue  # `superset init` owns these and rewrites them on every deploy
        if role.name not in existing:
            existing[role.name] = int(client.post("/api/v1/security/roles/", {"name": role.name})["id"])
        try:
            perms = [
                (p.permission, layout.local_view(p, target.databases, target.datasets))
                for p in role.permissions
            ]
            ids = index.ids(perms)
        except NotFoundError as exc:
            result.problems.append(f"role {role.name!r}: {exc}")
            continue
        client.post(
            f"/api/v1/security/roles/{existing[role.name]}/permissions",
            {"permission_view_menu_ids": sorted(ids)},
        )
        count += 1
    result.restored["roles"] = count
    return existing


def _users(
    client: SupersetClient,
    snapshot: layout.Snapshot,
    role_ids: dict[str, int],
    secrets_: RestoreSecrets,
    generate_password: Callable[[], str],
    result: RestoreResult,
) -> dict[str, int]:
    existing = {
        u["username"]: int(u["id"]) for u in client.iter_list("security/users", columns=["id", "username"])
    }
    count = 0
    for user in snapshot.users:
        if user.username in existing:
            continue  # e.g. the platform admin, created by `superset fab create-admin` on the target
        missing = [r for r in user.roles if r not in role_ids]
        if missing:
            result.problems.append(f"user {user.username!r}: roles not restored: {', '.join(missing)}")
        password = secrets_.users.get(user.username)
        if password is None:
            password = generate_password()
            result.new_passwords[user.username] = password
        body = user.model_dump(exclude={"roles"}) | {
            "password": password,
            "roles": sorted(role_ids[r] for r in user.roles if r in role_ids),
        }
        existing[user.username] = int(client.post("/api/v1/security/users/", body)["id"])
        count += 1
    result.restored["users"] = count
    return existing


def _owners(
    client: SupersetClient,
    snapshot: layout.Snapshot,
    target: _Target,
    user_ids: dict[str, int],
    result: RestoreResult,
) -> None:
    """Owners decide which tenant a user-made dashboard belongs to: restore them exactly."""
    count = 0
    for uuid, usernames in sorted(snapshot.owners.items()):
        for resource, ids in (
            ("dataset", target.datasets),
            ("chart", target.charts),
            ("dashboard", target.dashboards),
        ):
            if uuid in ids:
                unknown = [u for u in usernames if u not in user_ids]
                if unknown:
                    result.problems.append(f"{resource} {uuid}: owners not restored: {', '.join(unknown)}")
                owners = sorted(user_ids[u] for u in usernames if u in user_ids)
                client.put(f"/api/v1/{resource}/{ids[uuid]}", {"owners": owners})
                count += 1
                break
    result.restored["owners"] = count


def _rls(
    client: SupersetClient,
    snapshot: layout.Snapshot,
    target: _Target,
    role_ids: dict[str, int],
    result: RestoreResult,
) -> None:
    existing = {r["name"]: int(r["id"]) for r in client.iter_list("rowlevelsecurity", columns=["id", "name"])}
    count = 0
    for rule in snapshot.rls:
        missing = [f"dataset {t}" for t in rule.tables if t not in target.datasets] + [
            f"role {r}" for r in rule.roles if r not in role_ids
        ]
        if missing:
            result.problems.append(f"RLS rule {rule.name!r}: not restored: {', '.join(missing)}")
            continue
        body = {
            "name": rule.name,
            "description": rule.description,
            "filter_type": rule.filter_type,
            "clause": rule.clause,
            "group_key": rule.group_key or "",
            "tables": sorted(target.datasets[t] for t in rule.tables),
            "roles": sorted(role_ids[r] for r in rule.roles),
        }
        if rule.name in existing:
            client.put(f"/api/v1/rowlevelsecurity/{existing[rule.name]}", body)
        else:
            client.post("/api/v1/rowlevelsecurity/", body)
        count += 1
    result.restored["rls"] = count


def _registry(
    client: SupersetClient,
    snapshot: layout.Snapshot,
    target: _Target,
    role_ids: dict[str, int],
    user_ids: dict[str, int],
    result: RestoreResult,
) -> None:
    count = 0
    for tenant in snapshot.tenants:
        try:
            record, members = layout.local_tenant(
                tenant, target.databases, role_ids, target.dashboards, user_ids
            )
        except NotFoundError as exc:
            result.problems.append(str(exc))
            continue
        path = f"/api/v1/supertenant/tenants/{tenant.slug}"
        client.put(path, record.model_dump(mode="json", exclude={"slug", "created_at", "updated_at"}))
        try:
            client.put(f"{path}/members", {"members": [m.model_dump() for m in members]})
        except SupersetAPIError as exc:  # 422: a user already belongs to another tenant
            result.problems.append(f"tenant {tenant.slug!r}: members not restored: {exc.detail}")
            continue
        count += 1
    result.restored["tenants"] = count

"""The backup format: what a backup holds, how ids become portable references, and the secret checks.

Pure: no HTTP, no database. Superset ids change when objects are re-created, so a backup never
stores an id. Databases, datasets, charts and dashboards are named by UUID (Superset's import
keeps UUIDs), roles and users by name; a restore turns the references back into the new ids.
Files on disk are plain JSON and YAML so that a git diff between two backups is readable.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from supertenant.errors import NotFoundError, PermanentError
from supertenant.registry.records import Membership, TenantRecord, without_secrets

FORMAT = 1
MASK = "XXXXXXXXXX"  # what Superset writes in place of a password in an exported URI
ASSET_DIRS = ("databases", "datasets", "charts", "dashboards", "queries")
# Roles `superset init` owns and rewrites on every deploy: restoring them would be undone anyway.
BUILTIN_ROLES = frozenset({"Admin", "Alpha", "Gamma", "Public", "sql_lab"})

_DATASET_VIEW = re.compile(r"^(?P<prefix>\[[^\]]*\]\.\[.*\])\(id:(?P<id>\d+)\)$")
_DATABASE_VIEW = re.compile(r"^(?P<prefix>\[[^\]]*\]\.)\(id:(?P<id>\d+)\)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObjectRef(_Model):
    kind: Literal["database", "dataset"]
    uuid: str


class PortablePermission(_Model):
    """One (permission, view menu) pair; views that embed an object id carry a reference instead."""

    permission: str
    view: str  # without the trailing "(id:N)" when ``ref`` is set
    ref: ObjectRef | None = None


class RoleBackup(_Model):
    name: str
    permissions: list[PortablePermission]


class UserBackup(_Model):
    """A user without any password material (see docs/runbooks/backup.md for why)."""

    username: str
    first_name: str
    last_name: str
    email: str
    active: bool = True
    roles: list[str]


class RlsBackup(_Model):
    name: str
    description: str | None = None
    filter_type: str
    clause: str
    group_key: str | None = None
    tables: list[str]  # dataset UUIDs
    roles: list[str]  # role names


class MemberBackup(_Model):
    username: str
    role: Literal["admin", "editor", "viewer"]


class TenantBackup(_Model):
    """A registry row with its ids replaced by references, plus the tenant's memberships."""

    record: dict[str, Any]  # TenantRecord fields except ids and timestamps
    database_uuid: str | None
    role_names: dict[str, str]
    dashboard_uuids: dict[str, str]
    home_dashboard_uuid: str | None
    members: list[MemberBackup]

    @property
    def slug(self) -> str:
        return str(self.record["slug"])


class Snapshot(_Model):
    """Everything one backup run captured."""

    format: int = FORMAT
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    source: str = ""
    assets: dict[str, str] = Field(default_factory=dict)  # path in Superset's export layout → YAML
    roles: list[RoleBackup] = Field(default_factory=list)
    users: list[UserBackup] = Field(default_factory=list)
    rls: list[RlsBackup] = Field(default_factory=list)
    tenants: list[TenantBackup] = Field(default_factory=list)
    owners: dict[str, list[str]] = Field(default_factory=dict)  # asset UUID → owner usernames


# -- ids ⇄ references ---------------------------------------------------------------------------


def portable_permission(
    permission: str, view: str, database_uuids: Mapping[int, str], dataset_uuids: Mapping[int, str]
) -> PortablePermission:
    """Replace the object id Superset embeds in per-object view names by the object's UUID."""
    for pattern, kind, uuids in (
        (_DATASET_VIEW, "dataset", dataset_uuids),
        (_DATABASE_VIEW, "database", database_uuids),
    ):
        if (match := pattern.match(view)) and int(match["id"]) in uuids:
            ref = ObjectRef(kind=kind, uuid=uuids[int(match["id"])])
            return PortablePermission(permission=permission, view=match["prefix"], ref=ref)
    return PortablePermission(permission=permission, view=view)


def local_view(
    permission: PortablePermission, database_ids: Mapping[str, int], dataset_ids: Mapping[str, int]
) -> str:
    """The view-menu name on the target instance, with the object's new id."""
    if permission.ref is None:
        return permission.view
    ids = database_ids if permission.ref.kind == "database" else dataset_ids
    if permission.ref.uuid not in ids:
        raise NotFoundError(
            f"{permission.ref.kind} {permission.ref.uuid} of {permission.view!r} was not restored"
        )
    return f"{permission.view}(id:{ids[permission.ref.uuid]})"


def portable_tenant(
    record: TenantRecord,
    members: Iterable[Membership],
    database_uuids: Mapping[int, str],
    role_names: Mapping[int, str],
    dashboard_uuids: Mapping[int, str],
) -> TenantBackup:
    """A registry row whose ids are references; an id that points at nothing is dropped, not invented."""
    body = record.model_dump(
        mode="json",
        exclude={"superset_database_id", "role_ids", "dashboard_ids", "home_dashboard_id"}
        | {"created_at", "updated_at"},
    )
    body["warehouse"] = without_secrets(body["warehouse"])
    home = record.home_dashboard_id
    return TenantBackup(
        record=body,
        database_uuid=database_uuids.get(record.superset_database_id or -1),
        role_names={k: role_names[v] for k, v in record.role_ids.items() if v in role_names},
        dashboard_uuids={
            k: dashboard_uuids[v] for k, v in record.dashboard_ids.items() if v in dashboard_uuids
        },
        home_dashboard_uuid=dashboard_uuids.get(home) if home is not None else None,
        members=[MemberBackup(username=m.username, role=m.role) for m in members],
    )


def local_tenant(
    backup: TenantBackup,
    database_ids: Mapping[str, int],
    role_ids: Mapping[str, int],
    dashboard_ids: Mapping[str, int],
    user_ids: Mapping[str, int],
) -> tuple[TenantRecord, list[Membership]]:
    """The registry row and memberships for the target instance; every reference must resolve."""
    missing = (
        (
            [f"database {backup.database_uuid}"]
            if backup.database_uuid and backup.database_uuid not in database_ids
            else []
        )
        + [f"role {n}" for n in backup.role_names.values() if n not in role_ids]
        + [f"dashboard {u}" for u in backup.dashboard_uuids.values() if u not in dashboard_ids]
        + [f"user {m.username}" for m in backup.members if m.username not in user_ids]
    )
    if missing:
        raise NotFoundError(f"tenant {backup.slug!r}: not restored: {', '.join(missing)}")
    home = backup.home_dashboard_uuid
    record = TenantRecord.model_validate(
        backup.record
        | {
            "superset_database_id": database_ids[backup.database_uuid] if backup.database_uuid else None,
            "role_ids": {k: role_ids[v] for k, v in backup.role_names.items()},
            "dashboard_ids": {k: dashboard_ids[v] for k, v in backup.dashboard_uuids.items()},
            "home_dashboard_id": dashboard_ids.get(home) if home else None,
        }
    )
    members = [
        Membership(user_id=user_ids[m.username], username=m.username, role=m.role) for m in backup.members
    ]
    return record, members


# -- assets -------------------------------------------------------------------------------------


def unzip_export(content: bytes) -> dict[str, str]:
    """Superset's export ZIP as {path without the root folder: text}; its metadata.yaml is dropped."""
    files: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        for name in bundle.namelist():
            path = name.split("/", 1)[1] if "/" in name else name
            if path.split("/", 1)[0] in ASSET_DIRS:
                files[path] = bundle.read(name).decode()
    return files


def asset_uuid(text: str) -> str | None:
    loaded = yaml.safe_load(text)
    return str(loaded["uuid"]) if isinstance(loaded, dict) and loaded.get("uuid") else None


def select_assets(files: Mapping[str, str], uuids: Iterable[str]) -> dict[str, str]:
    """The files describing exactly these objects (a tenant's slice of a full export)."""
    wanted = set(uuids)
    return {path: text for path, text in files.items() if asset_uuid(text) in wanted}


def stamp_managed(files: Mapping[str, str], owners: Mapping[str, str]) -> dict[str, str]:
    """Mark objects as managed externally again (Superset's export omits the two fields).

    ``owners`` maps an object's UUID to its ``external_url``; one pass over the files.
    """
    out = dict(files)
    for path, text in files.items():
        loaded = yaml.safe_load(text)
        if isinstance(loaded, dict) and (url := owners.get(str(loaded.get("uuid")))) is not None:
            loaded |= {"is_managed_externally": True, "external_url": url}
            out[path] = yaml.safe_dump(loaded, sort_keys=False, allow_unicode=True)
    return out


def import_order(files: Mapping[str, str]) -> list[str]:
    """File order for the import: charts in their source id order, everything else by path.

    Superset numbers imported charts in the order it reads them. Keeping the source order keeps
    every id list that was sorted (a native filter's ``chartsInScope``) sorted after the ids
    are remapped, so a restored dashboard equals what the provisioning engine renders.
    """
    source_ids: dict[str, int] = {}
    for path, text in files.items():
        if path.startswith("dashboards/"):
            source_ids |= {uuid: old for old, uuid in dashboard_chart_ids(text).items()}

    def key(path: str) -> tuple[int, float, str]:
        if not path.startswith("charts/"):
            return (0, 0, path)
        return (1, source_ids.get(asset_uuid(files[path]) or "", float("inf")), path)

    return sorted(files, key=key)


def asset_bundle(files: Mapping[str, str]) -> bytes:
    """A ZIP that `POST /api/v1/assets/import/` accepts: one root folder and an "assets" metadata.yaml."""
    buffer = io.BytesIO()
    metadata = {"version": "1.0.0", "type": "assets", "timestamp": datetime.now(UTC).isoformat()}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("backup/metadata.yaml", yaml.safe_dump(metadata))
        for path in import_order(files):
            bundle.writestr(f"backup/{path}", files[path])
    return buffer.getvalue()


def database_files(files: Mapping[str, str]) -> dict[str, str]:
    """Database name → its file in the bundle (the import wants passwords keyed by file)."""
    found: dict[str, str] = {}
    for path, text in files.items():
        if path.startswith("databases/"):
            loaded = yaml.safe_load(text)
            found[str(loaded["database_name"])] = path
    return found


def dashboard_chart_ids(dashboard_yaml: str) -> dict[int, str]:
    """A dashboard file's chart ids (as they were on the source instance) → chart UUIDs."""
    loaded = yaml.safe_load(dashboard_yaml)
    position = loaded.get("position") or {} if isinstance(loaded, dict) else {}
    return {
        int(node["meta"]["chartId"]): str(node["meta"]["uuid"])
        for node in position.values()
        if isinstance(node, dict)
        and node.get("type") == "CHART"
        and isinstance(node.get("meta", {}).get("chartId"), int)
        and node["meta"].get("uuid")
    }


def repair_dashboard_metadata(
    metadata: dict[str, Any], exported: dict[str, Any], id_map: Mapping[int, int]
) -> dict[str, Any]:
    """Fix what Superset 6.1's dashboard import gets wrong in ``json_metadata``.

    The import remaps ``scope.excluded`` and ``chart_configuration`` but leaves ``chartsInScope``
    (native filters and cross-filters) holding the source instance's chart ids — on the target
    those are other charts, possibly another tenant's — and drops ``default_filters``. Ids that
    map to no restored chart are dropped, as Superset does for ``excluded``. ``exported`` is the
    dashboard's ``metadata`` from the backup, ``id_map`` source chart id → target chart id.
    """

    def fix(ids: Any) -> Any:
        return (
            [id_map[i] for i in ids if isinstance(i, int) and i in id_map] if isinstance(ids, list) else ids
        )

    fixed: dict[str, Any] = json.loads(json.dumps(metadata))
    for native in fixed.get("native_filter_configuration") or []:
        if "chartsInScope" in native:
            native["chartsInScope"] = fix(native["chartsInScope"])
    global_config = fixed.get("global_chart_configuration") or {}
    if "chartsInScope" in global_config:
        global_config["chartsInScope"] = fix(global_config["chartsInScope"])
    for config in (fixed.get("chart_configuration") or {}).values():
        cross = config.get("crossFilters") if isinstance(config, dict) else None
        if isinstance(cross, dict) and "chartsInScope" in cross:
            cross["chartsInScope"] = fix(cross["chartsInScope"])
    if "default_filters" in exported and "default_filters" not in fixed:
        fixed["default_filters"] = _remap_default_filters(exported["default_filters"], id_map)
    return fixed


def _remap_default_filters(value: Any, id_map: Mapping[int, int]) -> Any:
    """default_filters is keyed by chart id, as a dict or as a JSON string of one."""
    loaded = json.loads(value) if isinstance(value, str) else value
    if not isinstance(loaded, dict):
        return value
    remapped = {str(id_map[int(k)]): v for k, v in loaded.items() if k.isdigit() and int(k) in id_map}
    return json.dumps(remapped) if isinstance(value, str) else remapped


# -- secrets ------------------------------------------------------------------------------------

_URI_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@\"']*:)(?P<password>[^@\s/\"']+)(?P<tail>@)")
_SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a password hash", re.compile(r"\b(pbkdf2:sha\d+|scrypt:\d+)[:$]")),
    (
        "an unmasked credential field",
        re.compile(
            r"[\"']?\b(private_key|password|client_secret|refresh_token)[\"']?\s*:\s*"
            r"(?![\"']?(XXXXXXXXXX|null|None)\b|[\"']{2}|\s*$)\S",
            re.MULTILINE,
        ),
    ),
)


def mask_uri(uri: str) -> str:
    """The URI with any password replaced by Superset's mask."""
    return _URI_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['tail']}", uri)


def mask_assets(files: Mapping[str, str]) -> dict[str, str]:
    """Mask every password in a URI (Superset already does; this is a second line)."""
    return {path: mask_uri(text) for path, text in files.items()}


def find_secrets(files: Mapping[str, str]) -> list[str]:
    """Where a secret seems to be: "path: what" (never the value itself)."""
    found = []
    for path, text in sorted(files.items()):
        if any(m["password"] != MASK for m in _URI_PASSWORD.finditer(text)):
            found.append(f"{path}: a password in a URI")
        found.extend(f"{path}: {what}" for what, pattern in _SECRET_PATTERNS if pattern.search(text))
    return found


# -- files on disk --------------------------------------------------------------------------------


def snapshot_files(snapshot: Snapshot) -> dict[str, str]:
    """Every file of a backup, by relative path; refuses to produce any that seems to hold a secret."""
    files = {f"assets/{path}": text for path, text in mask_assets(snapshot.assets).items()}
    files["backup.json"] = _json(
        {
            "format": snapshot.format,
            "created_at": snapshot.created_at,
            "source": snapshot.source,
            "tenants": sorted(t.slug for t in snapshot.tenants),
            "counts": {
                "assets": len(snapshot.assets),
                "roles": len(snapshot.roles),
                "users": len(snapshot.users),
                "rls": len(snapshot.rls),
            },
        }
    )
    files["security/roles.json"] = _json([r.model_dump(mode="json") for r in snapshot.roles])
    files["security/users.json"] = _json([u.model_dump(mode="json") for u in snapshot.users])
    files["security/rls.json"] = _json([r.model_dump(mode="json") for r in snapshot.rls])
    files["ownership.json"] = _json(snapshot.owners)
    for tenant in snapshot.tenants:
        files[f"registry/{tenant.slug}.json"] = _json(tenant.model_dump(mode="json"))
    if problems := find_secrets(files):
        raise PermanentError("refusing to write a backup that holds secrets:\n  " + "\n  ".join(problems))
    return files


MANAGED = ("assets", "security", "registry", "backup.json", "ownership.json")


def write_snapshot(snapshot: Snapshot, root: Path) -> list[Path]:
    """Replace the managed part of ``root`` with this snapshot (objects deleted since show as deletions)."""
    import shutil

    files = snapshot_files(snapshot)  # checked before anything on disk changes
    for name in MANAGED:
        target = root / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    written = []
    for relative, text in sorted(files.items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def read_snapshot(root: Path) -> Snapshot:
    """Load a backup directory written by :func:`write_snapshot`."""
    manifest_path = root / "backup.json"
    if not manifest_path.exists():
        raise NotFoundError(f"{root} holds no backup (backup.json is missing)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise PermanentError(f"{manifest_path}: backup format {manifest.get('format')!r}, expected {FORMAT}")
    assets_root = root / "assets"
    assets = {
        p.relative_to(assets_root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(assets_root.rglob("*.yaml"))
    }

    def load(name: str) -> Any:
        return json.loads((root / name).read_text(encoding="utf-8"))

    return Snapshot(
        format=FORMAT,
        created_at=manifest["created_at"],
        source=manifest.get("source", ""),
        assets=assets,
        roles=[RoleBackup.model_validate(r) for r in load("security/roles.json")],
        users=[UserBackup.model_validate(u) for u in load("security/users.json")],
        rls=[RlsBackup.model_validate(r) for r in load("security/rls.json")],
        tenants=[
            TenantBackup.model_validate_json(p.read_text(encoding="utf-8"))
            for p in sorted((root / "registry").glob("*.json"))
        ],
        owners=load("ownership.json"),
    )


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

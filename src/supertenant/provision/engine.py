"""Observe Superset, compare with a tenant spec, and converge — over REST only.

One code path serves ``plan`` and ``apply``: every step observes the current
object, compares the managed fields, records a :class:`Change` and, unless
this is a dry run, makes the call. So a plan is exactly what apply would do,
a second apply makes no write calls, and an apply killed anywhere converges
on the next run (every step looks before it writes).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import structlog

from supertenant.errors import NotFoundError, OwnershipError, SpecError
from supertenant.provision import bundle, desired
from supertenant.provision.dashboards import DashboardInstantiator
from supertenant.provision.permissions import Permission, base_permissions, dataset_permission
from supertenant.provision.upgrade import support_contact
from supertenant.reconcile.plan import Change
from supertenant.registry.records import Membership, TenantRecord
from supertenant.spec.models import BigQueryWarehouse, DuckDBWarehouse, TenantSpec, UserSpec
from supertenant.superset_api.client import JSON, SupersetClient
from supertenant.templates import registry as template_registry
from supertenant.templates.errors import TemplateError
from supertenant.templates.protocol import DashboardTemplate, DatasetRef, RenderContext
from supertenant.templates.uuids import object_uuid
from supertenant.warehouse import bigquery as bigquery_warehouse
from supertenant.warehouse.contract import ViewContract

log = structlog.get_logger(__name__)
T = TypeVar("T")

ROLES: tuple[Literal["admin", "editor", "viewer"], ...] = ("admin", "editor", "viewer")
PLACEHOLDER_ID = -1  # stands for an object a dry run would have created
HOME_TEMPLATE = "getting_started"  # the users' home page at first login
MAX_PARALLEL_REQUESTS = 4  # per apply; Superset serves each request on one of its threads

# Where a branch of the run records its changes (None: straight into the result).
_BRANCH_CHANGES: contextvars.ContextVar[list[Change] | None] = contextvars.ContextVar(
    "supertenant_branch_changes", default=None
)


@dataclass
class ApplyResult:
    """What one apply (or plan) did for one tenant."""

    slug: str
    changes: list[Change] = field(default_factory=list)
    new_passwords: dict[str, str] = field(default_factory=dict)  # shown once, never logged

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass
class _State:
    """Ids learned while converging one tenant."""

    database_id: int = PLACEHOLDER_ID
    database_created: bool = False  # by this run: it has no datasets yet
    datasets: dict[str, int] = field(default_factory=dict)
    roles: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    dataset_columns: dict[str, frozenset[str]] = field(default_factory=dict)
    dashboards: dict[str, int] = field(default_factory=dict)
    home_dashboard_id: int | None = None


class PermissionIndex:
    """(permission, view menu) → PVM id, resolved by name on the server so its cost stays flat.

    FAB's API finds a PVM only by listing with one related id per filter: resolving a tenant's
    roles took nine listings. Supertenant's ``permission-ids`` endpoint answers all the names in
    one request (one query), whatever the number of tenants. Ids are remembered for the
    index's lifetime (one CLI run).
    """

    PAIRS_PER_REQUEST = 1000  # well under the endpoint's limit

    def __init__(self, client: SupersetClient) -> None:
        self._client = client
        self._ids: dict[Permission, int] = {}

    def ids(self, perms: Iterable[Permission]) -> list[int]:
        wanted = sorted(set(perms))
        unknown = [p for p in wanted if p not in self._ids]
        for start in range(0, len(unknown), self.PAIRS_PER_REQUEST):
            self._load(unknown[start : start + self.PAIRS_PER_REQUEST])
        missing = [p for p in wanted if p not in self._ids]
        if missing:
            raise NotFoundError(
                "Superset lacks permissions "
                + ", ".join(f"{perm} on {view}" for perm, view in missing[:10])
                + " — run `superset init` after upgrading Superset"
            )
        return [self._ids[p] for p in wanted]

    def _load(self, perms: list[Permission]) -> None:
        rows = self._client.post(
            "/api/v1/supertenant/permission-ids", {"permissions": [list(p) for p in perms]}
        )["result"]
        for row in rows:
            self._ids[(str(row["permission"]), str(row["view_menu"]))] = int(row["id"])


class Provisioner:
    """Converges tenants on one Superset instance, as its platform admin."""

    def __init__(
        self, client: SupersetClient, *, password_lookup: Callable[[str], str | None] = os.environ.get
    ):
        self.client = client
        self.permissions = PermissionIndex(client)
        self._password_lookup = password_lookup

    # -- entry points -----------------------------------------------------------------------------

    def plan(self, spec: TenantSpec, base_dir: Path) -> ApplyResult:
        return self._converge(spec, base_dir, dry_run=True)

    def apply(self, spec: TenantSpec, base_dir: Path) -> ApplyResult:
        return self._converge(spec, base_dir, dry_run=False)

    def _converge(self, spec: TenantSpec, base_dir: Path, *, dry_run: bool) -> ApplyResult:
        result = ApplyResult(spec.slug)
        run = _Run(self, spec, base_dir, dry_run, result)
        run.check_contract()
        templates = run.resolve_templates()
        run.claim_registry()
        # While the connection and datasets are made, read what the later steps compare against.
        first: list[Callable[[], None]] = [run.warehouse_objects, functools.partial(run.look_up, templates)]
        run.parallel(first)
        # Access (roles → users → RLS) and content (dashboards) need only the datasets, not each
        # other: they run side by side, and their changes are reported in this order.
        parts: list[Callable[[], None]] = [run.access, functools.partial(run.dashboards, templates)]
        run.parallel(parts)
        run.finish_registry()
        return result


class _Run:
    """One convergence of one tenant; each method is one step of the plan."""

    def __init__(
        self, owner: Provisioner, spec: TenantSpec, base_dir: Path, dry_run: bool, result: ApplyResult
    ):
        self.client = owner.client
        self.owner = owner
        self.spec = spec
        self.base_dir = base_dir
        self.dry_run = dry_run
        self.result = result
        self.state = _State()
        self.registry: TenantRecord | None = None
        self._database_row: JSON | Literal[False] | None = False  # False: not looked up yet
        # Filled by look_up() (or by the step itself when it runs alone), by name.
        self._roles_found: dict[str, JSON] | None = None
        self._users_found: dict[str, JSON] | None = None
        self._rules_found: dict[str, JSON] | None = None
        self.instantiator = DashboardInstantiator(
            self.client, spec.slug, self.change, dry_run, importer=self._import_dashboards
        )

    # -- bookkeeping ------------------------------------------------------------------------------

    def change(
        self, action: Literal["create", "update", "delete"], kind: str, key: str, **detail: Any
    ) -> bool:
        """Record a change; True when the caller should also perform it."""
        sink = _BRANCH_CHANGES.get()
        (self.result.changes if sink is None else sink).append(
            Change(action=action, kind=kind, key=key, detail=detail)
        )
        log.info("change", tenant=self.spec.slug, action=action, kind=kind, key=key, dry_run=self.dry_run)
        return not self.dry_run

    def parallel(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Make independent calls side by side; results and changes come in call order.

        Each call runs in a copy of the caller's context with a change list of its own, so a
        plan reads the same however the threads interleave. Every call has finished before the
        first failure is raised.
        """
        if len(calls) <= 1:
            return [call() for call in calls]
        sinks: list[list[Change]] = [[] for _ in calls]

        def run(call: Callable[[], T], sink: list[Change]) -> T:
            _BRANCH_CHANGES.set(sink)
            return call()

        with ThreadPoolExecutor(max_workers=min(len(calls), MAX_PARALLEL_REQUESTS)) as pool:
            futures = [
                pool.submit(contextvars.copy_context().run, run, call, sink)
                for call, sink in zip(calls, sinks, strict=True)
            ]
        parent = _BRANCH_CHANGES.get()
        for sink in sinks:
            (self.result.changes if parent is None else parent).extend(sink)
        return [future.result() for future in futures]

    # -- steps ------------------------------------------------------------------------------------

    def check_contract(self) -> None:
        """Refuse to create anything unless the warehouse satisfies the dataset contract."""
        warehouse = self.spec.warehouse
        if isinstance(warehouse, DuckDBWarehouse):
            from supertenant.warehouse.local import check_contract

            path = Path(desired.duckdb_uri(warehouse, self.base_dir).removeprefix("duckdb:///"))
            check_contract(path, warehouse.schema_name)
        else:  # BigQuery: checked as the tenant's own identity (docs/bigquery.md)
            bigquery_warehouse.check_warehouse_contract(warehouse, self.base_dir, tenant=self.spec.slug)

    def resolve_templates(self) -> list[DashboardTemplate]:
        """Every dashboard template the spec names, resolved before anything is created."""
        problems, found = [], []
        for ref in self.spec.templates:
            try:
                found.append(template_registry.dashboard(ref.name, ref.version))
            except TemplateError as exc:
                problems.append(f"templates: {exc}")
        if problems:
            raise SpecError(problems, source=self.spec.slug)
        return found

    def claim_registry(self) -> None:
        """The registry row is written first: it is what makes every later object ours."""
        slug = self.spec.slug
        try:
            self.registry = TenantRecord.model_validate(
                self.client.get(f"/api/v1/supertenant/tenants/{slug}")["result"]
            )
            return
        except NotFoundError:
            pass
        self._database_row = self._find("database", "database_name", self.spec.database_name)
        if self._database_row is not None:
            raise OwnershipError(
                f"a database named {self.spec.database_name!r} exists but tenant {slug!r} is not in the "
                "registry: supertenant did not create it and will not take it over"
            )
        record = self._record(status="provisioning")
        if self.change("create", "registry", slug):
            self.client.put(
                f"/api/v1/supertenant/tenants/{slug}", record.model_dump(mode="json", exclude={"slug"})
            )

    def database(self) -> None:
        want = desired.database_essence(self.spec, self.base_dir)
        # BigQuery key file → Superset's encrypted extra. Never logged, never in a Change's detail.
        warehouse = self.spec.warehouse
        key = None
        if isinstance(warehouse, BigQueryWarehouse):
            key = bigquery_warehouse.load_credentials_info(warehouse, self.base_dir)
        # claim_registry may have just looked (and found none): no need to ask twice
        found = (
            self._find("database", "database_name", want["database_name"])
            if self._database_row is False
            else self._database_row
        )
        if found is None:
            if self.change("create", "database", want["database_name"]):
                body = want | {"uuid": str(object_uuid(self.spec.slug, "database"))}
                if key is not None:
                    body["masked_encrypted_extra"] = bigquery_warehouse.encrypted_extra(key)
                self.state.database_id = int(self.client.post("/api/v1/database/", body)["id"])
                self.state.database_created = True
            return
        self._refuse_foreign(
            found, "database", want["database_name"], object_uuid(self.spec.slug, "database")
        )
        self.state.database_id = int(found["id"])
        current = self.client.get(f"/api/v1/database/{found['id']}/connection")["result"]
        # Superset never returns external_url; ownership is proven by the derived UUID instead.
        diff = _diff(want, current, ignore={"external_url"})
        fields = sorted(diff)
        secret = None
        if isinstance(warehouse, BigQueryWarehouse):
            secret = bigquery_warehouse.credentials_change(key, current.get("masked_encrypted_extra"))
            fields += ["credentials"] if secret is not None else []
        if fields and self.change("update", "database", want["database_name"], fields=fields):
            self.client.put(
                f"/api/v1/database/{found['id']}",
                diff | ({} if secret is None else {"masked_encrypted_extra": secret}),
            )

    def datasets(self) -> None:
        existing: dict[str, JSON] = {}
        if self.state.database_id != PLACEHOLDER_ID and not self.state.database_created:
            existing = self._datasets_of_database()
        missing: list[ViewContract] = []
        for view in desired.dataset_views():
            want = desired.dataset_essence(self.spec, view)
            row = existing.get(view.name)
            if row is None:
                if self.change("create", "dataset", view.name):
                    missing.append(view)
                else:
                    self.state.datasets[view.name] = PLACEHOLDER_ID
                continue
            self.state.datasets[view.name] = int(row["id"])
            self._converge_dataset(int(row["id"]), want)
        if missing:
            self._import_datasets(missing)

    def _datasets_of_database(self) -> dict[str, JSON]:
        rows = self.client.iter_list(
            "dataset", filters=[{"col": "database", "opr": "rel_o_m", "value": self.state.database_id}]
        )
        return {row["table_name"]: row for row in rows}

    def _import_datasets(self, views: list[ViewContract]) -> None:
        """Every missing contract dataset in one import, with its columns and saved metrics.

        No reflection of the views (the contract states their columns), no read-back and no
        metrics update per dataset: one request for all of them, then one listing for their ids.
        """
        database_uuid = str(object_uuid(self.spec.slug, "database"))
        payload = bundle.dataset_bundle(
            bundle.database_config(desired.database_essence(self.spec, self.base_dir), database_uuid),
            [desired.dataset_import_config(self.spec, view, database_uuid) for view in views],
        )
        self.client.request(
            "POST",
            "/api/v1/dataset/import/",
            files={"formData": ("datasets.zip", payload, "application/zip")},
            data={"overwrite": "false"},
        )
        created = self._datasets_of_database()
        for view in views:
            row = created.get(view.name)
            if row is None:
                raise NotFoundError(f"dataset {view.name!r} is missing after its import")
            self._refuse_foreign(row, "dataset", view.name, object_uuid(self.spec.slug, "dataset", view.name))
            self.state.datasets[view.name] = int(row["id"])
            self.state.dataset_columns[view.name] = frozenset(c.name for c in view.columns)

    def _converge_dataset(self, dataset_id: int, want: JSON) -> None:
        current = self.client.get(f"/api/v1/dataset/{dataset_id}")["result"]
        self.state.dataset_columns[want["table_name"]] = frozenset(
            c["column_name"] for c in current.get("columns", [])
        )
        self._refuse_foreign(current, "dataset", want["table_name"], want["uuid"])
        wanted_metrics = desired.metric_essence(self.spec)
        have = {m["metric_name"]: m for m in current.get("metrics", [])}
        metrics_differ = any(_diff(m, have.get(m["metric_name"], {})) for m in wanted_metrics) or set(
            have
        ) != {m["metric_name"] for m in wanted_metrics}
        fields = _diff({"main_dttm_col": want["main_dttm_col"], "schema": want["schema"]}, current)
        if not metrics_differ and not fields:
            return
        if self.change(
            "update", "dataset", want["table_name"], fields=sorted(fields) + ["metrics"] * metrics_differ
        ):
            body: JSON = dict(fields)
            if metrics_differ:
                body["metrics"] = [
                    m | ({"id": have[m["metric_name"]]["id"]} if m["metric_name"] in have else {})
                    for m in wanted_metrics
                ]
            self.client.put(f"/api/v1/dataset/{dataset_id}?override_columns=false", body)

    def warehouse_objects(self) -> None:
        """The tenant's connection, then its datasets."""
        self.database()
        self.datasets()

    def look_up(self, templates: list[DashboardTemplate]) -> None:
        """Read, side by side, what the access and dashboard steps compare against.

        Only reads, made while the connection and datasets are created: the tenant's roles, users
        and RLS rules by name, its dashboards and charts by UUID and slug. Nothing this run writes
        before those steps can change the answers.
        """
        reads: list[Callable[[], object]] = [
            self._find_roles,
            self._find_users,
            self._find_rules,
            functools.partial(self.instantiator.prefetch, templates),
        ]
        self.parallel(reads)

    def _find_roles(self) -> dict[str, JSON]:
        """The three roles and the platform admin role (the RLS step needs it), in one request."""
        if self._roles_found is None:
            names = [*(self.spec.role_name(role) for role in ROLES), desired.PLATFORM_ADMIN_ROLE]
            self._roles_found = self._find_many("security/roles", "name", names)
        return self._roles_found

    def _find_users(self) -> dict[str, JSON]:
        if self._users_found is None:
            emails = [u.email for u in self.spec.users]
            self._users_found = self._find_many("security/users", "username", emails)
        return self._users_found

    def _find_rules(self) -> dict[str, JSON]:
        if self._rules_found is None:
            names = list(desired.rls_names(self.spec.slug))
            self._rules_found = self._find_many("rowlevelsecurity", "name", names)
        return self._rules_found

    def access(self) -> None:
        """Who may see the tenant: its roles, then its users, then the row filters on both."""
        self.roles()
        self.users()
        self.rls()

    def roles(self) -> None:
        data_perms = [
            dataset_permission(self.spec.database_name, name, dataset_id)
            for name, dataset_id in sorted(self.state.datasets.items())
            if dataset_id != PLACEHOLDER_ID
        ]
        roles_found = self._find_roles()
        wanted_perms = {role: base_permissions(role, self.spec.features) + data_perms for role in ROLES}
        known_datasets = len(data_perms) == len(self.state.datasets)
        if known_datasets:  # every role's PVM ids in one request, before the roles go side by side
            self.owner.permissions.ids(p for perms in wanted_perms.values() for p in perms)
        work: list[Callable[[], None]] = []
        for role in ROLES:
            name = self.spec.role_name(role)
            found = roles_found.get(name)
            if found is None:
                if not self.change("create", "role", name):
                    self.state.roles[role] = PLACEHOLDER_ID
                    continue
                work.append(functools.partial(self._create_role, role, name, wanted_perms[role]))
                continue
            role_id = int(found["id"])
            self.state.roles[role] = role_id
            if self.dry_run and not known_datasets:
                self.change("update", "role_permissions", name)  # to add the datasets it would create
                continue
            work.append(functools.partial(self._converge_role, role_id, name, wanted_perms[role]))
        self.parallel(work)

    def _create_role(self, role: str, name: str, perms: list[Permission]) -> None:
        role_id = int(self.client.post("/api/v1/security/roles/", {"name": name})["id"])
        self.state.roles[role] = role_id
        self.client.post(
            f"/api/v1/security/roles/{role_id}/permissions",
            {"permission_view_menu_ids": sorted(set(self.owner.permissions.ids(perms)))},
        )

    def _converge_role(self, role_id: int, name: str, perms: list[Permission]) -> None:
        rows = self.client.get(f"/api/v1/security/roles/{role_id}/permissions/")["result"]
        current = {int(r["id"]) for r in rows}
        wanted = set(self.owner.permissions.ids(perms))
        if wanted != current and self.change("update", "role_permissions", name, count=len(wanted)):
            self.client.post(
                f"/api/v1/security/roles/{role_id}/permissions", {"permission_view_menu_ids": sorted(wanted)}
            )

    def users(self) -> None:
        users_found = self._find_users()
        new_users: list[UserSpec] = []
        for user in self.spec.users:
            role_id = self.state.roles[user.role]
            found = users_found.get(user.email)
            if found is None:
                if self.change("create", "user", user.email, role=user.role):
                    new_users.append(user)
                continue
            self.state.users[user.email] = int(found["id"])
            current = self.client.get(f"/api/v1/security/users/{found['id']}")["result"]
            role_ids = sorted(int(r["id"]) for r in current.get("roles", []))
            want = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
            diff = _diff(want, current)
            if role_ids != [role_id]:
                diff["roles"] = [role_id]
            if diff and self.change("update", "user", user.email, fields=sorted(diff)):
                self.client.put(f"/api/v1/security/users/{found['id']}", diff)
        # Superset hashes each new password (scrypt): side by side, not one after another.
        created = self.parallel(
            [functools.partial(self._create_user, u, self.state.roles[u.role]) for u in new_users]
        )
        self.state.users.update(zip((u.email for u in new_users), created, strict=True))
        self._remove_departed_users()

    def _create_user(self, user: UserSpec, role_id: int) -> int:
        password = self.owner._password_lookup(user.password_env) if user.password_env else None
        if not password:
            password = secrets.token_urlsafe(18)
            self.result.new_passwords[user.email] = password
        body = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.email,
            "email": user.email,
            "password": password,
            "active": True,
            "roles": [role_id],
        }
        return int(self.client.post("/api/v1/security/users/", body)["id"])

    def _remove_departed_users(self) -> None:
        if self.registry is None:
            return
        members = self.client.get(f"/api/v1/supertenant/tenants/{self.spec.slug}/members")["result"]
        keep = {u.email for u in self.spec.users}
        for member in members:
            if member["username"] not in keep and self.change("delete", "user", member["username"]):
                with contextlib.suppress(NotFoundError):  # already gone: the goal is reached
                    self.client.delete(f"/api/v1/security/users/{member['user_id']}")

    def rls(self) -> None:
        accounts_name, deny_name = desired.rls_names(self.spec.slug)
        tables = sorted(self.state.datasets.values())
        tenant_roles = sorted(self.state.roles.values())
        admin = self._find_roles().get(desired.PLATFORM_ADMIN_ROLE)
        excluded = tenant_roles + ([int(admin["id"])] if admin else [])
        wanted = {
            accounts_name: {
                "filter_type": "Regular",
                "tables": tables,
                "roles": tenant_roles,
                "clause": desired.accounts_clause(self.spec),
                "group_key": "",
            },
            # Base rules apply to everyone *except* these roles: anyone else reading the tenant's
            # datasets (a misconfigured role, a future bug) gets no rows at all.
            deny_name: {
                "filter_type": "Base",
                "tables": tables,
                "roles": sorted(excluded),
                "clause": "1 = 0",
                "group_key": "",
            },
        }
        rules_found = self._find_rules()
        self.parallel(
            [functools.partial(self._converge_rls, n, want, rules_found.get(n)) for n, want in wanted.items()]
        )

    def _converge_rls(self, name: str, want: JSON, found: JSON | None) -> None:
        body = want | {"name": name, "description": f"managed by supertenant for {self.spec.slug}"}
        if found is None:
            if self.change("create", "rls", name) and PLACEHOLDER_ID not in want["tables"] + want["roles"]:
                self.client.post("/api/v1/rowlevelsecurity/", body)
            return
        current = self.client.get(f"/api/v1/rowlevelsecurity/{found['id']}")["result"]
        observed = {
            "filter_type": current.get("filter_type"),
            "tables": sorted(int(t["id"]) for t in current.get("tables", [])),
            "roles": sorted(int(r["id"]) for r in current.get("roles", [])),
            "clause": current.get("clause"),
            "group_key": current.get("group_key") or "",
        }
        diff = _diff(want, observed)
        if diff and self.change("update", "rls", name, fields=sorted(diff)):
            self.client.put(f"/api/v1/rowlevelsecurity/{found['id']}", body)

    def dashboards(self, templates: list[DashboardTemplate]) -> None:
        instantiator = self.instantiator
        if PLACEHOLDER_ID in self.state.datasets.values():
            for template in templates:  # a dry run that would create the datasets first
                self.change("create", "dashboard", template.slug(self.spec.slug), template=template.ref)
            return
        ctx = self.render_context()
        if not instantiator.prefetched(templates):
            instantiator.prefetch(templates)
        for name, dashboard_id in instantiator.converge_all(templates, ctx).items():
            if dashboard_id is not None:
                self.state.dashboards[name] = dashboard_id
        self.state.home_dashboard_id = self.state.dashboards.get(HOME_TEMPLATE)

    def _import_dashboards(self, charts: list[JSON], dashboards: list[JSON]) -> None:
        """New dashboards with all their charts in one import (the tenant's datasets already exist:
        the bundle names them and the database by UUID, and Superset reuses those rows as they are)."""
        database_uuid = str(object_uuid(self.spec.slug, "database"))
        payload = bundle.dashboard_bundle(
            bundle.database_config(desired.database_essence(self.spec, self.base_dir), database_uuid),
            [
                desired.dataset_import_config(self.spec, view, database_uuid)
                for view in desired.dataset_views()
            ],
            charts,
            dashboards,
        )
        self.client.request(
            "POST",
            "/api/v1/dashboard/import/",
            files={"formData": ("dashboards.zip", payload, "application/zip")},
            data={"overwrite": "false"},
        )

    def render_context(self) -> RenderContext:
        metrics = frozenset(m["metric_name"] for m in desired.metric_essence(self.spec))
        admins = sorted(u.email for u in self.spec.users if u.role == "admin")
        return RenderContext(
            tenant_slug=self.spec.slug,
            locale=self.spec.locale,
            support_contact=support_contact(admins),
            datasets={
                name: DatasetRef(
                    id=dataset_id,
                    uuid=str(object_uuid(self.spec.slug, "dataset", name)),
                    name=name,
                    columns=self.state.dataset_columns.get(name, frozenset()),
                    metrics=metrics,
                )
                for name, dataset_id in self.state.datasets.items()
            },
        )

    def finish_registry(self) -> None:
        record = self._record(status="active")
        members = [
            Membership(user_id=self.state.users[u.email], username=u.email, role=u.role)
            for u in self.spec.users
            if u.email in self.state.users
        ]
        if self.registry is not None:
            before = self.registry.model_dump(exclude={"created_at", "updated_at"})
            after = record.model_dump(exclude={"created_at", "updated_at"})
            current_members = self.client.get(f"/api/v1/supertenant/tenants/{self.spec.slug}/members")[
                "result"
            ]
            same_members = members_match(current_members, members)
            differs = sorted(k for k in after if before.get(k) != after[k]) + (
                [] if same_members else ["members"]
            )
            if not differs:
                return
            if not self.change("update", "registry", self.spec.slug, fields=differs):
                return
        elif self.dry_run:
            return
        self.client.put(
            f"/api/v1/supertenant/tenants/{self.spec.slug}", record.model_dump(mode="json", exclude={"slug"})
        )
        self.client.put(
            f"/api/v1/supertenant/tenants/{self.spec.slug}/members",
            {"members": [m.model_dump() for m in members]},
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _record(self, status: Literal["provisioning", "active"]) -> TenantRecord:
        spec = self.spec
        warehouse = spec.warehouse.model_dump(
            mode="json", by_alias=True, exclude={"credentials_file", "credentials_secret"}
        )
        return TenantRecord(
            slug=spec.slug,
            name=spec.name,
            locale=spec.locale,
            plan=spec.plan,
            status=status,
            isolation=spec.isolation,
            warehouse=warehouse,
            superset_database_id=_known(self.state.database_id),
            role_ids={k: v for k, v in self.state.roles.items() if v != PLACEHOLDER_ID},
            dashboard_ids=dict(self.state.dashboards),
            home_dashboard_id=self.state.home_dashboard_id,
            branding=spec.branding.model_dump(mode="json"),
            features=spec.features.model_dump(mode="json"),
        )

    def _find(self, resource: str, column: str, value: str) -> JSON | None:
        return self.client.find_one(resource, column, value)

    def _find_many(self, resource: str, column: str, values: list[str]) -> dict[str, JSON]:
        """The rows whose ``column`` is one of ``values`` (exact match), by that value: one request."""
        wanted = set(values)
        rows = self.client.iter_list(
            resource, filters=[{"col": column, "opr": "in", "value": sorted(wanted)}]
        )
        return {str(row[column]): row for row in rows if row.get(column) in wanted}

    def _refuse_foreign(self, found: JSON, kind: str, key: str, expected_uuid: object) -> None:
        """Objects carry UUIDs derived from the tenant; any other UUID means someone else made it."""
        if str(found.get("uuid")) != str(expected_uuid):
            raise OwnershipError(
                f"{kind} {key!r} (id {found.get('id')}) was not created by supertenant for tenant "
                f"{self.spec.slug!r}; refusing to change it"
            )


def members_match(observed: list[JSON], wanted: list[Membership]) -> bool:
    """Whether the registry already holds exactly these memberships (order and key order ignored)."""
    return {Membership.model_validate(m) for m in observed} == set(wanted)


def _known(value: int) -> int | None:
    return None if value == PLACEHOLDER_ID else value


def _diff(want: JSON, current: JSON, ignore: Iterable[str] = ()) -> JSON:
    """The managed fields whose value differs (only keys of ``want`` are compared)."""
    skip = set(ignore)
    return {k: v for k, v in want.items() if k not in skip and current.get(k) != v}

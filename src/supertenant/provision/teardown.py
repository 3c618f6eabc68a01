"""Remove every object of one tenant — and nothing of any other tenant.

What belongs to a tenant is found from the registry (its slug claims it), the
database whose UUID is derived from the slug, the datasets on that database,
the charts on those datasets, the dashboards that are derived from the slug
or owned only by the tenant's users, the tenant's roles, members and RLS rules.

The tenant's usage dashboard (metering/tenant_dashboard.py) is found the way the tenant guard
attributes it: the database ``_usage_<slug>`` whose UUID is derived from the slug
(``policy.usage_uuid``), the datasets on it, the charts on those datasets or with the derived chart
UUIDs, the dashboard with the derived UUID, the role ``<slug>_usage`` and the group
``<slug>_usage_admins``; and its aggregate file ``DATA_DIR/metering/tenants/<slug>.duckdb``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import prison
import structlog

from supertenant.errors import NotFoundError, OwnershipError
from supertenant.provision import desired
from supertenant.provision.engine import ROLES
from supertenant.reconcile.plan import Change
from supertenant.superset_api.client import JSON, SupersetClient
from supertenant.superset_ext.policy import usage_database_name, usage_uuid
from supertenant.templates.uuids import object_uuid

log = structlog.get_logger(__name__)


class Teardown:
    """Finds, optionally exports, and deletes one tenant's objects."""

    def __init__(self, client: SupersetClient, slug: str, data_dir: Path | None = None) -> None:
        self.client = client
        self.slug = slug
        self._data_dir = data_dir  # where the usage dashboard's file is; the settings' DATA_DIR if None

    def usage_file(self) -> Path:
        """The tenant's usage-dashboard DuckDB file (`supertenant usage dashboard` writes it)."""
        from supertenant.metering.tenant_dashboard import default_path

        if self._data_dir is None:
            from supertenant.settings import get_settings

            return default_path(get_settings().data_dir, self.slug)
        return default_path(self._data_dir, self.slug)

    def run(self, *, export_dir: Path | None = None, dry_run: bool = False) -> list[Change]:
        try:
            record = self.client.get(f"/api/v1/supertenant/tenants/{self.slug}")["result"]
        except NotFoundError:
            raise NotFoundError(
                f"tenant {self.slug!r} is not in the registry; nothing of it is managed"
            ) from None
        usage_file = self.usage_file()  # settings read before anything is deleted
        database = self._database()  # both refuse a database of the name that is not the tenant's
        usage_database = self._usage_database()
        if not dry_run and record.get("status") != "deleting":
            # The scheduled usage-dashboard refresh skips tenants being deleted (registry_tenants).
            self.client.put(f"/api/v1/supertenant/tenants/{self.slug}", record | {"status": "deleting"})
        members = self.client.get(f"/api/v1/supertenant/tenants/{self.slug}/members")["result"]
        member_ids = {int(m["user_id"]) for m in members}
        datasets = self._datasets(database)
        usage_datasets = self._datasets(usage_database)
        charts = self._charts(datasets + usage_datasets, member_ids)
        dashboards = self._dashboards(member_ids)
        if export_dir is not None and not dry_run:
            usage_dashboard = str(usage_uuid(self.slug, "dashboard"))
            own = [d for d in dashboards if str(d.get("uuid")) != usage_dashboard]
            self._export(export_dir, own, datasets)  # the usage objects are rebuilt from usage rows
        changes: list[Change] = []
        steps: list[tuple[str, str, str]] = (
            [("dashboard", str(d["id"]), d.get("dashboard_title", "")) for d in dashboards]
            + [("chart", str(c["id"]), c.get("slice_name", "")) for c in charts]
            + [("rowlevelsecurity", str(r["id"]), r["name"]) for r in self._rls()]
            + [("security/groups", str(g["id"]), g["name"]) for g in self._groups()]
            + [("security/users", str(m["user_id"]), m["username"]) for m in members]
            + [("security/roles", str(r["id"]), r["name"]) for r in self._roles()]
            + [("dataset", str(d["id"]), d["table_name"]) for d in datasets + usage_datasets]
            + [
                ("database", str(d["id"]), d["database_name"])
                for d in (database, usage_database)
                if d is not None
            ]
        )
        for resource, object_id, name in steps:
            changes.append(
                Change(action="delete", kind=resource.removeprefix("security/"), key=name or object_id)
            )
            if not dry_run:
                with contextlib.suppress(NotFoundError):  # already gone after an interrupted delete
                    self.client.delete(f"/api/v1/{resource}/{object_id}")
        if usage_file.exists():  # only once Superset no longer has a database on it
            changes.append(Change(action="delete", kind="file", key=str(usage_file)))
            if not dry_run:
                usage_file.unlink(missing_ok=True)
                usage_file.with_name(f"{usage_file.name}.wal").unlink(missing_ok=True)
        changes.append(Change(action="delete", kind="registry", key=self.slug))
        if not dry_run:
            self.client.delete(f"/api/v1/supertenant/tenants/{self.slug}")
        return changes

    def _database(self) -> JSON | None:
        found = self.client.find_one("database", "database_name", self.slug)
        if found is None:
            return None
        if str(found.get("uuid")) != str(object_uuid(self.slug, "database")):
            raise OwnershipError(
                f"database {self.slug!r} was not created by supertenant; refusing to delete it"
            )
        return found

    def _usage_database(self) -> JSON | None:
        """``_usage_<slug>`` with the UUID derived from the slug (``policy.usage_database_tenant``)."""
        name = usage_database_name(self.slug)
        found = self.client.find_one("database", "database_name", name)
        if found is None:
            return None
        if str(found.get("uuid")) != str(usage_uuid(self.slug, "database")):
            raise OwnershipError(f"database {name!r} was not created by supertenant; refusing to delete it")
        return found

    def _datasets(self, database: JSON | None) -> list[JSON]:
        if database is None:
            return []
        rows = self.client.iter_list(
            "dataset", filters=[{"col": "database", "opr": "rel_o_m", "value": database["id"]}]
        )
        return list(rows)

    def _charts(self, datasets: list[JSON], member_ids: set[int]) -> list[JSON]:
        from supertenant.metering.tenant_dashboard import chart_specs

        dataset_ids = {int(d["id"]) for d in datasets}
        usage_charts = {str(usage_uuid(self.slug, "chart", key)) for key, *_ in chart_specs()}
        charts: dict[int, JSON] = {}
        for chart in self.client.iter_list(
            "chart", columns=["id", "uuid", "slice_name", "datasource_id", "owners.id"]
        ):
            owners = {int(o["id"]) for o in chart.get("owners", [])}
            on_our_data = chart.get("datasource_id") in dataset_ids
            if on_our_data or str(chart.get("uuid")) in usage_charts or (owners and owners <= member_ids):
                charts[int(chart["id"])] = chart
        return list(charts.values())

    def _dashboards(self, member_ids: set[int]) -> list[JSON]:
        from supertenant.templates import registry

        # The template dashboards' UUIDs, computed once (the same rule the templates use).
        derived = {str(t.dashboard_uuid(self.slug)) for t in registry.all_dashboards()}
        derived.add(str(usage_uuid(self.slug, "dashboard")))  # the tenant's usage dashboard
        found: list[JSON] = []
        for dashboard in self.client.iter_list(
            "dashboard", columns=["id", "uuid", "dashboard_title", "owners.id"]
        ):
            owners = {int(o["id"]) for o in dashboard.get("owners", [])}
            if str(dashboard.get("uuid")) in derived or (owners and owners <= member_ids):
                found.append(dashboard)
        return found

    def _rls(self) -> list[JSON]:
        names = desired.rls_names(self.slug)
        return [r for name in names if (r := self.client.find_one("rowlevelsecurity", "name", name))]

    def _roles(self) -> list[JSON]:
        from supertenant.metering.tenant_dashboard import role_name

        names = [f"{self.slug}_{role}" for role in ROLES] + [role_name(self.slug)]
        return [r for name in names if (r := self.client.find_one("security/roles", "name", name))]

    def _groups(self) -> list[JSON]:
        """The FAB group that gives the usage role to the tenant's admins."""
        from supertenant.metering.tenant_dashboard import group_name

        found = self.client.find_one("security/groups", "name", group_name(self.slug))
        return [found] if found else []

    def _export(self, export_dir: Path, dashboards: list[JSON], datasets: list[JSON]) -> None:
        """Superset's own export bundles (no credentials) for the tenant's dashboards and datasets."""
        export_dir.mkdir(parents=True, exist_ok=True)
        for resource, rows in (("dashboard", dashboards), ("dataset", datasets)):
            if not rows:
                continue
            ids = prison.dumps([int(r["id"]) for r in rows])
            response = self.client.request("GET", f"/api/v1/{resource}/export/", params={"q": ids})
            (export_dir / f"{self.slug}-{resource}s.zip").write_bytes(response.content)
        log.info("exported", tenant=self.slug, directory=str(export_dir))

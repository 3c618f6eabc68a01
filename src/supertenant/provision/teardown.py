"""Remove every object of one tenant — and nothing of any other tenant.

What belongs to a tenant is found from the registry (its slug claims it), the
database whose UUID is derived from the slug, the datasets on that database,
the charts on those datasets, the dashboards that are derived from the slug
or owned only by the tenant's users, the tenant's roles, members and RLS rules.
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
from supertenant.templates.uuids import object_uuid

log = structlog.get_logger(__name__)


class Teardown:
    """Finds, optionally exports, and deletes one tenant's objects."""

    def __init__(self, client: SupersetClient, slug: str) -> None:
        self.client = client
        self.slug = slug

    def run(self, *, export_dir: Path | None = None, dry_run: bool = False) -> list[Change]:
        try:
            self.client.get(f"/api/v1/supertenant/tenants/{self.slug}")
        except NotFoundError:
            raise NotFoundError(
                f"tenant {self.slug!r} is not in the registry; nothing of it is managed"
            ) from None
        members = self.client.get(f"/api/v1/supertenant/tenants/{self.slug}/members")["result"]
        member_ids = {int(m["user_id"]) for m in members}
        database = self._database()
        datasets = self._datasets(database)
        charts = self._charts(datasets, member_ids)
        dashboards = self._dashboards(member_ids)
        if export_dir is not None and not dry_run:
            self._export(export_dir, dashboards, datasets)
        changes: list[Change] = []
        steps: list[tuple[str, str, str]] = (
            [("dashboard", str(d["id"]), d.get("dashboard_title", "")) for d in dashboards]
            + [("chart", str(c["id"]), c.get("slice_name", "")) for c in charts]
            + [("rowlevelsecurity", str(r["id"]), r["name"]) for r in self._rls()]
            + [("security/users", str(m["user_id"]), m["username"]) for m in members]
            + [("security/roles", str(r["id"]), r["name"]) for r in self._roles()]
            + [("dataset", str(d["id"]), d["table_name"]) for d in datasets]
            + ([("database", str(database["id"]), database["database_name"])] if database else [])
        )
        for resource, object_id, name in steps:
            changes.append(
                Change(action="delete", kind=resource.removeprefix("security/"), key=name or object_id)
            )
            if not dry_run:
                with contextlib.suppress(NotFoundError):  # already gone after an interrupted delete
                    self.client.delete(f"/api/v1/{resource}/{object_id}")
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

    def _datasets(self, database: JSON | None) -> list[JSON]:
        if database is None:
            return []
        rows = self.client.iter_list(
            "dataset", filters=[{"col": "database", "opr": "rel_o_m", "value": database["id"]}]
        )
        return list(rows)

    def _charts(self, datasets: list[JSON], member_ids: set[int]) -> list[JSON]:
        dataset_ids = {int(d["id"]) for d in datasets}
        charts: dict[int, JSON] = {}
        for chart in self.client.iter_list(
            "chart", columns=["id", "slice_name", "datasource_id", "owners.id"]
        ):
            owners = {int(o["id"]) for o in chart.get("owners", [])}
            on_our_data = chart.get("datasource_id") in dataset_ids
            if on_our_data or (owners and owners <= member_ids):
                charts[int(chart["id"])] = chart
        return list(charts.values())

    def _dashboards(self, member_ids: set[int]) -> list[JSON]:
        from supertenant.templates import registry

        # The template dashboards' UUIDs, computed once (the same rule the templates use).
        derived = {str(t.dashboard_uuid(self.slug)) for t in registry.all_dashboards()}
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
        return [
            r
            for role in ROLES
            if (r := self.client.find_one("security/roles", "name", f"{self.slug}_{role}"))
        ]

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

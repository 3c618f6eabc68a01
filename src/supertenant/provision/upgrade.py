"""Roll the latest chart template versions out to every tenant's template charts.

A chart is updated only while it still equals what its recorded template
version renders (it is "untouched"); charts users made or changed are left
alone and reported. ``apply`` does the same for one tenant; this walks the
registry so an operator can upgrade every tenant without their spec files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from supertenant.provision.dashboards import DashboardInstantiator
from supertenant.reconcile.plan import Change
from supertenant.registry.records import TenantRecord
from supertenant.superset_api.client import SupersetClient
from supertenant.templates import registry
from supertenant.templates.protocol import DatasetRef, RenderContext
from supertenant.templates.uuids import object_uuid
from supertenant.warehouse.contract import SAVED_METRICS


@dataclass
class UpgradeResult:
    slug: str
    changes: list[Change] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # charts changed by users, left alone


def tenant_render_context(client: SupersetClient, record: TenantRecord) -> RenderContext:
    """The render context of a registered tenant, read back from Superset."""
    database_id = record.superset_database_id
    rows = client.iter_list("dataset", filters=[{"col": "database", "opr": "rel_o_m", "value": database_id}])
    datasets = {}
    for row in rows:
        detail = client.get(f"/api/v1/dataset/{row['id']}")["result"]
        name = detail["table_name"]
        datasets[name] = DatasetRef(
            id=int(row["id"]),
            uuid=str(object_uuid(record.slug, "dataset", name)),
            name=name,
            columns=frozenset(c["column_name"] for c in detail.get("columns", [])),
            metrics=frozenset(m.name for m in SAVED_METRICS),
        )
    members = client.get(f"/api/v1/supertenant/tenants/{record.slug}/members")["result"]
    admins = sorted(m["username"] for m in members if m["role"] == "admin")
    return RenderContext(
        tenant_slug=record.slug,
        locale=record.locale,
        datasets=datasets,
        support_contact=support_contact(admins),
    )


def support_contact(admin_emails: list[str]) -> str | None:
    """Whom the Getting Started guide names: the tenant's first admin (same rule as apply)."""
    return admin_emails[0] if admin_emails else None


def upgrade_templates(
    client: SupersetClient,
    *,
    slugs: list[str] | None = None,
    template: str | None = None,
    dry_run: bool = False,
) -> list[UpgradeResult]:
    """Upgrade every (or the named) tenant's charts of every (or the named) dashboard template."""
    records = [TenantRecord.model_validate(r) for r in client.get("/api/v1/supertenant/tenants/")["result"]]
    results = []
    for record in records:
        if (slugs and record.slug not in slugs) or record.superset_database_id is None:
            continue
        result = UpgradeResult(record.slug)

        def note(action: str, kind: str, key: str, _result: UpgradeResult = result, **detail: object) -> bool:
            _result.changes.append(Change(action=action, kind=kind, key=key, detail=detail))
            return not dry_run

        ctx = tenant_render_context(client, record)
        instantiator = DashboardInstantiator(client, record.slug, note, dry_run)
        for name in sorted(record.dashboard_ids):
            if template is None or name == template:
                instantiator.converge(registry.dashboard(name), ctx)
        result.kept = instantiator.kept
        results.append(result)
    return results


__all__ = ["UpgradeResult", "tenant_render_context", "upgrade_templates"]

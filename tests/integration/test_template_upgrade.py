"""`templates upgrade` on a real Superset: untouched template charts move, user-changed ones stay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supertenant.provision.engine import Provisioner
from supertenant.provision.teardown import Teardown
from supertenant.provision.upgrade import upgrade_templates
from supertenant.templates import registry
from supertenant.templates.charts.kpi import KpiTemplate
from supertenant.templates.protocol import Built, DatasetRef

from .conftest import Server, Tenants
from .test_tenant_lifecycle import lifecycle_spec

pytestmark = pytest.mark.integration


class KpiV2(KpiTemplate):
    """A new kpi version: bigger headline."""

    version = 2

    def build(self, p: Any, dataset: DatasetRef, locale: Any) -> Built:
        built = super().build(p, dataset, locale)
        return Built(built.viz_type, {**built.form_data, "header_font_size": 0.5}, built.build_query)


def kpi_charts(admin: Any, slug: str) -> dict[int, dict[str, Any]]:
    charts = {}
    for row in admin.iter_list("chart", columns=["id", "params", "slice_name"]):
        params = json.loads(row["params"] or "{}")
        marker = params.get("supertenant_template", {})
        if marker.get("name") == "kpi" and row["slice_name"]:
            charts[int(row["id"])] = params
    ours = {}
    with_uuid = {int(r["id"]): str(r["uuid"]) for r in admin.iter_list("chart", columns=["id", "uuid"])}
    from supertenant.templates.uuids import object_uuid

    for template in registry.all_dashboards():
        for slot in template.slots():
            uuid = str(object_uuid(slug, "dashboard", template.name, "chart", slot.key))
            ours.update({cid: charts[cid] for cid, u in with_uuid.items() if u == uuid and cid in charts})
    return ours


def test_upgrade_moves_untouched_charts_and_keeps_changed_ones(
    server: Server, tenants: Tenants, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slug = "upgrade-me"
    spec = lifecycle_spec(tmp_path, slug, "890-123-4567")
    with server.admin() as admin:
        Provisioner(admin).apply(spec, tmp_path)
        try:
            before = kpi_charts(admin, slug)
            assert len(before) >= 3
            changed_id = min(before)
            changed = before[changed_id] | {"header_font_size": 0.3, "subheader": "mine"}
            admin.put(f"/api/v1/chart/{changed_id}", {"params": json.dumps(changed)})

            patched = registry.Registry.with_builtins()
            patched.register(KpiV2())
            monkeypatch.setattr(registry, "DEFAULT", patched)

            preview = upgrade_templates(admin, slugs=[slug], dry_run=True)[0]
            assert len(preview.changes) == len(before) - 1, [c.describe() for c in preview.changes]
            assert kpi_charts(admin, slug) == {**before, changed_id: changed}  # a dry run changes nothing

            result = upgrade_templates(admin, slugs=[slug])[0]
            assert sorted(c.kind for c in result.changes) == ["chart"] * (len(before) - 1)
            assert len(result.kept) == 1
            after = kpi_charts(admin, slug)
            assert after[changed_id] == changed
            for chart_id, params in after.items():
                if chart_id != changed_id:
                    assert params["supertenant_template"]["version"] == 2
                    assert params["header_font_size"] == 0.5

            again = upgrade_templates(admin, slugs=[slug])[0]
            assert again.changes == []
            assert Provisioner(admin).plan(spec, tmp_path).changes == []
        finally:
            Teardown(admin, slug).run()

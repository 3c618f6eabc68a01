"""What apply and `templates upgrade` do with one existing template chart (pure decisions)."""

from __future__ import annotations

import json

from supertenant import templates
from supertenant.provision.dashboards import chart_action

from .test_templates_dashboards import make_ctx


def test_a_chart_as_superset_imported_it_is_unchanged_and_one_a_user_edited_is_kept() -> None:
    ctx = make_ctx()
    dashboard = templates.dashboard("google_ads_overview")
    for payload in templates.DEFAULT.render_slots(dashboard, ctx).values():
        stored = dict(payload.params)
        assert chart_action(None, payload, ctx) == "create"
        row = {"id": 1, "slice_name": payload.slice_name, "params": json.dumps(stored)}
        assert chart_action(row, payload, ctx) == "none"
        # Superset's chart importer adds an empty annotation_layers list to charts without one
        imported = {**stored, "annotation_layers": stored.get("annotation_layers", [])}
        assert chart_action(row | {"params": json.dumps(imported)}, payload, ctx) == "none"
        edited = {**imported, "annotation_layers": [{"name": "mine", "annotationType": "FORMULA"}]}
        assert chart_action(row | {"params": json.dumps(edited)}, payload, ctx) == "keep"
        renamed = row | {"slice_name": "My own name"}
        assert chart_action(renamed, payload, ctx) == "update"  # params still a render: apply restores it

"""Superset's dashboard `position_json` (layout v2), built from rows of components.

The tree is ROOT_ID → GRID_ID → ROW-n → CHART-key / MARKDOWN-key, plus HEADER_ID for the title, as
the dashboard editor saves it. Component ids are derived from template slot keys, so a re-render
yields the same ids and a diff of two versions shows only what really changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from supertenant.templates.errors import TemplateError

GRID_COLUMNS = 12
ROOT, GRID, HEADER = "ROOT_ID", "GRID_ID", "HEADER_ID"


@dataclass(frozen=True, slots=True)
class Component:
    """A leaf of the layout: a chart or a markdown block, with its Superset `meta`."""

    id: str
    type: Literal["CHART", "MARKDOWN"]
    meta: dict[str, Any] = field(default_factory=dict)


def position_json(title: str, rows: Sequence[Sequence[Component]]) -> dict[str, Any]:
    """The layout tree; refuses rows wider than the 12-column grid or repeated components."""
    layout: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        ROOT: {"children": [GRID], "id": ROOT, "type": "ROOT"},
        GRID: {"children": [], "id": GRID, "parents": [ROOT], "type": "GRID"},
        HEADER: {"id": HEADER, "meta": {"text": title}, "type": "HEADER"},
    }
    for number, components in enumerate(rows, start=1):
        row_id = f"ROW-{number}"
        width = sum(int(component.meta["width"]) for component in components)
        if width > GRID_COLUMNS:
            raise TemplateError("invalid_layout", f"{row_id} is {width} columns wide; the grid has 12")
        layout[GRID]["children"].append(row_id)
        layout[row_id] = {
            "children": [component.id for component in components],
            "id": row_id,
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
            "parents": [ROOT, GRID],
            "type": "ROW",
        }
        for component in components:
            if component.id in layout:
                raise TemplateError("invalid_layout", f"{component.id} appears twice in the layout")
            layout[component.id] = {
                "children": [],
                "id": component.id,
                "meta": dict(component.meta),
                "parents": [ROOT, GRID, row_id],
                "type": component.type,
            }
    return layout

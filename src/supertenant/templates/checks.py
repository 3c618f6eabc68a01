"""Render-time checks of validated parameters against the tenant's actual Superset datasets.

Params are checked against the dataset contract when parsed; here they are checked against what the
tenant really has (`RenderContext.datasets`): a dataset another tenant owns, or a metric or column
missing from this tenant's dataset, is refused with every problem named at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from supertenant.templates.errors import TemplateError
from supertenant.templates.vocabulary import close_matches

if TYPE_CHECKING:
    from supertenant.templates.protocol import DatasetRef


def resolve_dataset(datasets: Mapping[str, DatasetRef], name: str) -> DatasetRef:
    """The tenant's dataset for a contract view; `dataset_unavailable` when the tenant lacks it."""
    found = datasets.get(name)
    if found is None:
        raise TemplateError(
            "dataset_unavailable",
            f"this tenant has no dataset {name!r}",
            sorted(datasets),
            field="dataset",
        )
    return found


def require(
    dataset: DatasetRef,
    *,
    metrics: Iterable[tuple[str, str]] = (),
    columns: Iterable[tuple[str, str]] = (),
) -> None:
    """Refuse unless every (field, metric) and (field, column) exists on the tenant's dataset."""
    problems: list[tuple[str, str, str, list[str]]] = []
    for field, metric in metrics:
        if metric not in dataset.metrics:
            problems.append(
                (
                    "unknown_metric",
                    field,
                    f"dataset {dataset.name} has no saved metric {metric!r}",
                    close_matches(metric, sorted(dataset.metrics)),
                )
            )
    for field, column in columns:
        if column not in dataset.columns:
            problems.append(
                (
                    "unknown_column",
                    field,
                    f"dataset {dataset.name} has no column {column!r}",
                    close_matches(column, sorted(dataset.columns)),
                )
            )
    if problems:
        codes = {code for code, _, _, _ in problems}
        fields = {field for _, field, _, _ in problems}
        raise TemplateError(
            codes.pop() if len(codes) == 1 else "invalid_params",
            "; ".join(f"{field}: {message}" for _, field, message, _ in problems),
            [suggestion for *_, suggestions in problems for suggestion in suggestions],
            field=fields.pop() if len(fields) == 1 else None,
        )

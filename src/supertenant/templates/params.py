"""Parameters every chart template shares, and the validators that make them safe to render.

A template's `Params` model is the only thing the chat's language model fills in, so each field is
an allow-list (a `Literal` or a strictly parsed string) with a description, and each rejection is a
pydantic error whose context carries `suggestions` that `TemplateError.from_validation` passes on.
Checks that need the tenant's actual datasets happen later, at render time (`checks.py`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any, Literal, NoReturn, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from supertenant.templates.vocabulary import (
    DATASET_NAMES,
    DEFAULT_DATASET,
    DIMENSION_NAMES,
    METRIC_NAMES,
    TIME_GRAINS,
    DatasetName,
    DimensionName,
    MetricName,
    TimeGrain,
    close_matches,
    dimensions_of,
)

# --- allow-lists with suggestions ---------------------------------------------------------------


def custom_error(code: str, message: str, suggestions: Iterable[str] = ()) -> PydanticCustomError:
    """A pydantic error whose context carries our code's suggestions (the message is pre-rendered)."""
    return PydanticCustomError(code, "{message}", {"message": message, "suggestions": list(suggestions)})


def one_of(code: str, noun: str, allowed: Sequence[str]) -> BeforeValidator:
    """Reject anything outside `allowed` with the nearest allowed values as suggestions.

    Runs before the `Literal` check, so the error is ours (with suggestions) rather than pydantic's.
    """

    def check(value: object) -> object:
        if isinstance(value, str) and value in allowed:
            return value
        raise custom_error(code, f"{value!r} is not a known {noun}", close_matches(value, allowed))

    return BeforeValidator(check)


def raise_at(loc: tuple[str | int, ...], error: PydanticCustomError, value: object) -> NoReturn:
    """Raise `error` located at a field, from inside a model validator (pydantic merges it)."""
    raise ValidationError.from_exception_data("Params", [InitErrorDetails(type=error, loc=loc, input=value)])


Dataset = Annotated[DatasetName, one_of("unknown_dataset", "contract dataset", DATASET_NAMES)]
Metric = Annotated[MetricName, one_of("unknown_metric", "saved metric", METRIC_NAMES)]
Dimension = Annotated[DimensionName, one_of("unknown_dimension", "dimension", DIMENSION_NAMES)]
Grain = Annotated[TimeGrain, one_of("invalid_time_grain", "time grain", TIME_GRAINS)]

# --- time range ---------------------------------------------------------------------------------

TIME_RANGE_LITERALS = (
    "Last day",
    "Last week",
    "Last month",
    "Last quarter",
    "Last year",
    "previous calendar week",
    "previous calendar month",
    "previous calendar year",
    "Current month",
    "Current year",
    "No filter",
)
_LITERALS_BY_KEY = {literal.lower(): literal for literal in TIME_RANGE_LITERALS}
_ISO_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*:\s*(\d{4}-\d{2}-\d{2})")
_DATEADD = re.compile(
    r"DATEADD\(\s*DATETIME\(\s*([\"'])today\1\s*\)\s*,\s*-\s*(\d+)\s*,\s*(day|week|month|year)\s*\)\s*:\s*today",
    re.IGNORECASE,
)
_ROLLING_WORDS = re.compile(r"(?:last|past)\s+(\d+)\s+(day|week|month|year)s?", re.IGNORECASE)
MAX_DATEADD_UNITS = 3660


def rolling_range(count: int, unit: str) -> str:
    """The canonical rolling range 'the last `count` `unit`s up to today'."""
    return f'DATEADD(DATETIME("today"), -{count}, {unit}) : today'


def normalise_time_range(value: object) -> str:
    """The canonical spelling of an allowed Superset time range; a custom error otherwise.

    Accepted: the literal ranges of chart_templates.md (any case), `YYYY-MM-DD : YYYY-MM-DD` with a
    real start before the end, and `DATEADD(DATETIME("today"), -N, unit) : today` with N in
    1..3660 and unit day/week/month/year.
    """
    if not isinstance(value, str):
        raise custom_error("invalid_time_range", f"time range must be a string, not {value!r}")
    text = " ".join(value.split())
    literal = _LITERALS_BY_KEY.get(text.lower())
    if literal is not None:
        return literal
    if match := _ISO_RANGE.fullmatch(text):
        return _iso_range(match.group(1), match.group(2))
    if match := _DATEADD.fullmatch(text):
        count, unit = int(match.group(2)), match.group(3).lower()
        if not 1 <= count <= MAX_DATEADD_UNITS:
            raise custom_error(
                "invalid_time_range",
                f"a rolling range must go back 1 to {MAX_DATEADD_UNITS} {unit}s, not {count}",
                [rolling_range(min(max(count, 1), MAX_DATEADD_UNITS), unit)],
            )
        return rolling_range(count, unit)
    raise custom_error(
        "invalid_time_range",
        f"{value!r} is not an allowed time range; use one of the fixed ranges, 'YYYY-MM-DD : YYYY-MM-DD' "
        "or 'DATEADD(DATETIME(\"today\"), -N, day) : today'",
        _time_range_suggestions(text),
    )


def _iso_range(start_text: str, end_text: str) -> str:
    try:
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError:
        raise custom_error(
            "invalid_time_range", f"{start_text} : {end_text} contains a date that does not exist"
        ) from None
    if start >= end:
        raise custom_error(
            "invalid_time_range",
            f"the start {start} must be before the end {end} (the end is exclusive)",
            [f"{min(start, end)} : {max(start, end)}"] if start != end else [],
        )
    return f"{start.isoformat()} : {end.isoformat()}"


def _time_range_suggestions(text: str) -> list[str]:
    """A rolling phrase ("last 30 days") gets its DATEADD form; a near-miss its literal; else examples."""
    if match := _ROLLING_WORDS.fullmatch(text):
        return [rolling_range(min(int(match.group(1)) or 1, MAX_DATEADD_UNITS), match.group(2).lower())]
    near = difflib.get_close_matches(text.lower(), list(_LITERALS_BY_KEY), n=3, cutoff=0.6)
    if near:
        return [_LITERALS_BY_KEY[key] for key in near]
    return ["Last month", "previous calendar month", rolling_range(30, "day"), "2025-01-01 : 2025-02-01"]


TimeRange = Annotated[
    str,
    BeforeValidator(normalise_time_range),
    Field(
        description=(
            "Superset time range. One of: " + ", ".join(TIME_RANGE_LITERALS) + "; or 'START : END' with ISO "
            "dates (end exclusive); or 'DATEADD(DATETIME(\"today\"), -N, day) : today' for a rolling window "
            "(unit day|week|month|year, N 1-3660). 'last month'/'先月' means 'previous calendar month'; "
            "'last 30 days'/'過去30日' is rolling."
        ),
        examples=["previous calendar month", 'DATEADD(DATETIME("today"), -30, day) : today'],
    ),
]

# --- filters ------------------------------------------------------------------------------------

FilterOp = Literal["==", "!=", "IN", "NOT IN", ">", "<", ">=", "<=", "LIKE"]
FILTER_OPS: tuple[str, ...] = ("==", "!=", "IN", "NOT IN", ">", "<", ">=", "<=", "LIKE")
LIST_OPS = frozenset({"IN", "NOT IN"})
MAX_FILTER_VALUES = 1000

Scalar = StrictStr | StrictInt | StrictFloat


def _value_shape(value: object) -> object:
    """One clear error for a value that is neither a scalar nor a list of scalars (not 4 union errors)."""

    def scalar(item: object) -> bool:
        return isinstance(item, str | int | float) and not isinstance(item, bool)

    if scalar(value) or (isinstance(value, list) and all(scalar(item) for item in value)):
        return value
    raise custom_error(
        "invalid_filter", f"a filter value must be a string, a number or a list of them, not {value!r}"
    )


class Filter(BaseModel):
    """One row filter, applied as a Superset adhoc WHERE filter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="A column of the chart's dataset, e.g. campaign_type, device, campaign_name.",
    )
    op: Annotated[FilterOp, one_of("invalid_filter_op", "filter operator", FILTER_OPS)] = Field(
        description="Comparison: ==, !=, IN, NOT IN, >, <, >=, <=, LIKE (with % wildcards)."
    )
    value: Annotated[Scalar | list[Scalar], BeforeValidator(_value_shape)] = Field(
        description="A single value; a non-empty list for IN / NOT IN; a string pattern for LIKE."
    )

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        is_list = isinstance(self.value, list)
        count = len(self.value) if isinstance(self.value, list) else 0
        if self.op in LIST_OPS and not 0 < count <= MAX_FILTER_VALUES:
            raise_at(
                ("value",),
                custom_error(
                    "invalid_filter",
                    f"{self.op} needs a list of 1 to {MAX_FILTER_VALUES} values",
                    [f'["{self.value}"]' if not is_list else '["SEARCH", "DISPLAY"]'],
                ),
                self.value,
            )
        if self.op not in LIST_OPS and is_list:
            raise_at(
                ("value",),
                custom_error("invalid_filter", f"{self.op} compares with one value, not a list", ["IN"]),
                self.value,
            )
        if self.op == "LIKE" and not isinstance(self.value, str):
            raise_at(("value",), custom_error("invalid_filter", "LIKE needs a string pattern"), self.value)
        return self


# --- the common base of every template's Params --------------------------------------------------


class ChartParams(BaseModel):
    """The parameters every chart template accepts (chart_templates.md, "Common parameters")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: Dataset = Field(
        default=DEFAULT_DATASET,
        description=(
            "Contract view to query: ads_campaign_daily (campaign x device, the default), ads_adgroup_daily, "
            "ads_keyword_daily (keywords) or ads_geo_daily (regions)."
        ),
    )
    time_range: TimeRange = "No filter"
    filters: list[Filter] = Field(
        default_factory=list, max_length=20, description="Row filters, combined with AND."
    )
    title: str | None = Field(
        default=None,
        min_length=1,
        max_length=250,
        description="Chart name shown to the user; generated in the tenant's language when omitted.",
    )

    def check_dimensions(self, **fields: str | Sequence[str] | None) -> None:
        """Raise when a named field holds a dimension the chosen contract view does not have."""
        self.check_columns(dimensions_of(self.dataset), "dimension", **fields)

    def check_columns(self, allowed: Sequence[str], noun: str, **fields: str | Sequence[str] | None) -> None:
        """Raise when a named field holds a column outside `allowed` for this dataset."""
        for field, value in fields.items():
            values = [value] if isinstance(value, str) else list(value or [])
            for index, column in enumerate(values):
                if column not in allowed:
                    loc: tuple[str | int, ...] = (field,) if isinstance(value, str) else (field, index)
                    raise_at(
                        loc,
                        custom_error(
                            "unknown_dimension",
                            f"{self.dataset} has no {noun} {column!r}",
                            close_matches(column, allowed),
                        ),
                        column,
                    )


def unique(field: str, values: Sequence[Any]) -> None:
    """Raise when a list parameter repeats a value (Superset rejects duplicate labels)."""
    for index, value in enumerate(values):
        if value in values[:index]:
            raise_at(
                (field, index),
                custom_error("duplicate_value", f"{field} lists {value!r} twice"),
                value,
            )

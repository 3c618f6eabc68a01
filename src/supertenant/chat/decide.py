"""Frame → template and parameters, by explicit chart words first and structure second.

1. What cannot be charted is answered first: data the contract lacks and unknown metrics are
   refused; an unknown "by X", an unknown name, two periods or a missing metric get a question.
2. Chart words decide when present (pivot > table > share > trend > ranking > comparison), e.g.
   割合/share/pie → share, 推移/daily/line → trend, top N/best/上位 → ranking.
3. Otherwise structure decides: no dimension → kpi (one metric) or table (several); one dimension
   and one metric → ranking, share or table, whichever the nearest few-shot example suggests
   (ranking by default); two dimensions → pivot or table; three → table.
4. The dataset is the first contract view (campaign, ad group, keyword, geo) the tenant has that
   holds every column the chart reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from supertenant.chat import lexicon_words as words
from supertenant.chat.messages import chart_name, dimension_list, metric_list, say
from supertenant.chat.parse import FilterSpec, Frame
from supertenant.chat.planner import Clarify, Refusal
from supertenant.chat.vocabulary import TenantVocabulary
from supertenant.templates.vocabulary import Locale, column_label, metric_label
from supertenant.warehouse.contract import CONTRACT_VIEWS

# (skeleton, candidate templates) → (chosen template, margin over the runner-up); None: no opinion.
TieBreak = Callable[[str, Sequence[str]], tuple[str, float] | None]

_LIMITS = {"trend": 3, "ranking": 1, "share": 1, "pivot": 1, "kpi": 1, "table": 6}
_PENALTY_LEFTOVER = 0.2
_PENALTY_STRAY_NUMBER = 0.15
_PENALTY_AMBIGUOUS_VALUE = 0.1
_PENALTY_WEAK_DIMENSION = 0.05
_PENALTY_DROPPED_DIMENSION = 0.2
_PENALTY_CLOSE_TIE = 0.1
_MIN_MARGIN = 0.05
_TABLE_ONLY = frozenset({"quality_score"})


@dataclass
class Decision:
    """A reading of the sentence: template, parameters, and how sure the rules are."""

    template: str
    params: dict[str, Any]
    confidence: float = 1.0
    alternatives: list[str] = field(default_factory=list)


Outcome = Decision | Refusal | Clarify


def decide(frame: Frame, vocabulary: TenantVocabulary, locale: Locale, tie_break: TieBreak) -> Outcome:
    """The chart for `frame`, or why there is none."""
    stop = _cannot_chart(frame, vocabulary, locale)
    if stop is not None:
        return stop
    metrics = list(frame.metrics) or (list(words.DEFAULT_METRICS) if frame.generic else [])
    if not metrics:
        if not (frame.dimensions or frame.charts or frame.filters or frame.times):
            return Clarify(code="not_a_question", question=say("not_a_question", locale))
        return Clarify(
            code="missing_metric",
            question=say("missing_metric", locale),
            options=tuple(metric_label(m, locale) for m in ("cost", "clicks", "conversions", "cpa", "roas")),
        )
    dimensions = list(frame.dimensions)
    filters = list(frame.filters)
    listed = [spec.column for spec in filters if spec.op == "IN"]  # "mobile and desktop": compared values
    if not dimensions and frame.comparing:
        dimensions = listed[:1]
    single = [spec for spec in filters if spec.op == "=="]
    if "share" in frame.charts and not dimensions and not frame.weak_dimensions and len(single) == 1:
        dimensions = [single[0].column]  # "share of conversions from tablets": tablets among devices
        filters.remove(single[0])
    frame.weak_dimensions = [*listed[:1], *(d for d in frame.weak_dimensions if d not in listed[:1])]
    chosen = _choose(frame, metrics, dimensions, locale, tie_break)
    if not isinstance(chosen, Decision):
        return chosen
    dataset = _dataset(_columns(chosen, filters), frame.datasets, vocabulary, locale)
    if not isinstance(dataset, str):
        return dataset
    params = chosen.params
    if dataset != "ads_campaign_daily":
        params["dataset"] = dataset
    if frame.times:
        params["time_range"] = frame.times[0].time_range
    if filters:
        params["filters"] = [spec.to_params() for spec in filters]
    chosen.confidence -= (
        _PENALTY_LEFTOVER * len(frame.leftovers)
        + _PENALTY_STRAY_NUMBER * len(frame.stray_numbers)
        + _PENALTY_AMBIGUOUS_VALUE * frame.ambiguous_values
    )
    return chosen


# --- what cannot be charted ---------------------------------------------------------------------


def _cannot_chart(frame: Frame, vocabulary: TenantVocabulary, locale: Locale) -> Refusal | Clarify | None:
    if frame.unavailable:
        return Refusal(
            code="out_of_contract", reason=say("out_of_contract", locale, found=_join(frame.unavailable))
        )
    if frame.conditions and (frame.metrics or frame.generic):
        return Clarify(
            code="metric_condition",
            question=say("metric_condition", locale, found=_join(frame.conditions)),
            options=(chart_name("ranking", locale),),
        )
    if frame.unknown_metrics:
        suggestions = [suggestion for _, suggestion in frame.unknown_metrics]
        found = _join(text for text, _ in frame.unknown_metrics)
        if all(suggestions):
            labels = tuple(dict.fromkeys(metric_label(str(s), locale) for s in suggestions))
            return Clarify(
                code="unknown_metric",
                question=say("unknown_metric_suggest", locale, found=found, suggestion=" / ".join(labels)),
                options=labels,
            )
        return Refusal(code="unknown_metric", reason=say("unknown_metric", locale, found=found))
    for name in frame.datasets:
        if vocabulary.dataset(name) is None:
            return Refusal(code="dataset_unavailable", reason=say("dataset_unavailable", locale, found=name))
    if frame.unknown_by:
        return Clarify(
            code="unknown_dimension",
            question=say("unknown_dimension", locale, found=_join(frame.unknown_by)),
            options=_dimension_options(vocabulary, locale),
        )
    if frame.unknown_values:
        text, near = frame.unknown_values[0]
        return Clarify(
            code="unknown_value", question=say("unknown_value", locale, found=text), options=tuple(near)
        )
    ranges = list(dict.fromkeys(hit.time_range for hit in frame.times))
    if len(ranges) > 1:
        found = _join(hit.text for hit in frame.times)
        return Clarify(
            code="ambiguous_time", question=say("ambiguous_time", locale, found=found), options=tuple(ranges)
        )
    if frame.compare == "unsupported":
        return Clarify(
            code="unsupported_comparison",
            question=say("unsupported_comparison", locale, found=frame.compare_text),
            options=("previous_period", "previous_year"),
        )
    return None


def _dimension_options(vocabulary: TenantVocabulary, locale: Locale) -> tuple[str, ...]:
    columns = [
        column
        for column in ("campaign_name", "campaign_type", "device", "ad_group_name", "keyword_text", "region")
        if vocabulary.has_column(column)
    ]
    return tuple(column_label(column, locale) for column in columns)


# --- choosing the template ----------------------------------------------------------------------


def _choose(
    frame: Frame, metrics: list[str], dimensions: list[str], locale: Locale, tie_break: TieBreak
) -> Decision | Clarify:
    charts = set(frame.charts)
    style = frame.styles[0] if frame.styles else None
    grain = frame.grains[0] if frame.grains else None
    trend_signal = bool(grain) or "trend" in charts or style in ("line", "area")
    ranking_signal = (
        "ranking" in charts
        or frame.top_n is not None
        or frame.sort_metric is not None
        or any(order != "superlative" for order in frame.orders)
        or (bool(frame.orders) and bool(dimensions or frame.weak_dimensions))
    )
    if "pivot" in charts:
        return _pivot(frame, metrics, dimensions, grain or _time_unit(frame), locale)
    if _time_unit(frame) and len(dimensions) == 1 and len(metrics) == 1 and not trend_signal and not charts:
        return _pivot(frame, metrics, dimensions, _time_unit(frame), locale)
    if "table" in charts:
        if (grain or "trend" in charts) and len(dimensions) == 1 and len(metrics) == 1:
            return _pivot(frame, metrics, dimensions, grain or "day", locale)
        return _table(frame, metrics, dimensions, ranking_signal)
    if "share" in charts and not trend_signal:
        return _share(frame, metrics, dimensions, locale)
    if trend_signal or ("share" in charts and grain):
        return _trend(frame, metrics, dimensions, grain, style, locale)
    if ranking_signal or style == "bar":
        if len(metrics) > 1 or len(dimensions) > 1:
            return _table(frame, metrics, dimensions, True)
        return _ranking(frame, metrics, dimensions, locale)
    if frame.compare:
        if dimensions:
            return Clarify(
                code="unsupported_comparison",
                question=say("unsupported_comparison", locale, found=frame.compare_text),
                options=("previous_period", "previous_year"),
            )
        return _kpi(frame, metrics)
    return _by_structure(frame, metrics, dimensions, locale, tie_break)


def _by_structure(
    frame: Frame, metrics: list[str], dimensions: list[str], locale: Locale, tie_break: TieBreak
) -> Decision | Clarify:
    if not dimensions:
        return _kpi(frame, metrics) if len(metrics) == 1 else _table(frame, metrics, [], False)
    if len(metrics) > 1 or len(dimensions) > 2:
        return _table(frame, metrics, dimensions, False)
    candidates: tuple[str, ...] = (
        ("ranking", "share", "table") if len(dimensions) == 1 else ("pivot", "table")
    )
    if dimensions[0] in _TABLE_ONLY or dimensions[-1] in _TABLE_ONLY:
        candidates = ("table",)
    choice, margin = tie_break(frame.skeleton, candidates) or (candidates[0], 1.0)
    if choice != candidates[0] and margin < _MIN_MARGIN:
        choice = candidates[0]  # examples override the structural default only when clearly nearer
    builders: dict[str, Callable[[], Decision | Clarify]] = {
        "ranking": lambda: _ranking(frame, metrics, dimensions, locale),
        "share": lambda: _share(frame, metrics, dimensions, locale),
        "table": lambda: _table(frame, metrics, dimensions, False),
        "pivot": lambda: _pivot(frame, metrics, dimensions, None, locale),
    }
    decision = builders[choice]()
    if isinstance(decision, Decision):
        if margin < 0.05:
            decision.confidence -= _PENALTY_CLOSE_TIE
        decision.alternatives = [name for name in candidates if name != choice]
    return decision


def _kpi(frame: Frame, metrics: list[str]) -> Decision:
    params: dict[str, Any] = {"metric": metrics[0]}
    if frame.compare in ("previous_period", "previous_year"):
        params["compare"] = frame.compare
    return Decision("kpi", params)


def _trend(
    frame: Frame,
    metrics: list[str],
    dimensions: list[str],
    grain: str | None,
    style: str | None,
    locale: Locale,
) -> Decision | Clarify:
    if len(metrics) > _LIMITS["trend"]:
        return _too_many("trend", metrics, locale)
    params: dict[str, Any] = {"metrics": metrics}
    if grain:
        params["time_grain"] = grain
    confidence = 1.0
    breakdown = dimensions[0] if dimensions else None
    if breakdown is None and frame.top_n is not None and frame.weak_dimensions:
        breakdown, confidence = frame.weak_dimensions[0], confidence - _PENALTY_WEAK_DIMENSION
    if len(dimensions) > 1:
        confidence -= _PENALTY_DROPPED_DIMENSION
    if breakdown:
        params["breakdown"] = breakdown
        if frame.top_n is not None:
            params["top_n"] = frame.top_n
    if style in ("bar", "area"):
        params["style"] = style
    return Decision("trend", params, confidence)


def _ranking(frame: Frame, metrics: list[str], dimensions: list[str], locale: Locale) -> Decision | Clarify:
    metric = frame.sort_metric if frame.sort_metric in metrics else metrics[0]
    dimension, confidence = _one_dimension(frame, dimensions)
    if dimension is None:
        return _missing_dimension(metric, locale)
    params: dict[str, Any] = {"metric": metric, "dimension": dimension}
    if frame.top_n is not None:
        params["top_n"] = frame.top_n
    order = _order(frame, metric)
    if order == "asc":
        params["order"] = order
    return Decision("ranking", params, confidence)


def _share(frame: Frame, metrics: list[str], dimensions: list[str], locale: Locale) -> Decision | Clarify:
    if len(metrics) > 1:
        return _too_many("share", metrics, locale)
    dimension, confidence = _one_dimension(frame, dimensions)
    if dimension is None:
        return _missing_dimension(metrics[0], locale)
    params: dict[str, Any] = {"metric": metrics[0], "dimension": dimension}
    if frame.top_n is not None:
        params["top_n"] = frame.top_n
    return Decision("share", params, confidence)


def _table(frame: Frame, metrics: list[str], dimensions: list[str], ranked: bool) -> Decision | Clarify:
    confidence = 1.0
    if not dimensions and frame.weak_dimensions:
        dimensions, confidence = frame.weak_dimensions[:1], confidence - _PENALTY_WEAK_DIMENSION
    params: dict[str, Any] = {"dimensions": dimensions[:3], "metrics": metrics[:6]}
    if len(dimensions) > 3 or len(metrics) > 6:
        confidence -= _PENALTY_DROPPED_DIMENSION
    sort_metric = frame.sort_metric if frame.sort_metric in metrics else None
    if sort_metric and sort_metric != metrics[0]:
        params["sort_by"] = sort_metric
    if ranked and _order(frame, sort_metric or metrics[0]) == "asc":
        params["order"] = "asc"
    limit = frame.row_limit or (frame.top_n if ranked else None)
    if limit is not None:
        params["row_limit"] = limit
    return Decision("table", params, confidence)


def _pivot(
    frame: Frame, metrics: list[str], dimensions: list[str], grain: str | None, locale: Locale
) -> Decision | Clarify:
    if len(metrics) > 1:
        return _too_many("pivot", metrics, locale)
    if len(dimensions) >= 2:
        params: dict[str, Any] = {"metric": metrics[0], "rows": dimensions[0], "columns": dimensions[1]}
        return Decision("pivot", params, 1.0 if len(dimensions) == 2 else 1.0 - _PENALTY_DROPPED_DIMENSION)
    if len(dimensions) == 1 and (grain or frame.grains or "trend" in frame.charts):
        params = {"metric": metrics[0], "rows": dimensions[0], "columns": "date"}
        if grain or frame.grains:
            params["time_grain"] = grain or frame.grains[0]
        return Decision("pivot", params)
    return _missing_dimension(metrics[0], locale)


def _time_unit(frame: Frame) -> str | None:
    """A time unit named like a dimension ("by campaign and month") when no grain word was used."""
    return frame.time_units[0] if frame.time_units and not frame.grains else None


def _one_dimension(frame: Frame, dimensions: list[str]) -> tuple[str | None, float]:
    if dimensions:
        return dimensions[0], 1.0 if len(dimensions) == 1 else 1.0 - _PENALTY_DROPPED_DIMENSION
    if frame.weak_dimensions:
        return frame.weak_dimensions[0], 1.0 - _PENALTY_WEAK_DIMENSION
    return None, 0.0


def _order(frame: Frame, metric: str) -> str:
    """desc unless the sentence asks for the smallest, or for the best of a lower-is-better metric."""
    orders = set(frame.orders)
    lower_is_better = metric in words.LOWER_IS_BETTER
    if "best" in orders:
        return "asc" if lower_is_better else "desc"
    if "worst" in orders:
        return "desc" if lower_is_better else "asc"
    return "asc" if "asc" in orders else "desc"


def _too_many(template: str, metrics: list[str], locale: Locale) -> Clarify:
    return Clarify(
        code="too_many_metrics",
        question=say(
            "too_many_metrics",
            locale,
            chart=chart_name(template, locale),
            limit=str(_LIMITS[template]),
            found=metric_list(metrics, locale),
        ),
        options=tuple(metric_label(metric, locale) for metric in metrics),
    )


def _missing_dimension(metric: str, locale: Locale) -> Clarify:
    return Clarify(
        code="missing_dimension",
        question=say("missing_dimension", locale, metric=metric_label(metric, locale)),
        options=tuple(
            column_label(c, locale) for c in ("campaign_name", "campaign_type", "device", "region")
        ),
    )


# --- choosing the dataset -----------------------------------------------------------------------


def _columns(decision: Decision, filters: Sequence[FilterSpec]) -> list[str]:
    params = decision.params
    columns = [spec.column for spec in filters]
    for key in ("dimension", "breakdown", "rows", "columns"):
        value = params.get(key)
        if isinstance(value, str) and value != "date":
            columns.append(value)
    columns.extend(params.get("dimensions", []))
    return list(dict.fromkeys(columns))


def _dataset(
    columns: Sequence[str], hints: Sequence[str], vocabulary: TenantVocabulary, locale: Locale
) -> str | Refusal | Clarify:
    """The first of the tenant's contract views that has every column (a named one first)."""
    fitting = [
        contract.name
        for contract in CONTRACT_VIEWS
        if (dataset := vocabulary.dataset(contract.name)) is not None and set(columns) <= dataset.columns
    ]
    for hint in hints:
        if hint in fitting:
            return hint
    if fitting:
        return fitting[0]
    in_contract = [c for c in columns if any(c in contract.column_names for contract in CONTRACT_VIEWS)]
    missing = [column for column in in_contract if not vocabulary.has_column(column)]
    if missing:
        return Refusal(
            code="dataset_unavailable",
            reason=say("dataset_unavailable", locale, found=dimension_list(missing, locale)),
        )
    return Clarify(
        code="incompatible_dimensions",
        question=say("incompatible_dimensions", locale, found=dimension_list(columns, locale)),
        options=tuple(column_label(column, locale) for column in columns),
    )


def _join(items: Sequence[str] | Any) -> str:
    return ", ".join(dict.fromkeys(items))

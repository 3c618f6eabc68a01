"""Score a planner on the evaluation set: per-slot, full-plan and refusal accuracy, allow-list violations.

    python -m supertenant.chat.eval.score [--intents FILE] [--json] [--failures] [--check]

Plans are compared after canonicalisation: parameters are parsed by their template (so defaults are
filled in and spellings normalised), the title is ignored, time ranges are compared as the dates
they resolve to at the set's fixed `today` (not as strings), and filters as sets (`== v` is
`IN [v]`). Allow-list violations are checked independently of `validate.py`: every plan's dataset,
metrics, columns and filter values must belong to the intent's tenant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from supertenant.chat.offline import OfflinePlanner
from supertenant.chat.planner import Clarify, Plan, Planner, PlanResult, Refusal
from supertenant.chat.timeexpr import resolve
from supertenant.chat.vocabulary import TenantVocabulary, contract_vocabulary
from supertenant.templates import registry
from supertenant.templates.errors import TemplateError
from supertenant.warehouse.contract import VIEW_NAMES

INTENTS = Path(__file__).parent / "intents.yaml"
SLOTS = (
    "template",
    "dataset",
    "metrics",
    "dimensions",
    "time_range",
    "time_grain",
    "filters",
    "limit",
    "order",
    "compare",
    "style",
)
TARGETS = {"full_plan": 0.90, "refusal": 1.0, "violations": 0}


@dataclass(frozen=True)
class Intent:
    id: str
    text: str
    tenant: str
    lang: str
    expect: dict[str, Any]

    @property
    def wants_chart(self) -> bool:
        return "template" in self.expect

    @property
    def expected_kind(self) -> str:
        return "plan" if self.wants_chart else ("refusal" if "refusal" in self.expect else "clarify")


@dataclass(frozen=True)
class EvalSet:
    today: date
    tenants: dict[str, TenantVocabulary]
    intents: list[Intent]


@dataclass
class Outcome:
    intent: Intent
    result: PlanResult
    slots: dict[str, bool] = field(default_factory=dict)
    full: bool = False
    kind_ok: bool = False
    code_ok: bool = False
    violations: list[str] = field(default_factory=list)


def load(path: Path = INTENTS) -> EvalSet:
    """The evaluation set: tenants (vocabularies built from the contract plus listed values) and intents."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tenants = {
        slug: contract_vocabulary(
            slug,
            locale=spec.get("locale", "en"),
            name=spec.get("name", ""),
            account_ids=spec.get("accounts", []),
            datasets=spec.get("datasets", VIEW_NAMES),
            values=spec.get("values", {}),
            foreign_names=spec.get("foreign", []),
        )
        for slug, spec in data["tenants"].items()
    }
    default = {"ja": "sakura-shoes", "en": "northwind-outdoor"}
    intents = []
    for item in data["intents"]:
        lang = item.get("lang") or item["id"].split("-")[0]
        intents.append(
            Intent(item["id"], str(item["text"]), item.get("tenant", default[lang]), lang, item["expect"])
        )
    return EvalSet(data["today"], tenants, intents)


# --- canonical forms ----------------------------------------------------------------------------


def canonical(template: str, params: dict[str, Any], today: date) -> dict[str, Any]:
    """Slot values of a plan, comparable across spellings."""
    chart = registry.chart(template)
    parsed = chart.parse(params).model_dump(mode="json", exclude={"title"})
    since, until = resolve(parsed["time_range"], today)
    slots: dict[str, Any] = {
        "template": template,
        "dataset": parsed["dataset"],
        "time_range": (since, until),
        "filters": frozenset(_filter_key(item) for item in parsed["filters"]),
        "metrics": frozenset(parsed.get("metrics") or [parsed.get("metric")]),
        "time_grain": parsed.get("time_grain") if template in ("trend", "pivot") else None,
        "limit": parsed.get("top_n", parsed.get("row_limit")),
        "order": parsed.get("order"),
        "compare": parsed.get("compare"),
        "style": parsed.get("style"),
    }
    if template == "pivot":
        slots["dimensions"] = (parsed["rows"], parsed["columns"])
        if parsed["columns"] == "date":
            slots["time_grain"] = parsed.get("time_grain") or "month"
    elif template == "table":
        slots["dimensions"] = tuple(parsed["dimensions"])
        slots["order"] = (parsed["order"], parsed.get("sort_by") or parsed["metrics"][0])
    else:
        dimension = parsed.get("dimension", parsed.get("breakdown"))
        slots["dimensions"] = (dimension,) if dimension else ()
    if template == "trend" and not parsed.get("breakdown"):
        slots["limit"] = None  # top_n only matters with a breakdown
    return slots


def _filter_key(item: dict[str, Any]) -> tuple[str, str, frozenset[Any]]:
    op, value = item["op"], item["value"]
    values = frozenset(value) if isinstance(value, list) else frozenset([value])
    op = {"==": "IN", "!=": "NOT IN"}.get(op, op)
    return item["column"], op, values


# --- allow-list ---------------------------------------------------------------------------------


def allow_list_violations(plan: Plan, tenant: TenantVocabulary) -> list[str]:
    """Everything in `plan` the tenant may not chart (independent of the planner's own validation)."""
    try:
        parsed = registry.chart(plan.template, plan.version).parse(plan.params).model_dump(mode="json")
    except TemplateError as exc:
        return [f"invalid params: {exc}"]
    dataset = tenant.dataset(parsed["dataset"])
    if dataset is None:
        return [f"dataset {parsed['dataset']} is not the tenant's"]
    problems = []
    metrics = [*parsed.get("metrics", []), parsed.get("metric"), parsed.get("sort_by")]
    problems += [f"metric {m}" for m in metrics if m and m not in dataset.metrics]
    columns = [parsed.get(key) for key in ("dimension", "breakdown", "rows", "columns")]
    columns += [*parsed.get("dimensions", []), *(item["column"] for item in parsed["filters"])]
    problems += [f"column {c}" for c in columns if c and c != "date" and c not in dataset.columns]
    for item in parsed["filters"]:
        if item["op"] == "LIKE":
            continue
        values = item["value"] if isinstance(item["value"], list) else [item["value"]]
        known = tenant.known_values(item["column"])
        problems += [f"value {item['column']}={v!r}" for v in values if v not in known]
    return problems


# --- scoring ------------------------------------------------------------------------------------


def run(planner: Planner, evalset: EvalSet) -> list[Outcome]:
    outcomes = []
    for intent in evalset.intents:
        tenant = evalset.tenants[intent.tenant]
        result = planner.plan(intent.text, tenant, evalset.today)
        outcomes.append(judge(intent, result, tenant, evalset.today))
    return outcomes


def judge(intent: Intent, result: PlanResult, tenant: TenantVocabulary, today: date) -> Outcome:
    outcome = Outcome(intent, result)
    outcome.kind_ok = result.kind == intent.expected_kind
    if isinstance(result, Plan):
        outcome.violations = allow_list_violations(result, tenant)
    if intent.wants_chart:
        gold = canonical(intent.expect["template"], intent.expect.get("params", {}), today)
        got = canonical(result.template, result.params, today) if isinstance(result, Plan) else {}
        outcome.slots = (
            {slot: got.get(slot) == gold[slot] for slot in SLOTS} if got else dict.fromkeys(SLOTS, False)
        )
        outcome.full = all(outcome.slots.values())
        outcome.code_ok = outcome.full
    else:
        expected_code = intent.expect.get(intent.expected_kind)
        code = result.code if isinstance(result, Refusal | Clarify) else None
        outcome.code_ok = outcome.kind_ok and (expected_code is None or expected_code == code)
    return outcome


def report(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The figures: slot, full-plan and refusal accuracy overall, per language and per template."""
    charts = [o for o in outcomes if o.intent.wants_chart]
    others = [o for o in outcomes if not o.intent.wants_chart]
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    by_template: dict[str, list[Outcome]] = defaultdict(list)
    for o in charts:
        by_lang[o.intent.lang].append(o)
        by_template[o.intent.expect["template"]].append(o)
    refusal_by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for o in others:
        refusal_by_lang[o.intent.lang].append(o)
    return {
        "intents": len(outcomes),
        "chart_intents": len(charts),
        "refuse_or_clarify_intents": len(others),
        "japanese": sum(o.intent.lang == "ja" for o in outcomes),
        "slot_accuracy": {slot: _ratio(o.slots.get(slot, False) for o in charts) for slot in SLOTS},
        "full_plan_accuracy": _ratio(o.full for o in charts),
        "full_plan_by_language": {
            lang: _ratio(o.full for o in items) for lang, items in sorted(by_lang.items())
        },
        "full_plan_by_template": {
            t: _ratio(o.full for o in items) for t, items in sorted(by_template.items())
        },
        "refusal_accuracy": _ratio(not isinstance(o.result, Plan) for o in others),
        "refusal_kind_accuracy": _ratio(o.kind_ok for o in others),
        "refusal_code_accuracy": _ratio(o.code_ok for o in others),
        "refusal_by_language": {
            lang: _ratio(not isinstance(o.result, Plan) for o in items)
            for lang, items in sorted(refusal_by_lang.items())
        },
        "false_refusals": sum(not isinstance(o.result, Plan) for o in charts),
        "allow_list_violations": sum(len(o.violations) for o in outcomes),
    }


def meets_targets(figures: dict[str, Any]) -> bool:
    return bool(
        figures["full_plan_accuracy"] >= TARGETS["full_plan"]
        and figures["refusal_accuracy"] >= TARGETS["refusal"]
        and figures["allow_list_violations"] <= TARGETS["violations"]
    )


def _ratio(flags: Iterable[bool]) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 4) if values else 1.0


def failures(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """The intents the planner got wrong, with what it answered (for `--failures`)."""
    wrong = []
    for o in outcomes:
        if o.code_ok and not o.violations:
            continue
        wrong.append(
            {
                "id": o.intent.id,
                "text": o.intent.text,
                "expect": o.intent.expect,
                "got": o.result.to_json(),
                "wrong_slots": [slot for slot, ok in o.slots.items() if not ok],
                "violations": o.violations,
            }
        )
    return wrong


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m supertenant.chat.eval.score", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--intents", type=Path, default=INTENTS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--failures", action="store_true", help="also list every intent answered wrongly")
    parser.add_argument("--check", action="store_true", help="exit 1 unless the targets are met")
    args = parser.parse_args(argv)
    outcomes = run(OfflinePlanner(), load(args.intents))
    figures = report(outcomes)
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        _print_text(figures)
    if args.failures:
        for item in failures(outcomes):
            print(json.dumps(item, ensure_ascii=False, default=str))
    return 0 if meets_targets(figures) or not args.check else 1


def _print_text(figures: dict[str, Any]) -> None:
    print(
        f"intents {figures['intents']} (charts {figures['chart_intents']}, refuse/clarify "
        f"{figures['refuse_or_clarify_intents']}, Japanese {figures['japanese']})"
    )
    by_language = figures["full_plan_by_language"]
    print(f"full-plan accuracy   {figures['full_plan_accuracy']:.1%}  {by_language}")
    print(f"  by template        {figures['full_plan_by_template']}")
    slots = ", ".join(f"{name} {value:.1%}" for name, value in figures["slot_accuracy"].items())
    print(f"slot accuracy        {slots}")
    kind, code = figures["refusal_kind_accuracy"], figures["refusal_code_accuracy"]
    print(f"refusal accuracy     {figures['refusal_accuracy']:.1%} (kind {kind:.1%}, code {code:.1%})")
    print(f"false refusals       {figures['false_refusals']}")
    print(f"allow-list violations {figures['allow_list_violations']}")


if __name__ == "__main__":
    sys.exit(main())

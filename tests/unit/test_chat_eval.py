"""The evaluation set meets its targets: ≥ 90 % full plans, 100 % refusals, no allow-list violation."""

from __future__ import annotations

from datetime import date

from supertenant.chat import OfflinePlanner, Plan
from supertenant.chat.eval.score import TARGETS, canonical, load, main, meets_targets, report, run


def test_the_evaluation_set_is_big_and_bilingual_enough() -> None:
    evalset = load()
    intents = evalset.intents
    assert len(intents) >= 120
    assert 0.4 <= sum(i.lang == "ja" for i in intents) / len(intents) <= 0.6
    assert sum(not i.wants_chart for i in intents) / len(intents) >= 0.15
    assert len({i.id for i in intents}) == len(intents)
    assert {i.tenant for i in intents} <= set(evalset.tenants)


def test_the_offline_planner_meets_the_targets() -> None:
    figures = report(run(OfflinePlanner(), load()))
    assert figures["full_plan_accuracy"] >= TARGETS["full_plan"], figures
    assert figures["refusal_accuracy"] == 1.0, figures
    assert figures["allow_list_violations"] == 0, figures
    assert meets_targets(figures)


def test_time_ranges_are_compared_as_dates_not_strings() -> None:
    today = date(2026, 11, 18)
    a = canonical("kpi", {"metric": "cost", "time_range": "Last month"}, today)
    b = canonical(
        "kpi", {"metric": "cost", "time_range": 'DATEADD(DATETIME("today"), -1, month) : today'}, today
    )
    c = canonical("kpi", {"metric": "cost", "time_range": "2026-10-18 : 2026-11-18"}, today)
    assert a == b == c
    assert a != canonical("kpi", {"metric": "cost", "time_range": "previous calendar month"}, today)


def test_filters_compare_as_sets() -> None:
    today = date(2026, 11, 18)
    one = canonical(
        "kpi", {"metric": "cost", "filters": [{"column": "device", "op": "==", "value": "MOBILE"}]}, today
    )
    listed = canonical(
        "kpi", {"metric": "cost", "filters": [{"column": "device", "op": "IN", "value": ["MOBILE"]}]}, today
    )
    assert one == listed


def test_a_planner_that_charts_everything_fails_refusals() -> None:
    class Reckless:
        def plan(self, text: str, tenant: object, today: date) -> Plan:
            return Plan(template="kpi", version=1, params={"metric": "cost", "dataset": "ads_geo_daily"})

    figures = report(run(Reckless(), load()))
    assert figures["refusal_accuracy"] == 0.0
    assert figures["allow_list_violations"] > 0  # tiny-co has no geo dataset
    assert not meets_targets(figures)


def test_the_command_line_scorer(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--check"]) == 0
    assert "full-plan accuracy" in capsys.readouterr().out

"""`supertenant chat plan | review | promote` against a real sample warehouse, no web server."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from supertenant.cli.chat import EXIT_CLARIFY, EXIT_REFUSAL, app
from supertenant.warehouse.local import write_sample

DEMO_SPECS = Path(__file__).parents[2] / "src" / "supertenant" / "demo" / "tenants"
TODAY = "2026-11-18"
runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo directory laid out like `.demo/`: the demo tenants' schemas in warehouse.duckdb."""
    root = tmp_path_factory.mktemp("demo")
    end = date.fromisoformat(TODAY)
    write_sample(
        root / "warehouse.duckdb",
        schema="sakura_shoes",
        accounts=["123-456-7890", "234-567-8901"],
        flavour="ja",
        end_date=end,
        days=15,
    )
    write_sample(
        root / "warehouse.duckdb",
        schema="northwind_outdoor",
        accounts=["345-678-9012"],
        end_date=end,
        days=15,
    )
    return root


def plan(demo: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(
        app, ["plan", "--spec", str(DEMO_SPECS), "--base-dir", str(demo), "--today", TODAY, *args]
    )
    return result.exit_code, json.loads(result.stdout)


def test_plan_prints_template_version_and_params(demo: Path) -> None:
    code, output = plan(demo, "--tenant", "sakura-shoes", "先月のキャンペーン別CPAトップ5")
    assert code == 0
    assert output == {
        "template": "ranking",
        "version": 1,
        "params": {
            "metric": "cpa",
            "dimension": "campaign_name",
            "top_n": 5,
            "time_range": "previous calendar month",
        },
    }


def test_plan_with_warehouse_and_schema_only(demo: Path) -> None:
    result = runner.invoke(
        app,
        [
            "plan",
            "--tenant",
            "northwind-outdoor",
            "--warehouse",
            str(demo / "warehouse.duckdb"),
            "--schema",
            "northwind_outdoor",
            "--today",
            TODAY,
            "daily clicks last week",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["template"] == "trend"


def test_refusal_and_question_exit_non_zero_and_are_logged(demo: Path, tmp_path: Path) -> None:
    log = tmp_path / "failures.jsonl"
    code, output = plan(
        demo, "--tenant", "sakura-shoes", "--log", str(log), "--user", "hanako", "northwindの費用"
    )
    assert code == EXIT_REFUSAL
    assert output["code"] == "other_tenant"
    assert "refusal" in output
    code, output = plan(demo, "--tenant", "northwind-outdoor", "--log", str(log), "show me campaigns")
    assert code == EXIT_CLARIFY
    assert "clarify" in output
    listed = runner.invoke(app, ["review", "--log", str(log), "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(row["tenant"], row["user"]) for row in rows] == [
        ("sakura-shoes", "hanako"),
        ("northwind-outdoor", None),
    ]

    library = tmp_path / "library"
    promoted = runner.invoke(
        app,
        [
            "promote",
            rows[1]["id"],
            "--template",
            "table",
            "--params",
            '{"dimensions": ["campaign_name"], "metrics": ["clicks", "cost"]}',
            "--log",
            str(log),
            "--library",
            str(library),
            "--spec",
            str(DEMO_SPECS),
            "--base-dir",
            str(demo),
        ],
    )
    assert promoted.exit_code == 0, promoted.output
    stored = yaml.safe_load((library / "northwind-outdoor.yaml").read_text())
    assert stored["examples"][0]["template"] == "table"
    assert len(runner.invoke(app, ["review", "--log", str(log), "--json"]).stdout.splitlines()) == 1

    # the promoted example now answers the same question for that tenant
    code, output = plan(demo, "--tenant", "northwind-outdoor", "--library", str(library), "show me campaigns")
    assert code == EXIT_CLARIFY  # still no metric named: an example never overrides the rules' refusal


def test_promote_rejects_plans_outside_the_tenants_allow_list(demo: Path, tmp_path: Path) -> None:
    log = tmp_path / "failures.jsonl"
    plan(demo, "--tenant", "sakura-shoes", "--log", str(log), "キャンペーンを見せて")
    failure = json.loads(runner.invoke(app, ["review", "--log", str(log), "--json"]).stdout)
    result = runner.invoke(
        app,
        [
            "promote",
            failure["id"],
            "--template",
            "kpi",
            "--params",
            '{"metric": "cost", "filters": [{"column": "account_id", "op": "==", "value": "345-678-9012"}]}',
            "--log",
            str(log),
            "--library",
            str(tmp_path / "lib"),
            "--spec",
            str(DEMO_SPECS),
            "--base-dir",
            str(demo),
        ],
    )
    assert result.exit_code == 1
    assert not (tmp_path / "lib").exists()


def test_clear_errors_for_bad_input(demo: Path) -> None:
    unknown = runner.invoke(app, ["plan", "--tenant", "nobody", "--spec", str(DEMO_SPECS), "x"])
    assert unknown.exit_code == 1
    assert "no tenant 'nobody'" in unknown.output
    missing = runner.invoke(app, ["plan", "--tenant", "acme", "x"])
    assert missing.exit_code == 1
    assert "--warehouse" in missing.output
    bad_day = runner.invoke(
        app, ["plan", "--tenant", "sakura-shoes", "--spec", str(DEMO_SPECS), "--today", "soon", "x"]
    )
    assert bad_day.exit_code == 2

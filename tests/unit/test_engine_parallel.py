"""``_Run.parallel``: independent parts of an apply side by side, reported as if one after another."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest

from supertenant.provision.engine import ApplyResult, Provisioner, _Run
from supertenant.spec.loader import parse_spec
from supertenant.superset_api.client import SupersetClient

SPEC = """
slug: acme
name: Acme
warehouse: {engine: duckdb, path: acme.duckdb, schema: acme, account_ids: ["111-111-1111"]}
"""


@pytest.fixture
def run(tmp_path: Path) -> _Run:
    spec = parse_spec(SPEC, source="acme.yaml")
    owner = Provisioner(cast(SupersetClient, object()))
    return _Run(owner, spec, tmp_path, False, ApplyResult(spec.slug))


def recorder(run: _Run, key: str, delay: float, changes: int = 2) -> Any:
    def part() -> str:
        for n in range(changes):
            time.sleep(delay)
            run.change("create", "chart", f"{key}-{n}")
        return key

    return part


def keys(run: _Run) -> list[str]:
    return [c.key for c in run.result.changes]


def test_changes_are_reported_in_call_order_whatever_finishes_first(run: _Run) -> None:
    results = run.parallel([recorder(run, "slow", 0.05), recorder(run, "fast", 0.0)])
    assert results == ["slow", "fast"]
    assert keys(run) == ["slow-0", "slow-1", "fast-0", "fast-1"]


def test_nested_parts_keep_their_order_inside_their_branch(run: _Run) -> None:
    def branch() -> None:
        run.change("create", "role", "first")
        run.parallel([recorder(run, "inner-slow", 0.03, 1), recorder(run, "inner-fast", 0.0, 1)])
        run.change("create", "role", "last")

    run.parallel([branch, recorder(run, "other", 0.0, 1)])
    assert keys(run) == ["first", "inner-slow-0", "inner-fast-0", "last", "other-0"]


def test_parts_really_overlap(run: _Run) -> None:
    both_started = threading.Barrier(2, timeout=5)
    run.parallel([both_started.wait, both_started.wait])  # would time out one after another


def test_a_failure_is_raised_after_every_part_finished_and_its_changes_kept(run: _Run) -> None:
    finished: list[str] = []

    def failing() -> None:
        run.change("create", "user", "half-done")
        raise RuntimeError("Superset went away")

    def slow() -> None:
        time.sleep(0.05)
        run.change("create", "dashboard", "done")
        finished.append("slow")

    with pytest.raises(RuntimeError, match="went away"):
        run.parallel([failing, slow])
    assert finished == ["slow"]
    assert keys(run) == ["half-done", "done"]


def test_one_part_runs_in_the_callers_thread(run: _Run) -> None:
    assert run.parallel([threading.current_thread]) == [threading.current_thread()]
    assert run.parallel([]) == []

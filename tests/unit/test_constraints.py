"""The environment under test is exactly the pinned constraints set, including Superset's fixes."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints" / "constraints.txt"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def pins() -> dict[str, str]:
    found = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if match := PIN.match(line.strip()):
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_superset_and_its_missing_dependencies_are_pinned() -> None:
    pinned = pins()
    assert pinned["apache-superset"] == "6.1.0"
    assert "rich" in pinned
    assert "cachetools" in pinned
    major, minor, *_ = (int(p) for p in pinned["flask-caching"].split("."))
    assert (major, minor) < (2, 4), "flask-caching 2.5 breaks Superset 6.1 start-up"


@pytest.mark.parametrize(("name", "version"), sorted(pins().items()))
def test_installed_version_matches_the_pin(name: str, version: str) -> None:
    assert metadata.version(name) == version

"""Fixtures shared by the unit tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from supertenant.settings import get_settings


@pytest.fixture
def clean_supertenant_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No SUPERTENANT_* variable from the outside, and no cached process settings either side."""
    for name in list(os.environ):
        if name.startswith("SUPERTENANT_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()

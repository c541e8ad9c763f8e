"""Fixtures for every test: a private ``HOME`` and ``AGENTRUN_HOME`` (see tests/hermetic.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hermetic import leaks, snapshot


@pytest.fixture(autouse=True)
def _hermetic_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AGENTRUN_HOME", str(home / ".agentrun"))
    before = snapshot()
    yield home
    found = leaks(before, tmp_path_factory.getbasetemp())
    if found:
        pytest.fail(
            "this test wrote under the real home or AGENTRUN_HOME: " + ", ".join(found),
            pytrace=False,
        )

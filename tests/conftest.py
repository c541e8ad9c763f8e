"""Fixtures for every test: a private ``HOME`` and ``AGENTRUN_HOME`` (see tests/hermetic.py),
and a SIGINT that reaches the processes the tests start."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from hermetic import leaks, snapshot


def pytest_configure(config: pytest.Config) -> None:
    """A shell starts a script's background jobs (``pytest ... &``, ``nohup``) with SIGINT
    ignored, and an ignored signal stays ignored across exec: every ``agentrun`` the tests
    start would then shrug off the Ctrl-C the interrupt tests send it. A handled signal is reset
    to its default by exec, so handling it here gives each child a normal SIGINT."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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

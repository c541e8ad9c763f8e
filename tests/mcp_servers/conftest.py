"""MCP tests start real server processes: on a loaded machine a start can take long, so the
start timeout is generous unless a test sets its own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _patient_mcp_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_TIMEOUT", "120000")

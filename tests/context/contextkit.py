"""What the context tests share: a run of the workspace's ``worker.md`` with every call allowed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Unpack

from agentrun.core.events import Event
from agentrun.runner.api import RunResult, run
from agentrun.runner.keywords import RunKeywords

READER = """---
name: worker
description: Reads files.
tools: Read
---
You read files.
"""
"""``worker.md`` for the tests that only read."""


def run_worker(
    ws: Path,
    *,
    agent: Path | None = None,
    on_event: Callable[[Event], None] | None = None,
    **keywords: Unpack[RunKeywords],
) -> RunResult:
    """``go`` in ``ws`` as ``agent`` (else ``ws/worker.md``) in bypassPermissions: these tests
    are about what tools return, not about what the gate asks."""
    worker = str(agent or ws / "worker.md")
    return run(
        "go",
        agent=worker,
        cwd=ws,
        permission_mode="bypassPermissions",
        on_event=on_event,
        **keywords,
    )

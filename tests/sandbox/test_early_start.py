"""``start_jail_early`` (what batch tasks use): the jail and the file tools' server come up as
the session opens, before any tool call, and go with the session; by default they wait for the
first tool call that needs them."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from agentrun.core.events import ToolEndEvent
from agentrun.jail import syscalls
from agentrun.runner import api
from agentrun.runner.options import RunOptions
from agentrun.runner.runtime import Runtime
from conftest import expected_layers

FILE_SERVER = "agentrun-files"  # the name the jail's file server gives itself


def _our_processes() -> list[str]:
    """The names of this test process's descendants (the jail's, the template's)."""
    names = []
    for pid in syscalls.descendants(os.getpid(), zombies=False):
        with contextlib.suppress(OSError):
            names.append(Path(f"/proc/{pid}/comm").read_text().strip())
    return names


def _until(check: Callable[[], bool], what: str, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _options(tmp_path: Path, turns: list[dict[str, object]], **more: object) -> RunOptions:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "notes.txt").write_text("early bird\n")
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"turns": turns}))
    return RunOptions(cwd=ws, model=f"script:{script}", permission_mode="bypassPermissions", **more)


def test_an_early_start_brings_up_the_jail_and_file_server_before_any_tool_call(
    tmp_path: Path,
) -> None:
    rt = Runtime.open(_options(tmp_path, [{"text": "hi"}], start_jail_early=True))
    try:
        _until(lambda: FILE_SERVER in _our_processes(), "the jail's file server")
        assert rt.sandbox is not None and rt.sandbox.started
        assert expected_layers("workspace-write") <= set(rt.sandbox.enforced)
    finally:
        rt.close()
    _until(lambda: FILE_SERVER not in _our_processes(), "the jail to be gone")


def test_by_default_nothing_starts_before_a_tool_call_needs_it(tmp_path: Path) -> None:
    rt = Runtime.open(_options(tmp_path, [{"text": "hi"}]))
    try:
        time.sleep(0.5)  # what an early start would have used to begin
        assert rt.sandbox is None
        assert FILE_SERVER not in _our_processes()
    finally:
        rt.close()


def test_a_session_started_early_runs_its_tools_in_that_jail(tmp_path: Path) -> None:
    turns: list[dict[str, object]] = [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "notes.txt"}}]},
        {"tool_calls": [{"name": "Bash", "input": {"command": "cat notes.txt"}}]},
        {"text": "done"},
    ]
    events: list[object] = []
    options = _options(tmp_path, turns, start_jail_early=True)
    result = api.run("go", options, on_event=events.append)
    assert result.result == "done" and not result.is_error
    outputs = [str(e.result.content) for e in events if isinstance(e, ToolEndEvent)]
    assert "early bird" in outputs[0] and "early bird" in outputs[1]
    assert FILE_SERVER not in _our_processes()

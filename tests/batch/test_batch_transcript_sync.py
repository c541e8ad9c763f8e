"""When a transcript reaches the disk: a normal session syncs it before every model call (a
session one may resume loses no completed step, even to an OS crash); a batch task once, as it
ends, complete, before its results line is written (a task that dies is rerun from scratch)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from batchkit import make_repo, script

import agentrun
from agentrun.batch.runner import run_task
from agentrun.batch.tasks import Task
from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.session import store


def _spy(monkeypatch: pytest.MonkeyPatch, log: list[Any]) -> None:
    """Record each transcript sync: the file synced and what it held at that moment."""
    real = store._sync_file

    def spy(fd: int) -> None:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        log.append(("sync", path, path.read_text()))
        real(fd)

    monkeypatch.setattr(store, "_sync_file", spy)


def _three_calls(log: list[Any]) -> FunctionModel:
    def fn(request: ModelRequest) -> Any:
        log.append(("call", len(request.messages)))
        if len(request.messages) < 5:
            return {"tool_calls": [{"name": "Glob", "input": {"pattern": "*.py"}}]}
        return {"text": "done"}

    return FunctionModel(fn)


def test_a_normal_session_syncs_its_transcript_before_every_model_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[Any] = []
    _spy(monkeypatch, log)
    (tmp_path / "a.py").write_text("x = 1\n")
    result = agentrun.run("go", cwd=tmp_path, model=_three_calls(log))
    assert result.num_turns == 3
    kinds = [entry[0] for entry in log]
    assert kinds == ["sync", "call", "sync", "call", "sync", "call", "sync"], kinds
    # Before each call, what the last step wrote (the tool results) is on disk already.
    synced_lines = [len(entry[2].splitlines()) for entry in log if entry[0] == "sync"]
    assert synced_lines == sorted(synced_lines) and len(set(synced_lines)) == 4


def test_sync_transcript_end_syncs_once_as_the_run_ends_with_the_whole_transcript(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[Any] = []
    _spy(monkeypatch, log)
    (tmp_path / "a.py").write_text("x = 1\n")
    result = agentrun.run("go", cwd=tmp_path, model=_three_calls(log), sync_transcript="end")
    assert result.num_turns == 3
    assert [entry[0] for entry in log] == ["call", "call", "call", "sync"]
    _, path, text = log[-1]
    assert path.read_text() == text  # nothing written after the sync
    assert json.loads(text.splitlines()[-1])["type"] == "result"


def test_a_batch_task_s_transcript_is_synced_once_complete_before_its_result_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[Any] = []
    _spy(monkeypatch, log)
    repo = make_repo(tmp_path / "repo", {"app.py": "X = 1\n"})
    turns = [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "new.txt", "content": "n\n"}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": "app.py"}}]},
        {"text": "all done"},
    ]
    task = Task(
        id="t1",
        prompt="go",
        repo=str(repo),
        model=script(tmp_path / "s.json", turns),
        permission_mode="acceptEdits",
    )
    line = run_task(task, str(tmp_path / "work"))
    assert line["status"] == "success", line
    assert line["num_turns"] == 3
    assert "new.txt" in line["patch"]
    transcript = Path(line["transcript"])
    syncs = [entry for entry in log if entry[1] == transcript]
    assert len(syncs) == 1, [entry[:2] for entry in log]
    # The one sync came after the last entry: the durable transcript is the whole run.
    assert syncs[0][2] == transcript.read_text()
    entries = [json.loads(raw) for raw in syncs[0][2].splitlines()]
    assert entries[-1]["type"] == "result" and entries[-1]["result"] == "all done"
    roles = [e["message"]["role"] for e in entries if e["type"] == "message"]
    assert roles.count("assistant") == 3 and roles.count("user") == 3, roles

"""MultiEdit, LS and TodoWrite: Claude Code's schemas (the snapshot pins them), their error
cases, and the gate and the jail's file server in the way (an end-to-end run per tool)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from toolkit import agent_ws, make_ctx

from agentrun.core.types import ToolResult
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import run
from agentrun.tools.base import ToolContext
from agentrun.tools.ls import LSTool
from agentrun.tools.multiedit import MultiEditTool
from agentrun.tools.read import ReadTool
from agentrun.tools.todo import ANSWER, TodoWriteTool

MULTI, LS, READ = MultiEditTool(), LSTool(), ReadTool()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path, strict=True)


def multi(ctx: ToolContext, path: Path, *edits: tuple[str, str] | dict[str, Any]) -> ToolResult:
    listed = [e if isinstance(e, dict) else {"old_string": e[0], "new_string": e[1]} for e in edits]
    return MULTI.run({"file_path": str(path), "edits": listed}, ctx)


def seed(ctx: ToolContext, path: Path, text: str) -> Path:
    path.write_text(text)
    assert not READ.run({"file_path": str(path)}, ctx).is_error
    return path


# -- MultiEdit ------------------------------------------------------------------------------------
def test_multiedit_applies_edits_in_order(ctx: ToolContext, tmp_path: Path) -> None:
    f = seed(ctx, tmp_path / "a.py", "x = 1\ny = 2\nz = x\n")
    result = multi(ctx, f, ("x = 1", "x = 10"), ("x = 10\ny", "x = 11\ny"), ("z", "w"))
    assert not result.is_error, result.text()
    assert f.read_text() == "x = 11\ny = 2\nw = x\n"
    assert result.text().startswith(f"Edited {f} (3 edits, 3 replacements).")


def test_multiedit_is_atomic(ctx: ToolContext, tmp_path: Path) -> None:
    f = seed(ctx, tmp_path / "a.py", "a\nb\nb\n")
    before = f.stat().st_mtime_ns
    result = multi(ctx, f, ("a", "A"), ("missing", "x"))
    assert result.is_error
    assert result.text().startswith(f"Edit 2 of 2: old_string was not found in {f} after the")
    assert "No edit was applied." in result.text()
    result = multi(ctx, f, ("a", "A"), ("b", "B"))
    assert result.is_error and "occurs 2 times" in result.text()
    assert f.read_text() == "a\nb\nb\n" and f.stat().st_mtime_ns == before
    ok = multi(ctx, f, ("a", "A"), {"old_string": "b", "new_string": "B", "replace_all": True})
    assert not ok.is_error and f.read_text() == "A\nB\nB\n"


@pytest.mark.parametrize(
    "edits, message",
    [
        ([], "edits must be a non-empty list"),
        (["x"], "edit 1 of 1 must be an object"),
        ([{"old_string": "a"}], "edit 1 of 1: old_string and new_string must both be strings"),
        ([{"old_string": "a", "new_string": "a"}], "are the same"),
        ([{"old_string": "a", "new_string": "b", "replace_all": "yes"}], "true or false"),
        ([{"old_string": "a", "new_string": "b", "x": 1}], "unexpected parameter(s) x"),
    ],
)
def test_multiedit_bad_edits(ctx: ToolContext, tmp_path: Path, edits: Any, message: str) -> None:
    f = seed(ctx, tmp_path / "a.txt", "a\n")
    result = MULTI.run({"file_path": str(f), "edits": edits}, ctx)
    assert result.is_error and message in result.text()
    assert f.read_text() == "a\n"


def test_multiedit_needs_a_read_first_and_creates_with_an_empty_old_string(
    ctx: ToolContext, tmp_path: Path
) -> None:
    f = tmp_path / "unread.txt"
    f.write_text("a\n")
    result = multi(ctx, f, ("a", "b"))
    assert result.is_error and "Read" in result.text() and f.read_text() == "a\n"
    new = tmp_path / "new.txt"
    result = multi(ctx, new, ("", "one\ntwo\n"), ("two", "2"))
    assert not result.is_error, result.text()
    assert new.read_text() == "one\n2\n"


# -- LS -------------------------------------------------------------------------------------------
def test_ls_lists_one_level(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "deep.py").write_text("")
    (tmp_path / "b.txt").write_text("")
    (tmp_path / "a.log").write_text("")
    os.symlink("/etc", tmp_path / "link")
    result = LS.run({"path": str(tmp_path)}, ctx)
    assert result.text() == f"- {tmp_path}/\n  - a.log\n  - b.txt\n  - link\n  - src/"
    result = LS.run({"path": str(tmp_path), "ignore": ["*.log", "link"]}, ctx)
    assert result.text() == f"- {tmp_path}/\n  - b.txt\n  - src/"


@pytest.mark.parametrize(
    "given, message",
    [
        ({"path": "relative"}, "path must be an absolute path"),
        ({"path": "/no/such/dir"}, "does not exist"),
        ({"path": "/", "ignore": "x"}, "ignore must be a list"),
    ],
)
def test_ls_errors(ctx: ToolContext, given: dict[str, Any], message: str) -> None:
    result = LS.run(given, ctx)
    assert result.is_error and message in result.text()


# -- TodoWrite ------------------------------------------------------------------------------------
def test_todowrite_keeps_the_list(ctx: ToolContext) -> None:
    tool = TodoWriteTool()
    todos = [
        {"content": "Run tests", "status": "in_progress", "activeForm": "Running tests"},
        {"content": "Fix bug", "status": "pending", "activeForm": "Fixing bug"},
    ]
    result = tool.run({"todos": todos}, ctx)
    assert (result.text(), result.is_error) == (ANSWER, False)
    assert tool.todos == todos
    bad = tool.run({"todos": [{"content": "x", "status": "done", "activeForm": "y"}]}, ctx)
    assert bad.is_error and "status must be one of pending, in_progress, completed" in bad.text()
    empty = [{"content": "", "status": "pending", "activeForm": "y"}]
    assert tool.run({"todos": empty}, ctx).is_error
    assert tool.todos == todos


@pytest.mark.parametrize(
    "todo, message",
    [
        ("x", "todo 1 must be an object with content, status and activeForm."),
        (
            {"content": "c", "status": "pending", "activeForm": "a", "priority": 1, "id": 2},
            "todo 1 has unexpected parameter(s) id, priority.",
        ),
    ],
)
def test_todowrite_names_a_malformed_todo(ctx: ToolContext, todo: Any, message: str) -> None:
    assert TodoWriteTool().run({"todos": [todo]}, ctx) == ToolResult(message, is_error=True)


# -- end to end: the gate and the jail ------------------------------------------------------------
def test_the_tools_run_through_the_gate_and_the_jail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = agent_ws(tmp_path, monkeypatch, "small", "Read, MultiEdit, LS, TodoWrite")
    (ws / "a.txt").write_text("one\n")
    (ws / "secret").mkdir()
    (ws / "secret" / "key").write_text("k")
    edits = [{"old_string": "one", "new_string": "two"}]
    todos = [{"content": "c", "status": "pending", "activeForm": "a"}]
    script = {
        "turns": [
            {
                "tool_calls": [
                    {"name": "Read", "input": {"file_path": "a.txt"}},
                    {"name": "LS", "input": {"path": str(ws)}},
                    {"name": "LS", "input": {"path": str(ws / "secret")}},
                    {"name": "TodoWrite", "input": {"todos": todos}},
                ]
            },
            {
                "tool_calls": [
                    {"name": "MultiEdit", "input": {"file_path": "a.txt", "edits": edits}},
                    {"name": "MultiEdit", "input": {"file_path": ".git/x", "edits": edits}},
                ],
                "expect": [
                    {"is_error": False},
                    {"is_error": False, "contains": "  - a.txt"},
                    {"is_error": True, "contains": "denied by rule Read(secret/**)"},
                    {"equals": ANSWER},
                ],
            },
            {
                "text": "done",
                "expect": [{"is_error": False}, {"is_error": True}],
            },
        ]
    }
    result = run(
        "go",
        agent="small",
        cwd=ws,
        model=ScriptedModel.from_data(script),
        permission_mode="acceptEdits",
        disallowed_tools=["Read(secret/**)"],
        strict=True,
    )
    assert result.subtype == "success", result.result
    assert (ws / "a.txt").read_text() == "two\n"
    ls_out = json.dumps([r.text() for _, r in result.tool_calls])
    assert "key" not in ls_out

"""Hooks around a Task child: SubagentStart/SubagentStop with Claude Code's fields, a
SubagentStop block sending the child back to work, and the session's PreToolUse guard holding
for the child's own tool calls."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from subagentkit import agent

from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.runner.api import run
from wskit import agents_ws

PY = sys.executable

LOG_PY = """import json, sys
envelope = json.load(sys.stdin)
with open(sys.argv[1], "a") as log:
    log.write(json.dumps(envelope) + "\\n")
if envelope["hook_event_name"] == "SubagentStart":
    print("Context from SubagentStart.")
if envelope["hook_event_name"] == "SubagentStop" and not envelope["stop_hook_active"]:
    print("write the summary first", file=sys.stderr)
    sys.exit(2)
"""

GUARD_PY = """import json, sys
envelope = json.load(sys.stdin)
if "rm -rf" in envelope["tool_input"].get("command", ""):
    print("no rm -rf", file=sys.stderr)
    sys.exit(2)
"""


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = agents_ws(tmp_path, monkeypatch, {"keep.txt": "precious\n"})
    agent(work, "lead", "Task, Bash", "Lead.")
    agent(work, "worker", "Bash", "Worker.")
    return work


def configure(ws: Path, hooks: dict[str, Any]) -> None:
    (ws / ".claude" / "settings.json").write_text(json.dumps({"hooks": hooks}))


def command(cmd: str, matcher: str = "") -> list[dict[str, Any]]:
    return [{"matcher": matcher, "hooks": [{"type": "command", "command": cmd}]}]


def delegate(child: Any) -> FunctionModel:
    """A lead that starts one worker Task, then answers "done"; ``child`` answers the worker."""
    lead: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("Worker."):
            return child(request)
        lead.append(request)
        if len(lead) == 1:
            task = {"description": "work", "prompt": "do the work", "subagent_type": "worker"}
            return {"tool_calls": [{"name": "Task", "input": task}]}
        return "done"

    return FunctionModel(answer)


def child_tries_rm_rf_and_is_refused(ws: Path) -> None:
    """Under bypassPermissions, the worker asks Bash for ``rm -rf keep.txt``: the file stays
    and the child is told the guard's reason."""
    told: list[str] = []

    def child(request: ModelRequest) -> Any:
        if len(request.messages) == 1:
            return {"tool_calls": [{"name": "Bash", "input": {"command": "rm -rf keep.txt"}}]}
        told.append(json.dumps(request.messages[-1]))
        return "gave up"

    result = run(
        "go", agent="lead", cwd=ws, model=delegate(child), permission_mode="bypassPermissions"
    )
    assert result.subtype == "success", result.result
    assert (ws / "keep.txt").read_text() == "precious\n"
    assert "no rm -rf" in told[0]


def test_subagent_start_and_stop_fire_with_claude_codes_fields(ws: Path, tmp_path: Path) -> None:
    log = tmp_path / "hooks.log"
    script = tmp_path / "log.py"
    script.write_text(LOG_PY)
    hook = f"{PY} {script} {log}"
    configure(
        ws,
        {
            "SubagentStart": command(hook, "worker"),
            "SubagentStop": command(hook, "worker"),
            "Stop": command(hook),
        },
    )
    child_saw: list[ModelRequest] = []

    def child(request: ModelRequest) -> Any:
        child_saw.append(request)
        return f"child turn {len(child_saw)}"

    result = run("go", agent="lead", cwd=ws, model=delegate(child), permission_mode="default")
    assert result.subtype == "success", result.result
    events = [json.loads(line) for line in log.read_text().splitlines()]
    names = [e["hook_event_name"] for e in events]
    assert names == ["SubagentStart", "SubagentStop", "SubagentStop", "Stop"]
    start, stop, again, _ = events
    assert start["agent_type"] == "worker" and start["agent_id"].startswith("toolu_")
    assert stop["agent_id"] == start["agent_id"] and stop["agent_type"] == "worker"
    assert (stop["stop_hook_active"], again["stop_hook_active"]) == (False, True)
    assert start["session_id"] == result.session_id
    # SubagentStart's stdout is context for the child; the block sent it back with the reason
    first = child_saw[0].messages[0]["content"][0]["text"]
    assert first == "do the work\n\nContext from SubagentStart."
    assert len(child_saw) == 2
    assert "write the summary first" in json.dumps(child_saw[1].messages[-1])


def test_a_matcher_for_another_agent_type_does_not_fire(ws: Path, tmp_path: Path) -> None:
    log = tmp_path / "hooks.log"
    configure(ws, {"SubagentStart": command(f"cat >> {log}", "reviewer")})
    result = run("go", agent="lead", cwd=ws, model=delegate(lambda r: "ok"))
    assert result.subtype == "success"
    assert not log.exists()


def test_the_sessions_pretooluse_guard_holds_for_a_childs_calls(ws: Path, tmp_path: Path) -> None:
    script = tmp_path / "guard.py"
    script.write_text(GUARD_PY)
    configure(ws, {"PreToolUse": command(f"{PY} {script}", "Bash")})
    child_tries_rm_rf_and_is_refused(ws)


def test_a_childs_own_hooks_hold_for_it_and_its_stop_is_subagentstop(
    ws: Path, tmp_path: Path
) -> None:
    log = tmp_path / "own.log"
    guard = tmp_path / "guard.py"
    guard.write_text(GUARD_PY)
    (ws / ".claude" / "agents" / "worker.md").write_text(
        "---\nname: worker\ndescription: d\ntools: Bash\nhooks:\n"
        f"  PreToolUse:\n    - matcher: Bash\n      hooks:\n"
        f"        - {{type: command, command: '{PY} {guard}'}}\n"
        f"  Stop:\n    - hooks:\n        - {{type: command, command: 'cat >> {log}'}}\n"
        "---\nWorker.\n"
    )
    child_tries_rm_rf_and_is_refused(ws)
    stop = json.loads(log.read_text())
    assert (stop["hook_event_name"], stop["agent_type"]) == ("SubagentStop", "worker")


def test_a_malformed_hooks_block_in_a_childs_file_is_its_tasks_error(ws: Path) -> None:
    (ws / ".claude" / "agents" / "worker.md").write_text(
        "---\nname: worker\ndescription: d\ntools: Bash\nhooks: [1]\n---\nWorker.\n"
    )
    lead: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        lead.append(request)
        if len(lead) == 1:
            task = {"description": "work", "prompt": "do", "subagent_type": "worker"}
            return {"tool_calls": [{"name": "Task", "input": task}]}
        return "done"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer))
    assert result.subtype == "success"
    said = json.dumps(lead[1].messages[-1])
    assert "could not start" in said and "'hooks' must be an object" in said


def test_a_childs_stop_and_subagentstop_hooks_both_run(ws: Path, tmp_path: Path) -> None:
    log = tmp_path / "own.log"
    (ws / ".claude" / "agents" / "worker.md").write_text(
        "---\nname: worker\ndescription: d\ntools: Bash\nhooks:\n"
        f"  Stop:\n    - hooks:\n        - {{type: command, command: 'echo stop >> {log}'}}\n"
        "  SubagentStop:\n    - hooks:\n"
        f"        - {{type: command, command: 'echo subagentstop >> {log}'}}\n"
        "---\nWorker.\n"
    )
    result = run("go", agent="lead", cwd=ws, model=delegate(lambda r: "ok"))
    assert result.subtype == "success", result.result
    assert sorted(log.read_text().split()) == ["stop", "subagentstop"]


def test_a_sessions_own_stop_and_subagentstop_hooks_both_run_as_a_subagent(
    ws: Path, tmp_path: Path
) -> None:
    log = tmp_path / "own.log"
    (ws / ".claude" / "agents" / "worker.md").write_text(
        "---\nname: worker\ndescription: d\nhooks:\n"
        f"  Stop:\n    - hooks:\n        - {{type: command, command: 'echo stop >> {log}'}}\n"
        "  SubagentStop:\n    - hooks:\n"
        f"        - {{type: command, command: 'echo subagentstop >> {log}'}}\n"
        "---\nWorker.\n"
    )
    result = run("go", agent="worker", cwd=ws, model=FunctionModel(lambda r: "ok"), subagent=True)
    assert result.subtype == "success", result.result
    assert sorted(log.read_text().split()) == ["stop", "subagentstop"]


@pytest.mark.parametrize("how", ["--no-hooks", "disableAllHooks"])
def test_hooks_turned_off_hold_for_a_childs_own_hooks_on_the_command_line(
    ws: Path, tmp_path: Path, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentrun.cli.app import main

    marker = tmp_path / "child-hook-ran"
    hook = f"- {{type: command, command: 'touch {marker}'}}"
    (ws / ".claude" / "agents" / "worker.md").write_text(
        "---\nname: worker\ndescription: d\ntools: Bash\nhooks:\n"
        f"  PreToolUse:\n    - matcher: ''\n      hooks:\n        {hook}\n"
        f"  SubagentStart:\n    - hooks:\n        {hook}\n"
        f"  Stop:\n    - hooks:\n        {hook}\n"
        f"  SubagentStop:\n    - hooks:\n        {hook}\n"
        "---\nWorker.\n"
    )
    if how == "disableAllHooks":
        (ws / ".claude" / "settings.json").write_text(json.dumps({"disableAllHooks": True}))
    task = {"description": "work", "prompt": "do", "subagent_type": "worker"}
    child = [{"tool_calls": [{"name": "Bash", "input": {"command": "true"}}]}, {"text": "ok"}]
    turns = [{"tool_calls": [{"name": "Task", "input": task}]}, {"text": "done"}]
    model = tmp_path / "s.json"
    model.write_text(json.dumps({"turns": turns, "agents": {"worker": {"turns": child}}}))
    argv = ["--cwd", str(ws), "-p", "go", "--agent", "lead", "--model", f"script:{model}"]
    argv += ["--output-format", "stream-json", "--permission-mode", "bypassPermissions"]
    code = main([*argv, *(["--no-hooks"] if how == "--no-hooks" else [])])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0, lines[-1]
    ran = [x for x in lines if x["type"] == "user" and x.get("parent_tool_use_id")]
    assert ran, lines  # the child did run its Bash call
    assert not marker.exists()
    # and without them turned off, the child's hooks do run
    (ws / ".claude" / "settings.json").unlink(missing_ok=True)
    assert main(argv) == 0
    capsys.readouterr()
    assert marker.exists()

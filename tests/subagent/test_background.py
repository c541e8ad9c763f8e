"""Background subagents end to end: ``run_in_background`` / ``background: true`` launches,
the ``<task-notification>`` the parent reads, headless waiting, interrupts, budget, stream-json
and resume. Scripted and function models, the real gate, jail and transcript; ordering is
proved with events, never with sleeps."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.runner.api import run

WAIT_S = 60.0  # generous: a loaded machine still meets it; a broken launch never does

NOTIFICATION = re.compile(
    r"<task-notification>\n"
    r"<task-id>(?P<id>agent_\d+)</task-id>\n"
    r"<status>(?P<status>\w+)</status>\n"
    r"<summary>(?P<summary>[^\n]*)</summary>\n"
    r"<result>(?P<result>.*)</result>\n"
    r"<usage><subagent_tokens>(?P<tokens>\d+)</subagent_tokens>"
    r"<tool_uses>(?P<tool_uses>\d+)</tool_uses>"
    r"<duration_ms>(?P<ms>\d+)</duration_ms></usage>\n"
    r"</task-notification>",
    re.S,
)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "ws"
    (work / ".claude" / "agents").mkdir(parents=True)
    (work / "a.txt").write_text("hello\n")
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return work


def agent(ws: Path, name: str, tools: str, body: str = "", **fields: str) -> None:
    lines = ["---", f"name: {name}", f"description: The {name} agent.", f"tools: {tools}"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    lines += ["---", body or f"You are {name}."]
    (ws / ".claude" / "agents" / f"{name}.md").write_text("\n".join(lines) + "\n")


def task(name: str, prompt: str = "do it", **extra: Any) -> dict[str, Any]:
    return {
        "name": "Task",
        "input": {"description": f"run {name}", "prompt": prompt, "subagent_type": name, **extra},
    }


def texts(request: ModelRequest) -> list[str]:
    """Every text and tool result the request's last user message carries."""
    out = []
    for block in request.messages[-1]["content"]:
        if block["type"] == "text":
            out.append(block["text"])
        elif block["type"] == "tool_result":
            content = block["content"]
            out.append(content if isinstance(content, str) else json.dumps(content))
    return out


def notification(request: ModelRequest) -> re.Match[str]:
    found = [m for t in texts(request) if (m := NOTIFICATION.fullmatch(t))]
    assert len(found) == 1, texts(request)
    return found[0]


def bg_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("bg-agent_") and t.is_alive()]


def test_a_launch_returns_at_once_the_parent_works_on_and_p_waits_for_the_result(
    ws: Path,
) -> None:
    agent(ws, "lead", "Read, Task")
    agent(ws, "reader", "Read", body="You only read files.")
    parent_went_on = threading.Event()
    lead: list[ModelRequest] = []
    child: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You only read files."):
            child.append(request)
            if len(child) == 1:
                # the child cannot go on until the parent has had its next turn: a Task that
                # waited for its child would never get there
                assert parent_went_on.wait(WAIT_S)
                return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
            return "a.txt says hello"
        lead.append(request)
        if len(lead) == 1:
            return {"tool_calls": [task("reader", "read a.txt", run_in_background=True)]}
        if len(lead) == 2:
            parent_went_on.set()
            return "I will wait for the reader."
        return "The reader says hello."

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.subtype == "success", result.result
    assert result.result == "The reader says hello."  # the run went on after the notification
    assert len(lead) == 3
    [launched] = texts(lead[1])
    assert "agentId: agent_1" in launched and "background" in launched
    note = notification(lead[2])
    assert note["id"] == "agent_1"
    assert note["status"] == "completed"
    assert note["summary"] == 'Agent "run reader" finished'
    assert note["result"] == "a.txt says hello"
    assert note["tool_uses"] == "1"
    assert not bg_threads()


def test_background_true_in_the_agent_file_forces_the_background(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "bg", "Read", body="You are bg.", background="true")
    lead: list[ModelRequest] = []
    release = threading.Event()

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are bg."):
            assert release.wait(WAIT_S)
            return "bg done"
        lead.append(request)
        if len(lead) == 1:
            return {"tool_calls": [task("bg")]}  # the call does not ask for the background
        release.set()
        return "waiting" if len(lead) == 2 else "finished"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.result == "finished"
    assert "agentId: agent_1" in texts(lead[1])[0]
    assert notification(lead[2])["result"] == "bg done"


def test_a_failing_child_is_told_as_failed(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "short", "Read", body="You are short.", maxTurns="1")
    lead: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are short."):
            return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
        lead.append(request)
        if len(lead) == 1:
            return {"tool_calls": [task("short", run_in_background=True)]}
        return "noted" if len(lead) == 3 else "waiting"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.result == "noted"
    note = notification(lead[2])
    assert note["status"] == "failed"
    assert note["summary"].startswith('Agent "run short" failed: error_max_turns')
    assert note["result"] == ""

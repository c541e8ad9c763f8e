"""Helpers of the subagent tests: agent files written into a workspace, a Task call, and the
parent's tool results read back from its transcript. (A module with its own name, not a
``conftest.py``: one here would shadow the ``conftest`` module the sandbox tests import.)"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from agentrun.core.types import ModelRequest
from agentrun.runner.api import RunResult
from wskit import agents_ws


def agent(ws: Path, name: str, tools: str | None, body: str = "", **fields: str) -> None:
    """Write ``.claude/agents/NAME.md``; ``tools`` None leaves the field out (all tools)."""
    lines = ["---", f"name: {name}", f"description: The {name} agent."]
    if tools is not None:
        lines.append(f"tools: {tools}")
    lines += [f"{k}: {v}" for k, v in fields.items()]
    lines += ["---", body or f"You are {name}."]
    (ws / ".claude" / "agents" / f"{name}.md").write_text("\n".join(lines) + "\n")


def task(name: str, prompt: str = "do it", **extra: Any) -> dict[str, Any]:
    """A scripted Task call starting agent ``name``."""
    return {
        "name": "Task",
        "input": {"description": f"run {name}", "prompt": prompt, "subagent_type": name, **extra},
    }


def results_of(result: RunResult) -> list[tuple[str, bool]]:
    """The parent's tool results (denied calls too), in order, from its transcript."""
    path = Path(os.environ["AGENTRUN_HOME"]) / "sessions" / f"{result.session_id}.jsonl"
    out = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry["type"] == "message" and entry["message"]["role"] == "user":
            for block in entry["message"]["content"]:
                if block["type"] == "tool_result":
                    out.append((block["content"], bool(block.get("is_error"))))
    return out


SERVER = Path(__file__).with_name("own_server.py")
"""The test MCP server of the subagent tests (its pid into a file, tools ``pid`` and ``hang``)."""
DEADLINE_S = 60.0


def make_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with ``.claude/agents``, agentrun's state in the test's own directory, and
    a patient MCP start (a loaded machine starts Python servers slowly)."""
    work = agents_ws(tmp_path, monkeypatch)
    monkeypatch.setenv("MCP_TIMEOUT", "120000")
    return work


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def gone(pid: int, seconds: float = DEADLINE_S) -> bool:
    """Whether process ``pid`` is gone within ``seconds``."""
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def bg_threads() -> list[threading.Thread]:
    """The background agents' threads still alive."""
    return [t for t in threading.enumerate() if t.name.startswith("bg-agent_") and t.is_alive()]


def wait_for(path: Path, seconds: float = DEADLINE_S) -> bool:
    """Whether ``path`` exists within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def runner_agents(ws: Path) -> None:
    """A lead with Task and Bash, and a ``runner`` child with Bash (a child has only tools its
    parent has); :func:`runner_turn` answers the runner."""
    agent(ws, "lead", "Task, Bash")
    agent(ws, "runner", "Bash", body="You run commands.")


def runner_turn(request: ModelRequest, marker: str) -> Any | None:
    """The runner child's answer (None for the lead's requests): first a jailed command that
    touches ``started`` and then runs ``marker`` (a long sleep), then its closing text."""
    if not request.system.startswith("You run commands."):
        return None
    if len(request.messages) == 1:
        return {"tool_calls": [{"name": "Bash", "input": {"command": f"touch started; {marker}"}}]}
    return "the command ended"

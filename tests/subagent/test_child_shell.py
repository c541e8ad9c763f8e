"""A Task child gets a Bash shell of its own (its cwd does not move the parent's), in the
session's jail, and the gate judges its redirections from where its shell is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from subagentkit import agent

from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.runner.api import run
from wskit import agents_ws


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = agents_ws(tmp_path, monkeypatch)
    agent(work, "lead", "Task, Bash", "L.")
    agent(work, "worker", "Bash", "W.")
    (work / "secrets").mkdir()
    return work


def bash(command: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "Bash", "input": {"command": command}}]}


def scripted(lead_turns: list[Any], child_turns: list[Any]) -> FunctionModel:
    """Lead and worker each answer from their own list of turns, then "done"."""
    counts = {"L.": 0, "W.": 0}
    told: list[str] = []

    def answer(request: ModelRequest) -> Any:
        who = request.system[:2]
        turns = lead_turns if who == "L." else child_turns
        if request.messages[-1]["role"] == "user" and len(request.messages) > 1:
            told.append(f"{who} {request.messages[-1]['content']}")
        counts[who] += 1
        return turns[counts[who] - 1] if counts[who] <= len(turns) else "done"

    model = FunctionModel(answer)
    model.told = told  # type: ignore[attr-defined]
    return model


TASK = {
    "tool_calls": [
        {"name": "Task", "input": {"description": "w", "prompt": "work", "subagent_type": "worker"}}
    ]
}


def test_a_childs_cd_does_not_move_the_parents_shell(ws: Path) -> None:
    model = scripted(
        [bash("pwd"), TASK, bash("pwd > where.txt")],
        [bash("cd secrets"), bash("pwd > here.txt")],
    )
    result = run("go", agent="lead", cwd=ws, model=model, permission_mode="bypassPermissions")
    assert result.subtype == "success", result.result
    assert (ws / "secrets" / "here.txt").read_text().strip() == str(ws / "secrets")
    assert (ws / "where.txt").read_text().strip() == str(ws)


def test_a_deny_rule_holds_where_the_childs_shell_is(ws: Path) -> None:
    model = scripted([TASK], [bash("cd secrets"), bash("echo leaked > out.txt")])
    result = run(
        "go",
        agent="lead",
        cwd=ws,
        model=model,
        permission_mode="bypassPermissions",
        disallowed_tools=["Edit(secrets/**)"],
    )
    assert result.subtype == "success", result.result
    assert not (ws / "secrets" / "out.txt").exists()
    assert not (ws / "out.txt").exists()

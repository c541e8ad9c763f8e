"""Ctrl-C that reaches a subagent's own loop first stops the whole turn, not only the child."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from subagentkit import agent, task

from agentrun.core.types import ModelRequest
from agentrun.core.vocab import INTERRUPTED_STOP
from agentrun.models.function import FunctionModel
from agentrun.runner.api import run


def test_ctrl_c_in_a_childs_loop_ends_the_parents_turn_too(
    tmp_path: Path, monkeypatch: Any
) -> None:
    ws = tmp_path / "ws"
    (ws / ".claude" / "agents").mkdir(parents=True)
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    agent(ws, "lead", None)
    agent(ws, "helper", None)
    lead_turns: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are helper."):
            raise KeyboardInterrupt  # the user's Ctrl-C, while the child waits on its model
        lead_turns.append(request)
        return {"tool_calls": [task("helper")]} if len(lead_turns) == 1 else "went on"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert (result.subtype, result.stop_reason) == ("error_during_execution", INTERRUPTED_STOP)
    assert len(lead_turns) == 1  # the lead was not asked again

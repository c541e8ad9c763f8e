"""The run's max_budget_usd holds inside a Task child, turn by turn, not only once it returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from subagentkit import agent

from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import run
from wskit import agents_ws

DOLLAR = {"input_tokens": 0, "output_tokens": 100_000}  # $1.00 at the sonnet alias's price
FREE = {"input_tokens": 0, "output_tokens": 0}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = agents_ws(tmp_path, monkeypatch, {"a.txt": "a\n"})
    agent(work, "lead", "Task, Read", "L.")
    agent(work, "spender", "Read", "S.")
    return work


def read_turn(usage: dict[str, int]) -> dict[str, Any]:
    return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}], "usage": usage}


def test_a_child_stops_at_the_runs_budget(ws: Path) -> None:
    task = {"description": "spend", "prompt": "spend", "subagent_type": "spender"}
    model = ScriptedModel.from_data(
        {
            "turns": [
                {"tool_calls": [{"name": "Task", "input": task}], "usage": DOLLAR},
                {"text": "never reached", "usage": FREE},
            ],
            "agents": {
                "spender": {
                    "turns": [
                        read_turn(DOLLAR),
                        read_turn(DOLLAR),
                        read_turn(DOLLAR),
                        {"text": "spent it all", "usage": DOLLAR},
                    ]
                }
            },
        }
    )
    # the lead spends $1, leaving $1.50: the child stops after its second $1 turn
    result = run("go", agent="lead", cwd=ws, model=model, max_budget_usd=2.5)
    assert result.subtype == "error_max_budget_usd"
    assert result.total_cost_usd == pytest.approx(3.0)
    assert result.num_turns == 1


def test_an_agent_defined_in_code_is_started_by_task(ws: Path) -> None:
    from agentrun.agentfile.agentfile import AgentSpec

    inline = AgentSpec("coder", "Writes code.", tools=("Read",), prompt="You code.")
    shadow = AgentSpec("spender", "Replaced.", tools=("Read",), prompt="Replaced spender.")
    tasks = [
        {"name": "Task", "input": {"description": d, "prompt": "p", "subagent_type": d}}
        for d in ("coder", "spender")
    ]
    model = ScriptedModel.from_data(
        {
            "turns": [
                {"tool_calls": tasks},
                {
                    "expect": [{"contains": "coded"}, {"contains": "replaced"}],
                    "text": "ok",
                },
            ],
            "agents": {
                "coder": {"turns": [{"text": "coded"}]},
                "spender": {"turns": [{"text": "replaced"}]},
            },
        }
    )
    result = run("go", agent="lead", cwd=ws, model=model, agents=[inline, shadow])
    assert result.subtype == "success", result.result

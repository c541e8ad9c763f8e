"""The Task tool's spec is a contract like the other tools' (Claude Code's parameter names and
types), pinned byte for byte with a fixed agent list:

    AGENTRUN_UPDATE_SNAPSHOTS=1 python -m pytest tests/subagent/test_task_spec.py
"""

from __future__ import annotations

import os
from pathlib import Path

from agentrun.agentfile.agentfile import AgentSpec
from agentrun.subagent.spec import task_spec
from agentrun.tools.registry import specs_json

SNAPSHOT = Path(__file__).parent / "snapshots" / "task_spec.json"
AGENTS = [
    AgentSpec("reviewer", "Reviews diffs.\nUse it after a change.", tools=("Read", "Grep")),
    AgentSpec("helper", "Does anything.", tools=None),
]


def test_task_spec_matches_snapshot() -> None:
    actual = specs_json([task_spec("Task", AGENTS), task_spec("Agent", [])])
    if os.environ.get("AGENTRUN_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(actual)
    assert actual == SNAPSHOT.read_text()


def test_claude_codes_parameters() -> None:
    schema = task_spec("Task", AGENTS).input_schema
    assert schema["required"] == ["description", "prompt", "subagent_type"]
    assert {k: v["type"] for k, v in schema["properties"].items()} == {
        "description": "string",
        "prompt": "string",
        "subagent_type": "string",
        "model": "string",
        "run_in_background": "boolean",
    }
    assert schema["properties"]["model"]["enum"] == ["sonnet", "opus", "haiku"]
    description = task_spec("Task", AGENTS).description
    # one line per agent, sorted, its description on one line
    assert "- helper: Does anything. (Tools: All tools)\n- reviewer: Reviews diffs. Use it" in (
        description
    )

"""Programs written exactly as for ``claude_agent_sdk`` — only the import line says
``agentrun.sdk`` — run as they are, in their own process, against the fake Messages API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentrun.models.scripted import ScriptedModel
from agentrun.testing import FakeAnthropicServer

PROGRAMS = Path(__file__).parent / "programs"


def read(name: str) -> dict[str, Any]:
    return {"name": "Read", "input": {"file_path": name}}


CASES: dict[str, tuple[list[dict[str, Any]], list[str]]] = {
    "quick_start.py": (
        [
            {"text": "4"},
            {"tool_calls": [read("notes.txt")]},
            {"expect": [{"contains": "milk"}], "text": "It says: buy milk."},
        ],
        ["Claude: 4", "result: It says: buy milk. (2 turns, success)"],
    ),
    "conversation.py": (
        [
            {"tool_calls": [{"name": "Bash", "input": {"command": "rm -rf build"}}]},
            {"expect": [{"is_error": True, "contains": "dangerous command"}], "text": "Refused."},
            {
                "tool_calls": [
                    {"name": "Write", "input": {"file_path": ".env", "content": "KEY=1"}},
                    {"name": "Write", "input": {"file_path": "config.toml", "content": "a = 1"}},
                ]
            },
            {
                "expect": [{"is_error": True, "contains": "No writing .env"}, {"is_error": False}],
                "text": "Wrote the config.",
            },
        ],
        [
            "Claude: Refused.",
            "done: success, denials=1",
            "Claude: Wrote the config.",
            "done: success, denials=1",
        ],
    ),
    "agents_and_output.py": (
        [
            {
                "tool_calls": [
                    {
                        "name": "Task",
                        "input": {
                            "description": "review",
                            "prompt": "Review app.py",
                            "subagent_type": "code-reviewer",
                        },
                    }
                ]
            },
            {"tool_calls": [read("app.py")]},  # the subagent's turns
            {"expect": [{"contains": "def main"}], "text": "Clean code."},
            {"expect": [{"contains": "Clean code."}], "text": "Reviewed: clean."},
            {
                "tool_calls": [
                    {"name": "StructuredOutput", "input": {"functions": ["main", "helper"]}}
                ]
            },
            {"expect": [{"is_error": False}], "text": "Listed."},
        ],
        ["review: Reviewed: clean.", "structured: {'functions': ['main', 'helper']}"],
    ),
}


@pytest.mark.parametrize("program", sorted(CASES))
def test_a_claude_agent_sdk_program_runs_with_only_its_import_changed(
    program: str, tmp_path: Path
) -> None:
    source = (PROGRAMS / program).read_text()
    imports = re.findall(r"^(?:from|import) (\S+)", source, flags=re.M)
    assert "agentrun.sdk" in imports
    assert not [m for m in imports if m.startswith("agentrun") and m != "agentrun.sdk"]
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.txt").write_text("buy milk\n")
    (ws / "app.py").write_text(
        "def main():\n    return helper()\n\n\ndef helper():\n    return 1\n"
    )
    turns, expected = CASES[program]
    model = ScriptedModel.from_data({"turns": turns})
    env = {
        **os.environ,
        "HOME": str(tmp_path / "user"),
        "AGENTRUN_HOME": str(tmp_path / "home"),
    }
    with FakeAnthropicServer(model=model) as server:
        env.update(ANTHROPIC_BASE_URL=server.url, ANTHROPIC_API_KEY="sk-ant-test-000000000000")
        proc = subprocess.run(
            [sys.executable, str(PROGRAMS / program)],
            cwd=ws,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == expected, proc.stderr
    model.assert_complete()
    if program == "conversation.py":
        assert (ws / "safe" / "config.toml").read_text() == "a = 1"
        assert not (ws / ".env").exists() and (ws / "notes.txt").exists()

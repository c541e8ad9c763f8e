"""A jailed model that plants a memory-file link and then starts a subagent (whose system
prompt is built afresh, by the unconfined runtime) must not get host secrets into it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.runner.api import run

CANARY = "sk-ant-CANARY-memory-link-0123456789"


def test_a_planted_claude_md_link_does_not_reach_a_childs_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    agents = ws / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "lead.md").write_text("---\nname: lead\ndescription: d\ntools: Task, Bash\n---\nL.\n")
    (agents / "child.md").write_text("---\nname: child\ndescription: d\ntools: Read\n---\nC.\n")
    outside = tmp_path / "host-notes"
    outside.write_text("HOST-ONLY-NOTES")
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    systems: list[str] = []
    lead = iter(
        [
            {
                "tool_calls": [
                    {
                        "name": "Bash",
                        "input": {
                            "command": f"ln -s /proc/self/environ CLAUDE.md"
                            f" && ln -s {outside} AGENTS.md && echo planted"
                        },
                    }
                ]
            },
            {
                "tool_calls": [
                    {
                        "name": "Task",
                        "input": {"description": "c", "prompt": "go", "subagent_type": "child"},
                    }
                ]
            },
        ]
    )

    def answer(request: ModelRequest) -> Any:
        systems.append(request.system)
        if request.system.startswith("C."):
            return "child done"
        return next(lead, "done")

    result = run(
        "go",
        agent="lead",
        cwd=ws,
        model=FunctionModel(answer),
        permission_mode="bypassPermissions",
        strict=True,
    )
    assert result.subtype == "success", result.result
    assert (ws / "CLAUDE.md").is_symlink()  # the links were really planted
    child = [s for s in systems if s.startswith("C.")]
    assert child, systems
    for system in systems:
        assert CANARY not in system
        assert "HOST-ONLY-NOTES" not in system
        assert "ANTHROPIC" not in system

"""``skills:``: each skill's SKILL.md is in the agent's system prompt (never a file the sandbox
hides from the agent)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.runner.api import AgentSession, run

SKILL = "---\nname: lint-kit\ndescription: How this team lints.\n---\nAlways run ruff first.\n"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = Path.home() / "proj" / "ws"  # inside the (private) home, so parents are searched
    (work / ".claude" / "agents").mkdir(parents=True)
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "state"))
    return work


def agent(ws: Path, name: str, lines: str, tools: str = "Read") -> None:
    text = f"---\nname: {name}\ndescription: The {name}.\ntools: {tools}\n{lines}---\nBe {name}.\n"
    (ws / ".claude" / "agents" / f"{name}.md").write_text(text)


def skill(folder: Path, name: str, text: str = SKILL) -> Path:
    path = folder / ".claude" / "skills" / name / "SKILL.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def system_of(ws: Path, lead: str = "lead") -> tuple[str, list[str]]:
    seen: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        seen.append(request)
        return "done"

    with AgentSession(agent=lead, cwd=ws, model=FunctionModel(answer)) as session:
        warnings = session.warnings
        session.send("go")
    return seen[0].system, warnings


def test_a_workspace_skill_is_preloaded(ws: Path) -> None:
    skill(ws, "lint-kit")
    agent(ws, "lead", "skills: lint-kit\n")
    system, warnings = system_of(ws)
    assert warnings == []
    assert system.startswith("Be lead.")
    assert f'<skill name="lint-kit" path="{ws}/.claude/skills/lint-kit/SKILL.md">' in system
    assert "Description: How this team lints.\n\nAlways run ruff first.\n</skill>" in system
    assert "name: lint-kit" not in system  # the frontmatter is parsed, not pasted


def test_the_nearest_skill_wins_then_the_users(ws: Path) -> None:
    skill(ws.parent, "a", "From the parent.\n")
    skill(ws, "a", "From the workspace.\n")
    skill(ws.parent, "b", "B from the parent.\n")
    skill(Path.home(), "c", "C from the user.\n")
    agent(ws, "lead", "skills: [a, b, c]\n")
    system, _ = system_of(ws)
    assert "From the workspace." in system and "From the parent." not in system
    assert "B from the parent." in system and "C from the user." in system


def test_a_missing_skill_is_a_warning(ws: Path) -> None:
    agent(ws, "lead", "skills: nowhere\n")
    system, warnings = system_of(ws)
    assert "<skill" not in system
    assert warnings == [
        "agent 'lead': skill 'nowhere' not loaded: no .claude/skills/nowhere/SKILL.md here or "
        "in ~/.claude/skills/nowhere/"
    ]


def test_a_skill_linking_to_a_hidden_file_is_not_read(ws: Path) -> None:
    secret = Path.home() / ".aws" / "credentials"
    secret.parent.mkdir()
    secret.write_text("AKIA-SECRET\n")
    link = ws / ".claude" / "skills" / "evil" / "SKILL.md"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    folder = ws / ".claude" / "skills" / "evil2"
    folder.symlink_to(secret.parent)  # a skill folder that is the secret's folder
    (secret.parent / "SKILL.md").write_text("AKIA-IN-FOLDER\n")
    agent(ws, "lead", "skills: [evil, evil2]\n")
    system, warnings = system_of(ws)
    assert "AKIA" not in system
    assert len(warnings) == 2
    assert "evil' not loaded" in warnings[0] and "Too many levels of symbolic links" in warnings[0]
    assert "which the sandbox does not let the agent read" in warnings[1]


def test_a_subagent_gets_its_own_skills(ws: Path) -> None:
    skill(ws, "lint-kit")
    agent(ws, "lead", "", tools="Task")
    agent(ws, "linter", "skills: lint-kit\n")
    systems: list[str] = []

    def answer(request: ModelRequest) -> Any:
        systems.append(request.system)
        if request.system.startswith("Be lead.") and len(systems) == 1:
            task = {"description": "lint", "prompt": "lint it", "subagent_type": "linter"}
            return {"tool_calls": [{"name": "Task", "input": task}]}
        return "ok"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer))
    assert result.subtype == "success", result.result
    child = next(s for s in systems if s.startswith("Be linter."))
    assert "Always run ruff first." in child
    assert "<skill" not in systems[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root reads past file modes")
def test_a_skill_the_jail_could_not_read_for_its_mode_is_not_read(ws: Path) -> None:
    path = skill(ws, "theirs", SKILL.replace("ruff", "THEIR-PRIVATE-RULES"))
    os.chown(path, 1000, 1000)
    path.chmod(0o600)  # the jail's root, holding no capabilities, gets EACCES on it
    agent(ws, "lead", "skills: [theirs]\n")
    system, warnings = system_of(ws)
    assert "THEIR-PRIVATE-RULES" not in system
    assert "permissions do not let the agent read it" in warnings[0]

"""What the agent file's optional fields do to a session: maxTurns, permissionMode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentrun.core.events import Event, InitEvent
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import AgentSession, RunResult, run
from wskit import agents_ws


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return agents_ws(tmp_path, monkeypatch, {"a.txt": "hello\n"})


def agent(ws: Path, lines: str, name: str = "lead") -> None:
    text = f"---\nname: {name}\ndescription: The {name}.\ntools: Read, Write\n{lines}---\nGo.\n"
    (ws / ".claude" / "agents" / f"{name}.md").write_text(text)


READ_THEN_DONE = {
    "turns": [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "done"},
    ]
}
WRITE_THEN_DONE = {
    "turns": [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "new.txt", "content": "x"}}]},
        {"text": "done"},
    ]
}


def go(ws: Path, script: dict[str, Any], **options: Any) -> tuple[RunResult, list[Event]]:
    events: list[Event] = []
    model = ScriptedModel.from_data(script)
    result = run("go", agent="lead", cwd=ws, model=model, on_event=events.append, **options)
    return result, events


def test_max_turns_of_the_file_ends_the_run(ws: Path) -> None:
    agent(ws, "maxTurns: 1\n")
    result, _ = go(ws, READ_THEN_DONE)
    assert (result.subtype, result.num_turns) == ("error_max_turns", 1)


def test_the_max_turns_option_beats_the_file(ws: Path) -> None:
    agent(ws, "maxTurns: 1\n")
    result, _ = go(ws, READ_THEN_DONE, max_turns=5)
    assert (result.subtype, result.result) == ("success", "done")


def test_permission_mode_of_the_file_applies_without_a_flag(ws: Path) -> None:
    agent(ws, "permissionMode: plan\n")
    result, events = go(ws, WRITE_THEN_DONE, permission_mode=None)
    init = next(e for e in events if isinstance(e, InitEvent))
    assert init.permission_mode == "plan"
    assert [d["tool_name"] for d in result.permission_denials] == ["Write"]
    assert not (ws / "new.txt").exists()


def test_accept_edits_from_the_file_writes_without_asking(ws: Path) -> None:
    agent(ws, "permissionMode: acceptEdits\n")
    result, _ = go(ws, WRITE_THEN_DONE, permission_mode=None)
    assert result.permission_denials == ()
    assert (ws / "new.txt").read_text() == "x"


def test_the_flag_beats_the_files_mode(ws: Path) -> None:
    agent(ws, "permissionMode: plan\n")
    result, _ = go(ws, WRITE_THEN_DONE, permission_mode="acceptEdits")
    assert result.permission_denials == ()
    assert (ws / "new.txt").read_text() == "x"


def test_a_workspace_file_cannot_turn_on_bypass_permissions(ws: Path) -> None:
    agent(ws, "permissionMode: bypassPermissions\n")
    with AgentSession(
        agent="lead", cwd=ws, model=ScriptedModel.from_data(WRITE_THEN_DONE), permission_mode=None
    ) as session:
        assert any("bypassPermissions is ignored" in w for w in session.warnings)
        result = session.send("go")
    assert [d["tool_name"] for d in result.permission_denials] == ["Write"]
    assert not (ws / "new.txt").exists()


def test_a_user_agent_file_may_turn_on_bypass_permissions(ws: Path) -> None:
    home = Path.home()
    (home / ".claude" / "agents").mkdir(parents=True, exist_ok=True)
    (ws / ".claude" / "agents").rmdir()
    agent_dir = home / ".claude" / "agents"
    (agent_dir / "lead.md").write_text(
        "---\nname: lead\ndescription: d\ntools: Read, Write\n"
        "permissionMode: bypassPermissions\n---\nGo.\n"
    )
    result, _ = go(ws, WRITE_THEN_DONE, permission_mode=None)
    assert result.permission_denials == ()
    assert (ws / "new.txt").read_text() == "x"

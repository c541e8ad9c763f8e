"""``memory:``: a directory the agent keeps notes in, writable by Write/Edit and jailed Bash
although the rest of ``.claude`` stays protected; MEMORY.md's start is in its prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.runner.api import AgentSession


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "ws"
    (work / ".claude" / "agents").mkdir(parents=True)
    (work / ".claude" / "settings.json").write_text("{}\n")
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "state"))
    return work


def agent(ws: Path, lines: str, tools: str = "Bash") -> None:
    text = f"---\nname: lead\ndescription: The lead.\ntools: {tools}\n{lines}---\nBe lead.\n"
    (ws / ".claude" / "agents" / "lead.md").write_text(text)


def session(
    ws: Path, calls: list[dict[str, Any]], **options: Any
) -> tuple[list[ModelRequest], list[str]]:
    """Run the calls in one turn (then "done"); the requests the model saw and the warnings."""
    seen: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        seen.append(request)
        return {"tool_calls": calls} if len(seen) == 1 and calls else "done"

    options.setdefault("permission_mode", "default")
    with AgentSession(agent="lead", cwd=ws, model=FunctionModel(answer), **options) as s:
        warnings = s.warnings
        s.send("go")
    return seen, warnings


def bash(command: str) -> dict[str, Any]:
    return {"name": "Bash", "input": {"command": command}}


def write(path: str, content: str = "note\n") -> dict[str, Any]:
    return {"name": "Write", "input": {"file_path": path, "content": content}}


def outcomes(seen: list[ModelRequest]) -> list[tuple[bool, str]]:
    """The tool results (denied calls too) the model got back after its first turn."""
    blocks = seen[1].messages[-1]["content"]
    return [(bool(b.get("is_error")), str(b["content"])[:300]) for b in blocks]


def test_project_memory_is_loaded_and_writable_and_nothing_else_in_claude(ws: Path) -> None:
    memory = ws / ".claude" / "agent-memory" / "lead"
    memory.mkdir(parents=True)
    lines = [f"line {n}" for n in range(1, 251)]
    (memory / "MEMORY.md").write_text("Use tabs.\n" + "\n".join(lines) + "\n")
    agent(ws, "memory: project\n")
    seen, warnings = session(
        ws,
        [
            write(f"{memory}/topic.md"),
            write(str(ws / ".claude" / "settings.json"), '{"hooks": {}}'),
            write(str(ws / ".claude" / "agent-memory" / "other" / "x.md")),
        ],
    )
    assert warnings == []
    system = seen[0].system
    assert f"persistent memory directory at {memory}" in system
    assert "Use tabs.\nline 1\n" in system and "line 199\n" in system and "line 200" not in system
    assert "MEMORY.md has 251 lines" in system
    # memory brings Read, Write and Edit along with the file's Bash
    assert [t.name for t in seen[0].tools] == ["Bash", "Read", "Write", "Edit"]
    assert (memory / "topic.md").read_text() == "note\n"
    assert [error for error, _ in outcomes(seen)] == [False, True, True]
    assert (ws / ".claude" / "settings.json").read_text() == "{}\n"


def test_jailed_bash_writes_memory_but_not_settings_hooks_or_agents(ws: Path) -> None:
    agent(ws, "memory: local\n")
    memory = ws / ".claude" / "agent-memory-local" / "lead"
    seen, warnings = session(
        ws,
        [
            bash("echo remembered >> .claude/agent-memory-local/lead/MEMORY.md && echo ok"),
            bash("echo '{}' > .claude/settings.local.json"),
            bash("mkdir -p .claude/hooks && echo x > .claude/hooks/h.sh"),
            bash("echo x > .claude/agents/evil.md"),
            bash(
                "ln -s ../../settings.json .claude/agent-memory-local/lead/s && echo 1 > "
                ".claude/agent-memory-local/lead/s"
            ),
            bash("mv .claude/agent-memory-local/lead .claude/agent-memory-local/moved"),
            bash("cp .claude/agent-memory-local/lead/MEMORY.md .claude/settings.json"),
        ],
        permission_mode="bypassPermissions",  # the jail alone holds here
    )
    assert warnings == []
    assert (memory / "MEMORY.md").read_text() == "remembered\n"
    assert [error for error, _ in outcomes(seen)] == [False, True, True, True, True, True, True]
    assert not (ws / ".claude" / "settings.local.json").exists()
    assert not (ws / ".claude" / "hooks").exists()
    assert not (ws / ".claude" / "agents" / "evil.md").exists()
    assert (ws / ".claude" / "settings.json").read_text() == "{}\n"
    assert memory.is_dir() and not memory.is_symlink()


def test_user_memory_is_a_root_of_its_own(ws: Path) -> None:
    # a user's own agent file: only those get user memory
    (Path.home() / ".claude" / "agents").mkdir(parents=True, exist_ok=True)
    text = "---\nname: lead\ndescription: The lead.\ntools: Bash\nmemory: user\n---\nBe lead.\n"
    (Path.home() / ".claude" / "agents" / "lead.md").write_text(text)
    memory = Path.home() / ".claude" / "agent-memory" / "lead"
    (Path.home() / ".claude" / "settings.json").parent.mkdir(parents=True, exist_ok=True)
    (Path.home() / ".claude" / "settings.json").write_text("{}\n")
    seen, _ = session(
        ws,
        [
            bash(f"echo hi > {memory}/MEMORY.md && cat {memory}/MEMORY.md"),
            bash(f"cat {Path.home()}/.claude/settings.json"),
            bash(f"echo x > {Path.home()}/.claude/settings.json"),
        ],
        permission_mode="bypassPermissions",
    )
    assert outcomes(seen)[0] == (False, "hi")
    assert (memory / "MEMORY.md").read_text() == "hi\n"
    assert [error for error, _ in outcomes(seen)] == [False, True, True]
    assert (Path.home() / ".claude" / "settings.json").read_text() == "{}\n"


@pytest.mark.parametrize(
    "plant",
    ["memory-dir-symlink", "memory-parent-symlink", "memory-dir-is-a-file"],
)
def test_a_planted_symlink_never_becomes_a_writable_root(ws: Path, plant: str) -> None:
    claude = ws / ".claude"
    if plant == "memory-dir-symlink":
        (claude / "agent-memory").mkdir()
        (claude / "agent-memory" / "lead").symlink_to(claude)
    elif plant == "memory-parent-symlink":
        (claude / "agent-memory").symlink_to(claude / "agents")
    else:
        (claude / "agent-memory").mkdir()
        (claude / "agent-memory" / "lead").write_text("x")
    agent(ws, "memory: project\n")
    target = claude / "agent-memory" / "lead" / "settings.json"
    seen, warnings = session(
        ws,
        [write(str(target)), bash("echo 1 > .claude/agent-memory/lead/settings.json")],
        permission_mode="acceptEdits",
    )
    assert len(warnings) == 1 and "memory (project) not used" in warnings[0], warnings
    assert "is not a plain directory" in warnings[0]
    assert "persistent memory directory" not in seen[0].system
    assert [error for error, _ in outcomes(seen)] == [True, True]
    assert (claude / "settings.json").read_text() == "{}\n"
    assert not (claude / "agents" / "lead" / "settings.json").exists()
    assert not (claude / "agents" / "settings.json").exists()


def test_memory_md_linking_elsewhere_is_not_read(ws: Path) -> None:
    secret = Path.home() / "secret.txt"
    secret.write_text("TOPSECRET\n")
    memory = ws / ".claude" / "agent-memory" / "lead"
    memory.mkdir(parents=True)
    (memory / "MEMORY.md").symlink_to(secret)
    agent(ws, "memory: project\n")
    seen, _ = session(ws, [])
    assert "TOPSECRET" not in seen[0].system
    assert "MEMORY.md was not read" in seen[0].system


def test_an_agent_name_that_is_not_a_plain_component_gets_no_memory(ws: Path) -> None:
    text = "---\nname: ..\ndescription: d\ntools: Read\nmemory: project\n---\nBe.\n"
    path = ws / "dots.md"
    path.write_text(text)
    with AgentSession(agent=str(path), cwd=ws, model=FunctionModel(lambda r: "done")) as s:
        assert any("cannot name a directory" in w for w in s.warnings)
    assert not (ws / ".claude" / "agent-memory").exists()


def test_write_through_a_symlink_in_memory_does_not_reach_settings(ws: Path) -> None:
    agent(ws, "memory: project\n")
    memory = ws / ".claude" / "agent-memory" / "lead"
    link = f"{memory}/s.json"
    seen, _ = session(
        ws,
        [
            bash(f"ln -s ../../settings.json {link} && echo linked"),
            {"name": "Read", "input": {"file_path": link}},
            write(link, '{"hooks": {"Stop": []}}'),
        ],
        permission_mode="bypassPermissions",
    )
    assert [error for error, _ in outcomes(seen)] == [False, False, True], outcomes(seen)
    assert (ws / ".claude" / "settings.json").read_text() == "{}\n"


def test_a_read_only_session_creates_no_memory_directory(ws: Path) -> None:
    agent(ws, "memory: project\n")
    _, warnings = session(ws, [], sandbox="read-only")
    assert not (ws / ".claude" / "agent-memory").exists()
    assert "memory (project) not used" in warnings[0]


def test_an_agent_name_cannot_inject_permission_rules(ws: Path) -> None:
    # as rule text, this name made `Bash` and `Edit(.claude/**)` allow rules
    name = "x),Bash,Edit(.claude"
    path = ws / "evil.md"
    path.write_text(f'---\nname: "{name}"\ndescription: d\nmemory: project\n---\nBe.\n')
    seen: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        seen.append(request)
        calls = [bash("echo ran > ran.txt"), write(str(ws / ".claude" / "settings.json"), "{}")]
        return {"tool_calls": calls} if len(seen) == 1 else "done"

    model = FunctionModel(answer)
    with AgentSession(agent=str(path), cwd=ws, model=model, permission_mode="dontAsk") as s:
        assert any("cannot name a directory" in w for w in s.warnings), s.warnings
        s.send("go")
    assert [error for error, _ in outcomes(seen)] == [True, True]
    assert not (ws / "ran.txt").exists()
    assert (ws / ".claude" / "settings.json").read_text() == "{}\n"
    assert not (ws / ".claude" / "agent-memory").exists()


def test_memory_works_in_a_project_path_with_rule_punctuation(tmp_path: Path) -> None:
    work = tmp_path / "p),Bash,Edit(q x" / "ws"
    (work / ".claude" / "agents").mkdir(parents=True)
    (work / ".claude" / "settings.json").write_text("{}\n")
    agent(work, "memory: project\n")
    memory = work / ".claude" / "agent-memory" / "lead"
    seen, warnings = session(
        work,
        [write(f"{memory}/MEMORY.md"), bash("echo ran > ran.txt")],
        permission_mode="dontAsk",
    )
    assert warnings == []
    assert [error for error, _ in outcomes(seen)] == [False, True]
    assert (memory / "MEMORY.md").read_text() == "note\n"
    assert not (work / "ran.txt").exists()


def test_a_workspace_agent_gets_project_memory_not_user_memory(ws: Path) -> None:
    agent(ws, "memory: user\n")
    home_memory = Path.home() / ".claude" / "agent-memory" / "lead"
    memory = ws / ".claude" / "agent-memory" / "lead"
    seen, warnings = session(
        ws,
        [write(f"{home_memory}/MEMORY.md"), write(f"{memory}/MEMORY.md")],
        permission_mode="dontAsk",
    )
    assert len(warnings) == 1 and "memory (user) is only for agents in" in warnings[0]
    assert f"persistent memory directory at {memory}" in seen[0].system
    assert [error for error, _ in outcomes(seen)] == [True, False]
    assert not home_memory.exists()
    assert (memory / "MEMORY.md").read_text() == "note\n"


def test_a_subagents_memory_is_made_only_when_it_runs(ws: Path) -> None:
    from agentrun.models.scripted import ScriptedModel

    agent(ws, "", tools="Task, Read, Write")  # a subagent has only what its parent has
    helper = "---\nname: helper\ndescription: d\ntools: Read\nmemory: project\n---\nHelp.\n"
    (ws / ".claude" / "agents" / "helper.md").write_text(helper)
    memory = ws / ".claude" / "agent-memory" / "helper"
    idle = ScriptedModel.from_data({"turns": [{"text": "done"}]})
    with AgentSession(agent="lead", cwd=ws, model=idle, permission_mode="dontAsk") as s:
        s.send("go")
    assert not (ws / ".claude" / "agent-memory").exists()  # it could have run, but did not

    task = {"description": "x", "prompt": "x", "subagent_type": "helper"}
    note = {"file_path": str(memory / "MEMORY.md"), "content": "kept\n"}
    model = ScriptedModel.from_data(
        {
            "turns": [{"tool_calls": [{"name": "Task", "input": task}]}, {"text": "done"}],
            "agents": {
                "helper": {
                    "turns": [
                        {"tool_calls": [{"name": "Write", "input": note}]},
                        {"expect": [{"is_error": False}], "text": "noted"},
                    ]
                }
            },
        }
    )
    with AgentSession(agent="lead", cwd=ws, model=model, permission_mode="dontAsk") as s:
        assert s.send("go").subtype == "success"
    assert (memory / "MEMORY.md").read_text() == "kept\n"

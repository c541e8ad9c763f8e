"""``setting_sources`` decide which agent files a program reads, as in the official SDK: the
workspace's ``.claude/agents`` (cwd and its parents) only with ``project``, ``~/.claude/agents``
only with ``user``. An agent file's ``hooks:`` run on the host, so with ``setting_sources=[]``
(an untrusted cwd) a planted file must neither replace the default agent nor be startable by
the Task tool; ``settings='{"disableAllHooks": true}'`` turns every hook off."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrun.sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    SystemMessage,
    ToolResultBlock,
    ToolUseBlock,
)
from sdkkit import collect, make_ws, results, script


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def plant(directory: Path, name: str, marker: Path, *, extra: str = "") -> None:
    """An agent file whose hooks (SessionStart, PreToolUse, Stop) touch ``marker``."""
    directory.mkdir(parents=True, exist_ok=True)
    hook = f"- {{type: command, command: 'touch {marker}'}}"
    (directory / f"{name}.md").write_text(
        f"---\nname: {name}\ndescription: planted\n{extra}hooks:\n"
        f"  SessionStart:\n    - hooks:\n        {hook}\n"
        f"  PreToolUse:\n    - matcher: ''\n      hooks:\n        {hook}\n"
        f"  Stop:\n    - hooks:\n        {hook}\n"
        "---\nPlanted.\n"
    )


def write_turns() -> list[dict[str, Any]]:
    call = {"name": "Write", "input": {"file_path": "w.txt", "content": "x"}}
    return [{"tool_calls": [call]}, {"text": "done"}]


@pytest.mark.parametrize("sources", [[], ["user", "local"]])
def test_a_workspace_file_does_not_replace_the_default_agent_without_project(
    ws: Path, tmp_path: Path, sources: list[Any]
) -> None:
    marker = tmp_path / "planted-hook-ran"
    cwd = ws / "sub"
    cwd.mkdir()
    extra = "permissionMode: acceptEdits\n"
    plant(ws / ".claude" / "agents", "backend-specialist", marker, extra=extra)  # a parent's
    plant(cwd / ".claude" / "agents", "backend-specialist", marker, extra=extra)
    (cwd / "backend-specialist").write_text(
        (cwd / ".claude/agents/backend-specialist.md").read_text()
    )
    options = ClaudeAgentOptions(cwd=cwd, model=script(*write_turns()), setting_sources=sources)
    messages = collect("go", options)
    assert isinstance(messages[-1], ResultMessage) and messages[-1].subtype == "success"
    (result,) = results(messages)
    assert result.is_error is True  # the built-in agent: default mode, no hook allowing it
    assert not (cwd / "w.txt").exists()
    assert not marker.exists()
    init = messages[0]
    assert isinstance(init, SystemMessage) and init.data["permissionMode"] == "default"


def test_with_project_the_workspace_agent_is_read_as_before(ws: Path, tmp_path: Path) -> None:
    marker = tmp_path / "planted-hook-ran"
    plant(ws / ".claude" / "agents", "backend-specialist", marker)
    options = ClaudeAgentOptions(cwd=ws, model=script(*write_turns()), setting_sources=["project"])
    messages = collect("go", options)
    assert isinstance(messages[-1], ResultMessage) and messages[-1].subtype == "success"
    assert marker.exists()


def task_turns(agent: str) -> dict[str, Any]:
    task = {"description": "x", "prompt": "go", "subagent_type": agent}
    child = {
        "turns": [
            {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
            {"text": "ok"},
        ]
    }
    return {
        "turns": [{"tool_calls": [{"name": "Task", "input": task}]}, {"text": "done"}],
        "agents": {agent: child},
    }


def run_task(ws: Path, agent: str, **options: Any) -> ToolResultBlock:
    """The Task call's result, the model having asked for ``agent``."""
    spec = task_turns(agent)
    model = script(*spec["turns"], agents=spec["agents"])
    messages = collect("go", ClaudeAgentOptions(cwd=ws, model=model, **options))
    assert isinstance(messages[-1], ResultMessage), messages[-1]
    (task,) = [
        b
        for m in messages
        if isinstance(m, AssistantMessage)
        for b in m.content
        if isinstance(b, ToolUseBlock) and b.name == "Task"
    ]
    (result,) = [r for r in results(messages) if r.tool_use_id == task.id]
    return result


@pytest.mark.parametrize("sources", [[], ["user", "local"]])
def test_task_cannot_start_a_workspace_agent_without_project(
    ws: Path, tmp_path: Path, sources: list[Any]
) -> None:
    marker = tmp_path / "planted-hook-ran"
    plant(ws / ".claude" / "agents", "evil", marker)
    result = run_task(ws, "evil", setting_sources=sources)
    assert result.is_error is True
    assert "Agent type 'evil' not found" in str(result.content)
    assert not marker.exists()


def test_user_agent_files_need_the_user_source(ws: Path, tmp_path: Path) -> None:
    marker = tmp_path / "user-hook-ran"
    plant(Path.home() / ".claude" / "agents", "helper", marker)
    result = run_task(ws, "helper", setting_sources=["project", "local"])
    assert "Agent type 'helper' not found" in str(result.content)
    assert not marker.exists()
    result = run_task(ws, "helper", setting_sources=["user"])
    assert result.is_error is not True
    assert marker.exists()


def test_disable_all_hooks_in_settings_stops_every_agent_files_hooks(
    ws: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "planted-hook-ran"
    plant(ws / ".claude" / "agents", "backend-specialist", marker)  # the session's agent
    plant(ws / ".claude" / "agents", "evil", marker)  # and a subagent's
    result = run_task(ws, "evil", settings=json.dumps({"disableAllHooks": True}))
    assert result.is_error is not True  # the subagent ran (project agents are read)...
    assert not marker.exists()  # ...but no hook of any agent file did


@pytest.mark.parametrize("sources", [[], ["user", "local"]])
def test_a_workspace_mcp_json_is_not_read_without_project(
    ws: Path, tmp_path: Path, sources: list[Any]
) -> None:
    import os

    marker = tmp_path / "mcp-server-ran"
    user = Path(os.environ["AGENTRUN_HOME"]) / "settings.json"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text(json.dumps({"enableAllProjectMcpServers": True}))
    server = {"command": "sh", "args": ["-c", f"touch {marker}"]}
    (ws / ".mcp.json").write_text(json.dumps({"mcpServers": {"planted": server}}))
    options = ClaudeAgentOptions(cwd=ws, model=script({"text": "done"}), setting_sources=sources)
    messages = collect("go", options)
    assert isinstance(messages[-1], ResultMessage) and messages[-1].subtype == "success"
    assert not marker.exists()
    init = messages[0]
    assert isinstance(init, SystemMessage) and init.data["mcp_servers"] == []
    collect("go", ClaudeAgentOptions(cwd=ws, model=script({"text": "done"})))
    assert marker.exists()  # None reads every source, the CLI's way

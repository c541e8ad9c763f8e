"""run_agent as a test suite uses it: whose agent runs, in what order the calls come back, and
what a Ctrl-C does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrun.core.events import InitEvent
from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.testing import run_agent, tool_outcomes

pytest_plugins = ("pytester",)

AGENT = "---\nname: {name}\ndescription: d\ntools: {tools}\n---\nYou are {name}.\n"


def _agent_of(result: Any) -> tuple[str, tuple[str, ...]]:
    [init] = [e for e in result.events if isinstance(e, InitEvent)]
    return init.agent, init.tools


def _done(request: ModelRequest) -> dict[str, Any]:
    return {"text": "done"}


def test_agents_come_from_the_project_not_the_temporary_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agentrun_home: Path
) -> None:
    project, workspace = tmp_path / "project", tmp_path / "ws"
    (project / ".claude" / "agents").mkdir(parents=True)
    (project / "agents").mkdir()
    workspace.mkdir()
    (project / ".claude" / "agents" / "mine.md").write_text(AGENT.format(name="mine", tools="Read"))
    (project / "agents" / "file.md").write_text(AGENT.format(name="by-path", tools="Grep"))
    monkeypatch.chdir(project)  # where pytest runs
    by_name = run_agent("x", model=FunctionModel(_done), cwd=workspace, agent="mine")
    assert _agent_of(by_name) == ("mine", ("Read",))
    by_path = run_agent("x", model=FunctionModel(_done), cwd=workspace, agent="agents/file.md")
    assert _agent_of(by_path) == ("by-path", ("Grep",))
    # an agent shipped inside the workspace (copied in with the code) is found there
    (workspace / ".claude" / "agents").mkdir(parents=True)
    (workspace / ".claude" / "agents" / "local.md").write_text(
        AGENT.format(name="local", tools="Glob")
    )
    local = run_agent("x", model=FunctionModel(_done), cwd=workspace, agent="local")
    assert _agent_of(local) == ("local", ("Glob",))


def test_the_workspaces_own_file_beats_the_builtin_and_home_stays_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agentrun_workspace: Path
) -> None:
    home = tmp_path / "home"
    project = home / "code" / "project"  # the usual place: somewhere under the home directory
    (home / ".claude" / "agents").mkdir(parents=True)
    project.mkdir(parents=True)
    personal = AGENT.format(name="backend-specialist", tools="Read")
    (home / ".claude" / "agents" / "backend-specialist.md").write_text(personal)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    isolated = run_agent("x", model=FunctionModel(_done), cwd=agentrun_workspace, isolate_home=True)
    assert _agent_of(isolated)[1] == ("Read", "Write", "Edit", "Bash", "Glob", "Grep")  # built-in
    (agentrun_workspace / ".claude" / "agents").mkdir(parents=True)
    shipped = AGENT.format(name="backend-specialist", tools="Glob")
    (agentrun_workspace / ".claude" / "agents" / "backend-specialist.md").write_text(shipped)
    nearer = run_agent("x", model=FunctionModel(_done), cwd=agentrun_workspace, isolate_home=True)
    assert _agent_of(nearer) == ("backend-specialist", ("Glob",))


def test_the_fixture_keeps_a_machines_own_agents_out(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = pytester.path / "home"
    (home / ".claude" / "agents").mkdir(parents=True)
    personal = AGENT.format(name="backend-specialist", tools="Read")
    (home / ".claude" / "agents" / "backend-specialist.md").write_text(personal)
    monkeypatch.setenv("HOME", str(home))
    pytester.makepyfile(
        """
        from agentrun.core.events import InitEvent
        from agentrun.models.function import FunctionModel

        def test_builtin(run_agent):
            result = run_agent("x", model=FunctionModel(lambda r: {"text": "ok"}))
            [init] = [e for e in result.events if isinstance(e, InitEvent)]
            assert init.tools == ("Read", "Write", "Edit", "Bash", "Glob", "Grep")
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_tool_calls_come_back_in_the_order_the_model_made_them(agentrun_workspace: Path) -> None:
    for i in range(8):
        (agentrun_workspace / f"f{i}.txt").write_text("needle\n" * (1 + 2000 * (i % 3)))
    patterns = [f"needle{'' if i % 2 else '$'}" for i in range(8)]
    calls = [
        {"name": "Grep", "input": {"pattern": p, "path": f"f{i}.txt", "output_mode": "count"}}
        for i, p in enumerate(patterns)
    ]
    for _ in range(3):
        answers = iter([{"tool_calls": calls}, {"text": "done"}])
        model = FunctionModel(lambda r, answers=answers: next(answers))
        result = run_agent("x", model=model, cwd=agentrun_workspace)
        assert [c.input["path"] for c, _ in result.tool_calls] == [f"f{i}.txt" for i in range(8)]
        assert [o.call.input["path"] for o in tool_outcomes(result)] == [
            f"f{i}.txt" for i in range(8)
        ]


def test_a_ctrl_c_during_a_run_stops_the_test_session(agentrun_workspace: Path) -> None:
    import os
    import signal

    def pressed(request: ModelRequest) -> dict[str, Any]:
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, as the terminal sends it
        return {"text": "never seen"}

    with pytest.raises(KeyboardInterrupt):
        run_agent("x", model=FunctionModel(pressed), cwd=agentrun_workspace)


def test_a_model_raising_keyboardinterrupt_on_purpose_is_a_result(agentrun_workspace: Path) -> None:
    def interrupted(request: ModelRequest) -> dict[str, Any]:
        raise KeyboardInterrupt  # a test of how a run ends when the user interrupts it

    result = run_agent("x", model=FunctionModel(interrupted), cwd=agentrun_workspace)
    assert (result.subtype, result.stop_reason) == ("error_during_execution", "interrupted")


def test_a_script_file_path_is_from_the_project_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agentrun_workspace: Path
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "s.json").write_text(json.dumps({"turns": [{"text": "scripted"}]}))
    monkeypatch.chdir(tmp_path)
    result = run_agent("x", model="script:tests/s.json", cwd=agentrun_workspace)
    assert result.result == "scripted"

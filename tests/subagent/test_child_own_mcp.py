"""A subagent's own ``mcpServers:``: names of the session's servers (shared, no new process),
inline servers started for the child alone and stopped when it ends, consent for a
workspace agent's servers as for ``.mcp.json``, and failures that leave the child running."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from subagentkit import SERVER, agent, gone, make_ws, results_of, task

from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.runner.api import RunResult, run


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def server(pids: Path, *, marker: Path | None = None) -> dict[str, Any]:
    """The test server's definition; it adds its pid to ``pids`` (and first touches
    ``marker``: proof that the command ran)."""
    if marker is None:
        return {"command": sys.executable, "args": [str(SERVER), str(pids)]}
    line = f'touch "{marker}"; exec "{sys.executable}" "{SERVER}" "{pids}"'
    return {"command": "/bin/sh", "args": ["-c", line]}


def servers_field(entries: list[Any]) -> str:
    """An ``mcpServers:`` value in block YAML (each entry as JSON, which YAML reads)."""
    return "".join(f"\n  - {json.dumps(e)}" for e in entries)


def user_settings(ws: Path, settings: dict[str, Any]) -> None:
    path = Path(os.environ["AGENTRUN_HOME"]) / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings))


def told(request: ModelRequest) -> str:
    """The text of the last tool result the child was given ("ERROR: ..." when an error)."""
    [block] = request.messages[-1]["content"]
    content = block["content"]
    text = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
    return f"ERROR: {text}" if block.get("is_error") else text


def calling(tool: str, **args: Any) -> Callable[[ModelRequest], Any]:
    """A child that calls ``tool`` once and answers with what it was told."""

    def answer(request: ModelRequest) -> Any:
        if len(request.messages) == 1:
            return {"tool_calls": [{"name": tool, "input": args}]}
        return told(request)

    return answer


def lead(
    children: dict[str, Callable[[ModelRequest], Any]],
    then: Callable[[], None] = lambda: None,
) -> FunctionModel:
    """A lead starting each of ``children`` (all in one turn), then calling ``then`` before it
    answers "done"; each child answers by its function."""

    def answer(request: ModelRequest) -> Any:
        for name, child in children.items():
            if request.system.startswith(f"You are {name}."):
                return child(request)
        if len(request.messages) == 1:
            return {"tool_calls": [task(name) for name in children]}
        then()
        return "done"

    return FunctionModel(answer)


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def go(ws: Path, model: FunctionModel, **options: Any) -> RunResult:
    result = run("go", agent="lead", cwd=ws, model=model, strict=True, **options)
    assert result.subtype == "success", result.result
    return result


def test_a_childs_inline_server_is_its_own_and_stops_when_the_child_ends(
    ws: Path, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field([{"mine": server(pids)}]))
    user_settings(ws, {"enabledMcpjsonServers": ["mine"]})  # a workspace agent's: consent
    seen_by_lead: list[list[int]] = []

    def after_the_child() -> None:  # the lead's next turn: the child's server is gone
        seen_by_lead.append([pid for pid in pids_in(pids) if not gone(pid)])

    model = lead({"helper": calling("mcp__mine__pid")}, then=after_the_child)
    result = go(ws, model, allowed_tools=["mcp__mine"])
    [pid] = pids_in(pids)
    assert results_of(result) == [(str(pid), False)]  # the child called its own server
    assert seen_by_lead == [[]]


def test_the_lead_is_not_offered_a_childs_server(ws: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field([{"mine": server(pids)}]))
    user_settings(ws, {"enableAllProjectMcpServers": True})
    offered: list[list[str]] = []

    def answer(request: ModelRequest) -> Any:
        offered.append([t.name for t in request.tools])
        return "nothing to do"

    go(ws, FunctionModel(answer), permission_mode="bypassPermissions")
    assert offered and not any(n.startswith("mcp__") for n in offered[0])
    assert pids_in(pids) == []  # and no child ran: nothing started


def test_two_parallel_children_each_get_their_own_server(ws: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    agent(ws, "lead", None)
    for name in ("one", "two"):
        agent(ws, name, None, mcpServers=servers_field([{"mine": server(pids)}]))
    user_settings(ws, {"enabledMcpjsonServers": ["mine"]})
    children = {"one": calling("mcp__mine__pid"), "two": calling("mcp__mine__pid")}
    result = go(ws, lead(children), permission_mode="bypassPermissions")
    started = pids_in(pids)
    assert len(set(started)) == 2
    answers = [text for text, error in results_of(result) if not error]
    assert sorted(answers) == sorted(str(pid) for pid in started)  # each its own
    assert all(gone(pid) for pid in started)


def test_a_child_naming_a_session_server_shares_its_process(ws: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field(["shared"]))
    config = {"mcpServers": {"shared": server(pids)}}
    model = lead({"helper": calling("mcp__shared__pid")})
    result = go(ws, model, mcp_config=[json.dumps(config)], allowed_tools=["mcp__shared"])
    [pid] = pids_in(pids)  # one process: the session's
    assert results_of(result) == [(str(pid), False)]


def test_a_name_the_session_did_not_configure_is_a_warning(ws: Path) -> None:
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field(["nowhere"]))
    result = go(ws, lead({"helper": lambda request: "ran anyway"}))
    [(text, error)] = results_of(result)
    assert not error and text.startswith("ran anyway")
    assert "names MCP server 'nowhere', which is not configured" in text


def test_a_name_strict_mcp_config_left_out_starts_nothing(ws: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    user_settings(ws, {"mcpServers": {"mine": server(pids)}})
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field(["mine"]))
    model = lead({"helper": calling("mcp__mine__pid")})
    result = go(ws, model, strict_mcp_config=True, permission_mode="bypassPermissions")
    [(text, _)] = results_of(result)
    assert "No tool named" in text and "which is not configured" in text
    assert pids_in(pids) == []


def test_a_workspace_childs_server_needs_consent_headless(ws: Path, tmp_path: Path) -> None:
    pids, marker = tmp_path / "pids", tmp_path / "ran"
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field([{"mine": server(pids, marker=marker)}]))
    model = lead({"helper": calling("mcp__mine__pid")})
    result = go(ws, model, permission_mode="bypassPermissions")
    [(text, _)] = results_of(result)
    assert text.startswith('ERROR: No tool named "mcp__mine__pid"'), text
    assert "'mine'" in text and "consent" in text
    assert not marker.exists() and pids_in(pids) == []
    # the user's own settings consent: it starts
    user_settings(ws, {"enabledMcpjsonServers": ["mine"]})
    result = go(
        ws, lead({"helper": calling("mcp__mine__pid")}), permission_mode="bypassPermissions"
    )
    assert marker.exists() and results_of(result) == [(str(pids_in(pids)[0]), False)]


def test_a_user_agents_server_needs_no_consent(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "user"
    (home / ".claude" / "agents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    pids = tmp_path / "pids"
    agent(ws, "lead", None)
    agent(home, "helper", None, mcpServers=servers_field([{"mine": server(pids)}]))
    model = lead({"helper": calling("mcp__mine__pid")})
    result = go(ws, model, permission_mode="bypassPermissions")
    [pid] = pids_in(pids)
    assert results_of(result) == [(str(pid), False)]


def test_a_server_that_fails_to_start_leaves_the_child_running(ws: Path, tmp_path: Path) -> None:
    agent(ws, "lead", None)
    broken = {"command": str(tmp_path / "no-such-command")}
    agent(ws, "helper", None, mcpServers=servers_field([{"broken": broken}]))
    user_settings(ws, {"enableAllProjectMcpServers": True})
    result = go(ws, lead({"helper": lambda request: "ran anyway"}))
    [(text, error)] = results_of(result)
    assert not error and text.startswith("ran anyway")
    assert "the helper agent's MCP server 'broken' failed:" in text
    transcript = Path(os.environ["AGENTRUN_HOME"]) / "sessions" / f"{result.session_id}.jsonl"
    entries = [json.loads(line) for line in transcript.read_text().splitlines()]
    [status] = [e["entry"] for e in entries if e.get("entry", {}).get("type") == "mcp_servers"]
    assert status["servers"] == [{"name": "broken", "status": "failed"}]


@pytest.mark.parametrize("name", ["a__b", "bad name"])
def test_a_malformed_server_name_is_a_warning_and_nothing_runs(
    ws: Path, tmp_path: Path, name: str
) -> None:
    pids, marker = tmp_path / "pids", tmp_path / "ran"
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field([{name: server(pids, marker=marker)}]))
    user_settings(ws, {"enableAllProjectMcpServers": True})
    result = go(ws, lead({"helper": lambda request: "ran anyway"}))
    [(text, error)] = results_of(result)
    assert not error and "was not started" in text
    assert not marker.exists()


def test_the_parents_narrower_tools_cap_a_childs_own_server(ws: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    agent(ws, "lead", "Task, Read")
    agent(ws, "helper", None, mcpServers=servers_field([{"mine": server(pids)}]))
    user_settings(ws, {"enableAllProjectMcpServers": True})
    model = lead({"helper": calling("mcp__mine__pid")})
    result = go(ws, model, permission_mode="bypassPermissions")
    [(text, _)] = results_of(result)
    assert text.startswith('ERROR: No tool named "mcp__mine__pid"'), text


def test_a_childs_deny_rule_holds_for_its_own_server(ws: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    agent(ws, "lead", None)
    agent(
        ws,
        "helper",
        None,
        mcpServers=servers_field([{"mine": server(pids)}]),
        disallowedTools="mcp__mine__pid",
    )
    user_settings(ws, {"enableAllProjectMcpServers": True})
    model = lead({"helper": calling("mcp__mine__pid")})
    result = go(ws, model, permission_mode="bypassPermissions")
    [(text, _)] = results_of(result)
    assert text.startswith('ERROR: No tool named "mcp__mine__pid"'), text


def test_a_childs_own_server_asks_by_default_so_print_mode_denies_it(
    ws: Path, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field([{"mine": server(pids)}]))
    user_settings(ws, {"enableAllProjectMcpServers": True})
    result = go(ws, lead({"helper": calling("mcp__mine__pid")}))
    [(text, _)] = results_of(result)
    assert text.startswith("ERROR:") and "needs approval" in text, text


def test_a_childs_end_leaves_the_sessions_servers_running(ws: Path, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "session-pids", tmp_path / "child-pids"
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=servers_field([{"mine": server(theirs)}]))
    user_settings(ws, {"enabledMcpjsonServers": ["mine"]})
    config = {"mcpServers": {"shared": server(ours)}}
    turns = 0

    def answer(request: ModelRequest) -> Any:
        nonlocal turns
        if request.system.startswith("You are helper."):
            return calling("mcp__mine__pid")(request)
        turns += 1
        if turns == 1:
            return {"tool_calls": [task("helper")]}
        if turns == 2:  # after the child ended: the session's server still answers
            return {"tool_calls": [{"name": "mcp__shared__pid", "input": {}}]}
        return "done"

    result = go(
        ws,
        FunctionModel(answer),
        mcp_config=[json.dumps(config)],
        allowed_tools=["mcp__mine", "mcp__shared"],
    )
    [session_pid], [child_pid] = pids_in(ours), pids_in(theirs)
    child_said, session_said = results_of(result)
    assert child_said == (str(child_pid), False)
    assert session_said == ([{"type": "text", "text": str(session_pid)}], False)
    assert gone(child_pid)

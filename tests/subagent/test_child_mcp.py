"""A subagent's MCP tools: the session's, cut by the child's ``tools:`` and deny rules and the
parent's own, calling the session's one server, decided by the child's gate (its parent's too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from subagentkit import agent, results_of, task

from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import RunResult, run
from agentrun.sdk.tools import create_sdk_mcp_server, tool
from wskit import agents_ws

ADDED: list[tuple[float, float]] = []


@tool("add", "Add two numbers", {"a": float, "b": float})
async def add(args: dict[str, Any]) -> dict[str, Any]:
    ADDED.append((args["a"], args["b"]))
    return {"content": [{"type": "text", "text": f"Sum: {args['a'] + args['b']}"}]}


@tool("echo", "Say it back", {"text": str})
async def echo(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": f"echo {args['text']}"}]}


@pytest.fixture(autouse=True)
def _fresh() -> None:
    ADDED.clear()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return agents_ws(tmp_path, monkeypatch)


ADD = {"name": "mcp__calc__add", "input": {"a": 2, "b": 3}}
ECHO = {"name": "mcp__calc__echo", "input": {"text": "hi"}}


def go(ws: Path, child: list[dict[str, Any]], **options: Any) -> RunResult:
    """The lead starts ``helper``, whose turns are ``child``; the lead answers with what the
    helper said."""
    data = {
        "turns": [{"tool_calls": [task("helper")]}, {"text": "done"}],
        "agents": {"helper": {"turns": child}},
    }
    server = create_sdk_mcp_server("calc", tools=[add, echo])
    return run(
        "go",
        agent="lead",
        cwd=ws,
        model=ScriptedModel.from_data(data),
        strict=True,
        mcp_config=[{"mcpServers": {"calc": server}}],
        **options,
    )


def go_and_hold(ws: Path, child: list[dict[str, Any]], **options: Any) -> None:
    """``go``, then the run succeeded and the child's own checks (its last turn's ``expect``)
    held: the lead's answer is the child's last text, not an error."""
    result = go(ws, child, **options)
    assert result.subtype == "success", result.result
    assert results_of(result) == [(child[-1]["text"], False)]


def test_a_child_with_tools_omitted_calls_the_sessions_mcp_tool(ws: Path) -> None:
    agent(ws, "lead", None)
    agent(ws, "helper", None)
    child = [
        {"tool_calls": [ADD]},
        {"text": "it is 5", "expect": [{"equals": "Sum: 5"}]},
    ]
    go_and_hold(ws, child, allowed_tools=["mcp__calc__add"])
    assert ADDED == [(2, 3)]  # the session's one in-process server ran it


def test_an_mcp_tool_asks_by_default_so_print_mode_denies_it_in_the_child(ws: Path) -> None:
    agent(ws, "lead", None)
    agent(ws, "helper", None)
    child = [
        {"tool_calls": [ADD]},
        {"text": "refused", "expect": [{"is_error": True, "contains": "needs approval"}]},
    ]
    go_and_hold(ws, child)
    assert ADDED == []


def test_a_child_whose_tools_leave_it_out_is_not_offered_it(ws: Path) -> None:
    agent(ws, "lead", None)
    agent(ws, "helper", "Read, mcp__calc__echo")
    child = [
        {"tool_calls": [ADD, ECHO]},
        {
            "text": "unknown",
            "expect": [{"is_error": True, "contains": "No tool named"}, {"equals": "echo hi"}],
        },
    ]
    go_and_hold(ws, child, permission_mode="bypassPermissions")
    assert ADDED == []


@pytest.mark.parametrize("entry", ["mcp__calc__add", "mcp__calc__*", "mcp__calc"])
def test_a_child_naming_a_server_or_tool_gets_it(ws: Path, entry: str) -> None:
    agent(ws, "lead", None)
    agent(ws, "helper", f"Read, {entry}")
    child = [{"tool_calls": [ADD]}, {"text": "5", "expect": [{"equals": "Sum: 5"}]}]
    go_and_hold(ws, child, permission_mode="bypassPermissions")
    assert ADDED == [(2, 3)]


def test_a_session_deny_rule_holds_in_the_child(ws: Path) -> None:
    agent(ws, "lead", None)
    agent(ws, "helper", None)
    child = [
        {"tool_calls": [ADD, ECHO]},
        {"text": "no", "expect": [{"is_error": True}, {"equals": "echo hi"}]},
    ]
    go_and_hold(
        ws,
        child,
        permission_mode="bypassPermissions",
        disallowed_tools=["mcp__calc__add"],
    )
    assert ADDED == []


def test_the_childs_own_deny_rule_holds(ws: Path) -> None:
    agent(ws, "lead", None)
    agent(ws, "helper", None, disallowedTools="mcp__calc__add")
    child = [
        {"tool_calls": [ADD, ECHO]},
        {"text": "no", "expect": [{"is_error": True}, {"equals": "echo hi"}]},
    ]
    go_and_hold(ws, child, permission_mode="bypassPermissions")
    assert ADDED == []


def test_the_parents_narrower_tools_cap_the_child(ws: Path) -> None:
    agent(ws, "lead", "Task, mcp__calc__echo")
    agent(ws, "helper", None)
    child = [
        {"tool_calls": [ADD, ECHO]},
        {"text": "capped", "expect": [{"is_error": True}, {"equals": "echo hi"}]},
    ]
    go_and_hold(ws, child, permission_mode="bypassPermissions")
    assert ADDED == []


def test_a_child_asking_for_bypass_still_meets_its_parents_gate(ws: Path) -> None:
    agent(ws, "lead", None)
    agent(ws, "helper", None, permissionMode="bypassPermissions")
    child = [
        {"tool_calls": [ADD]},
        {"text": "refused", "expect": [{"is_error": True, "contains": "needs approval"}]},
    ]
    go_and_hold(ws, child)
    assert ADDED == []

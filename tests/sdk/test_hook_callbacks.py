"""Python hooks (HookMatcher) run through the session's hooks engine: a PreToolUse answer
enters the gate like a command hook's (a block holds, an allow never beats a deny rule), a
PostToolUse hook sees the result and may add to what the model reads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agentrun.sdk import (
    ClaudeAgentOptions,
    HookContext,
    HookMatcher,
    ResultMessage,
    SystemMessage,
)
from sdkkit import collect, make_ws, results, script


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def bash(command: str) -> list[dict[str, Any]]:
    return [{"tool_calls": [{"name": "Bash", "input": {"command": command}}]}, {"text": "Done."}]


def test_a_pre_tool_use_hook_blocks_a_call(ws: Path) -> None:
    seen: list[tuple[dict[str, Any], str | None]] = []

    async def guard(data: dict[str, Any], tool_use_id: str | None, ctx: HookContext) -> Any:
        seen.append((data, tool_use_id))
        if "rm " in data["tool_input"].get("command", ""):
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": "no deleting here",
                }
            }
        return {}

    options = ClaudeAgentOptions(
        cwd=ws,
        model=script(*bash("rm a.txt")),
        permission_mode="bypassPermissions",
        hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[guard])]},
    )
    messages = collect("clean up", options)
    (data, tool_use_id) = seen[0]
    assert data["hook_event_name"] == "PreToolUse" and data["tool_name"] == "Bash"
    assert data["cwd"] == str(ws.resolve()) and tool_use_id == data["tool_use_id"]
    (result,) = results(messages)
    assert result.is_error and "no deleting here" in str(result.content)
    assert (ws / "a.txt").exists()


def test_a_hook_allow_does_not_beat_a_deny_rule(ws: Path) -> None:
    async def allow_all(data: dict[str, Any], tool_use_id: str | None, ctx: HookContext) -> Any:
        return {
            "hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"}
        }

    options = ClaudeAgentOptions(
        cwd=ws,
        model=script(*bash("rm a.txt")),
        disallowed_tools=["Bash(rm:*)"],
        hooks={"PreToolUse": [HookMatcher(hooks=[allow_all])]},
    )
    (result,) = results(collect("clean up", options))
    assert result.is_error and "denied" in str(result.content)
    assert (ws / "a.txt").exists()


def test_a_hook_allow_answers_an_ask_without_the_callback(ws: Path) -> None:
    async def allow_all(data: dict[str, Any], tool_use_id: str | None, ctx: HookContext) -> Any:
        return {
            "hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"}
        }

    turns = [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "b.txt", "content": "x"}}]},
        {"text": "Done."},
    ]
    options = ClaudeAgentOptions(
        cwd=ws, model=script(*turns), hooks={"PreToolUse": [HookMatcher("Write", [allow_all])]}
    )
    collect("write", options)
    assert (ws / "b.txt").read_text() == "x"


def test_a_post_tool_use_hook_sees_the_result_and_adds_context(ws: Path) -> None:
    seen: list[dict[str, Any]] = []

    async def after(data: dict[str, Any], tool_use_id: str | None, ctx: HookContext) -> Any:
        seen.append(data)
        await asyncio.sleep(0)  # a real coroutine, on the program's loop
        return {
            "hookSpecificOutput": {
                "hookEventName": "PostToolUse",
                "additionalContext": "Reviewed by the program.",
            }
        }

    turns = [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
        {"expect": [{"contains": "Reviewed by the program."}], "text": "Done."},
    ]
    options = ClaudeAgentOptions(
        cwd=ws,
        model=script(*turns),
        allowed_tools=["Read"],
        include_hook_events=True,
        hooks={"PostToolUse": [HookMatcher(matcher="Read", hooks=[after])]},
    )
    messages = collect("read", options)
    assert seen[0]["tool_name"] == "Read" and "hello" in seen[0]["tool_response"]
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success", final
    hooks = [m for m in messages if isinstance(m, SystemMessage) and m.subtype == "hook_response"]
    assert [m.data["hook_event"] for m in hooks] == ["PostToolUse"]


def test_a_hook_that_raises_with_on_failure_block_denies(ws: Path) -> None:
    async def broken(data: dict[str, Any], tool_use_id: str | None, ctx: HookContext) -> Any:
        raise ValueError("bug in the hook")

    options = ClaudeAgentOptions(
        cwd=ws,
        model=script(*bash("echo hi")),
        permission_mode="bypassPermissions",
        hooks={"PreToolUse": [HookMatcher(hooks=[broken], on_failure="block")]},
    )
    (result,) = results(collect("go", options))
    assert result.is_error and "bug in the hook" in str(result.content)


def test_a_hook_past_its_timeout_is_a_failed_hook(ws: Path) -> None:
    async def slow(data: dict[str, Any], tool_use_id: str | None, ctx: HookContext) -> Any:
        await asyncio.sleep(60)
        return {}

    options = ClaudeAgentOptions(
        cwd=ws,
        model=script(*bash("echo hi")),
        permission_mode="bypassPermissions",
        hooks={"PreToolUse": [HookMatcher(hooks=[slow], timeout=0.2, on_failure="block")]},
    )
    (result,) = results(collect("go", options))
    assert result.is_error and "timed out" in str(result.content)

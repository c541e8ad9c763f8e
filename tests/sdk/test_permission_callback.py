"""can_use_tool answers the gate's "ask", and only that: deny rules win before it is called,
an allow answer with a rewritten input is decided by the gate again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentrun.sdk import (
    ClaudeAgentOptions,
    PermissionResult,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    ToolPermissionContext,
)
from sdkkit import collect, make_ws, results, script


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def write_turns(path: str = "out.txt", content: str = "original") -> list[dict[str, Any]]:
    return [
        {"tool_calls": [{"name": "Write", "input": {"file_path": path, "content": content}}]},
        {"text": "Done."},
    ]


def test_a_deny_answer_refuses_the_call_with_its_message(ws: Path) -> None:
    asked: list[tuple[str, dict[str, Any], ToolPermissionContext]] = []

    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        asked.append((name, data, ctx))
        return PermissionResultDeny(message="Writing is not allowed in this demo.")

    options = ClaudeAgentOptions(cwd=ws, model=script(*write_turns()), can_use_tool=decide)
    messages = collect("write", options)

    assert [(n, d) for n, d, _ in asked] == [
        ("Write", {"file_path": "out.txt", "content": "original"})
    ]
    assert asked[0][2].tool_use_id
    (result,) = results(messages)
    assert result.is_error and result.content == "Writing is not allowed in this demo."
    assert not (ws / "out.txt").exists()
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success"
    assert final.permission_denials and final.permission_denials[0]["tool_name"] == "Write"


def test_an_allow_answer_runs_the_call(ws: Path) -> None:
    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        return PermissionResultAllow()

    options = ClaudeAgentOptions(cwd=ws, model=script(*write_turns()), can_use_tool=decide)
    collect("write", options)
    assert (ws / "out.txt").read_text() == "original"


def test_an_allow_answer_may_rewrite_the_input(ws: Path) -> None:
    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        return PermissionResultAllow(updated_input={**data, "content": "rewritten"})

    options = ClaudeAgentOptions(cwd=ws, model=script(*write_turns()), can_use_tool=decide)
    collect("write", options)
    assert (ws / "out.txt").read_text() == "rewritten"


def test_a_rewritten_input_meets_the_deny_rules_again(ws: Path) -> None:
    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        return PermissionResultAllow(updated_input={**data, "file_path": "secret.txt"})

    options = ClaudeAgentOptions(
        cwd=ws,
        model=script(*write_turns()),
        can_use_tool=decide,
        disallowed_tools=["Write(secret.txt)"],
    )
    (result,) = results(collect("write", options))
    assert result.is_error and "denied" in str(result.content)
    assert not (ws / "secret.txt").exists() and not (ws / "out.txt").exists()


def test_a_deny_rule_wins_and_the_callback_is_never_asked(ws: Path) -> None:
    asked: list[str] = []

    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        asked.append(name)
        return PermissionResultAllow()

    options = ClaudeAgentOptions(
        cwd=ws, model=script(*write_turns()), can_use_tool=decide, disallowed_tools=["Write"]
    )
    messages = collect("write", options)
    assert asked == []
    assert not (ws / "out.txt").exists()
    assert all(r.is_error for r in results(messages)) or results(messages) == []


def test_without_a_callback_an_ask_is_denied_as_in_print_mode(ws: Path) -> None:
    messages = collect("write", ClaudeAgentOptions(cwd=ws, model=script(*write_turns())))
    (result,) = results(messages)
    assert result.is_error and "non-interactive" in str(result.content)
    assert not (ws / "out.txt").exists()


def test_a_deny_with_interrupt_ends_the_run(ws: Path) -> None:
    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        return PermissionResultDeny(message="stop everything", interrupt=True)

    options = ClaudeAgentOptions(cwd=ws, model=script(*write_turns()), can_use_tool=decide)
    final = collect("write", options)[-1]
    assert isinstance(final, ResultMessage)
    assert final.is_error and final.stop_reason == "interrupted" and final.num_turns == 1


def test_a_callback_that_raises_denies_the_call(ws: Path) -> None:
    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        raise RuntimeError("boom")

    options = ClaudeAgentOptions(cwd=ws, model=script(*write_turns()), can_use_tool=decide)
    (result,) = results(collect("write", options))
    assert result.is_error and "boom" in str(result.content)
    assert not (ws / "out.txt").exists()


def test_a_bash_line_rewritten_onto_a_deny_rule_is_refused(ws: Path) -> None:
    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        return PermissionResultAllow(updated_input={"command": "rm a.txt"})

    turns = [{"tool_calls": [{"name": "Bash", "input": {"command": "echo hi"}}]}, {"text": "ok"}]
    options = ClaudeAgentOptions(
        cwd=ws, model=script(*turns), can_use_tool=decide, disallowed_tools=["Bash(rm:*)"]
    )
    (result,) = results(collect("go", options))
    assert result.is_error and "denied" in str(result.content)
    assert (ws / "a.txt").exists()


def test_an_allow_with_the_suggested_session_rule_is_not_asked_again(ws: Path) -> None:
    asked: list[ToolPermissionContext] = []

    async def decide(
        name: str, data: dict[str, Any], ctx: ToolPermissionContext
    ) -> PermissionResult:
        asked.append(ctx)
        return PermissionResultAllow(updated_permissions=ctx.suggestions)

    # (a command writing a file gets no session rule: the write is asked each time)
    line = {"name": "Bash", "input": {"command": "echo made"}}
    turns = [{"tool_calls": [line]}, {"tool_calls": [line]}, {"text": "ok"}]
    options = ClaudeAgentOptions(cwd=ws, model=script(*turns), can_use_tool=decide)
    messages = collect("go", options)
    assert len(asked) == 1 and asked[0].suggestions[0].type == "addRules"
    assert not any(r.is_error for r in results(messages))
    assert [str(r.content).strip() for r in results(messages)] == ["made", "made"]

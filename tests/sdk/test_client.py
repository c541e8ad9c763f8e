"""ClaudeSDKClient: a conversation in one session (context kept), interrupt mid-turn,
resume from the transcript, mode changes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    CLIConnectionError,
    Message,
    ResultMessage,
    TextBlock,
    ToolUseBlock,
)
from sdkkit import make_ws, run_async, script


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def texts(messages: list[Message]) -> list[str]:
    return [
        b.text
        for m in messages
        if isinstance(m, AssistantMessage)
        for b in m.content
        if isinstance(b, TextBlock)
    ]


def test_a_conversation_keeps_its_context_across_queries(ws: Path) -> None:
    seen: list[list[Any]] = []

    def answer(request: ModelRequest) -> str:
        seen.append(request.messages)
        return f"answer {len(seen)}"

    async def go() -> tuple[list[Message], list[Message]]:
        options = ClaudeAgentOptions(cwd=ws, model=FunctionModel(answer))
        async with ClaudeSDKClient(options=options) as client:
            await client.query("My name is Ada.")
            first = [m async for m in client.receive_response()]
            await client.query("What is my name?")
            second = [m async for m in client.receive_response()]
        return first, second

    first, second = run_async(go())
    assert texts(first) == ["answer 1"] and texts(second) == ["answer 2"]
    assert isinstance(first[-1], ResultMessage) and isinstance(second[-1], ResultMessage)
    assert first[-1].session_id == second[-1].session_id
    # the second request carries the whole first exchange
    assert [m["role"] for m in seen[1]] == ["user", "assistant", "user"]
    assert "My name is Ada." in str(seen[1][0]) and "answer 1" in str(seen[1][1])


def test_interrupt_stops_a_long_bash_mid_turn(ws: Path) -> None:
    turns = [
        {"tool_calls": [{"name": "Bash", "input": {"command": "sleep 60", "timeout": 120000}}]},
        {"text": "never reached"},
    ]

    async def go() -> tuple[list[Message], float]:
        options = ClaudeAgentOptions(
            cwd=ws, model=script(*turns), permission_mode="bypassPermissions"
        )
        async with ClaudeSDKClient(options) as client:
            await client.query("wait a minute")
            got: list[Message] = []
            started = 0.0
            async for message in client.receive_response():
                got.append(message)
                if isinstance(message, AssistantMessage) and any(
                    isinstance(b, ToolUseBlock) for b in message.content
                ):
                    await asyncio.sleep(0.5)  # let the command start
                    started = time.monotonic()
                    await client.interrupt()
            return got, time.monotonic() - started

    got, took = run_async(go())
    final = got[-1]
    assert isinstance(final, ResultMessage)
    assert final.is_error and final.stop_reason == "interrupted"
    assert final.subtype == "error_during_execution" and final.num_turns == 1
    assert took < 30  # not the 60 s the command wanted


def test_a_new_client_resumes_a_session(ws: Path) -> None:
    seen: list[list[Any]] = []

    def answer(request: ModelRequest) -> str:
        seen.append(request.messages)
        return "ok"

    async def go() -> None:
        async with ClaudeSDKClient(ClaudeAgentOptions(cwd=ws, model=FunctionModel(answer))) as c:
            await c.query("remember 42")
            first = [m async for m in c.receive_response()]
        result = first[-1]
        assert isinstance(result, ResultMessage)
        options = ClaudeAgentOptions(cwd=ws, model=FunctionModel(answer), resume=result.session_id)
        async with ClaudeSDKClient(options) as again:
            await again.query("what was it?")
            second = [m async for m in again.receive_response()]
        assert isinstance(second[-1], ResultMessage)
        assert second[-1].session_id == result.session_id

    run_async(go())
    assert "remember 42" in str(seen[1][0])


def test_set_permission_mode_changes_the_next_decisions(ws: Path) -> None:
    turns = [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "b.txt", "content": "x"}}]},
        {"text": "refused"},
        {"tool_calls": [{"name": "Write", "input": {"file_path": "b.txt", "content": "y"}}]},
        {"text": "written"},
    ]

    async def go() -> None:
        async with ClaudeSDKClient(ClaudeAgentOptions(cwd=ws, model=script(*turns))) as client:
            await client.query("write")
            [m async for m in client.receive_response()]
            assert not (ws / "b.txt").exists()
            await client.set_permission_mode("acceptEdits")
            await client.query("write again")
            [m async for m in client.receive_response()]
            info = await client.get_server_info()
            assert info is not None and info["permissionMode"] == "acceptEdits"

    run_async(go())
    assert (ws / "b.txt").read_text() == "y"


def test_using_a_client_before_connect_is_a_connection_error(ws: Path) -> None:
    async def go() -> None:
        await ClaudeSDKClient(ClaudeAgentOptions(cwd=ws)).query("hi")

    with pytest.raises(CLIConnectionError, match="connect"):
        run_async(go())


def test_fork_session_continues_a_copy_and_leaves_the_original(ws: Path) -> None:
    seen: list[list[Any]] = []

    def answer(request: ModelRequest) -> str:
        seen.append(request.messages)
        return f"answer {len(seen)}"

    async def ask(prompt: str, **options: Any) -> ResultMessage:
        opts = ClaudeAgentOptions(cwd=ws, model=FunctionModel(answer), **options)
        async with ClaudeSDKClient(opts) as client:
            await client.query(prompt)
            got = [m async for m in client.receive_response()]
        assert isinstance(got[-1], ResultMessage)
        return got[-1]

    async def go() -> None:
        first = await ask("the original")
        fork = await ask("in the fork", resume=first.session_id, fork_session=True)
        assert fork.session_id != first.session_id
        again = await ask("the original again", resume=first.session_id)
        assert again.session_id == first.session_id
        fork_again = await ask("the fork again", resume=fork.session_id)
        assert fork_again.session_id == fork.session_id

    run_async(go())
    assert "the original" in str(seen[1][0]) and "in the fork" in str(seen[1][2])
    assert "in the fork" not in str(seen[2])  # the original never saw the fork's turn
    assert "in the fork" in str(seen[3]) and "the original again" not in str(seen[3])


def test_a_configuration_error_is_a_connection_error_before_any_model_call(ws: Path) -> None:
    calls: list[ModelRequest] = []

    def answer(request: ModelRequest) -> str:
        calls.append(request)
        return "never"

    async def go() -> None:
        options = ClaudeAgentOptions(cwd=ws, model=FunctionModel(answer), resume="no-such-id")
        async with ClaudeSDKClient(options):
            pass

    with pytest.raises(CLIConnectionError, match="no-such-id") as raised:
        run_async(go())
    assert raised.value.__cause__ is not None and calls == []


def test_interrupt_while_the_permission_callback_waits(ws: Path) -> None:
    from agentrun.sdk import PermissionResult, PermissionResultAllow, ToolPermissionContext

    waiting = asyncio.Event()

    async def slow(name: str, data: dict[str, Any], ctx: ToolPermissionContext) -> PermissionResult:
        waiting.set()
        await asyncio.sleep(600)
        return PermissionResultAllow()

    turns = [
        {"tool_calls": [{"name": "Write", "input": {"file_path": "b.txt", "content": "x"}}]},
        {"text": "never"},
    ]

    async def go() -> ResultMessage:
        options = ClaudeAgentOptions(cwd=ws, model=script(*turns), can_use_tool=slow)
        async with ClaudeSDKClient(options) as client:
            await client.query("write")
            await asyncio.wait_for(waiting.wait(), 60)
            await client.interrupt()
            got = [m async for m in client.receive_response()]
        final = got[-1]
        assert isinstance(final, ResultMessage)
        return final

    final = run_async(go())
    assert final.is_error and final.stop_reason == "interrupted"
    assert not (ws / "b.txt").exists()

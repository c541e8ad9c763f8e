"""Helpers of the agentrun.sdk tests: scripted models, and running a coroutine (a query)
with a generous deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from agentrun.models.scripted import ScriptedModel
from agentrun.sdk import ClaudeAgentOptions, Message, ToolResultBlock, UserMessage, query

DEADLINE_S = 120.0


def make_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with ``a.txt``, agentrun's state in the test's own directory. (Each test
    module makes its ``ws`` fixture with this: a ``conftest.py`` here would shadow the
    ``conftest`` module other test folders import from.)"""
    work = tmp_path / "ws"
    work.mkdir()
    (work / "a.txt").write_text("hello\n")
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return work


def script(*turns: dict[str, Any], **top: Any) -> ScriptedModel:
    return ScriptedModel.from_data({"turns": list(turns), **top})


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, DEADLINE_S)

    return asyncio.run(bounded())


def collect(prompt: Any, options: ClaudeAgentOptions) -> list[Message]:
    async def go() -> list[Message]:
        return [m async for m in query(prompt=prompt, options=options)]

    result: list[Message] = run_async(go())
    return result


def results(messages: list[Any]) -> list[ToolResultBlock]:
    """The tool results the run sent back to the model, in order."""
    return [
        b
        for m in messages
        if isinstance(m, UserMessage) and isinstance(m.content, list)
        for b in m.content
        if isinstance(b, ToolResultBlock)
    ]

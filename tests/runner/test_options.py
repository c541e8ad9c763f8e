"""One typed RunOptions: ``run()``, ``AgentSession``, the CLI and the testing kit build it."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest

import agentrun
from agentrun.cli.app import build_parser
from agentrun.cli.commands.run import session_options
from agentrun.core.events import InitEvent
from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.runner.api import AgentSession, RunOptions
from agentrun.runner.keywords import RunKeywords
from agentrun.testing import run_agent


def _annotation(value: Any) -> str:
    return value.__forward_arg__ if isinstance(value, typing.ForwardRef) else str(value)


def test_keywords_are_the_fields_with_the_same_types() -> None:
    fields = {f.name: str(f.type) for f in dataclasses.fields(RunOptions)}
    keywords = {name: _annotation(t) for name, t in RunKeywords.__annotations__.items()}
    assert keywords == fields


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    work = tmp_path / "ws"
    work.mkdir()
    return work


def _answers(seen: list[ModelRequest]) -> FunctionModel:
    def fn(request: ModelRequest) -> Any:
        seen.append(request)
        return {"text": "done"}

    return FunctionModel(fn)


def test_run_takes_options_and_keywords_replace_their_fields(ws: Path, tmp_path: Path) -> None:
    seen: list[ModelRequest] = []
    base = RunOptions(cwd=ws, model=_answers(seen), sandbox="read-only", append_system_prompt="A")
    result = agentrun.run("hi", base, append_system_prompt="B-marker", permission_mode="plan")
    init = result.events[0]
    assert isinstance(init, InitEvent)
    assert (init.cwd, init.sandbox_mode, init.permission_mode) == (
        str(ws.resolve()),
        "read-only",
        "plan",
    )
    assert str(seen[0].system).endswith("</env>\n\nB-marker")
    assert base.append_system_prompt == "A"  # the caller's value is not changed


def test_session_takes_options(ws: Path) -> None:
    seen: list[ModelRequest] = []
    with AgentSession(RunOptions(cwd=ws, model=_answers(seen), max_turns=1)) as session:
        assert session.options.max_turns == 1
        assert session.send("hi").result == "done"


def test_an_unknown_keyword_is_refused(ws: Path) -> None:
    with pytest.raises(TypeError, match="max_turn"):
        agentrun.run("hi", cwd=ws, model=_answers([]), max_turn=3)  # type: ignore[call-arg]


def test_the_cli_builds_run_options(ws: Path) -> None:
    args = build_parser().parse_args(
        ["-p", "hi", "--cwd", str(ws), "--max-turns", "4", "--sandbox", "read-only"]
    )
    options = session_options(args)
    assert isinstance(options, RunOptions)
    assert (options.cwd, options.max_turns, options.sandbox) == (str(ws.resolve()), 4, "read-only")
    assert options.permission_mode is None  # the settings files' defaultMode may apply


def test_the_testing_kit_builds_run_options(ws: Path) -> None:
    seen: list[ModelRequest] = []
    result = run_agent("hi", model=_answers(seen), cwd=ws, max_turns=1)
    init = result.events[0]
    assert isinstance(init, InitEvent)
    assert (init.agent, init.permission_mode) == ("backend-specialist", "bypassPermissions")
    with pytest.raises(TypeError, match="needs model"):
        run_agent("hi", cwd=ws)

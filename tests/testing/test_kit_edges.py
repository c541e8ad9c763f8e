"""The testing kit's sharp edges, blunted: mistakes in a test fail at once, saying what to do."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main
from agentrun.models.scripted import ScriptedModel
from agentrun.testing import FakeAnthropicServer, run_agent
from agentrun.testing.fake_server import REPLY_SHAPES


def write_script(tmp_path: Path, *turns: dict[str, Any]) -> Path:
    path = tmp_path / "script.yaml"
    path.write_text(json.dumps({"turns": list(turns)}, indent=1))
    return path


def test_a_script_naming_an_unknown_tool_fails_before_any_turn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        tmp_path, {"tool_calls": [{"name": "Raed", "input": {"file_path": "a"}}]}, {"text": "ok"}
    )
    code = main(["-p", "hi", "--cwd", str(tmp_path), "--model", f"script:{script}"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"agentrun: {script}:3: turn 1 tool call 1 names an unknown tool 'Raed' (did you mean "
        "'Read'?); this run offers Read, Write, Edit, Bash, Glob, Grep\n"
    )
    assert list(Path(os.environ["AGENTRUN_HOME"]).glob("sessions/*")) == []  # no turn, no session


def test_a_script_may_call_a_claude_code_tool_agentrun_lacks(tmp_path: Path) -> None:
    model = ScriptedModel.from_data(
        {
            "turns": [
                {"tool_calls": [{"name": "WebFetch", "input": {"url": "https://x"}}]},
                {"expect": [{"is_error": True}], "text": "ok"},
            ]
        }
    )
    assert run_agent("hi", model=model, cwd=tmp_path).subtype == "success"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            "scrpt:t.yaml",
            "unknown model spec 'scrpt:t.yaml': 'scrpt:' is not a known prefix (script:PATH, "
            "replay:PATH); did you mean script:t.yaml?",
            id="typo",
        ),
        pytest.param(
            "rec:runs/a.jsonl",
            "unknown model spec 'rec:runs/a.jsonl': 'rec:' is not a known prefix (script:PATH, "
            "replay:PATH)",
            id="unknown-with-a-path",
        ),
    ],
)
def test_an_unknown_model_spec_prefix_is_a_usage_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    spec: str,
    message: str,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["-p", "hi", "--cwd", str(tmp_path), "--model", spec]) == 2
    assert capsys.readouterr().err == f"agentrun: {message}\n"


@pytest.mark.parametrize(
    ("replies", "problem"),
    [
        pytest.param(["Hello"], "reply 1 is str 'Hello'", id="str"),
        pytest.param("Hello", "reply 1 is str 'Hello'", id="bare-str"),
        pytest.param([{"text": "hi"}], "reply 1 {'text': 'hi'} has no \"content\" list", id="turn"),
        pytest.param(
            [{"content": [{"type": "text", "text": "a"}]}, {"content": ["a"]}],
            'reply 2 has a "content" item that is not a block with a "type"',
            id="block",
        ),
        pytest.param(
            [{"content": [], "stop": "end_turn"}], "reply 1 has unknown keys ['stop']", id="key"
        ),
    ],
)
def test_fake_server_checks_its_replies_when_built(replies: Any, problem: str) -> None:
    with pytest.raises(TypeError) as raised:
        FakeAnthropicServer(replies)
    assert str(raised.value) == f"FakeAnthropicServer {problem}; a reply is {REPLY_SHAPES}"


def test_fake_server_checks_added_replies_too() -> None:
    server = FakeAnthropicServer([{"content": []}])
    with pytest.raises(TypeError, match="FakeAnthropicServer reply 2 is int 3"):
        server.add(3)  # type: ignore[arg-type]


def test_run_agent_without_a_model_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(TypeError) as raised:
        run_agent("hi", cwd=tmp_path)
    assert str(raised.value).startswith("run_agent() needs model=...: a ScriptedModel")
    assert "'script:PATH'" in str(raised.value)

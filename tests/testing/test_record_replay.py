"""Record and replay, at the Model seam: RecordingModel writes JSONL, ReplayModel serves it back
and notices when the tool results sent to it differ from the recorded ones."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from agentrun.errors import ConfigError, ScriptFormatError, ScriptMismatchError
from agentrun.models.recording import REDACTED, RecordingModel, scrub
from agentrun.models.replay import ReplayModel
from agentrun.models.scripted import ScriptedModel
from agentrun.types import ModelRequest, ToolSpec

SCRIPT = {
    "turns": [
        {"text": "Reading.", "tool_calls": [{"name": "Bash", "input": {"command": "echo hi"}}]},
        {"text": "Done.", "usage": {"input_tokens": 10, "output_tokens": 2}},
    ]
}
SYSTEM = "You are helpful.\n<env>\nWorking directory: {cwd}\n</env>"
TOOLS = [ToolSpec("Bash", "Runs a command.", {"type": "object"})]


def prompt(cwd: str = "/ws/a") -> ModelRequest:
    return ModelRequest(
        model="m",
        system=SYSTEM.format(cwd=cwd),
        messages=[{"role": "user", "content": "go"}],
        tools=TOOLS,
    )


def after_tool(
    first: ModelRequest,
    answer: list[dict],
    output: str,
    *,
    cwd: str = "/ws/a",
    is_error: bool = False,
) -> ModelRequest:
    result = {"type": "tool_result", "tool_use_id": "toolu_script_001_01", "content": output}
    if is_error:
        result["is_error"] = True
    messages = [
        *first.messages,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": [result]},
    ]
    return ModelRequest(model="m", system=SYSTEM.format(cwd=cwd), messages=messages, tools=TOOLS)


def record(path: Path, output: str = "hi\n1 passed in 0.51s\n/ws/a/app.py") -> list:
    model = RecordingModel(ScriptedModel.from_data(SCRIPT), path)
    first = prompt()
    r1 = model.complete(first)
    r2 = model.complete(after_tool(first, r1.content, output))
    model.close()
    return [r1, r2]


def test_recording_is_a_header_then_one_line_per_call(tmp_path: Path) -> None:
    path = tmp_path / "rec" / "run.jsonl"
    record(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {"agentrun_recording": 1, "model_id": ScriptedModel.from_data(SCRIPT).model}
    assert [line["turn"] for line in lines[1:]] == [1, 2]
    assert lines[1]["request"]["messages"] == [{"role": "user", "content": "go"}]
    assert lines[1]["request"]["tools"] == ["Bash"]
    assert lines[2]["response"]["content"] == [{"type": "text", "text": "Done."}]
    assert lines[2]["response"]["usage"]["input_tokens"] == 10


def test_replay_serves_the_recorded_responses_in_order(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    recorded = record(path)
    replay = ReplayModel(path)
    first = prompt(cwd="/elsewhere/b")  # another workspace: masked, not drift
    seen: list[str] = []
    r1 = replay.complete(first, on_text=seen.append)
    r2 = replay.complete(
        after_tool(
            first, r1.content, "hi\n1 passed in 0.07s\n/elsewhere/b/app.py", cwd="/elsewhere/b"
        )
    )
    assert [r1, r2] == recorded
    assert seen == ["Reading."]
    assert replay.drifts == []
    replay.assert_complete()
    with pytest.raises(ScriptMismatchError, match="turn 3 but the recording has only 2") as info:
        replay.complete(prompt())
    assert info.value.turn == 3


def test_changed_tool_output_is_drift_with_a_diff(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    record(path)
    replay = ReplayModel(path)
    first = prompt()
    r1 = replay.complete(first)
    with pytest.raises(ScriptMismatchError) as info:
        replay.complete(after_tool(first, r1.content, "bye\n1 passed in 0.5s\n/ws/a/app.py"))
    message = str(info.value)
    assert info.value.turn == 2
    assert "turn 2: the tool results differ from the recording" in message
    assert "-hi\n+bye\n" in message
    assert "--- recorded (line 3)\n+++ this run\n" in message


def test_is_error_flip_is_drift(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    record(path, output="same")
    replay = ReplayModel(path)
    first = prompt()
    r1 = replay.complete(first)
    with pytest.raises(ScriptMismatchError, match=r"\+\[tool_result Bash is_error=True\]"):
        replay.complete(after_tool(first, r1.content, "same", is_error=True))


def test_drift_warn_logs_and_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "run.jsonl"
    record(path)
    replay = ReplayModel(path, drift="warn")
    first = prompt()
    r1 = replay.complete(first)
    with caplog.at_level(logging.WARNING, logger="agentrun.models.replay"):
        r2 = replay.complete(after_tool(first, r1.content, "bye"))
    assert r2.text() == "Done."
    assert [d.turn for d in replay.drifts] == [2]
    assert "-hi" in replay.drifts[0].diff
    assert "replay drift" in caplog.text


def test_a_different_prompt_is_drift_on_turn_1(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    record(path)
    other = ModelRequest(model="m", system="", messages=[{"role": "user", "content": "stop"}])
    with pytest.raises(ScriptMismatchError, match="turn 1: the prompt differ"):
        ReplayModel(path).complete(other)


def test_secrets_never_reach_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "plain-secret-value-123")
    path = tmp_path / "run.jsonl"
    output = (
        "key=sk-ant-api03-abcdefghijklmnop\nAuthorization: Bearer abcdefghijklmnopqrstuv\n"
        "env says plain-secret-value-123"
    )
    record(path, output=output)
    text = path.read_text()
    for secret in ("sk-ant-api03", "abcdefghijklmnopqrstuv", "plain-secret-value-123"):
        assert secret not in text
    assert text.count(REDACTED) == 3


def test_scrub_blanks_secret_fields_and_keeps_the_rest() -> None:
    value = {"x-api-key": "anything", "Authorization": "Basic abc", "n": 3, "l": ["ok", None]}
    assert scrub(value) == {
        "x-api-key": REDACTED,
        "Authorization": REDACTED,
        "n": 3,
        "l": ["ok", None],
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the recording is empty"),
        ("{}\n", ':1: not an agentrun recording (expected a header with "agentrun_recording": 1)'),
        ('{"agentrun_recording": 1}\n', ":1: the recording has no turns"),
        ('{"agentrun_recording": 1}\nnope\n', ":2: not a JSON line"),
        ('{"agentrun_recording": 1}\n{"request": {}}\n', ":2: a recorded turn needs 'request'"),
        ('{"agentrun_recording": 1}\n[1]\n', ":2: expected a JSON object"),
    ],
    ids=["empty", "no-header", "no-turns", "bad-json", "no-response", "not-object"],
)
def test_malformed_recordings_are_config_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ScriptFormatError) as info:
        ReplayModel(path)
    assert message in str(info.value)
    assert info.value.path == path


def test_missing_file_and_bad_drift_mode(tmp_path: Path) -> None:
    with pytest.raises(ScriptFormatError, match="cannot read the recording"):
        ReplayModel(tmp_path / "absent.jsonl")
    record(tmp_path / "run.jsonl")
    with pytest.raises(ConfigError, match="drift must be one of"):
        ReplayModel(tmp_path / "run.jsonl", drift="ignore")

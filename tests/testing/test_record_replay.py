"""Record and replay, at the Model seam: RecordingModel writes JSONL, ReplayModel serves it back
and notices when the tool results sent to it differ from the recorded ones."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentrun.core.errors import ConfigError, ScriptFormatError, ScriptMismatchError
from agentrun.core.types import ModelRequest, ToolSpec
from agentrun.models.recording import RecordingModel
from agentrun.models.replay import ReplayModel
from agentrun.models.scripted import ScriptedModel
from agentrun.session.redact import REDACTED, redact
from agentrun.testing import FakeAnthropicServer, run_agent, tool_outcomes

if TYPE_CHECKING:
    from agentrun.runner.api import RunResult

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
    assert lines[1]["request"]["system"] == SYSTEM.format(cwd="/ws/a")
    # Later lines carry only what is new: the answer and the tool results, no repeated system.
    assert lines[2]["request"]["messages_from"] == 1
    assert [m["role"] for m in lines[2]["request"]["messages"]] == ["assistant", "user"]
    assert "system" not in lines[2]["request"]
    assert lines[2]["response"]["content"] == [{"type": "text", "text": "Done."}]
    assert lines[2]["response"]["usage"]["input_tokens"] == 10


def test_a_recording_model_used_again_goes_on_with_its_file(tmp_path: Path) -> None:
    """Each run closes its model; a second run with the same RecordingModel used to truncate
    the file and lose the first run's turns."""
    path = tmp_path / "run.jsonl"
    model = RecordingModel(ScriptedModel.from_data(SCRIPT), path)
    first = prompt()
    model.complete(first)
    model.close()  # the end of one run
    model.complete(prompt())
    model.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert "agentrun_recording" in lines[0] and len(lines) == 3
    assert [line["turn"] for line in lines[1:]] == [1, 2]
    fresh = RecordingModel(ScriptedModel.from_data(SCRIPT), path)  # a new model: a new file
    fresh.complete(prompt())
    fresh.close()
    assert len(path.read_text().splitlines()) == 2


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


def test_the_recording_is_private(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    record(path)
    assert path.stat().st_mode & 0o777 == 0o600


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


def test_a_scrubbed_secret_is_not_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recording holds [REDACTED] where the tool printed a key; the replay's tool prints the
    key again (here with no API key in the environment at all), which is no drift, and a diff
    about something else never shows the key."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "plain-secret-value-123")
    path = tmp_path / "run.jsonl"
    output = "token=sk-ant-api03-abcdefghijklmnop\nenv says plain-secret-value-123"
    record(path, output=output)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    replay = ReplayModel(path)
    first = prompt()
    r1 = replay.complete(first)
    assert replay.complete(after_tool(first, r1.content, output)).text() == "Done."

    replay = ReplayModel(path)
    r1 = replay.complete(first)
    with pytest.raises(ScriptMismatchError) as info:
        replay.complete(after_tool(first, r1.content, output + "\nnew line"))
    assert "+new line\n" in str(info.value)
    assert "sk-ant-api03" not in str(info.value)
    replay = ReplayModel(path)
    r1 = replay.complete(first)
    with pytest.raises(ScriptMismatchError) as info:  # [REDACTED] stands for one thing, not all
        replay.complete(after_tool(first, r1.content, "token=x"))
    assert " token=[REDACTED]\n-env says [REDACTED]\n" in str(info.value)


def test_the_private_tmp_dir_is_not_drift(tmp_path: Path) -> None:
    """Each run's private tmp (TMPDIR, $HOME for Bash) has a new random name."""
    import tempfile

    tmp = tempfile.gettempdir()
    path = tmp_path / "run.jsonl"
    record(path, output=f"TMPDIR={tmp}/agentrun-ab_3x9zq\nHOME={tmp}/agentrun-ab_3x9zq/home")
    replay = ReplayModel(path)
    first = prompt()
    r1 = replay.complete(first)
    later = f"TMPDIR={tmp}/agentrun-k2m0pp1_\nHOME={tmp}/agentrun-k2m0pp1_/home"
    assert replay.complete(after_tool(first, r1.content, later)).text() == "Done."


def test_redact_blanks_secret_fields_and_keeps_the_rest() -> None:
    value = {"x-api-key": "anything", "Authorization": "Basic abc", "n": 3, "l": ["ok", None]}
    assert redact(value) == {
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


# -- end to end: a real run recorded through the real SDK against the fake server ----------------

FIXTURES = Path(__file__).parent / "fixtures"
GREETER = FIXTURES / "greeter"
RECORDING = FIXTURES / "greeter-session.jsonl"
PROMPT = "Use an f-string in greet()."
SESSION = {
    "turns": [
        {
            "text": "Looking at the code.",
            "tool_calls": [
                {"name": "Glob", "input": {"pattern": "*.py"}},
                {"name": "Read", "input": {"file_path": "greet.py"}},
            ],
        },
        {
            "expect": [{"contains": "greet.py"}, {"contains": '"Hello " + name'}],
            "tool_calls": [
                {
                    "name": "Edit",
                    "input": {
                        "file_path": "greet.py",
                        "old_string": 'return "Hello " + name + "!"',
                        "new_string": 'return f"Hello {name}!"',
                    },
                }
            ],
        },
        {"expect": [{"is_error": False}], "text": "greet() now uses an f-string."},
    ]
}


def record_session(workspace: Path, path: Path) -> RunResult:
    """Run SESSION in ``workspace`` through the real Anthropic adapter and SDK, against a
    FakeAnthropicServer that plays it, recording to ``path``."""
    with FakeAnthropicServer(model=ScriptedModel.from_data(SESSION)) as server:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ANTHROPIC_BASE_URL", server.url)
            mp.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789abcdef")
            result = run_agent(PROMPT, model="sonnet", cwd=workspace, record=path)
        assert len(server.requests) == 3
    return result


def test_record_against_the_fake_server_then_replay_offline(
    tmp_path: Path, agentrun_workspace_factory, agentrun_home: Path
) -> None:
    recording = tmp_path / "session.jsonl"
    first = agentrun_workspace_factory(GREETER)
    recorded = record_session(first, recording)
    assert (recorded.subtype, recorded.num_turns) == ("success", 3)
    assert "sk-ant-test" not in recording.read_text()

    # The server is gone: the replay is served from the file alone, in another workspace.
    workspace = agentrun_workspace_factory(GREETER)
    replay = ReplayModel(recording)
    replayed = run_agent(PROMPT, model=replay, cwd=workspace)
    replay.assert_complete()
    assert (replayed.subtype, replayed.result) == ("success", "greet() now uses an f-string.")
    assert [(o.name, o.is_error) for o in tool_outcomes(replayed)] == [
        ("Glob", False),
        ("Read", False),
        ("Edit", False),
    ]
    assert [o.text.replace(str(workspace), "<ws>") for o in tool_outcomes(replayed)] == [
        o.text.replace(str(first), "<ws>") for o in tool_outcomes(recorded)
    ]
    assert (workspace / "greet.py").read_text() == 'def greet(name):\n    return f"Hello {name}!"\n'


def test_a_real_run_that_prints_its_private_paths_replays(
    tmp_path: Path, agentrun_workspace_factory, agentrun_home: Path
) -> None:
    """The workspace, TMPDIR and HOME differ from run to run; none of them is drift."""
    session = {
        "turns": [
            {"tool_calls": [{"name": "Bash", "input": {"command": 'echo "$PWD $TMPDIR $HOME"'}}]},
            {"expect": [{"is_error": False, "contains": "/home"}], "text": "Done."},
        ]
    }
    recording = tmp_path / "run.jsonl"
    first = agentrun_workspace_factory(GREETER)
    with RecordingModel(ScriptedModel.from_data(session), recording) as model:
        recorded = run_agent("Where am I?", model=model, cwd=first)
    assert recorded.subtype == "success", recorded.result
    replayed = run_agent(
        "Where am I?", model=ReplayModel(recording), cwd=agentrun_workspace_factory(GREETER)
    )
    assert (replayed.subtype, replayed.result) == ("success", "Done."), replayed.result
    texts = [o.text for r in (recorded, replayed) for o in tool_outcomes(r)]
    assert texts[0] != texts[1]  # the paths did differ


def test_the_committed_recording_replays(agentrun_workspace_factory, agentrun_home: Path) -> None:
    workspace = agentrun_workspace_factory(GREETER)
    result = run_agent(PROMPT, model=f"replay:{RECORDING}", cwd=workspace)
    assert (result.subtype, result.is_error) == ("success", False), result.result
    assert 'f"Hello {name}!"' in (workspace / "greet.py").read_text()


def test_drift_in_the_committed_recording(agentrun_workspace_factory, agentrun_home: Path) -> None:
    # The code changed since the recording: Read now returns something else.
    workspace = agentrun_workspace_factory(GREETER)
    source = (workspace / "greet.py").read_text()
    (workspace / "greet.py").write_text('"""Greetings."""\n\n' + source)

    failed = run_agent(PROMPT, model=f"replay:{RECORDING}", cwd=workspace)
    assert (failed.subtype, failed.is_error) == ("error_during_execution", True)
    assert "turn 2: the tool results differ from the recording" in failed.result
    assert '+     1\t"""Greetings."""' in failed.result
    assert "-     1\tdef greet(name):" in failed.result
    assert (workspace / "greet.py").read_text() == '"""Greetings."""\n\n' + source  # stopped

    workspace = agentrun_workspace_factory(GREETER)
    (workspace / "greet.py").write_text('"""Greetings."""\n\n' + source)
    warned = run_agent(PROMPT, model=f"replay:{RECORDING}", cwd=workspace, replay_drift="warn")
    assert (warned.subtype, warned.is_error) == ("success", False)
    assert 'f"Hello {name}!"' in (workspace / "greet.py").read_text()


def test_cli_replay_and_drift_flag(
    tmp_path: Path,
    agentrun_workspace_factory,
    agentrun_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from agentrun.cli.app import main

    workspace = agentrun_workspace_factory(GREETER)
    (workspace / "greet.py").write_text("# changed\n" + (workspace / "greet.py").read_text())
    argv = [
        "-p",
        PROMPT,
        "--cwd",
        str(workspace),
        "--model",
        f"replay:{RECORDING}",
        "--permission-mode",
        "bypassPermissions",
        "--output-format",
        "json",
    ]
    assert main(argv) == 1
    assert "turn 2: the tool results differ" in json.loads(capsys.readouterr().out)["result"]

    workspace = agentrun_workspace_factory(GREETER)
    (workspace / "greet.py").write_text("# changed\n" + (workspace / "greet.py").read_text())
    assert main([*argv[:3], str(workspace), *argv[4:], "--replay-drift", "warn"]) == 0
    assert json.loads(capsys.readouterr().out)["subtype"] == "success"


if __name__ == "__main__":
    # Re-record the committed fixture: python tests/testing/test_record_replay.py
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        from agentrun.testing import copy_workspace

        home = Path(tmp) / "home"
        os.environ["AGENTRUN_HOME"] = str(home)
        result = record_session(copy_workspace(GREETER, Path(tmp) / "greeter"), RECORDING)
        print(result.subtype, RECORDING)


def test_cli_text_mode_prints_the_drift_diff_whole_on_stderr(
    agentrun_workspace_factory, agentrun_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In the default text format the failure goes to stderr; a multi-line one (the drift diff
    CI logs show) keeps its lines instead of being squashed and cut."""
    from agentrun.cli.app import main

    workspace = agentrun_workspace_factory(GREETER)
    (workspace / "greet.py").write_text("# changed\n" + (workspace / "greet.py").read_text())
    argv = ["-p", PROMPT, "--cwd", str(workspace), "--model", f"replay:{RECORDING}"]
    assert main([*argv, "--permission-mode", "bypassPermissions"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "turn 2: the tool results differ" in captured.err
    assert "\n+" in captured.err and "\n-" in captured.err  # diff lines, each on its own line

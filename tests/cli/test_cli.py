"""The CLI through ``main(argv) -> int``: every flag, the output formats, the exit codes.

Runs use scripted models (``--model script:PATH``), so they are offline and deterministic.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main
from wskit import RESULT_KEYS, isolated_ws

DONE = {"text": "Done."}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_ws(tmp_path, monkeypatch, {"app.py": "def main():\n    return 1\n"})


def script(ws: Path, *turns: dict[str, Any], name: str = "script.json") -> str:
    path = ws.parent / name
    path.write_text(json.dumps({"turns": list(turns)}))
    return f"script:{path}"


def run_cli(ws: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--cwd", str(ws), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_stream(
    ws: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, list[dict[str, Any]]]:
    """:func:`run_cli` with ``--output-format stream-json``: the exit code and stdout's lines."""
    code, out, _ = run_cli(ws, capsys, *argv, "--output-format", "stream-json")
    return code, [json.loads(line) for line in out.splitlines()]


def write_agent(ws: Path, name: str, rest: str) -> Path:
    """``.claude/agents/NAME.md`` in ``ws``: ``name: NAME`` then ``rest`` of the file."""
    path = ws / ".claude" / "agents" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nname: {name}\n{rest}")
    return path


def read_app(turn_text: str = "Looking.") -> dict[str, Any]:
    return {"text": turn_text, "tool_calls": [{"name": "Read", "input": {"file_path": "app.py"}}]}


# -- help, version, usage errors ---------------------------------------------------------------
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("agentrun 0.")


def test_help_is_grouped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for heading in ("run:", "output:", "limits:", "permissions and sandbox:", "sessions:"):
        assert f"\n{heading}\n" in out
    for flag in (
        "--agent",
        "--cwd",
        "--add-dir",
        "--model",
        "--output-format",
        "--max-turns",
        "--max-budget-usd",
        "--permission-mode",
        "--allowedTools",
        "--disallowedTools",
        "--sandbox",
        "--resume",
        "--continue",
        "--verbose",
    ):
        assert flag in out
    assert "exit codes: 0 success" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--max-turns", "0"], "--max-turns: must be at least 1, got 0"),
        (["--max-turns", "x"], "--max-turns: expected a whole number, got 'x'"),
        (["--max-budget-usd", "-1"], "--max-budget-usd: must be above 0"),
        (["--output-format", "xml"], "--output-format: invalid choice: 'xml'"),
        (["--permission-mode", "yolo"], "--permission-mode: invalid choice: 'yolo'"),
        (["--sandbox", "none"], "--sandbox: invalid choice: 'none'"),
        (["--timeout", "soon"], "--timeout: expected a number, got 'soon'"),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["-p", "hi", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and message in err and "see agentrun --help" in err


def test_missing_workspace(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-p", "hi", "--cwd", str(ws / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "is not a directory; pass --cwd an existing directory" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_workspace(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = ws / "locked"
    locked.mkdir(mode=0)
    try:
        assert main(["-p", "hi", "--cwd", str(locked)]) == 2
    finally:
        locked.chmod(0o755)
    assert "is not readable" in capsys.readouterr().err


def test_unreadable_add_dir(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(ws, capsys, "-p", "hi", "--add-dir", str(ws / "app.py"))
    assert code == 2 and "pass --add-dir an existing directory" in err


def test_resume_and_continue_conflict(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(ws, capsys, "-p", "hi", "--resume", "x", "--continue")
    assert code == 2 and "cannot be combined" in err


def test_empty_stdin_prompt(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("  \n"))
    code, _, err = run_cli(ws, capsys, "-p", "--model", script(ws, DONE))
    assert code == 2 and "empty prompt on stdin" in err


def test_missing_api_key(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(ws, capsys, "-p", "hi", "--model", "sonnet")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "ANTHROPIC_API_KEY" in err and "script:" in err


def test_unknown_agent_lists_available(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(ws, capsys, "-p", "hi", "--agent", "nobody", "--model", script(ws, DONE))
    assert code == 2
    assert err.count("\n") == 1 and "no agent named 'nobody'" in err
    assert "backend-specialist" in err


def test_bad_agent_file(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = ws / "bad.md"
    bad.write_text("no frontmatter here\n")
    code, _, err = run_cli(ws, capsys, "-p", "hi", "--agent", str(bad), "--model", script(ws, DONE))
    assert code == 2
    assert err.count("\n") == 1 and str(bad) in err


def test_bad_script_is_config_error(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = ws.parent / "bad.yaml"
    bad.write_text("turns: 3\n")
    code, _, err = run_cli(ws, capsys, "-p", "hi", "--model", f"script:{bad}")
    assert code == 2 and str(bad) in err


def test_bad_settings_file(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / ".agentrun").mkdir()
    (ws / ".agentrun" / "settings.json").write_text("{oops")
    code, _, err = run_cli(ws, capsys, "-p", "hi", "--model", script(ws, DONE))
    assert code == 2 and "invalid JSON in settings" in err


def test_output_format_needs_print_in_a_terminal(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty())
    code, _, err = run_cli(ws, capsys, "hi", "--output-format", "json")
    assert code == 2 and "needs -p" in err


# -- output formats ----------------------------------------------------------------------------
def test_text_output_is_only_the_answer(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(ws, capsys, "-p", "look", "--model", script(ws, read_app(), DONE))
    assert (code, out, err) == (0, "Done.\n", "")


def test_prompt_from_stdin(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("what is here?\n"))
    record = ws.parent / "rec.jsonl"
    code, out, _ = run_cli(
        ws, capsys, "-p", "-", "--model", script(ws, DONE), "--record", str(record)
    )
    assert (code, out) == (0, "Done.\n")
    assert "what is here?" in record.read_text()


def test_json_output(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    turn = {**read_app(), "usage": {"input_tokens": 1000, "output_tokens": 100}}
    code, out, _ = run_cli(
        ws, capsys, "-p", "look", "--output-format", "json", "--model", script(ws, turn, DONE)
    )
    assert code == 0
    result = json.loads(out)
    assert out.count("\n") == 1
    assert set(result) == set(RESULT_KEYS)
    assert result["type"] == "result" and result["subtype"] == "success"
    assert result["is_error"] is False and result["result"] == "Done."
    assert result["num_turns"] == 2 and result["permission_denials"] == []
    assert result["usage"]["input_tokens"] == 1000 and result["usage"]["output_tokens"] == 100
    assert result["total_cost_usd"] == pytest.approx(1000 * 2e-6 + 100 * 10e-6)


def test_stream_json_output(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        ws,
        capsys,
        "-p",
        "look",
        "--output-format",
        "stream-json",
        "--model",
        script(ws, read_app(), DONE),
    )
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(x["type"], x.get("subtype")) for x in lines] == [
        ("system", "init"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
        ("result", "success"),
    ]
    init, first, results, _, final = lines
    assert init["cwd"] == str(ws.resolve()) and init["agent"] == "backend-specialist"
    assert init["tools"] == ["Read", "Write", "Edit", "Bash", "Glob", "Grep"]
    assert init["permissionMode"] == "default"
    assert init["sandbox"]["mode"] == "workspace-write"
    assert isinstance(init["sandbox"]["enforced"], list)
    tool_use = first["message"]["content"][-1]
    assert tool_use["type"] == "tool_use" and tool_use["name"] == "Read"
    block = results["message"]["content"][0]
    assert block["tool_use_id"] == tool_use["id"] and "def main" in str(block["content"])
    assert set(final) == set(RESULT_KEYS) and final["result"] == "Done."
    assert set(init) == {
        "type", "subtype", "session_id", "cwd", "model", "tools", "permissionMode", "agent",
        "sandbox", "mcp_servers",
    }  # fmt: skip
    assert init["mcp_servers"] == []
    assert set(first) == {"type", "message", "session_id"}
    assert set(results) == {"type", "message", "session_id"}
    assert results["message"]["role"] == "user"
    assert {x["session_id"] for x in lines} == {init["session_id"]}


# -- exit codes --------------------------------------------------------------------------------
def test_max_turns_exits_1(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    turns = [read_app(), read_app(), DONE]
    code, out, err = run_cli(
        ws, capsys, "-p", "x", "--max-turns", "1", "--output-format", "json",
        "--model", script(ws, *turns),
    )  # fmt: skip
    assert code == 1
    assert json.loads(out)["subtype"] == "error_max_turns"
    assert err == "agentrun: error_max_turns: reached --max-turns 1 (1 turn, $0.0000 spent)\n"


def test_budget_exits_1(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    costly = {**read_app(), "usage": {"input_tokens": 100_000, "output_tokens": 0}}
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--max-budget-usd", "0.05", "--output-format", "json",
        "--model", script(ws, costly, costly, DONE),
    )  # fmt: skip
    assert code == 1
    assert json.loads(out)["subtype"] == "error_max_budget_usd"


def test_budget_without_text_still_explains(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    silent = {
        "tool_calls": read_app()["tool_calls"],
        "usage": {"input_tokens": 1_000_000, "output_tokens": 0},
    }
    code, out, err = run_cli(
        ws, capsys, "-p", "x", "--max-budget-usd", "0.05", "--model", script(ws, silent, DONE)
    )
    assert (code, out) == (1, "")
    assert (
        err
        == "agentrun: error_max_budget_usd: reached --max-budget-usd 0.05 (1 turn, $2.0000 spent)\n"
    )


@pytest.mark.parametrize(
    ("stop", "said"),
    [
        ("refusal", "the model refused: I will not."),
        (
            "model_context_window_exceeded",
            "the conversation outgrew the model's context window: I will not.",
        ),
    ],
)
def test_a_model_stop_is_named_on_stderr(
    ws: Path, capsys: pytest.CaptureFixture[str], stop: str, said: str
) -> None:
    turn = {"text": "I will not.", "stop_reason": stop}
    code, out, err = run_cli(ws, capsys, "-p", "x", "--model", script(ws, turn))
    assert (code, out) == (1, "")
    assert err == f"agentrun: error_during_execution: {said}\n"


def test_script_exhausted_exits_1(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(ws, capsys, "-p", "x", "--model", script(ws, read_app()))
    assert (code, out) == (1, "")
    assert "error_during_execution" in err


def test_api_failure_exits_1(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentrun.testing.fake_server import Fail, FakeAnthropicServer

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-real")
    monkeypatch.setenv("AGENTRUN_MAX_RETRIES", "0")
    with FakeAnthropicServer([Fail(400, "bad request, no retry")]) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        code, out, _err = run_cli(ws, capsys, "-p", "x", "--output-format", "json")
    assert code == 1
    result = json.loads(out)
    assert result["subtype"] == "error_during_execution" and result["is_error"] is True
    assert "bad request, no retry" in result["result"]


def test_timeout_exits_1(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slow = {"tool_calls": [{"name": "Bash", "input": {"command": "sleep 20"}}]}
    code, out, err = run_cli(
        ws, capsys, "-p", "x", "--timeout", "0.5", "--output-format", "json",
        "--permission-mode", "bypassPermissions", "--model", script(ws, slow, DONE),
    )  # fmt: skip
    assert code == 1
    assert json.loads(out)["subtype"] == "error_timeout"
    assert err.startswith("agentrun: error_timeout: reached --timeout 0.5 s (1 turn")


# -- permissions in -p -------------------------------------------------------------------------
def bash_turn(command: str, **expect: Any) -> list[dict[str, Any]]:
    return [
        {"tool_calls": [{"name": "Bash", "input": {"command": command}}]},
        {"expect": [expect], "text": "Done."},
    ]


def test_call_needing_approval_is_denied_and_listed(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    turns = bash_turn("echo hi > made.txt", is_error=True, contains="non-interactive")
    code, out, err = run_cli(
        ws, capsys, "-p", "x", "--output-format", "json", "--model", script(ws, *turns)
    )
    assert code == 0
    denials = json.loads(out)["permission_denials"]
    assert [(d["tool_name"], d["tool_input"]) for d in denials] == [
        ("Bash", {"command": "echo hi > made.txt"})
    ]
    assert not (ws / "made.txt").exists()
    assert "agentrun: denied Bash(echo hi > made.txt)" in err


def test_allowed_tools_let_a_call_run(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    turns = bash_turn("echo hi", is_error=False, contains="hi")
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--allowedTools", "Read,Bash(echo:*)", "--output-format", "json",
        "--model", script(ws, *turns),
    )  # fmt: skip
    assert code == 0 and json.loads(out)["permission_denials"] == []


def test_compound_command_is_not_allowed_by_prefix_rule(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    turns = bash_turn("echo hi && touch pwned", is_error=True)
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--allowedTools", "Bash(echo:*)", "--output-format", "json",
        "--model", script(ws, *turns),
    )  # fmt: skip
    assert code == 0 and len(json.loads(out)["permission_denials"]) == 1
    assert not (ws / "pwned").exists()


def test_disallowed_tools(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    turns = bash_turn("echo hi", is_error=True)
    code, lines = run_stream(
        ws, capsys, "-p", "x", "--permission-mode", "bypassPermissions",
        "--disallowedTools", "Bash(echo:*) Write", "--model", script(ws, *turns),
    )  # fmt: skip
    assert code == 0
    assert "Write" not in lines[0]["tools"] and "Bash" in lines[0]["tools"]
    assert lines[0]["permissionMode"] == "bypassPermissions"
    assert len(lines[-1]["permission_denials"]) == 1


@pytest.mark.parametrize(
    "command",
    [
        "bash -c 'rm -f app.py'",
        "sh -c 'true; rm -f app.py'",
        "eval rm -f app.py",
        "find . -name app.py -exec rm {} +",
        "C='rm -f app.py'; bash -c \"$C\"",
        "echo 'rm -f app.py' | sh",
    ],
)
def test_disallowed_rule_sees_through_shells(
    ws: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # even in bypassPermissions, Bash(rm:*) stops rm however the line hands it to a shell
    code, out, err = run_cli(
        ws, capsys, "-p", "x", "--permission-mode", "bypassPermissions",
        "--disallowedTools", "Bash(rm:*)", "--output-format", "json",
        "--model", script(ws, *bash_turn(command, is_error=True)),
    )  # fmt: skip
    assert code == 0, err
    denials = json.loads(out)["permission_denials"]
    assert [d["tool_input"]["command"] for d in denials] == [command]
    assert (ws / "app.py").exists()


@pytest.mark.parametrize("mode", ["acceptEdits", "plan", "dontAsk"])
def test_permission_mode_flag(ws: Path, capsys: pytest.CaptureFixture[str], mode: str) -> None:
    edit = {"name": "Edit", "input": {"file_path": "app.py", "old_string": "1", "new_string": "2"}}
    allowed = mode == "acceptEdits"
    turns = [
        read_app(),  # Edit needs the file read first
        {"tool_calls": [edit]},
        {"expect": [{"is_error": not allowed}], "text": "ok"},
    ]
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--permission-mode", mode, "--output-format", "stream-json",
        "--model", script(ws, *turns),
    )  # fmt: skip
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and lines[0]["permissionMode"] == mode
    assert ("return 2" in (ws / "app.py").read_text()) is allowed


def test_sandbox_flag_reaches_init(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--sandbox", "read-only", "--output-format", "stream-json",
        "--model", script(ws, DONE),
    )  # fmt: skip
    assert code == 0 and json.loads(out.splitlines()[0])["sandbox"]["mode"] == "read-only"


def test_add_dir_allows_edits_there(
    ws: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    write = {"name": "Write", "input": {"file_path": str(extra / "n.txt"), "content": "x\n"}}
    turns = [{"tool_calls": [write]}, {"expect": [{"is_error": False}], "text": "ok"}]
    code, _, _ = run_cli(
        ws, capsys, "-p", "x", "--add-dir", str(extra), "--permission-mode", "acceptEdits",
        "--model", script(ws, *turns),
    )  # fmt: skip
    assert code == 0 and (extra / "n.txt").read_text() == "x\n"


def test_append_system_prompt_and_record(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = ws.parent / "rec.jsonl"
    code, _, _ = run_cli(
        ws, capsys, "-p", "x", "--append-system-prompt", "ALWAYS SAY PINEAPPLE",
        "--record", str(record), "--model", script(ws, DONE),
    )  # fmt: skip
    assert code == 0 and "ALWAYS SAY PINEAPPLE" in record.read_text()


def test_verbose_renders_on_stderr_only(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ws, capsys, "-p", "x", "--verbose", "--model", script(ws, read_app(), DONE)
    )
    assert (code, out) == (0, "Done.\n")
    assert [line.rstrip() for line in err.splitlines()] == [
        "Looking.",
        "● Read(app.py)",
        "  ⎿  Read 2 lines",
        "Done.",
    ]


def test_agent_flag_and_agent_model(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_agent(ws, "reader", "description: reads\ntools: Read, Glob\n---\nYou read.\n")
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--agent", "reader", "--output-format", "stream-json",
        "--model", script(ws, DONE),
    )  # fmt: skip
    init = json.loads(out.splitlines()[0])
    assert code == 0 and init["agent"] == "reader" and init["tools"] == ["Read", "Glob"]


def test_agent_file_warnings_reach_stderr_not_stdout(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web = write_agent(
        ws, "web", "description: browses\ntools: Read, Teleport, Warp\n---\nYou browse.\n"
    )
    code, out, err = run_cli(
        ws, capsys, "-p", "x", "--agent", "web", "--output-format", "json",
        "--model", script(ws, DONE),
    )  # fmt: skip
    assert code == 0 and json.loads(out)["result"] == "Done."  # stdout stays one JSON object
    [warning] = err.splitlines()
    assert warning.startswith(f"agentrun: warning: {web}:4: ")
    assert "Teleport, Warp" in warning
    code, _, err = run_cli(ws, capsys, "-p", "x", "--model", script(ws, DONE))
    assert code == 0 and err == ""  # the bundled agent has nothing to warn about


def test_resume_and_continue(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        ws, capsys, "-p", "first", "--output-format", "json", "--model", script(ws, DONE)
    )
    session = json.loads(out)["session_id"]
    again = {"text": "Again."}
    for flags in (["--resume", session], ["--continue"]):
        code, out, _ = run_cli(
            ws, capsys, "-p", "more", *flags, "--output-format", "json",
            "--model", script(ws, again, name="again.json"),
        )  # fmt: skip
        assert code == 0
        assert json.loads(out)["session_id"] == session


def test_allow_network_flag_accepted(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(ws, capsys, "-p", "x", "--allow-network", "--model", script(ws, DONE))
    assert (code, out) == (0, "Done.\n")


def test_settings_deny_beats_allowed_tools_flag(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / ".claude").mkdir()
    (ws / ".claude" / "settings.json").write_text(
        json.dumps({"permissions": {"deny": ["Bash(echo:*)"]}})
    )
    turns = bash_turn("echo hi", is_error=True, contains="denied")
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--allowedTools", "Bash", "--output-format", "json",
        "--model", script(ws, *turns),
    )  # fmt: skip
    assert code == 0 and len(json.loads(out)["permission_denials"]) == 1


def test_sandbox_unavailable_is_one_line_with_next_step() -> None:
    from agentrun.cli.app import _hint
    from agentrun.core.errors import SandboxUnavailableError

    hint = _hint(SandboxUnavailableError("landlock is not supported", layer="landlock"))
    assert "missing layer: landlock" in hint and "--sandbox danger-full-access" in hint


@pytest.mark.parametrize(("drift", "expected_code"), [("error", 1), ("warn", 0)])
def test_replay_drift(
    ws: Path, capsys: pytest.CaptureFixture[str], drift: str, expected_code: int
) -> None:
    record = ws.parent / "rec.jsonl"
    code, _, _ = run_cli(
        ws, capsys, "-p", "x", "--record", str(record), "--model", script(ws, read_app(), DONE)
    )
    assert code == 0
    (ws / "app.py").write_text("def main():\n    return 2\n")  # the Read result now differs
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--model", f"replay:{record}", "--replay-drift", drift
    )
    assert code == expected_code
    assert (out == "Done.\n") is (drift == "warn")


def test_allow_network_reaches_the_jail(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    turns = [
        {"tool_calls": [{"name": "Bash", "input": {"command": "ls /sys/class/net"}}]},
        DONE,
    ]
    seen = {}
    for flag in ([], ["--allow-network"]):
        code, out, _ = run_cli(
            ws, capsys, "-p", "x", *flag, "--permission-mode", "bypassPermissions",
            "--output-format", "stream-json", "--model", script(ws, *turns),
        )  # fmt: skip
        lines = [json.loads(line) for line in out.splitlines()]
        enforced = lines[0]["sandbox"]["enforced"]
        if not flag and "netns" not in enforced:
            pytest.skip("this machine has no network namespaces")
        assert ("netns" in enforced) is not bool(flag)
        assert code == 0
        seen[bool(flag)] = lines[2]["message"]["content"][0]["content"].split()
    assert seen[False] == ["lo"]
    assert seen[True] != ["lo"]


def test_subcommand_usage_error_points_at_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "--bogus"]) == 2
    assert capsys.readouterr().err == (
        "agentrun agents: unrecognized arguments: --bogus (see agentrun agents --help)\n"
    )


def test_long_and_kebab_aliases(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    turns = bash_turn("echo hi", is_error=False, contains="hi")
    code, lines = run_stream(
        ws, capsys, "--print", "x", "--allowed-tools", "Bash(echo:*)",
        "--disallowed-tools", "Write", "--model", script(ws, *turns),
    )  # fmt: skip
    assert code == 0 and "Write" not in lines[0]["tools"]
    assert lines[-1]["permission_denials"] == []


def test_rule_flags_take_several_arguments_like_claude_code(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    turns = [
        {"tool_calls": [{"name": "Bash", "input": {"command": "mkdir a"}}]},
        {"tool_calls": [{"name": "Bash", "input": {"command": "mkdir b"}}]},
        {"tool_calls": [{"name": "Bash", "input": {"command": "mkdir c"}}]},
        DONE,
    ]
    code, out, _ = run_cli(
        ws, capsys, "-p", "x", "--output-format", "json", "--model", script(ws, *turns),
        "--allowedTools", "Bash(mkdir a:*)", "Bash(mkdir b:*),Glob",
        "--disallowedTools", "Write(./y)", "Edit(./z)",
        "--permission-mode", "acceptEdits",  # what mkdir makes is a write
    )  # fmt: skip
    assert code == 0
    assert (ws / "a").is_dir() and (ws / "b").is_dir() and not (ws / "c").exists()
    [denial] = json.loads(out)["permission_denials"]
    assert denial["tool_input"] == {"command": "mkdir c"}


def test_agent_path_is_taken_from_the_shell_directory_then_cwd(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "---\nname: {name}\ndescription: d\ntools: Read\n---\nYou read.\n"
    (ws.parent / "ag").mkdir()
    (ws.parent / "ag" / "ok.md").write_text(body.format(name="from-shell"))
    (ws / "ag").mkdir()
    (ws / "ag" / "ok.md").write_text(body.format(name="from-cwd"))
    (ws / "ag" / "only.md").write_text(body.format(name="only-in-cwd"))
    monkeypatch.chdir(ws.parent)
    for given, name in [("ag/ok.md", "from-shell"), ("ag/only.md", "only-in-cwd")]:
        code, out, _ = run_cli(
            ws, capsys, "-p", "x", "--agent", given, "--output-format", "stream-json",
            "--model", script(ws, DONE),
        )  # fmt: skip
        assert code == 0 and json.loads(out.splitlines()[0])["agent"] == name


def test_a_script_left_unplayed_is_named(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = script(ws, DONE, read_app(), DONE)
    code, out, err = run_cli(ws, capsys, "-p", "x", "--model", model)
    assert (code, out) == (0, "Done.\n")
    path = model.removeprefix("script:")
    assert err == (
        f"agentrun: warning: {path}: the run ended after turn 1; 2 scripted turns never played\n"
    )
    code, _, err = run_cli(ws, capsys, "-p", "x", "--model", script(ws, read_app(), DONE))
    assert code == 0 and err == ""  # every turn played: nothing to say


def test_a_prompt_swallowed_by_a_rule_flag_is_pointed_out(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("the real prompt"))
    code, _, err = run_cli(
        ws, capsys, "-p", "--allowedTools", "Read", "summarize this", "--model", script(ws, DONE)
    )
    assert code == 0
    assert err.splitlines() == [
        "agentrun: warning: --allowedTools: 'summarize' is not a tool name; a prompt written "
        "after --allowedTools is read as rules (put the prompt first)",
        "agentrun: warning: --allowedTools: 'this' is not a tool name; a prompt written "
        "after --allowedTools is read as rules (put the prompt first)",
    ]


def test_empty_prompt_argument(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(ws, capsys, "-p", "  ", "--model", script(ws, DONE))
    assert (code, out) == (2, "") and "empty prompt" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--resume", "no-such-session"], "no-such-session"), (["--continue"], "no saved session")],
)
def test_nothing_to_resume_exits_2(
    ws: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    code, out, err = run_cli(ws, capsys, "-p", "x", *flags, "--model", script(ws, DONE))
    assert (code, out) == (2, "") and message in err and err.count("\n") == 1

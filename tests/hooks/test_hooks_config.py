"""Hook configuration, matchers, the runner's process handling, HTTP hooks, and what the CLI
shows: stream-json ``hook_response`` messages, configuration errors, ``--settings``."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main
from agentrun.core.errors import ConfigError
from agentrun.hooks import HookCommand, Hooks, load_hook_config
from agentrun.hooks.config import parse_hooks
from agentrun.hooks.matcher import matches


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return workspace


def hooks_for(ws: Path, *commands: HookCommand) -> Hooks:
    from agentrun.hooks import HookConfig

    return Hooks(
        HookConfig(tuple(commands)),
        cwd=ws,
        session_id="s1",
        transcript_path=ws.parent / "s1.jsonl",
    )


def command(cmd: str, event: str = "PreToolUse", **extra: Any) -> HookCommand:
    return HookCommand(event=event, matcher="", type="command", command=cmd, **extra)


# -- matchers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("matcher", "name", "expected"),
    [
        ("", "Bash", True),
        ("*", "mcp__github__create_issue", True),
        ("Bash", "Bash", True),
        ("Bash", "BashOutput", False),
        ("Edit|Write", "Write", True),
        ("Edit|Write", "Read", False),
        ("mcp__github__.*", "mcp__github__create_issue", True),
        ("mcp__github__.*", "mcp__gitlab__create_issue", False),
        ("Notebook.*", "NotebookEdit", True),
    ],
    ids=lambda v: str(v) or "empty",
)
def test_matchers(matcher: str, name: str, expected: bool) -> None:
    assert matches(matcher, name) is expected


# -- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("block", "message"),
    [
        ([], "'hooks' must be an object"),
        ({"PreToolUse": {}}, "hooks.PreToolUse must be a list"),
        ({"PreToolUse": [{"matcher": 3, "hooks": []}]}, "hooks.PreToolUse[0].matcher must be"),
        ({"PreToolUse": [{"matcher": "(", "hooks": []}]}, "not a valid regular expression"),
        ({"Stop": [{"hooks": {}}]}, "hooks.Stop[0].hooks must be a list"),
        ({"Stop": [{"hooks": [{"type": "command"}]}]}, "hooks.Stop[0].hooks[0].command must"),
        ({"Stop": [{"hooks": [{"command": "x", "timeout": -1}]}]}, "[0].timeout must be"),
        ({"Stop": [{"hooks": [{"type": "prompt", "command": "x"}]}]}, "not a hook type"),
        ({"Stop": [{"hooks": [{"type": "http", "url": "ftp://x"}]}]}, "[0].url must be"),
        ({"Stop": [{"hooks": [{"command": "x", "onFailure": "no"}]}]}, "onFailure must be"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_malformed_block_names_the_file_and_the_key(block: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_hooks(block, "/x/settings.json")
    assert str(caught.value).startswith("/x/settings.json: ") and message in str(caught.value)


def test_an_unknown_event_is_a_warning_not_an_error() -> None:
    found, warnings = parse_hooks({"SomethingNew": [{"hooks": [{"command": "x"}]}]}, "f")
    assert found == [] and warnings[0].startswith("f: hooks.SomethingNew: unknown hook event")


def test_every_settings_file_adds_its_hooks_in_order(ws: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = {
        home / ".claude" / "settings.json": "user-claude",
        tmp_path / "arhome" / "settings.json": "user-agentrun",
        ws / ".claude" / "settings.json": "project",
        ws / ".claude" / "settings.local.json": "local",
        ws / ".agentrun" / "settings.json": "agentrun-project",
    }
    for path, name in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"hooks": {"Stop": [{"hooks": [{"command": name}]}]}}))
    config = load_hook_config(
        ws,
        home=home,
        agentrun_home=tmp_path / "arhome",
        extra=[("--settings", {"hooks": {"Stop": [{"hooks": [{"command": "flag"}]}]}})],
    )
    assert [(h.command, h.source) for h in config.for_event("Stop")] == [
        *((name, str(path)) for path, name in files.items()),
        ("flag", "--settings"),
    ]


def test_a_malformed_settings_block_stops_the_cli_with_exit_2(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / ".claude").mkdir()
    settings = ws / ".claude" / "settings.json"
    settings.write_text(json.dumps({"hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": 1}]}}))
    (ws.parent / "s.json").write_text(json.dumps({"turns": [{"text": "never played"}]}))
    code = main(["--cwd", str(ws), "-p", "go", "--model", f"script:{ws.parent / 's.json'}"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{settings}: hooks.PostToolUse[0].hooks must be a list of hook objects" in err


# -- running ---------------------------------------------------------------------------------
def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_timeout_kills_the_hook_and_every_child_it_started(ws: Path) -> None:
    pidfile = ws.parent / "child.pid"
    hang = f"sleep 300 & echo $! > {pidfile}; sleep 300"
    hooks = hooks_for(ws, command(hang, timeout_s=1.0))
    started = time.monotonic()
    outcome = hooks.fire("PreToolUse", {"tool_name": "Bash", "tool_input": {}})
    assert time.monotonic() - started < 30
    assert outcome.permission is None and not outcome.blocked  # onFailure: continue
    assert outcome.notices[0].startswith("PreToolUse hook 'sleep 300 &")
    assert "timed out after 1 s" in outcome.notices[0]
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 30
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child)


@pytest.mark.parametrize(
    "hang", ["sleep 300", "exit 7", "echo '{not json' ; exit 0", "kill -9 $$"], ids=str
)
def test_on_failure_block_denies_when_the_guard_gives_no_answer(ws: Path, hang: str) -> None:
    hooks = hooks_for(ws, command(hang, timeout_s=1.0, on_failure="block"))
    outcome = hooks.fire("PreToolUse", {"tool_name": "Bash", "tool_input": {}})
    if hang.startswith("echo"):  # garbage on exit 0 is plain text: no decision, nothing blocked
        assert outcome.permission is None
    else:
        assert outcome.permission == "deny" and "onFailure: block" in outcome.permission_reason


def test_hooks_of_one_event_run_in_parallel_and_identical_ones_once(ws: Path) -> None:
    # Each waits for the other's mark: run one after the other, the first would time out.
    def meet(me: str, other: str) -> str:
        return (
            f"echo {me} >> {ws.parent}/runs; touch {ws.parent}/{me}; "
            f"for i in $(seq 400); do [ -e {ws.parent}/{other} ] && break; sleep 0.05; done; "
            f'[ -e {ws.parent}/{other} ] && echo \'{{"hookSpecificOutput": '
            f'{{"additionalContext": "{me} met {other}"}}}}\''
        )

    a, b = command(meet("a", "b"), "PostToolUse"), command(meet("b", "a"), "PostToolUse")
    hooks = hooks_for(ws, a, b, a)
    outcome = hooks.fire("PostToolUse", {"tool_name": "Read"})
    assert outcome.context == "a met b\nb met a"
    assert sorted((ws.parent / "runs").read_text().split()) == ["a", "b"]


def test_the_environment_and_working_directory_are_the_projects(ws: Path) -> None:
    out = ws.parent / "env.txt"
    hooks = hooks_for(
        ws, command(f"echo $CLAUDE_PROJECT_DIR $AGENTRUN_PROJECT_DIR $PWD > {out}", "Stop")
    )
    hooks.fire("Stop", {"stop_hook_active": False})
    assert out.read_text().split() == [str(ws)] * 3


# -- http hooks ------------------------------------------------------------------------------
@pytest.fixture
def http_hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"body": body, "auth": self.headers.get("Authorization")})
            answer = {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": "the policy server says no",
                }
            }
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    finally:
        server.shutdown()
        server.server_close()


def test_an_http_hook_gets_the_envelope_and_its_answer_counts(
    ws: Path, http_hook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, seen = http_hook
    hook = HookCommand(
        event="PreToolUse",
        matcher="Bash",
        type="http",
        url=url,
        headers=(("Authorization", "Bearer t"),),
    )
    outcome = hooks_for(ws, hook).fire(
        "PreToolUse", {"tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_use_id": "t1"}
    )
    assert (outcome.permission, outcome.permission_reason) == ("deny", "the policy server says no")
    [request] = seen
    assert request["auth"] == "Bearer t"
    assert request["body"] == {
        "session_id": "s1",
        "transcript_path": str(ws.parent / "s1.jsonl"),
        "cwd": str(ws),
        "hook_event_name": "PreToolUse",
        "permission_mode": "default",
        "tool_name": "Bash",
        "tool_input": {"command": "ls"},
        "tool_use_id": "t1",
    }


def test_an_unreachable_http_hook_is_a_non_blocking_error(ws: Path) -> None:
    hook = HookCommand(
        event="Stop", matcher="", type="http", url="http://127.0.0.1:9/", timeout_s=5
    )
    outcome = hooks_for(ws, hook).fire("Stop", {"stop_hook_active": False})
    assert not outcome.blocked and "HTTP request failed" in outcome.notices[0]


# -- the CLI ---------------------------------------------------------------------------------
def test_stream_json_carries_hook_responses_and_settings_flag_adds_hooks(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    turns = {
        "turns": [
            {"tool_calls": [{"name": "Bash", "input": {"command": "rm -rf /"}}]},
            {"text": "ok"},
        ]
    }
    (ws.parent / "s.json").write_text(json.dumps(turns))
    settings = {
        "hooks": {
            "PreToolUse": [
                {
                    "matcher": "Bash",
                    "hooks": [{"type": "command", "command": "echo no rm >&2; exit 2"}],
                }
            ]
        }
    }

    def go(*argv: str) -> tuple[int, list[dict[str, Any]]]:
        code = main(
            ["--cwd", str(ws), "-p", "go", "--output-format", "stream-json",
             "--model", f"script:{ws.parent / 's.json'}", "--settings", json.dumps(settings),
             *argv]
        )  # fmt: skip
        return code, [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    code, lines = go("--permission-mode", "bypassPermissions")
    assert code == 0
    [user] = [x for x in lines if x["type"] == "user"]
    assert user["message"]["content"][0]["content"] == (
        "Permission to use Bash was denied: a PreToolUse hook denied it: no rm"
    )
    [hook_line] = [x for x in lines if x.get("subtype") == "hook_response"]
    assert {k: v for k, v in hook_line.items() if k not in ("session_id", "hook_id")} == {
        "type": "system",
        "subtype": "hook_response",
        "hook_name": "PreToolUse:Bash",
        "hook_event": "PreToolUse",
        "output": "no rm\n",
        "stdout": "",
        "stderr": "no rm\n",
        "exit_code": 2,
        "outcome": "success",
    }
    assert lines[-1]["permission_denials"][0]["tool_input"] == {"command": "rm -rf /"}
    code, lines = go("--no-hooks", "--permission-mode", "plan")
    assert not [x for x in lines if x.get("subtype") == "hook_response"]


def test_verbose_shows_hook_output(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws.parent / "s.json").write_text(json.dumps({"turns": [{"text": "ok"}]}))
    settings = {"hooks": {"Stop": [{"hooks": [{"command": "echo formatted 3 files"}]}]}}
    main(
        [
            "--cwd",
            str(ws),
            "-p",
            "go",
            "--verbose",
            "--model",
            f"script:{ws.parent / 's.json'}",
            "--settings",
            json.dumps(settings),
        ]
    )
    err = capsys.readouterr().err
    assert "Stop hook ran (exit 0): echo formatted 3 files" in err
    assert "formatted 3 files" in err.split("echo formatted 3 files", 1)[1]
    assert os.environ["HOME"] != str(Path("/root"))


def test_a_failing_hook_is_told_on_stderr_and_the_run_goes_on(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws.parent / "s.json").write_text(json.dumps({"turns": [{"text": "ok"}]}))
    settings = {
        "hooks": {"UserPromptSubmit": [{"hooks": [{"command": "echo broken >&2; exit 3"}]}]}
    }
    code = main(
        [
            "--cwd",
            str(ws),
            "-p",
            "go",
            "--model",
            f"script:{ws.parent / 's.json'}",
            "--settings",
            json.dumps(settings),
        ]
    )
    out, err = capsys.readouterr()
    assert (code, out) == (0, "ok\n")
    assert err == "agentrun: UserPromptSubmit hook failed: broken\n"


def test_agentrun_hooks_lists_each_hook_with_its_file(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / ".claude").mkdir()
    settings = ws / ".claude" / "settings.json"
    group = {"matcher": "Bash", "hooks": [{"command": "guard.sh", "onFailure": "block"}]}
    settings.write_text(json.dumps({"hooks": {"PreToolUse": [group]}}))
    code = main(
        [
            "hooks",
            "--cwd",
            str(ws),
            "--settings",
            '{"hooks": {"Stop": [{"hooks": '
            '[{"type": "http", "url": "http://127.0.0.1:1/stop", "timeout": 5}]}]}}',
        ]
    )
    assert (code, capsys.readouterr().out.splitlines()) == (
        0,
        [
            "PreToolUse:",
            f"  [Bash] command guard.sh  (timeout 60 s, onFailure block; {settings})",
            "Stop:",
            "  http http://127.0.0.1:1/stop  (timeout 5 s; --settings)",
        ],
    )

"""``agentrun sessions show|rm``, ``--resume`` by unique prefix and its picker, no abbreviations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest

from agentrun.cli.app import build_parser, main
from agentrun.session.store import FileSessionStore

AGENTRUN = [sys.executable, "-m", "agentrun"]


def msg(role: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "message": {"role": role, "content": content}, **extra}


def save(root: Path, session_id: str, cwd: Path, prompt: str, answer: str, age: float) -> None:
    store = FileSessionStore(root / "sessions")
    store.append(session_id, {"type": "session", "cwd": str(cwd), "agent": "backend-specialist"})
    store.append(session_id, msg("user", prompt))
    store.append(session_id, msg("assistant", [{"type": "text", "text": answer}]))
    store.close()
    past = time.time() - age
    os.utime(root / "sessions" / f"{session_id}.jsonl", (past, past))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    work = tmp_path / "ws"
    work.mkdir()
    state = Path(os.environ["AGENTRUN_HOME"])
    save(state, "cefde897-aaaa", work, "the older prompt", "Older answer.", age=100)
    save(state, "cefd1111-bbbb", work, "the newer prompt", "Newer answer.", age=10)
    return work


def script(ws: Path, text: str) -> str:
    path = ws.parent / "script.json"
    path.write_text(json.dumps({"turns": [{"text": text}]}))
    return f"script:{path}"


def test_resume_takes_a_unique_prefix(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--cwd", str(ws), "-p", "go on", "--resume", "cefde", "--model", script(ws, "ok")])
    assert code == 0
    entries = FileSessionStore(Path(os.environ["AGENTRUN_HOME"]) / "sessions").load("cefde897-aaaa")
    prompts = [e["message"]["content"] for e in entries if e.get("type") == "message"]
    assert prompts[0] == "the older prompt" and prompts[-2] == [{"type": "text", "text": "go on"}]


def test_an_ambiguous_prefix_names_the_candidates(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--cwd", str(ws), "-p", "x", "--resume", "cefd", "--model", script(ws, "ok")])
    assert code == 2
    err = capsys.readouterr().err
    assert "session prefix 'cefd' is ambiguous: 2 sessions start with it" in err
    assert "cefd1111-bbbb, cefde897-aaaa" in err
    assert main(["--cwd", str(ws), "-p", "x", "--resume", "zzz", "--model", script(ws, "ok")]) == 2
    assert "no session 'zzz'" in capsys.readouterr().err


def test_resume_without_an_id_outside_a_terminal_is_a_usage_error(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--cwd", str(ws), "-p", "x", "--resume", "--model", script(ws, "ok")]) == 2
    assert "--resume needs a session ID outside an interactive terminal" in capsys.readouterr().err


def test_sessions_show_renders_the_transcript(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "show", "cefde"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("session cefde897-aaaa · ")
    assert out[0].endswith(f" · {ws} · backend-specialist · 1 turn · unknown")
    assert out[1:] == ["❯ the older prompt", "Older answer."]
    assert main(["sessions", "show", "nope"]) == 2


def test_sessions_rm_deletes_one(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "rm", "cefd1"]) == 0
    assert "Removed session cefd1111-bbbb" in capsys.readouterr().out
    assert main(["sessions", "--json"]) == 0
    assert [r["session_id"] for r in json.loads(capsys.readouterr().out)] == ["cefde897-aaaa"]
    assert main(["sessions", "rm", "cefd"]) == 0  # unique now
    assert main(["sessions", "rm", "cefd"]) == 2


def test_the_resume_picker_lists_recent_first_and_resumes_the_choice(ws: Path) -> None:
    path = ws.parent / "script.json"
    path.write_text(json.dumps({"turns": [{"text": "Picked up."}]}))
    child = pexpect.spawn(
        sys.executable,
        ["-m", "agentrun", "--cwd", str(ws), "--model", f"script:{path}", "--resume"],
        env={**os.environ, "TERM": "xterm-256color"},
        encoding="utf-8",
        dimensions=(40, 160),
        timeout=60,
    )
    child.expect("Resume which session")
    child.expect("Number")
    rows = [line.strip() for line in child.before.splitlines()[1:] if line.strip()]
    assert [row[:3] for row in rows] == ["1. ", "2. "]
    assert f"{ws}  'the newer prompt'  1 turn  unknown" in rows[0]
    assert f"{ws}  'the older prompt'  1 turn  unknown" in rows[1]
    child.sendline("2")
    child.expect("resumed session cefde897-aaaa")
    child.expect("Older answer.")
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_the_resume_picker_can_be_cancelled(ws: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "agentrun", "--cwd", str(ws), "--resume"],
        env=dict(os.environ),
        encoding="utf-8",
        timeout=60,
    )
    child.expect("Number")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def _parsers(parser: Any) -> list[Any]:
    out = [parser]
    for action in parser._actions:
        if isinstance(action.choices, dict):  # a subparsers action
            for sub in action.choices.values():
                out.extend(_parsers(sub))
    return out


def test_no_flag_is_ever_abbreviated(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    from agentrun.cli.app import SUBCOMMANDS, _Parser

    parsers = _parsers(build_parser())
    for name, (module, _) in SUBCOMMANDS.items():
        sub = _Parser(prog=f"agentrun {name}")
        importlib.import_module(module).add_arguments(sub)
        parsers.extend(_parsers(sub))
    assert len(parsers) > 8 and all(p.allow_abbrev is False for p in parsers)
    # the example: --out was taken as --output-format
    assert main(["-p", "hi", "--out", "r.jsonl"]) == 2
    assert "unrecognized arguments: --out r.jsonl" in capsys.readouterr().err
    assert main(["sessions", "--js"]) == 2
    done = subprocess.run(
        [*AGENTRUN, "-p", "x", "--max-tur", "1"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "unrecognized arguments: --max-tur" in done.stderr


def test_rm_refuses_a_session_a_run_is_appending_to(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = FileSessionStore(Path(os.environ["AGENTRUN_HOME"]) / "sessions")
    store.claim("cefde897-aaaa")  # what a running --resume holds
    try:
        assert main(["sessions", "rm", "cefde"]) == 2
        assert "session cefde897-aaaa is in use by a running agentrun" in capsys.readouterr().err
    finally:
        store.close()
    assert main(["sessions", "rm", "cefde"]) == 0


def test_the_listing_sends_no_control_characters_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = Path(os.environ["AGENTRUN_HOME"])
    save(state, "esc\x1b]0;pwned\x07", tmp_path, "hi \x1b[2J there", "ok", age=1)
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "esc\ufffd]0;pwned\ufffd" in out and "hi \ufffd[2J there" in out

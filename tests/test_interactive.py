"""Interactive mode driven through a real pseudo-terminal (pexpect), scripted model, no mocks."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

PROMPT = "❯"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    work = tmp_path / "ws"
    work.mkdir()
    (work / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (tmp_path / "home").mkdir()
    return work


def spawn(ws: Path, *turns: dict[str, Any], args: tuple[str, ...] = ()) -> pexpect.spawn:
    path = ws.parent / "script.json"
    path.write_text(json.dumps({"turns": list(turns)}))
    home = ws.parent / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env.update(HOME=str(home), AGENTRUN_HOME=str(home / ".agentrun"), TERM="xterm-256color")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "agentrun", "--cwd", str(ws), "--model", f"script:{path}", *args],
        env=env,
        encoding="utf-8",
        dimensions=(40, 110),
        timeout=30,
    )
    child.expect("Ctrl-D exits")
    child.expect(PROMPT)
    return child


def finish(child: pexpect.spawn) -> int:
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus)


def test_prompt_answer_footer_and_commands(ws: Path) -> None:
    child = spawn(ws, {"text": "Hello **there**.", "usage": {"input_tokens": 1000}})
    child.sendline("hi")
    child.expect("Hello")
    child.expect("there")
    child.expect("claude-sonnet-5-5 · 1 turn · 1,000 in / 0 out tokens · \\$0.0020")
    child.expect(PROMPT)
    child.sendline("/cost")
    child.expect("1 turn · 1,000 input tokens \\(0 from cache\\) · 0 output tokens · \\$0.0020")
    child.sendline("/help")
    child.expect("/agents")
    child.sendline("/agents")
    child.expect("backend-specialist")
    child.sendline("/model")
    child.expect("model: claude-sonnet-5-5")
    child.sendline("/bogus")
    child.expect("unknown command /bogus")
    assert finish(child) == 0


def test_agent_file_warnings_are_shown_at_the_start(ws: Path) -> None:
    agents = ws / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "web.md").write_text(
        "---\nname: web\ndescription: browses\ntools: Read, WebFetch\n---\nYou browse.\n"
    )
    child = spawn(ws, {"text": "ok"}, args=("--agent", "web"))
    assert "warning:" in child.before and "WebFetch" in child.before
    assert finish(child) == 0


def test_first_prompt_from_argument_and_ctrl_d(ws: Path) -> None:
    path = ws.parent / "script.json"
    path.write_text(json.dumps({"turns": [{"text": "Answer to the argument."}]}))
    home = ws.parent / "home"
    env = {**os.environ, "HOME": str(home), "AGENTRUN_HOME": str(home / ".agentrun")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "agentrun", "--cwd", str(ws), "--model", f"script:{path}", "what is this?"],
        env=env,
        encoding="utf-8",
        dimensions=(40, 110),
        timeout=30,
    )
    child.expect("Answer to the argument.")
    child.expect(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def edit_turns() -> list[dict[str, Any]]:
    edit = {"file_path": "calc.py", "old_string": "a - b", "new_string": "a + b"}
    return [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "calc.py"}}]},
        {"text": "Fixing.", "tool_calls": [{"name": "Edit", "input": edit}]},
        {"text": "Fixed."},
    ]


def test_approval_yes_shows_the_diff(ws: Path) -> None:
    child = spawn(ws, *edit_turns())
    child.sendline("fix add")
    child.expect("Read 2 lines")
    child.expect("2 .*\\+     return a \\+ b")  # the diff, numbered as in the file
    child.expect("Allow\\? \\[y\\]es / \\[n\\]o / \\[a\\]lways \\(Edit, this session\\):")
    child.sendline("y")
    child.expect("Updated: 1 line added, 1 removed")
    child.expect("Fixed.")
    child.expect(PROMPT)
    assert "a + b" in (ws / "calc.py").read_text()
    assert finish(child) == 0


def test_approval_no_leaves_the_file(ws: Path) -> None:
    turns = edit_turns()
    turns[2] = {"expect": [{"is_error": True, "contains": "denied"}], "text": "Understood."}
    child = spawn(ws, *turns)
    child.sendline("fix add")
    child.expect("Allow\\?")
    child.sendline("n")
    child.expect("Understood.")
    child.expect(PROMPT)
    assert "a - b" in (ws / "calc.py").read_text()
    assert finish(child) == 0


def test_always_is_remembered_for_the_session(ws: Path, tmp_path: Path) -> None:
    touch = {"tool_calls": [{"name": "Bash", "input": {"command": "touch marker"}}]}
    child = spawn(ws, touch, {"text": "One."}, touch, {"text": "Two."})
    child.sendline("first")
    child.expect("\\[a\\]lways \\(this command, this session\\)")
    child.sendline("a")
    child.expect("One.")
    child.expect(PROMPT)
    child.sendline("second")
    index = child.expect(["Allow\\?", "Two."])
    assert index == 1, "asked again after 'always'"
    assert finish(child) == 0


def test_ctrl_c_cancels_the_turn_and_keeps_the_session(ws: Path) -> None:
    sleep = {"tool_calls": [{"name": "Bash", "input": {"command": "sleep 30"}}]}
    child = spawn(ws, sleep, {"text": "Still here."}, args=("--allowedTools", "Bash(sleep:*)"))
    child.sendline("wait a while")
    child.expect("sleep 30")  # the spinner line of the running call
    child.sendintr()
    child.expect("⎿  interrupted", timeout=10)
    child.expect("Interrupted: the turn was cancelled")
    child.expect(PROMPT)
    child.sendline("are you there?")
    child.expect("Still here.")
    child.expect(PROMPT)
    assert finish(child) == 0


def test_ctrl_c_at_the_prompt_does_not_exit(ws: Path) -> None:
    child = spawn(ws, {"text": "ok"})
    child.sendintr()
    child.expect("Ctrl-D or /exit to leave")
    child.expect(PROMPT)
    assert finish(child) == 0


def test_clear_and_model_switch(ws: Path) -> None:
    other = ws.parent / "other.json"
    other.write_text(json.dumps({"turns": [{"text": "From the other model."}]}))
    child = spawn(ws, {"text": "First answer."})
    child.sendline("/clear")
    child.expect("new conversation")
    child.sendline(f"/model script:{other}")
    child.expect("model: claude-sonnet-5-5")  # the scripted model's id
    child.sendline("hello")
    child.expect("From the other model.")
    child.expect(PROMPT)
    assert finish(child) == 0


def run_in_pty(ws: Path, *argv: str) -> tuple[int, str]:
    home = ws.parent / "home"
    env = {**os.environ, "HOME": str(home), "AGENTRUN_HOME": str(home / ".agentrun")}
    child = pexpect.spawn(
        sys.executable, ["-m", "agentrun", "--cwd", str(ws), *argv], env=env, encoding="utf-8",
        timeout=30,
    )  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus), str(child.before)


def test_bad_agent_exits_2_before_the_prompt(ws: Path) -> None:
    code, output = run_in_pty(ws, "--agent", "ghost")
    assert code == 2 and "no agent named 'ghost'" in output and PROMPT not in output


def test_print_mode_on_a_terminal_needs_a_prompt(ws: Path) -> None:
    # -p with no prompt and a terminal on stdin: say so at once instead of waiting for input
    code, output = run_in_pty(ws, "-p")
    assert code == 2 and "-p needs a prompt" in output


def test_history_recalls_and_persists(ws: Path) -> None:
    child = spawn(ws, {"text": "One."}, {"text": "Two."})
    child.sendline("remember this line")
    child.expect("One.")
    child.expect(PROMPT)
    child.send("\x1b[A")  # up arrow: readline brings the last line back
    child.expect("remember this line")
    child.send("\r")
    child.expect("Two.")
    assert finish(child) == 0
    history = (ws.parent / "home" / ".agentrun" / "history").read_text()
    assert "remember this line" in history


def test_bad_model_switch_keeps_the_session(ws: Path) -> None:
    child = spawn(ws, {"text": "Kept."})
    child.sendline("/model")
    child.expect("model: claude-sonnet-5-5")  # the real id, before any turn
    child.sendline(f"/model script:{ws.parent / 'missing.yaml'}")
    child.expect("missing.yaml")
    child.expect("model: claude-sonnet-5-5")
    child.sendline("still there?")
    child.expect("Kept.")
    assert finish(child) == 0


def test_type_ahead_never_answers_an_approval(ws: Path) -> None:
    write = {"name": "Write", "input": {"file_path": "new.txt", "content": "x\n"}}
    child = spawn(
        ws,
        {"tool_calls": [{"name": "Bash", "input": {"command": "sleep 1"}}]},
        {"tool_calls": [write]},
        {"text": "Finished."},
        args=("--allowedTools", "Bash(sleep:*)"),
    )
    child.sendline("go")
    child.expect("sleep 1")
    child.sendline("y")  # typed while the tool runs, before any question
    child.expect("Allow\\?")
    assert child.expect(["Finished", pexpect.TIMEOUT], timeout=1.5) == 1, "approved by type-ahead"
    assert not (ws / "new.txt").exists()
    child.sendline("n")
    child.expect("Finished.")
    assert not (ws / "new.txt").exists()
    assert finish(child) == 0


def test_ctrl_c_at_an_approval_cancels_the_turn(ws: Path) -> None:
    turns = edit_turns()
    turns[2] = {"expect": [{"is_error": True}], "text": "Next prompt answered."}
    child = spawn(ws, *turns)
    child.sendline("fix add")
    child.expect("Allow\\?")
    child.sendintr()
    child.expect("Interrupted: the turn was cancelled")
    child.expect(PROMPT)
    assert "a - b" in (ws / "calc.py").read_text()
    # the model was not called again by the cancelled turn: its next turn answers this prompt,
    # and it sees the refused Edit's error result (the transcript stayed valid)
    child.sendline("carry on")
    child.expect("Next prompt answered.")
    assert finish(child) == 0


def test_backslash_continues_the_prompt(ws: Path) -> None:
    record = ws.parent / "rec.jsonl"
    child = spawn(ws, {"text": "Got both lines."}, args=("--record", str(record)))
    child.sendline("first line \\")
    child.expect("…")
    child.sendline("second line")
    child.expect("Got both lines.")
    assert finish(child) == 0
    assert "first line \\nsecond line" in record.read_text()

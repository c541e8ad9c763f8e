"""Interactive mode driven through a real pseudo-terminal (pexpect), scripted model, no mocks."""

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

from repl import PROMPT, finish, start_repl

READ_CALC = {"name": "Read", "input": {"file_path": "calc.py"}}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    work = tmp_path / "ws"
    work.mkdir()
    (work / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (tmp_path / "home").mkdir()
    return work


def spawn(ws: Path, *turns: dict[str, Any], args: tuple[str, ...] = ()) -> pexpect.spawn:
    return start_repl(ws, {"turns": list(turns)}, *args)


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
        "---\nname: web\ndescription: browses\ntools: Read, Teleport\n---\nYou browse.\n"
    )
    child = spawn(ws, {"text": "ok"}, args=("--agent", "web"))
    assert "warning:" in child.before and "Teleport" in child.before
    assert finish(child) == 0


def test_first_prompt_from_argument_and_ctrl_d(ws: Path) -> None:
    script = {"turns": [{"text": "Answer to the argument."}]}
    child = start_repl(ws, script, "what is this?", wait=False)
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
    child.expect("Allow\\? \\[y\\]es / \\[n\\]o / \\[a\\]lways \\(file edits in ")
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
    # (a file a command writes is asked each time, like a redirection: `ls` writes none)
    touch = {"tool_calls": [{"name": "Bash", "input": {"command": "ls -a"}}]}
    child = spawn(ws, touch, {"text": "One."}, touch, {"text": "Two."})
    child.sendline("first")
    child.expect("\\[a\\]lways \\(each command of this line, this session\\)")
    child.sendline("a")
    child.expect("One.")
    child.expect(PROMPT)
    child.sendline("second")
    index = child.expect(["Allow\\?", "Two."])
    assert index == 1, "asked again after 'always'"
    child.expect(PROMPT)
    other = ws.parent / "other.json"
    other.write_text(json.dumps({"turns": [touch, {"text": "Three."}]}))
    child.sendline(f"/model script:{other}")  # the same conversation: its answers go on too
    child.expect("model:")
    child.sendline("third")
    index = child.expect(["Allow\\?", "Three."])
    assert index == 1, "asked again after 'always' and /model"
    assert finish(child) == 0


def test_always_then_a_denied_path_then_a_protected_one(ws: Path) -> None:
    def write(path: str) -> dict[str, Any]:
        return {"tool_calls": [{"name": "Write", "input": {"file_path": path, "content": "x"}}]}

    denied = {"expect": [{"is_error": True, "contains": "Write(./.env)"}]}
    child = spawn(
        ws,
        write("a.txt"),
        write("b.txt"),
        {**write(".env"), "expect": [{"is_error": False}]},
        {**write(".claude/settings.local.json"), **denied},
        {"text": "Done."},
        args=("--disallowedTools", "Write(./.env)"),
    )
    child.sendline("write some files")
    child.expect(f"\\[a\\]lways \\(file edits in {ws}/, this session\\)")
    child.sendline("a")
    # b.txt runs without a question; .env is denied without one (a grant never outranks a
    # deny rule); the protected path is asked, and "always" is not offered for it
    child.expect("unless an allow rule names it")
    child.expect("Allow\\? \\[y\\]es / \\[n\\]o: ")
    child.sendline("a")  # not an answer here: asked again
    child.expect("Allow\\? \\[y\\]es / \\[n\\]o: ")
    child.sendline("n")
    child.expect("Done.")
    child.expect(PROMPT)
    assert finish(child) == 0
    assert (ws / "a.txt").read_text() == "x" and (ws / "b.txt").read_text() == "x"
    assert not (ws / ".env").exists() and not (ws / ".claude").exists()


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


def _settle() -> None:
    """Let readline enter its wait: a SIGINT landing just before it does is only noticed at the
    next key (CPython's readline checks signals when select returns), so a test would hang."""
    time.sleep(0.3)


def test_ctrl_c_at_the_prompt_does_not_exit_but_twice_does(ws: Path) -> None:
    child = spawn(ws, {"text": "ok"})
    child.send("half a thought")
    _settle()
    child.sendintr()
    child.expect("Ctrl-C again, Ctrl-D or /exit to leave")
    assert "\n" in child.before.split("half a thought")[-1]  # the hint starts a line of its own
    child.expect(PROMPT)
    child.sendline("hi")  # a line in between: the next Ctrl-C is a first one again
    child.expect("ok")
    child.expect(PROMPT)
    _settle()
    child.sendintr()
    child.expect("Ctrl-C again")
    child.expect(PROMPT)
    _settle()
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_pasted_block_of_lines_is_one_prompt(ws: Path) -> None:
    child = spawn(ws, {"text": "One answer."}, {"text": "Second answer."})
    # What a terminal sends for a paste when bracketed paste is on (readline asks for it).
    child.send("\x1b[200~first line\nsecond line\x1b[201~")
    child.send("\r")
    child.expect("One answer.")
    child.expect("1 turn")
    child.expect(PROMPT)
    assert finish(child) == 0
    assert _prompts(ws) == ["first line\nsecond line"]


def test_ctrl_c_at_an_approval_still_counts_the_turn(ws: Path) -> None:
    costly = {
        "tool_calls": [{"name": "Bash", "input": {"command": "echo a"}}],
        "usage": {"input_tokens": 100_000, "output_tokens": 1000},
    }
    child = spawn(ws, costly, {"text": "Fine.", "usage": {"input_tokens": 10}})
    child.sendline("go")
    child.expect("Allow\\?")
    _settle()
    child.sendintr()
    child.expect("Interrupted: the turn was cancelled")
    child.expect("1 turn · 100,000 in / 1,000 out tokens")  # the footer, the turn counted
    child.expect(PROMPT)
    child.sendline("continue")
    child.expect("Fine.")
    child.sendline("/cost")
    child.expect("2 turns · 100,010 input tokens")
    assert finish(child) == 0


def test_history_is_appended_as_prompts_are_sent(ws: Path) -> None:
    history = ws.parent / "home" / ".agentrun" / "history"
    first = spawn(
        ws, {"text": "A."}, {"tool_calls": [{"name": "Bash", "input": {"command": "true"}}]}
    )
    first.sendline("prompt from A")
    first.expect("A.")
    first.expect(PROMPT)
    assert history.read_text().splitlines() == ["prompt from A"]  # before any exit
    first.sendline("second from A")
    first.expect("Allow\\?")
    first.sendline("")  # an empty answer must not take a prompt out of the history
    first.expect("Allow\\?")
    first.sendline("n")
    first.expect(PROMPT)
    second = spawn(ws, {"text": "B."})
    second.sendline("prompt from B")
    second.expect("B.")
    second.expect(PROMPT)
    assert finish(second) == 0
    first.kill(9)  # a killed terminal: what it sent is kept all the same
    lines = history.read_text().splitlines()
    assert lines == ["prompt from A", "second from A", "prompt from B", "/exit"]


def test_sigterm_leaves_through_the_clean_up(ws: Path) -> None:
    sleep = {"tool_calls": [{"name": "Bash", "input": {"command": "sleep 77"}}]}
    child = spawn(ws, sleep, args=("--allowedTools", "Bash(sleep:*)"))
    child.sendline("wait")
    child.expect("sleep 77")
    child.kill(15)
    child.expect(pexpect.EOF, timeout=20)
    child.close()
    assert child.exitstatus == 128 + 15 or child.signalstatus is None
    assert "\x1b[?25h" in str(child.before)  # the cursor is shown again
    assert not [p for p in Path("/proc").glob("[0-9]*/cmdline") if _cmdline(p) == "sleep 77"]


def test_a_prompt_may_start_with_a_path(ws: Path) -> None:
    child = spawn(ws, {"text": "It lists hosts."}, {"text": "Disk."})
    child.sendline("/etc/hosts explain this file")
    child.expect("It lists hosts.")
    child.expect(PROMPT)
    child.sendline("/tmp is full, why?")
    child.expect("Disk.")
    child.expect(PROMPT)
    child.sendline("/nosuch")
    child.expect("unknown command /nosuch")
    assert finish(child) == 0


def test_resuming_shows_the_last_exchanges_and_counts_turns_like_the_listing(ws: Path) -> None:
    first = spawn(
        ws, {"text": "Looking.", "tool_calls": [READ_CALC]}, {"text": "The first answer."}
    )
    first.sendline("remember this")
    first.expect("The first answer.")
    first.expect(PROMPT)
    assert finish(first) == 0
    again = spawn(ws, {"text": "Second."}, args=("--continue",))
    # spawn() waited for the first ❯: the resumed conversation's own prompt line
    assert "resumed session" in again.before and "2 turns" in again.before
    again.expect("remember this")
    again.expect("Looking.")
    again.expect("Read")
    again.expect("calc.py")
    again.expect("The first answer.")
    again.expect("2 turns")
    again.expect(PROMPT)
    again.sendline("more")
    again.expect("Second.")
    again.expect("· 3 turns ·")  # the footer counts the whole session
    again.expect(PROMPT)
    assert finish(again) == 0
    listed = subprocess.run(
        [sys.executable, "-m", "agentrun", "sessions", "--json"],
        env={**os.environ, "AGENTRUN_HOME": str(ws.parent / "home" / ".agentrun")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert [row["turns"] for row in json.loads(listed.stdout)] == [3]


def test_a_model_switch_keeps_a_resumed_conversation(ws: Path) -> None:
    first = spawn(ws, {"text": "The first answer."})
    first.sendline("remember this")
    first.expect("The first answer.")
    first.expect(PROMPT)
    assert finish(first) == 0
    other = ws.parent / "other.json"
    other.write_text(json.dumps({"turns": [{"text": "Still the same conversation."}]}))
    again = spawn(ws, {"text": "unused"}, args=("--continue",))
    again.sendline(f"/model script:{other}")
    again.expect("model:")
    again.sendline("and now?")
    again.expect("Still the same conversation.")
    again.expect(PROMPT)
    assert finish(again) == 0
    assert _prompts(ws) == ["remember this", "and now?"]  # one transcript, both prompts


def test_a_prompt_argument_is_shown_and_kept(ws: Path) -> None:
    home = ws.parent / "home"
    child = start_repl(ws, {"turns": [{"text": "Answered."}]}, "from the command line", wait=False)
    child.expect("❯ .{0,8}from the command line")  # (colour codes between)
    child.expect("Answered.")
    child.expect(PROMPT)
    assert finish(child) == 0
    assert (home / ".agentrun" / "history").read_text().splitlines()[0] == "from the command line"


def _cmdline(path: Path) -> str:
    try:
        return path.read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def _prompts(ws: Path) -> list[str]:
    """The user prompts of the one saved session (its transcript)."""
    [transcript] = (ws.parent / "home" / ".agentrun" / "sessions").glob("*.jsonl")
    out = []
    for line in transcript.read_text().splitlines():
        entry = json.loads(line)
        message = entry.get("message") or {}
        if entry.get("type") == "message" and message.get("role") == "user":
            content = message["content"]
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
            out += [b["text"] for b in blocks if b.get("type") == "text"]
    return out


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
    _settle()
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

"""Hooks in the REPL, through a real pseudo-terminal: /hooks, the one-line notice of a blocking
hook, Notification at an approval prompt, SessionStart/SessionEnd sources."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from repl import PROMPT, finish, start_repl
from wskit import new_ws


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return new_ws(tmp_path)


def spawn(ws: Path, hooks: dict[str, Any], *turns: dict[str, Any]) -> pexpect.spawn:
    (ws / ".claude").mkdir(exist_ok=True)
    (ws / ".claude" / "settings.json").write_text(json.dumps({"hooks": hooks}))
    return start_repl(ws, {"turns": list(turns)}, width=160, timeout=60)


def test_repl_lists_hooks_shows_a_block_notifies_and_ends_the_session(ws: Path) -> None:
    log = ws.parent / "log.jsonl"
    record = (
        f"{sys.executable} -c \"import sys; open('{log}', 'a').write(sys.stdin.read() + '\\n')\""
    )
    hooks = {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"command": "echo 'no shell today' >&2; exit 2"}]}
        ],
        "Notification": [{"hooks": [{"command": record}]}],
        "SessionStart": [{"hooks": [{"command": record}]}],
        "SessionEnd": [{"hooks": [{"command": record}]}],
    }
    child = spawn(
        ws,
        hooks,
        {"tool_calls": [{"name": "Bash", "input": {"command": "ls"}}]},
        {"tool_calls": [{"name": "Write", "input": {"file_path": "a.txt", "content": "a"}}]},
        {"text": "All done."},
    )
    child.sendline("/hooks")
    child.expect("PreToolUse:")
    child.expect(r"\[Bash\] command echo 'no shell today'")
    child.sendline("go")
    child.expect("PreToolUse:Bash hook blocked \\(exit 2\\)")
    child.expect("no shell today")
    child.expect("Allow\\?")  # the Write asks: a Notification fires first
    child.sendline("n")
    child.expect("All done.")
    child.expect(PROMPT)
    child.sendline("/clear")
    child.expect("new conversation")
    child.sendline("again")  # a new conversation: the script plays from its start again
    child.expect("Allow\\?")
    child.sendline("n")
    child.expect("All done.")
    child.expect(PROMPT)
    assert finish(child) == 0
    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert [
        (e["hook_event_name"], e.get("source") or e.get("reason") or e.get("notification_type"))
        for e in events
    ] == [
        ("SessionStart", "startup"),
        ("Notification", "permission_prompt"),
        ("SessionEnd", "clear"),
        ("SessionStart", "clear"),
        ("Notification", "permission_prompt"),
        ("SessionEnd", "prompt_input_exit"),
    ]

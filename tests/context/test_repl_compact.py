"""``/compact`` and ``/context`` in the REPL, in a real pty."""

from __future__ import annotations

from pathlib import Path

from agentrun.session.store import FileSessionStore
from repl import PROMPT, finish, spawn_agentrun, start_repl


def test_compact_and_context_in_a_pty(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.txt").write_text("note line\n" * 200)
    home = tmp_path / "home"
    home.mkdir()
    read = {"name": "Read", "input": {"file_path": "notes.txt"}}
    turns = [{"tool_calls": [read]} for _ in range(6)] + [{"text": "Read it all."}]
    script = {"context_window": 60_000, "summary": "THE-SUMMARY", "turns": turns}
    child = start_repl(ws, script, timeout=60)
    child.sendline("/compact")
    child.expect("nothing to compact yet")
    child.sendline("read the notes")
    child.expect("Read it all.")
    child.expect(PROMPT)
    child.sendline("/context")
    child.expect(r"context: ([\d,]+) of 60,000 tokens \(\d+%\); compacts at 51,000")
    before = int(child.match.group(1).replace(",", ""))
    child.expect(r"tool results +([\d,]+) +\d+%")
    assert int(child.match.group(1).replace(",", "")) > 0
    child.expect(r"free +[\d,]+")
    child.sendline("/compact keep the note count")
    child.expect(r"compacted: ([\d,]+) → ([\d,]+) tokens")
    pre, post = (int(g.replace(",", "")) for g in child.match.groups())
    assert pre == before and post < pre
    assert finish(child) == 0
    store = FileSessionStore(home / ".agentrun" / "sessions")
    (path,) = store.root.glob("*.jsonl")
    entries = store.load(path.stem)
    boundary = [e for e in entries if e["type"] == "compact_boundary"]
    assert [(b["trigger"], b["summary"]) for b in boundary] == [("manual", "THE-SUMMARY")]


def test_thinking_is_folded_and_compaction_announced() -> None:
    from rich.console import Console

    from agentrun.cli.render import Renderer
    from agentrun.core.events import AssistantEvent, CompactEvent
    from agentrun.core.types import Usage

    console = Console(record=True, width=100, force_terminal=False)
    renderer = Renderer(console)
    thinking = "Check the failing test first.\nThen read calc.py.\nThen fix the sign."
    message = {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": thinking, "signature": "c2ln"},
            {"type": "text", "text": "Fixed."},
        ],
    }
    renderer.on_event(AssistantEvent("s", message, Usage(), "end_turn"))
    renderer.on_event(CompactEvent("s", "auto", 17_000, 5_000))
    out = console.export_text()
    assert "✻ Thinking: Check the failing test first. (+7 words folded)" in out
    assert "Then read calc.py" not in out  # folded away
    assert "Fixed." in out
    assert "✻ conversation compacted (auto): 17,000 → 5,000 tokens" in out


def test_thinking_streams_live_in_a_pty_then_folds(tmp_path: Path) -> None:
    from agentrun.testing.fake_server import FakeAnthropicServer

    ws = tmp_path / "ws"
    ws.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    thinking = (
        "First look at the failing test and what it expects from the parser.\n"
        "Then read calc.py where the sign of the result is computed LATEST-WORDS"
    )
    reply = {
        "content": [
            {"type": "thinking", "thinking": thinking, "signature": "c2ln"},
            {"type": "text", "text": "The sign was flipped."},
        ],
        "stop_reason": "end_turn",
    }
    with FakeAnthropicServer([reply]) as server:
        env = {"ANTHROPIC_API_KEY": "sk-ant-fake-0123456789", "ANTHROPIC_BASE_URL": server.url}
        child = spawn_agentrun(ws, "--model", "sonnet", home=home, width=140, timeout=60, env=env)
        child.expect("Ctrl-D exits")
        child.expect(PROMPT)
        child.sendline("why does the test fail?")
        # Live: the latest words of the thinking on a dim line, while it streams...
        child.expect(r"✻ Thinking… [^\r\n]*LATEST-WORDS")
        # ...then folded to its first line once the message is complete.
        child.expect("✻ Thinking: First look at the failing test and what it expects from the")
        child.expect("The sign was flipped")
        child.expect(PROMPT)
        assert finish(child) == 0

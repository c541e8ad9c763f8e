"""``/context``'s budget by part, on a real session: the parts add up to the budget's figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from contextkit import READER

from agentrun.context.parts import ContextParts
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import AgentSession


def test_the_parts_of_a_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "worker.md").write_text(READER)
    (ws / "CLAUDE.md").write_text("Always run the tests. " * 200)  # ~1,100 tokens of memory
    (ws / "notes.txt").write_text("a note worth keeping\n" * 400)  # ~3,000 tokens when read
    read = {"name": "Read", "input": {"file_path": "notes.txt"}}
    model = ScriptedModel.from_data(
        {"context_window": 100_000, "turns": [{"tool_calls": [read]}, {"text": "Read."}]}
    )
    with AgentSession(agent=str(ws / "worker.md"), cwd=ws, model=model) as session:
        empty = session.context.parts()
        session.send("read the notes")
        parts = session.context.parts()
        assert parts.used == session.context_tokens
    assert empty.tool_results == 0 and empty.messages == 0
    assert 900 < parts.memory < 1_400, parts
    assert 2_500 < parts.tool_results < 3_800, parts
    assert parts.tools > 100 and parts.system > 100 and parts.messages > 0
    assert (parts.window, parts.threshold) == (100_000, 85_000)
    lines = parts.lines()
    assert lines[0] == (
        f"context: {parts.used:,} of 100,000 tokens ({parts.used / 100_000:.0%}); "
        "compacts at 85,000 (85%, by agentrun)"
    )
    assert [line.split()[0] for line in lines[1:]] == [
        "system",
        "tools",
        "memory",
        "messages",
        "tool",
        "free",
    ]


def test_lines_snapshot() -> None:
    parts = ContextParts(1_000, 2_000, 500, 1_500, 5_000, 200_000, 170_000, server_side=True)
    assert parts.lines() == [
        "context: 10,000 of 200,000 tokens (5%); compacts at 170,000 (85%, server-side)",
        "  system prompt      1,000    0%",
        "  tools              2,000    1%",
        "  memory files         500    0%",
        "  messages           1,500    1%",
        "  tool results       5,000    2%",
        "  free             190,000   95%",
    ]

"""Server-side compaction (compact_20260112) through the real SDK against FakeAnthropicServer:
the request shape and beta header, the compaction block streamed back, sent back verbatim on
the next request, and recorded as a compact_boundary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from contextkit import READER

import agentrun.runner.api as api
from agentrun.core.events import AssistantEvent, CompactEvent, Event
from agentrun.models.scripted import ScriptedModel
from agentrun.session.store import FileSessionStore
from agentrun.testing.fake_server import FakeAnthropicServer

KEY = "sk-ant-test-0123456789abcdef"
SHARE = 0.006  # of sonnet's 1M window: compaction at 6,000 input tokens


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    monkeypatch.delenv("CLAUDE_AUTOCOMPACT_PCT_OVERRIDE", raising=False)
    root = tmp_path / "ws"
    root.mkdir()
    (root / "worker.md").write_text(READER)
    (root / "notes.txt").write_text("a line of notes to read again and again\n" * 40)
    return root


def test_server_side_compaction_round_trip(ws: Path, monkeypatch: pytest.MonkeyPatch):
    turns: list[dict[str, Any]] = [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "notes.txt"}}]} for _ in range(12)
    ]
    turns.append({"text": "Done."})
    serving = ScriptedModel.from_data({"turns": turns, "summary": "SERVER-SUMMARY"})
    events: list[Event] = []
    with FakeAnthropicServer(model=serving) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        result = api.run(
            "Read the notes.",
            agent=str(ws / "worker.md"),
            cwd=ws,
            model="sonnet",
            compact_threshold=SHARE,
            on_event=events.append,
        )
    assert (result.subtype, result.result) == ("success", "Done."), result.result
    first = server.requests[0]
    assert "compact-2026-01-12" in first.headers["anthropic-beta"]
    assert "context-management-2025-06-27" in first.headers["anthropic-beta"]
    assert {"type": "compact_20260112", "trigger": {"type": "input_tokens", "value": 6000}} in (
        first.body["context_management"]["edits"]
    )
    answers = [e for e in events if isinstance(e, AssistantEvent)]
    compacted = [
        i for i, e in enumerate(answers) if e.message["content"][0]["type"] == "compaction"
    ]
    assert compacted, "the server never compacted"
    at = compacted[0]
    block = answers[at].message["content"][0]
    assert block == {"type": "compaction", "content": "SERVER-SUMMARY"}
    # The next request sends the block back verbatim in the assistant message that carried it.
    sent_back = server.requests[at + 1].body["messages"]
    assert any(m["content"][0] == block for m in sent_back if m["role"] == "assistant")
    # The API reads only what follows the block: the prompt shrank.
    before = answers[at - 1].usage.total_input_tokens
    after = answers[at + 1].usage.total_input_tokens
    assert after < before
    boundaries = [e for e in events if isinstance(e, CompactEvent)]
    assert len(boundaries) == len(compacted)
    assert boundaries[0].server and boundaries[0].trigger == "auto"
    saved = FileSessionStore(ws.parent / "home" / "sessions").load(result.session_id)
    assert [e["server"] for e in saved if e["type"] == "compact_boundary"] == [True] * len(
        compacted
    )


def test_compaction_without_the_beta_header_is_refused_like_the_api(ws: Path):
    import anthropic

    with FakeAnthropicServer([{"content": [{"type": "text", "text": "x"}]}]) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0)
        with pytest.raises(anthropic.BadRequestError, match="beta header"):
            client.messages.create(
                model="claude-sonnet-5-5",
                max_tokens=10,
                messages=[{"role": "user", "content": "hi"}],
                extra_body={"context_management": {"edits": [{"type": "compact_20260112"}]}},
            )

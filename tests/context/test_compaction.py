"""Long sessions compact: a 200-turn scripted session in a 20,000-token window, headless with
stream-json, resumed after a compaction, and compacted on request (AgentSession.compact)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import agentrun.runner.api as api
from agentrun.core.events import CompactEvent, Event
from agentrun.models.scripted import ScriptedModel
from agentrun.session.store import FileSessionStore
from agentrun.session.transcript import count_turns

WINDOW = 20_000
TURNS = 200
AGENT = """---
name: worker
description: Reads files for a long time.
tools: Read
---
You read files.
"""


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CLAUDE_AUTOCOMPACT_PCT_OVERRIDE", raising=False)
    root = tmp_path / "ws"
    root.mkdir()
    (root / "worker.md").write_text(AGENT)
    for i in range(10):
        (root / f"part{i}.txt").write_text(f"part {i} line {'x' * 60}\n" * 20)
    return root


def script(turns: int = TURNS, **top: Any) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [
        {
            "text": f"Step {n}.",
            "tool_calls": [{"name": "Read", "input": {"file_path": f"part{n % 10}.txt"}}],
            **(
                {"expect": [{"is_error": False, "contains": f"part {(n - 1) % 10} line"}]}
                if n
                else {}
            ),
        }
        for n in range(turns)
    ]
    steps.append({"text": "All parts read.", "expect": [{"is_error": False}]})
    return {"context_window": WINDOW, "turns": steps, **top}


def entries(ws: Path, session_id: str) -> list[dict[str, Any]]:
    return FileSessionStore(ws.parent / "home" / "sessions").load(session_id)


def test_200_turns_in_a_20k_window_compact_and_lose_no_turn(ws: Path):
    model = ScriptedModel.from_data(script())
    events: list[Event] = []
    result = api.run(
        "Read every part, again and again.",
        agent=str(ws / "worker.md"),
        cwd=ws,
        model=model,
        strict=True,
        on_event=events.append,
    )
    assert (result.subtype, result.result) == ("success", "All parts read."), result.result
    assert result.num_turns == TURNS + 1
    model.assert_complete()  # every request fitted: the scripted model refuses one over the window
    compactions = [e for e in events if isinstance(e, CompactEvent)]
    assert len(compactions) >= 3
    assert all(e.trigger == "auto" and e.pre_tokens > e.post_tokens for e in compactions)
    assert all(e.pre_tokens <= WINDOW for e in compactions)
    saved = entries(ws, result.session_id)
    assert count_turns(saved) == TURNS + 1  # no turn missing from the transcript
    boundaries = [e for e in saved if e["type"] == "compact_boundary"]
    assert len(boundaries) == len(compactions) == model.summaries
    assert all(b["summary"].startswith("Summary ") for b in boundaries)
    tool_ids = {
        b["id"]
        for e in saved
        if e["type"] == "message" and e["message"]["role"] == "assistant"
        for b in e["message"]["content"]
        if b["type"] == "tool_use"
    }
    assert len(tool_ids) == TURNS


def test_resume_continues_from_the_compacted_history(ws: Path):
    first = ScriptedModel.from_data(script(60, summary="SUMMARY-OF-THE-FIRST-RUN"))
    result = api.run("go", agent=str(ws / "worker.md"), cwd=ws, model=first, strict=True)
    assert result.subtype == "success", result.result
    assert first.summaries >= 1
    seen: list[Any] = []

    def answer(request: Any) -> dict[str, Any]:
        seen.append(request)
        return {"content": [{"type": "text", "text": "Resumed."}]}

    from agentrun.models.function import FunctionModel

    with api.AgentSession(
        agent=str(ws / "worker.md"), cwd=ws, model=FunctionModel(answer), resume=result.session_id
    ) as session:
        assert session.send("And now?").result == "Resumed."
    (request,) = seen
    first_text = request.messages[0]["content"][0]["text"]
    assert "SUMMARY-OF-THE-FIRST-RUN" in first_text
    assert "part" in first_text  # the files worked on are named
    assert len(json.dumps(request.messages)) // 4 < WINDOW * 0.85
    assert request.messages[-1]["content"][-1]["text"] == "And now?"


def test_manual_compact_with_instructions(ws: Path):
    model = ScriptedModel.from_data(script(30))
    asked: list[Any] = []
    events: list[Event] = []
    with api.AgentSession(
        agent=str(ws / "worker.md"), cwd=ws, model=model, on_event=events.append
    ) as session:
        assert session.send("go").subtype == "success"
        before = session.context_tokens
        original = model.complete

        def spy(request: Any, **kw: Any) -> Any:
            asked.append(request)
            return original(request, **kw)

        model.complete = spy  # type: ignore[method-assign]
        event = session.compact("Keep the part numbers.")
        after = session.context_tokens
    assert (event.trigger, event.pre_tokens) == ("manual", before)
    assert after < before and event.post_tokens == after
    assert events[-1] == event
    text = asked[0].messages[-1]["content"][-1]["text"]
    assert text.startswith("[agentrun compaction]") and "Keep the part numbers." in text
    saved = entries(ws, session.session_id)
    assert saved[-1]["type"] == "compact_boundary" and saved[-1]["trigger"] == "manual"


def test_headless_stream_json_reports_compact_boundary(ws: Path, tmp_path: Path):
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(script(80)))
    done = subprocess.run(
        [
            *(sys.executable, "-m", "agentrun", "-p", "go", "--agent", str(ws / "worker.md")),
            *("--cwd", str(ws), "--model", f"script:{path}", "--output-format", "stream-json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    boundaries = [x for x in lines if x.get("subtype") == "compact_boundary"]
    assert boundaries and all(x["type"] == "system" for x in boundaries)
    meta = boundaries[0]["compact_metadata"]
    assert meta["trigger"] == "auto" and meta["pre_tokens"] > meta["post_tokens"] > 0
    assert lines[-1]["type"] == "result" and lines[-1]["subtype"] == "success"
    assert lines[-1]["num_turns"] == 81


def test_a_request_over_the_window_fails_like_the_api(ws: Path):
    model = ScriptedModel.from_data({"context_window": 50, "turns": [{"text": "hi"}]})
    result = api.run("x" * 400, agent=str(ws / "worker.md"), cwd=ws, model=model)
    assert result.subtype == "error_during_execution"
    assert "prompt is too long" in result.result


def test_pre_compact_hook_runs_before_the_summary(ws: Path, tmp_path: Path):
    log = tmp_path / "precompact.json"
    hook = {"type": "command", "command": f"cat > {log}"}
    settings = {"hooks": {"PreCompact": [{"matcher": "", "hooks": [hook]}]}}
    model = ScriptedModel.from_data(script(4))
    with api.AgentSession(
        agent=str(ws / "worker.md"), cwd=ws, model=model, settings=settings
    ) as session:
        assert session.send("go").subtype == "success"
        assert not log.exists()
        session.compact("keep the part numbers")
    payload = json.loads(log.read_text())
    assert payload["hook_event_name"] == "PreCompact"
    assert payload["trigger"] == "manual"
    assert payload["custom_instructions"] == "keep the part numbers"


def test_session_start_compact_hook_context_joins_the_summary(ws: Path, tmp_path: Path):
    # A SessionStart hook matching source "compact" re-injects what must survive a compaction.
    hook = {"type": "command", "command": "echo REMEMBER-PART-SEVEN"}
    other = {"type": "command", "command": "echo NOT-AT-STARTUP"}
    settings = {
        "hooks": {
            "SessionStart": [
                {"matcher": "compact", "hooks": [hook]},
                {"matcher": "startup", "hooks": [other]},
            ]
        }
    }
    model = ScriptedModel.from_data(script(4))
    with api.AgentSession(
        agent=str(ws / "worker.md"), cwd=ws, model=model, settings=settings
    ) as session:
        assert session.send("go").subtype == "success"
        session.compact()
        sid = session.session_id
    entries = FileSessionStore(tmp_path / "home" / "sessions").load(sid)
    boundary = [e for e in entries if e.get("type") == "compact_boundary"][-1]
    head = json.dumps(boundary["messages"][0])
    assert "REMEMBER-PART-SEVEN" in head
    assert "NOT-AT-STARTUP" not in head

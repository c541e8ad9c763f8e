"""JSONL transcripts: durable appends, tolerant loads, exact rebuilds, listing, no keys."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main
from agentrun.core.errors import SessionError
from agentrun.session.store import (
    INTERRUPTED_RESULT,
    FileSessionStore,
    list_sessions,
    rebuild_messages,
)

USE = {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "sleep 9"}}


def msg(role: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "message": {"role": role, "content": content}, **extra}


def test_append_load_round_trip(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    store.append("s1", {"type": "session", "cwd": "/w"})
    store.append("s1", msg("user", [{"type": "text", "text": "héllo"}]))
    assert store.load("s1") == [
        {"type": "session", "cwd": "/w"},
        msg("user", [{"type": "text", "text": "héllo"}]),
    ]
    store.close()
    assert (tmp_path / "s1.jsonl").read_text().count("\n") == 2


def test_transcripts_are_private_to_their_owner(tmp_path: Path) -> None:
    root = tmp_path / "home" / "sessions"
    store = FileSessionStore(root)
    store.append("s1", {"type": "session"})
    store.close()
    assert (root.stat().st_mode & 0o777, (root / "s1.jsonl").stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )


def test_torn_last_line_is_ignored_and_a_torn_middle_line_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"type": "session"}\n{"type": "mess')
    assert FileSessionStore(tmp_path).load("s") == [{"type": "session"}]
    assert caplog.messages == []
    path.write_text('{"type": "session"}\n{"type": "mess\n{"type": "x"}\n')
    assert FileSessionStore(tmp_path).load("s") == [{"type": "session"}, {"type": "x"}]
    assert caplog.messages == [f"{path}:2: skipped a damaged line (not JSON)"]


def test_missing_and_bad_ids(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="no session 'nope'"):
        FileSessionStore(tmp_path).load("nope")
    with pytest.raises(SessionError, match="not a session id"):
        FileSessionStore(tmp_path).load("../etc/passwd")


def test_rebuild_merges_like_the_loop_and_repairs_unanswered_tool_use() -> None:
    entries = [
        {"type": "session"},
        msg("user", [{"type": "text", "text": "a"}]),
        msg("user", [{"type": "text", "text": "b"}]),  # a crash before the answer, then a prompt
        msg("assistant", [{"type": "text", "text": "running"}, USE]),
        {"type": "result", "subtype": "error_during_execution", "stop_reason": "interrupted"},
    ]
    assert rebuild_messages(entries) == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "running"}, USE]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": INTERRUPTED_RESULT,
                    "is_error": True,
                }
            ],
        },
    ]


def test_repair_puts_results_first_in_a_following_user_message() -> None:
    entries = [msg("user", "a"), msg("assistant", [USE]), msg("user", "next prompt")]
    rebuilt = rebuild_messages(entries)
    assert rebuilt[2]["content"][0]["tool_use_id"] == "t1"
    assert rebuilt[2]["content"][1] == {"type": "text", "text": "next prompt"}


def test_rebuild_drops_empty_assistant_messages_and_merges_around_them() -> None:
    entries = [
        msg("user", [{"type": "text", "text": "a"}]),
        msg("assistant", [], usage={"output_tokens": 1}),  # the API answered with nothing
        msg("user", [{"type": "text", "text": "b"}]),
        msg("assistant", [{"type": "text", "text": "ok"}]),
    ]
    assert rebuild_messages(entries) == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
    ]


def test_list_sessions_summaries(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    store.append(
        "old", {"type": "session", "cwd": "/a", "agent": "x", "model": "claude-sonnet-5-5"}
    )
    store.append("old", msg("user", [{"type": "text", "text": "first prompt"}]))
    usage = {"input_tokens": 1_000_000, "output_tokens": 0}
    store.append(
        "old",
        msg("assistant", [{"type": "text", "text": "hi"}], usage=usage, model="claude-sonnet-5-5"),
    )
    store.append("new", {"type": "session", "cwd": "/b", "agent": "y", "model": "mystery"})
    store.append("new", msg("assistant", [], usage=usage, model="mystery"))
    store.close()
    os.utime(tmp_path / "old.jsonl", (time.time() - 100, time.time() - 100))
    new, old = list_sessions(tmp_path)
    assert (old.session_id, old.cwd, old.agent, old.first_prompt, old.turns, old.cost_usd) == (
        "old",
        "/a",
        "x",
        "first prompt",
        1,
        2.0,
    )
    assert (new.session_id, new.cost_usd) == ("new", None)
    assert FileSessionStore(tmp_path).latest_for_cwd("/a") == "old"
    assert FileSessionStore(tmp_path).latest_for_cwd("/zzz") is None


def test_api_key_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-ant-api03-SECRETSECRETSECRET"
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    store = FileSessionStore(tmp_path)
    store.append(
        "s", msg("user", [{"type": "tool_result", "tool_use_id": "x", "content": f"KEY={key}"}])
    )
    store.close()
    text = (tmp_path / "s.jsonl").read_text()
    assert key not in text and "KEY=[REDACTED]" in text


def test_anything_shaped_like_a_key_is_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    key = "sk-ant-api03-" + "Zx9_-" * 12  # e.g. given to AnthropicModel(api_key=...)
    store = FileSessionStore(tmp_path)
    content = f"cat .env\nANTHROPIC_API_KEY={key}\nsk-ant-short stays"
    store.append(
        "s", msg("user", [{"type": "tool_result", "tool_use_id": "x", "content": content}])
    )
    store.close()
    (entry,) = FileSessionStore(tmp_path).load("s")
    assert entry["message"]["content"][0]["content"] == (
        "cat .env\nANTHROPIC_API_KEY=[REDACTED]\nsk-ant-short stays"
    )


def test_sessions_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path))
    assert main(["sessions"]) == 0
    assert capsys.readouterr().out == "No saved sessions.\n"
    store = FileSessionStore(tmp_path / "sessions")
    store.append("abc", {"type": "session", "cwd": str(tmp_path), "agent": "backend-specialist"})
    store.append("abc", msg("user", "fix the bug"))
    store.close()
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "abc" in out and "fix the bug" in out and "backend-specialist" in out
    assert main(["sessions", "--json", "--cwd", str(tmp_path)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["session_id"], row["turns"], row["first_prompt"]) == ("abc", 0, "fix the bug")
    assert main(["sessions", "--json", "--cwd", "/nowhere"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_session_ids_are_random_version_4_uuids() -> None:
    import uuid

    from agentrun.session.store import new_session_id

    ids = [new_session_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical form: lower-case hex, 8-4-4-4-12
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    # Every one of the 122 random bits varies (a fixed bit would show as always 0 or always 1).
    ints = [uuid.UUID(t).int for t in ids]
    fixed = (1 << 128) - 1
    for value in ints:
        fixed &= ~(value ^ ints[0])
    assert bin(fixed).count("1") == 6  # only the version and variant bits are fixed

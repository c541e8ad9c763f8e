"""list_sessions / get_session_messages read the sessions agentrun.sdk runs saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrun.sdk import ClaudeAgentOptions, ResultMessage, get_session_messages, list_sessions
from sdkkit import collect, make_ws, script


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def test_a_finished_query_is_listed_and_its_messages_read_back(ws: Path, tmp_path: Path) -> None:
    assert list_sessions() == []
    options = ClaudeAgentOptions(cwd=ws, model=script({"text": "Hi there."}))
    result = collect("Say hi", options)[-1]
    assert isinstance(result, ResultMessage)

    listed = list_sessions(str(ws))
    assert [s.session_id for s in listed] == [result.session_id]
    assert listed[0].first_prompt == "Say hi"
    assert listed[0].file_size and listed[0].file_size > 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert list_sessions(str(elsewhere)) == []

    messages = get_session_messages(result.session_id)
    assert [(m.type, m.session_id) for m in messages] == [
        ("user", result.session_id),
        ("assistant", result.session_id),
    ]
    assert messages[1].message["content"][0]["text"] == "Hi there."
    assert [m.uuid for m in get_session_messages(result.session_id)] == [m.uuid for m in messages]
    assert get_session_messages(result.session_id, limit=1, offset=1) == messages[1:]
    assert get_session_messages(result.session_id, directory=str(elsewhere)) == []
    assert get_session_messages("no-such-session") == []

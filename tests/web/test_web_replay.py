"""Recorded web calls replay offline: WebFetch's page and answer and WebSearch's results come
from the recording, never from the network, with drift when a call is not in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_websearch import RESULTS, searched, server
from websites import serve, web_context

import agentrun.runner.api as api
from agentrun.core.errors import ModelError, ScriptFormatError, ScriptMismatchError
from agentrun.core.types import ModelRequest
from agentrun.models.recording import FORMAT_VERSION
from agentrun.models.replay import ReplayModel
from agentrun.testing import tool_outcomes
from agentrun.tools.web.cache import PAGES
from agentrun.tools.web.webfetch import WebFetchTool
from agentrun.tools.web.websearch import WebSearchTool

__all__ = ["server"]  # the fixture, used by name

KEY = "sk-ant-test-0123456789abcdef"
AGENT = """---
name: browser
description: Reads and searches the web.
tools: WebFetch, WebSearch
---
You read web pages.
"""
SECRET_PAGE = b"<html><body><h1>Config</h1><p>token " + KEY.encode() + b" here</p></body></html>"
DONE = {"content": [{"type": "text", "text": "Blue costs 42 euros."}], "stop_reason": "end_turn"}


def call(name: str, tool_input: dict[str, Any], n: int = 1) -> dict[str, Any]:
    block = {"type": "tool_use", "id": f"toolu_0{n}", "name": name, "input": tool_input}
    return {"content": [block], "stop_reason": "tool_use"}


def said(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "stop_reason": "end_turn"}


def run(ws: Path, **options: Any) -> api.RunResult:
    return api.run(
        "what does blue cost?",
        agent=str(ws / "browser.md"),
        cwd=ws,
        allowed_tools=("WebFetch(domain:127.0.0.1)", "WebSearch"),
        strict=True,
        **options,
    )


def workspace(tmp_path: Path, name: str) -> Path:
    ws = tmp_path / name
    ws.mkdir()
    (ws / "browser.md").write_text(AGENT)
    return ws


def record(tmp_path: Path, server: Any, recording: Path) -> tuple[api.RunResult, int]:
    """A run through the real SDK and the fake server: two WebFetch calls in one turn (one page
    holding the API key), one redirect, a search; recorded to ``recording``."""
    with serve() as site:
        site.pages["/secret"] = ("text/html", SECRET_PAGE)
        base = site.base
        server.add(
            {
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_01",
                        "name": "WebFetch",
                        "input": {"url": f"{base}/page", "prompt": "What does blue cost?"},
                    },
                    {
                        "type": "tool_use",
                        "id": "toolu_02",
                        "name": "WebFetch",
                        "input": {"url": f"{base}/secret", "prompt": "What is here?"},
                    },
                ],
                "stop_reason": "tool_use",
            },
            said("42 euros."),  # the two small-model answers, in whichever order they ask
            said("42 euros."),
            call("WebFetch", {"url": f"{base}/away", "prompt": "Anything?"}, 3),
            call("WebSearch", {"query": "widget prices", "allowed_domains": ["example.com"]}, 4),
            searched("widget prices", RESULTS[:1]),
            DONE,
        )
        result = run(workspace(tmp_path, "first"), model="sonnet", record=recording)
        hits = sum(site.hits.values())
    return result, hits


def test_a_recorded_web_run_replays_with_every_server_stopped(tmp_path: Path, server: Any) -> None:
    recording = tmp_path / "web.jsonl"
    recorded, hits = record(tmp_path, server, recording)
    assert recorded.subtype == "success", recorded.result
    assert hits == 3 and len(server.requests) == 7
    server.close()  # the fake Messages API is gone too
    text = recording.read_text()
    assert KEY not in text  # the page that showed the key is scrubbed like everything else
    kinds = [json.loads(line).get("web") for line in text.splitlines()[1:]]
    assert sorted(k for k in kinds if k) == [
        "page",
        "page",
        "page",
        "web_fetch",
        "web_fetch",
        "web_search",
    ]
    assert kinds.count(None) == 4  # the four turns, as before

    PAGES.clear()
    replay = ReplayModel(recording)
    replayed = run(workspace(tmp_path, "second"), model=replay)
    assert replayed.subtype == "success", replayed.result
    replay.assert_complete()
    assert replay.drifts == []
    first = [(o.name, o.is_error, o.text) for o in tool_outcomes(recorded)]
    again = [(o.name, o.is_error, o.text) for o in tool_outcomes(replayed)]
    assert sorted(again) == sorted(first)
    texts = {o.text for o in tool_outcomes(replayed)}
    assert any("redirects to another host" in t for t in texts)
    assert any("Release notes" in t for t in texts)
    assert len(PAGES._entries) == 0  # a replayed page never lands in the process's cache


def edit(recording: Path, change: Any) -> None:
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    recording.write_text("\n".join(json.dumps(change(entry)) for entry in lines) + "\n")


def test_a_changed_url_is_drift(tmp_path: Path, server: Any) -> None:
    recording = tmp_path / "web.jsonl"
    assert record(tmp_path, server, recording)[0].subtype == "success"

    def moved(entry: dict[str, Any]) -> dict[str, Any]:
        if entry.get("web") == "page" and entry["url"].endswith("/page"):
            entry["url"] = entry["page"]["url"] = entry["url"].replace("/page", "/page-moved")
        return entry

    edit(recording, moved)
    with serve() as site:
        failed = run(workspace(tmp_path, "second"), model=ReplayModel(recording))
        assert sum(site.hits.values()) == 0
    assert failed.subtype == "error_during_execution"
    assert "before turn 2: WebFetch's page differs from the recording" in failed.result
    assert "\n-http://127.0.0.1:" in failed.result and "/page-moved\n" in failed.result
    assert "\n+http://127.0.0.1:" in failed.result and "/page\n" in failed.result


def test_drift_warn_goes_on_with_an_error_result(tmp_path: Path, server: Any) -> None:
    recording = tmp_path / "web.jsonl"
    assert record(tmp_path, server, recording)[0].subtype == "success"
    edit(recording, lambda e: e if e.get("web") != "web_search" else {**e, "web": "page",
         "page": {"url": "https://example.com/x", "markdown": "other"}})  # fmt: skip
    replay = ReplayModel(recording, drift="warn")
    replayed = run(workspace(tmp_path, "second"), model=replay)
    assert replayed.subtype == "success", replayed.result
    search = [o for o in tool_outcomes(replayed) if o.name == "WebSearch"]
    assert search[0].is_error and "not in the recording" in search[0].text
    assert any("WebSearch was asked for more often" in d.diff for d in replay.drifts)


def header() -> str:
    return json.dumps({"agentrun_recording": FORMAT_VERSION, "model_id": "m"})


def turn_line() -> str:
    request = {"model": "m", "system": "s", "messages": [], "tools": [], "max_tokens": 1}
    response = {"content": [{"type": "text", "text": "x"}], "stop_reason": "end_turn"}
    return json.dumps({"turn": 1, "request": request, "response": response})


def test_a_hostile_recording_fetches_nothing(tmp_path: Path) -> None:
    """A recording is input: a URL it names, or one it lacks, is never fetched, and what it
    says a page holds reaches only the model, never the page cache."""
    with serve() as site:
        url = f"{site.base}/page"
        page = {"url": url, "final_url": url, "status": 200, "markdown": "forged"}
        recording = tmp_path / "hostile.jsonl"
        recording.write_text(
            "\n".join(
                [header(), json.dumps({"web": "page", "url": url, "page": page}), turn_line()]
            )
        )
        replay = ReplayModel(recording, drift="warn")
        ctx, _ = web_context(tmp_path, replay, allowed=("WebFetch(domain:127.0.0.1)",))
        other = WebFetchTool().run({"url": f"{site.base}/text", "prompt": "p"}, ctx)
        assert other.is_error and "was not fetched in the recording" in other.text()
        answer = WebFetchTool().run({"url": url, "prompt": "p"}, ctx)
        assert answer.is_error  # its small model's answer is not in the recording either
        assert sum(site.hits.values()) == 0
        assert PAGES.get(url) is None


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (
            {"web": "page", "url": "u", "page": {"url": "u", "status": "200"}},
            "'status' must be int",
        ),
        ({"web": "page", "url": "u", "page": "x"}, "a page outcome is an object"),
        ({"web": "web_fetch", "request": {}}, "malformed web_fetch line"),
        ({"web": "file", "path": "/etc/passwd"}, "unknown web line kind 'file'"),
    ],
)
def test_malformed_web_lines_are_format_errors(
    tmp_path: Path, line: dict[str, Any], words: str
) -> None:
    recording = tmp_path / "bad.jsonl"
    recording.write_text("\n".join([header(), json.dumps(line), turn_line()]))
    with pytest.raises(ScriptFormatError, match=words) as caught:
        ReplayModel(recording)
    assert ":2" in str(caught.value) or "line 2" in str(caught.value)


def test_a_changed_query_is_drift_before_the_next_turn(tmp_path: Path) -> None:
    recording = tmp_path / "r.jsonl"
    recording.write_text("\n".join([header(), turn_line()]))
    replay = ReplayModel(recording)
    ctx, _ = web_context(tmp_path, replay)
    result = WebSearchTool().run({"query": "another query"}, ctx)
    assert result.is_error and "not in the recording" in result.text()
    with pytest.raises(ScriptMismatchError, match="WebSearch was asked for more often"):
        replay.complete(ModelRequest(model="m", system="s", messages=[], max_tokens=1))
    with pytest.raises(ModelError):  # and a web call is never sent anywhere
        from agentrun.core.webcalls import WEB_FETCH_SYSTEM

        replay.complete(ModelRequest(model="m", system=WEB_FETCH_SYSTEM, messages=[], max_tokens=1))


def test_a_search_the_provider_refused_replays_as_refused(tmp_path: Path, server: Any) -> None:
    from agentrun.testing.fake_server import Fail

    recording = tmp_path / "web.jsonl"
    server.add(
        call("WebSearch", {"query": "widget prices"}),
        Fail(400, "tools.0: web search is not enabled for this organization"),
        DONE,
    )
    recorded = run(workspace(tmp_path, "first"), model="sonnet", record=recording)
    assert recorded.subtype == "success", recorded.result
    server.close()
    replay = ReplayModel(recording)
    replayed = run(workspace(tmp_path, "second"), model=replay)
    assert replayed.subtype == "success", replayed.result
    assert replay.drifts == []
    [first], [again] = tool_outcomes(recorded), tool_outcomes(replayed)
    assert again.is_error and (again.text, again.is_error) == (first.text, first.is_error)
    assert "not enabled for this organization" in again.text


def test_recording_a_replay_again_fetches_nothing(tmp_path: Path, server: Any) -> None:
    from agentrun.models.recording import RecordingModel

    recording = tmp_path / "web.jsonl"
    assert record(tmp_path, server, recording)[0].subtype == "success"
    server.close()
    PAGES.clear()
    again = tmp_path / "again.jsonl"
    with RecordingModel(ReplayModel(recording), again) as model:
        replayed = run(workspace(tmp_path, "second"), model=model)
    assert replayed.subtype == "success", replayed.result
    assert len(PAGES._entries) == 0
    replay = ReplayModel(again)  # and the copy replays in turn
    assert run(workspace(tmp_path, "third"), model=replay).subtype == "success"
    replay.assert_complete()

"""WebSearch: the API's server-side search through the real SDK and the fake Messages API,
the scripted model's search results, and every way search can be missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from websites import web_context

import agentrun.runner.api as api
from agentrun.core.types import ToolResult
from agentrun.core.webcalls import WEB_SEARCH_SYSTEM
from agentrun.testing import ScriptedModel
from agentrun.testing.fake_server import Fail, FakeAnthropicServer
from agentrun.tools.web.websearch import WebSearchTool

KEY = "sk-ant-test-0123456789abcdef"
AGENT = """---
name: researcher
description: Looks things up.
tools: WebSearch
---
You look things up.
"""
RESULTS = [
    {"title": "Release notes", "url": "https://docs.example.com/releases"},
    {"title": "Forum thread", "url": "https://forum.other.org/t/1"},
]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    with FakeAnthropicServer() as srv:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", srv.url)
        yield srv


def searched(query: str, results: list[dict[str, str]]) -> dict[str, Any]:
    """The API's answer to a search request: the server tool's call, its results, a summary."""
    return {
        "content": [
            {
                "type": "server_tool_use",
                "id": "srvtoolu_01",
                "name": "web_search",
                "input": {"query": query},
            },
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srvtoolu_01",
                "content": [
                    {"type": "web_search_result", "page_age": None, "encrypted_content": "e", **r}
                    for r in results
                ],
            },
            {"type": "text", "text": "Version 2 shipped in November."},
        ],
        "stop_reason": "end_turn",
    }


def turn(tool_input: dict[str, Any]) -> dict[str, Any]:
    call = {"type": "tool_use", "id": "toolu_01", "name": "WebSearch", "input": tool_input}
    return {"content": [call], "stop_reason": "tool_use"}


def run(tmp_path: Path) -> api.RunResult:
    (tmp_path / "researcher.md").write_text(AGENT)
    return api.run(
        "what's new?",
        agent=str(tmp_path / "researcher.md"),
        cwd=tmp_path,
        model="sonnet",
        allowed_tools=("WebSearch",),
        strict=True,
    )


def tool_result(request_body: dict[str, Any]) -> dict[str, Any]:
    block = request_body["messages"][-1]["content"][0]
    assert block["type"] == "tool_result"
    return dict(block)


def error_of(request_body: dict[str, Any]) -> str:
    """The text of the tool result ``request_body`` sends back, which must be an error."""
    block = tool_result(request_body)
    assert block["is_error"] is True
    return str(block["content"])


def test_the_search_request_through_the_real_sdk(server: Any, tmp_path: Path) -> None:
    server.add(
        turn({"query": "agentrun release", "allowed_domains": ["docs.example.com"]}),
        searched("agentrun release", RESULTS[:1]),
        {"content": [{"type": "text", "text": "done"}], "stop_reason": "end_turn"},
    )
    result = run(tmp_path)
    assert result.subtype == "success", result.result
    first, search, last = (r.body for r in server.requests)
    assert [t["name"] for t in first["tools"]] == ["WebSearch"]
    assert search["tools"] == [
        {
            "type": "web_search_20250305",
            "name": "web_search",
            "max_uses": 8,
            "allowed_domains": ["docs.example.com"],
        }
    ]
    assert search["system"][0]["text"] == WEB_SEARCH_SYSTEM
    assert search["model"] == first["model"]
    assert [m["role"] for m in search["messages"]] == ["user"]
    assert "Perform a web search for the query: agentrun release" in json.dumps(search["messages"])
    block = tool_result(last)
    assert not block.get("is_error")
    assert block["content"] == (
        'Web search results for query: "agentrun release"\n\n'
        'Links: [{"title": "Release notes", "url": "https://docs.example.com/releases"}]\n\n'
        "Version 2 shipped in November."
    )


def test_a_model_that_answers_without_searching_is_an_error(server: Any, tmp_path: Path) -> None:
    server.add(
        turn({"query": "agentrun release", "blocked_domains": ["forum.other.org"]}),
        {"content": [{"type": "text", "text": "I can't search."}], "stop_reason": "end_turn"},
        {"content": [{"type": "text", "text": "done"}], "stop_reason": "end_turn"},
    )
    assert run(tmp_path).subtype == "success"
    assert server.requests[1].body["tools"][0]["blocked_domains"] == ["forum.other.org"]
    assert error_of(server.requests[2].body) == (
        "Web search is not available with this model (claude-sonnet-5-5): it answered "
        "without running a search."
    )


def test_an_api_that_refuses_the_search_tool_is_an_error(server: Any, tmp_path: Path) -> None:
    server.add(
        turn({"query": "agentrun release"}),
        Fail(400, "tools.0: web search is not enabled for this organization"),
        {"content": [{"type": "text", "text": "done"}], "stop_reason": "end_turn"},
    )
    assert run(tmp_path).subtype == "success"
    text = error_of(server.requests[-1].body)
    assert text.startswith("Web search is not available with this model: ")
    assert "web search is not enabled for this organization" in text


def search(tmp_path: Path, model: Any, **tool_input: Any) -> ToolResult:
    ctx, _ = web_context(tmp_path, model)
    return WebSearchTool().run({"query": "agentrun release", **tool_input}, ctx)


def test_a_scripted_model_without_results_cannot_search(tmp_path: Path) -> None:
    result = search(tmp_path, ScriptedModel.from_data({"turns": [{"text": "x"}]}))
    assert result == ToolResult(
        "Web search is not available with this model: the scripted model cannot search the "
        "web: the script has no top-level 'web_search' results",
        is_error=True,
    )


@pytest.mark.parametrize(
    ("domains", "titles"),
    [
        ({}, ["Release notes", "Forum thread"]),
        ({"allowed_domains": ["example.com"]}, ["Release notes"]),
        ({"blocked_domains": ["example.com"]}, ["Forum thread"]),
    ],
    ids=["all", "allowed", "blocked"],
)
def test_a_scripted_model_plays_its_results(
    tmp_path: Path, domains: dict[str, list[str]], titles: list[str]
) -> None:
    model = ScriptedModel.from_data({"turns": [{"text": "x"}], "web_search": RESULTS})
    result = search(tmp_path, model, **domains)
    assert not result.is_error
    links = json.loads(result.text().split("\n\n")[1].removeprefix("Links: "))
    assert [link["title"] for link in links] == titles
    assert model.used == 0


def test_both_domain_lists_is_an_error(tmp_path: Path) -> None:
    model = ScriptedModel.from_data({"turns": [{"text": "x"}], "web_search": RESULTS})
    result = search(tmp_path, model, allowed_domains=["a.com"], blocked_domains=["b.com"])
    assert result.is_error and "not both" in result.text()


def test_no_model_is_an_error(tmp_path: Path) -> None:
    assert search(tmp_path, None).is_error


def test_a_bad_web_search_list_in_a_script_is_a_format_error() -> None:
    from agentrun.core.errors import ScriptFormatError

    with pytest.raises(ScriptFormatError, match="each 'web_search' result"):
        ScriptedModel.from_data({"turns": [{"text": "x"}], "web_search": [{"title": 1}]})

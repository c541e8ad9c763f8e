"""WebSearch's domain lists from the settings files: they narrow what a call asks (user and
workspace files alike, and ``--settings``), never widen it, and one request carries one list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_websearch import RESULTS, error_of, run, searched, server, tool_result, turn
from websites import web_context

from agentrun.core.webcalls import SearchDomains
from agentrun.testing import ScriptedModel
from agentrun.tools.web.searchdomains import plan
from agentrun.tools.web.websearch import WebSearchTool

__all__ = ["server"]  # the fixture, used by name

DONE = {"content": [{"type": "text", "text": "done"}], "stop_reason": "end_turn"}


def settings(
    path: Path, allowed: list[str] | None = None, blocked: list[str] | None = None
) -> None:
    lists: dict[str, list[str]] = {}
    if allowed is not None:
        lists["allowedDomains"] = allowed
    if blocked is not None:
        lists["blockedDomains"] = blocked
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"webSearch": lists}))


def user_settings() -> Path:
    import os

    return Path(os.environ["AGENTRUN_HOME"]) / "settings.json"


@pytest.mark.parametrize(
    ("call", "lists", "sent", "filtered", "dropped"),
    [
        # no settings: the call's lists as they are
        ({}, SearchDomains(), ([], []), [], []),
        ({"blocked": ["b.org"]}, SearchDomains(), ([], ["b.org"]), [], []),
        # settings alone
        ({}, SearchDomains(("example.com",)), (["example.com"], []), [], []),
        ({}, SearchDomains(None, ("b.org",)), ([], ["b.org"]), [], []),
        # the call's allow list intersected with the settings'
        (
            {"allowed": ["docs.example.com", "other.net"]},
            SearchDomains(("example.com",)),
            (["docs.example.com"], []),
            [],
            ["other.net"],
        ),
        (
            {"allowed": ["example.com"]},
            SearchDomains(("docs.example.com",)),
            (["docs.example.com"], []),
            [],
            [],
        ),
        # blocked lists joined; one under an allowed domain is filtered here
        ({"blocked": ["a.org"]}, SearchDomains(None, ("b.org",)), ([], ["a.org", "b.org"]), [], []),
        (
            {"allowed": ["example.com"]},
            SearchDomains(None, ("ads.example.com", "b.org")),
            (["example.com"], []),
            ["ads.example.com"],
            [],
        ),
        (
            {"blocked": ["ads.example.com"]},
            SearchDomains(("example.com",)),
            (["example.com"], []),
            ["ads.example.com"],
            [],
        ),
    ],
)
def test_settings_narrow_the_call(
    call: dict[str, list[str]],
    lists: SearchDomains,
    sent: tuple[list[str], list[str]],
    filtered: list[str],
    dropped: list[str],
) -> None:
    got = plan(call.get("allowed", []), call.get("blocked", []), lists)
    assert got.refusal is None
    assert (got.allowed, got.blocked) == sent
    assert got.filtered == filtered
    assert got.dropped == dropped
    assert not (got.allowed and got.blocked), "the API takes one list per request"


@pytest.mark.parametrize(
    ("allowed", "lists", "words"),
    [
        (["b.org"], SearchDomains(None, ("b.org",)), "do not allow searching b.org"),
        (["docs.b.org"], SearchDomains(None, ("b.org",)), "webSearch.blockedDomains: b.org"),
        (["other.net"], SearchDomains(("example.com",)), "webSearch.allowedDomains: example.com"),
        # another spelling of a blocked domain is that domain
        (
            ["https://B.org./x", "b.org:443", "*.b.org", "docs.b.org/path?q"],
            SearchDomains(None, ("b.org",)),
            "do not allow searching",
        ),
        (["other.net/example.com"], SearchDomains(("example.com",)), "do not allow searching"),
        ([], SearchDomains(()), "allow no domain"),
        ([], SearchDomains(("b.org",), ("b.org",)), "allow no domain"),
    ],
)
def test_what_the_settings_forbid_is_refused(
    allowed: list[str], lists: SearchDomains, words: str
) -> None:
    got = plan(allowed, [], lists)
    assert got.refusal is not None and words in got.refusal
    assert got.allowed == got.blocked == []


def test_files_only_narrow_each_other() -> None:
    user = SearchDomains(("example.com", "python.org"), ("a.org",))
    project = SearchDomains(("docs.example.com", "evil.com"), ("b.org",))
    both = user.narrowed(project)
    assert both == SearchDomains(("docs.example.com",), ("a.org", "b.org"))
    assert SearchDomains().narrowed(project) == project
    assert user.narrowed(SearchDomains()) == user


def test_user_and_project_settings_shape_the_request(server: Any, tmp_path: Path) -> None:
    settings(user_settings(), allowed=["example.com", "python.org"])
    # A workspace file may narrow (and cannot widen: evil.com is in no user list).
    settings(tmp_path / ".agentrun" / "settings.json", allowed=["docs.example.com", "evil.com"])
    server.add(
        turn({"query": "agentrun release", "allowed_domains": ["example.com", "evil.com"]}),
        searched("agentrun release", RESULTS[:1]),
        DONE,
    )
    result = run(tmp_path)
    assert result.subtype == "success", result.result
    tool = server.requests[1].body["tools"][0]
    assert tool["allowed_domains"] == ["docs.example.com"]
    assert "blocked_domains" not in tool
    block = tool_result(server.requests[2].body)
    assert not block.get("is_error")
    assert block["content"].startswith("Not searched (not allowed by the settings): evil.com\n\n")


def test_a_domain_the_settings_block_is_refused_without_a_search(
    server: Any, tmp_path: Path
) -> None:
    settings(tmp_path / ".claude" / "settings.local.json", blocked=["forum.other.org"])
    server.add(turn({"query": "agentrun release", "allowed_domains": ["forum.other.org"]}), DONE)
    assert run(tmp_path).subtype == "success"
    assert len(server.requests) == 2  # no search request was sent
    assert error_of(server.requests[1].body) == (
        "The settings do not allow searching forum.other.org "
        "(webSearch.blockedDomains: forum.other.org); nothing was searched."
    )


def test_blocked_domains_join_the_calls(server: Any, tmp_path: Path) -> None:
    settings(user_settings(), blocked=["spam.example"])
    server.add(
        turn({"query": "agentrun release", "blocked_domains": ["forum.other.org"]}),
        searched("agentrun release", RESULTS[:1]),
        DONE,
    )
    assert run(tmp_path).subtype == "success"
    tool = server.requests[1].body["tools"][0]
    assert tool["blocked_domains"] == ["forum.other.org", "spam.example"]
    assert "allowed_domains" not in tool


def test_a_blocked_subdomain_of_an_allowed_one_is_filtered_here(
    server: Any, tmp_path: Path
) -> None:
    settings(user_settings(), blocked=["forum.example.com"])
    results = [RESULTS[0], {"title": "Forum", "url": "https://forum.example.com/t/9"}]
    server.add(
        turn({"query": "agentrun release", "allowed_domains": ["example.com"]}),
        searched("agentrun release", results),
        DONE,
    )
    assert run(tmp_path).subtype == "success"
    tool = server.requests[1].body["tools"][0]
    assert tool["allowed_domains"] == ["example.com"] and "blocked_domains" not in tool
    content = tool_result(server.requests[2].body)["content"]
    assert "forum.example.com/t/9" not in content
    assert "docs.example.com/releases" in content
    assert "Version 2 shipped" not in content  # the summary may repeat a blocked page
    assert "were left out, blocked by the settings" in content


def test_the_settings_flag_narrows_too(server: Any, tmp_path: Path) -> None:
    import agentrun.runner.api as api

    (tmp_path / "researcher.md").write_text(
        "---\nname: researcher\ndescription: d\ntools: WebSearch\n---\nLook things up.\n"
    )
    server.add(turn({"query": "agentrun release"}), searched("x", RESULTS[:1]), DONE)
    result = api.run(
        "what's new?",
        agent=str(tmp_path / "researcher.md"),
        cwd=tmp_path,
        model="sonnet",
        allowed_tools=("WebSearch",),
        settings={"webSearch": {"allowedDomains": ["docs.example.com"]}},
        strict=True,
    )
    assert result.subtype == "success", result.result
    assert server.requests[1].body["tools"][0]["allowed_domains"] == ["docs.example.com"]


def test_a_scripted_model_filters_by_the_settings_lists(tmp_path: Path) -> None:
    settings(tmp_path / ".agentrun" / "settings.json", blocked=["other.org"])
    model = ScriptedModel.from_data({"turns": [{"text": "x"}], "web_search": RESULTS})
    ctx, _ = web_context(tmp_path, model)
    result = WebSearchTool().run({"query": "agentrun release"}, ctx)
    assert not result.is_error
    assert "forum.other.org" not in result.text()
    assert "docs.example.com/releases" in result.text()


def test_a_malformed_web_search_setting_names_the_file(tmp_path: Path) -> None:
    from agentrun.core.errors import ConfigError
    from agentrun.permissions import Gate

    path = tmp_path / ".agentrun" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"webSearch": {"blockedDomains": "b.org"}}))
    with pytest.raises(ConfigError, match=r"settings.json: webSearch.blockedDomains must be"):
        Gate.load("default", cwd=tmp_path, home=tmp_path)


@pytest.mark.parametrize("entry", ["", "a b", "https://", "*"])
def test_a_settings_entry_that_is_no_domain_is_refused(tmp_path: Path, entry: str) -> None:
    from agentrun.core.errors import ConfigError
    from agentrun.permissions import Gate

    settings(tmp_path / ".agentrun" / "settings.local.json", allowed=[entry])
    with pytest.raises(ConfigError, match=r"webSearch.allowedDomains"):
        Gate.load("default", cwd=tmp_path, home=tmp_path)

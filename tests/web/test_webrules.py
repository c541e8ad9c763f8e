"""The gate's WebFetch and WebSearch decisions: Claude Code's domain rules, modes, grants."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrun.core.types import ToolCall
from agentrun.permissions import Gate


def decide(tmp_path: Path, url: str, mode: str = "default", **rules: tuple[str, ...]) -> str:
    gate = Gate.load(
        mode,
        allowed=rules.get("allow", ()),
        disallowed=rules.get("deny", ()),
        cwd=tmp_path,
        home=tmp_path,
    )
    return gate.check("WebFetch", {"url": url, "prompt": "p"}).behavior


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("default", "ask"),
        ("acceptEdits", "ask"),
        ("plan", "ask"),
        ("dontAsk", "deny"),
        ("bypassPermissions", "allow"),
    ],
)
def test_a_fetch_asks_by_default(tmp_path: Path, mode: str, expected: str) -> None:
    assert decide(tmp_path, "https://example.com/", mode) == expected


@pytest.mark.parametrize(
    ("rule", "url", "expected"),
    [
        ("WebFetch(domain:example.com)", "https://example.com/a", "allow"),
        ("WebFetch(domain:example.com)", "http://EXAMPLE.com./a", "allow"),
        ("WebFetch(domain:example.com)", "https://docs.example.com/a", "ask"),
        ("WebFetch(domain:example.com)", "https://example.com.evil.org/", "ask"),
        ("WebFetch(domain:example.com)", "https://evilexample.com/", "ask"),
        ("WebFetch(domain:example.com)", "https://example.com@evil.org/", "ask"),
        ("WebFetch(domain:*.example.com)", "https://docs.example.com/a", "allow"),
        ("WebFetch(domain:*.example.com)", "https://example.com/a", "ask"),
        ("WebFetch(domain:127.0.0.1)", "http://0x7f000001:8080/", "allow"),
        ("WebFetch", "https://anything.org/", "allow"),
    ],
)
def test_domain_allow_rules(tmp_path: Path, rule: str, url: str, expected: str) -> None:
    assert decide(tmp_path, url, allow=(rule,)) == expected


def test_a_deny_rule_wins_over_an_allow_and_bypass(tmp_path: Path) -> None:
    rules = {"allow": ("WebFetch",), "deny": ("WebFetch(domain:evil.org)",)}
    assert decide(tmp_path, "https://evil.org/x", "bypassPermissions", **rules) == "deny"
    assert decide(tmp_path, "https://good.org/x", "bypassPermissions", **rules) == "allow"
    # every spelling of a denied address is that address
    deny = {"deny": ("WebFetch(domain:127.0.0.1)",)}
    assert decide(tmp_path, "http://2130706433/", "bypassPermissions", **deny) == "deny"


def test_only_an_exact_allow_rule_names_a_host(tmp_path: Path) -> None:
    gate = Gate.load(
        "bypassPermissions",
        allowed=("WebFetch(domain:127.0.0.1)", "WebFetch(domain:*.corp)", "WebFetch"),
        cwd=tmp_path,
        home=tmp_path,
    )
    assert gate.names_host("127.0.0.1")
    assert not gate.names_host("db.corp")
    assert not gate.names_host("localhost")


def test_always_grants_one_host_and_never_names_it(tmp_path: Path) -> None:
    gate = Gate.load("default", cwd=tmp_path, home=tmp_path)
    call = ToolCall("t1", "WebFetch", {"url": "http://127.0.0.1:9/x", "prompt": "p"})
    decision = gate.decide(call)
    assert (decision.behavior, decision.grant) == ("ask", "fetches from 127.0.0.1")
    gate.answer(call, always=True)
    assert gate.check("WebFetch", {"url": "https://127.0.0.1/y", "prompt": "p"}).behavior == (
        "allow"
    )
    assert gate.check("WebFetch", {"url": "https://other.org/", "prompt": "p"}).behavior == "ask"
    assert gate.remembered == ["WebFetch(domain:127.0.0.1)"]
    assert not gate.names_host("127.0.0.1")  # a grant never opens a local address


def test_websearch_asks_unless_allowed(tmp_path: Path) -> None:
    gate = Gate.load("default", cwd=tmp_path, home=tmp_path)
    assert gate.check("WebSearch", {"query": "x"}).behavior == "ask"
    gate = Gate.load("default", allowed=("WebSearch",), cwd=tmp_path, home=tmp_path)
    assert gate.check("WebSearch", {"query": "x"}).behavior == "allow"


def test_an_agent_file_may_limit_webfetch_to_a_domain(tmp_path: Path) -> None:
    gate = Gate.load(
        "bypassPermissions",
        agent_tools=("Read", "WebFetch(domain:docs.python.org)"),
        cwd=tmp_path,
        home=tmp_path,
    )
    ok = gate.check("WebFetch", {"url": "https://docs.python.org/3/", "prompt": "p"})
    other = gate.check("WebFetch", {"url": "https://evil.org/", "prompt": "p"})
    assert ok.behavior == "allow"
    assert (other.behavior, other.reason) == (
        "deny",
        "this agent may use WebFetch only as WebFetch(domain:docs.python.org)",
    )

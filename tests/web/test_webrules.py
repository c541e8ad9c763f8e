"""The gate's WebFetch and WebSearch decisions: Claude Code's domain rules, modes, grants."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from agentrun.core.errors import ConfigError
from agentrun.core.hosts import url_host
from agentrun.core.types import ToolCall
from agentrun.permissions import Gate
from agentrun.tools.web.address import refusal


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


@pytest.mark.parametrize(
    "url",
    [
        "https://www.bücher.de/",
        "https://www.xn--bcher-kva.de/",
        "https://a.b.BÜCHER.de./",
    ],
)
def test_a_non_ascii_wildcard_rule_covers_the_names_below_it(tmp_path: Path, url: str) -> None:
    deny = {"deny": ("WebFetch(domain:*.bücher.de)",)}
    assert decide(tmp_path, url, "bypassPermissions", **deny) == "deny"
    assert decide(tmp_path, "https://bücher.de.evil.org/", "bypassPermissions", **deny) == "allow"


@pytest.mark.parametrize(
    "rule",
    [
        "WebFetch(domain:*." + "ü" * 70 + ".de)",  # a label too long for any ASCII form
        "WebFetch(domain:exa mple.com)",
        "WebFetch(domain:*.)",
        "WebFetch(domain:)",
    ],
)
def test_a_domain_rule_without_a_host_is_a_config_error(tmp_path: Path, rule: str) -> None:
    with pytest.raises(ConfigError, match="bad permission rule WebFetch"):
        Gate.load("default", disallowed=(rule,), cwd=tmp_path, home=tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:93.184.215.14]/",
        "http://[::ffff:5db8:d70e]/",
        "http://[::ffff:0:5db8:d70e]/",  # translated (SIIT)
        "http://[64:ff9b::5db8:d70e]/",  # NAT64
        "http://[2002:5db8:d70e::1]/",  # 6to4
        "http://1572394766/",
    ],
)
def test_a_deny_rule_on_an_ipv4_address_covers_its_ipv6_spellings(tmp_path: Path, url: str) -> None:
    deny = {"allow": ("WebFetch",), "deny": ("WebFetch(domain:93.184.215.14)",)}
    assert decide(tmp_path, url, "bypassPermissions", **deny) == "deny"


def test_only_the_same_address_in_another_spelling_is_named(tmp_path: Path) -> None:
    gate = Gate.load(
        "default", allowed=("WebFetch(domain:127.0.0.1)",), cwd=tmp_path, home=tmp_path
    )
    assert gate.check("WebFetch", {"url": "http://[::ffff:7f00:1]/", "prompt": "p"}).behavior == (
        "allow"
    )
    assert url_host("http://[::ffff:0:7f00:1]/") == "127.0.0.1"
    # NAT64 and 6to4 are other addresses: covered by a deny, never named by an allow
    assert url_host("http://[64:ff9b::7f00:1]/") == "64:ff9b::7f00:1"
    assert gate.check("WebFetch", {"url": "http://[64:ff9b::7f00:1]/", "prompt": "p"}).behavior == (
        "ask"
    )
    assert not gate.names_host("64:ff9b::7f00:1")


def test_a_translated_address_is_judged_as_its_ipv4_address() -> None:
    assert refusal(ipaddress.ip_address("::ffff:0:7f00:1")) == "a loopback address (this machine)"
    assert refusal(ipaddress.ip_address("::ffff:0:a9fe:a9fe")) is not None


@pytest.mark.parametrize("url", ["http://*.com/", "https://*/", "http://a*b.org/", "http://a b/"])
def test_a_url_whose_host_is_no_host_name_is_never_granted(tmp_path: Path, url: str) -> None:
    gate = Gate.load("default", cwd=tmp_path, home=tmp_path)
    call = ToolCall("t1", "WebFetch", {"url": url, "prompt": "p"})
    decision = gate.decide(call)
    assert decision.grant is None  # no "always" to offer
    gate.answer(call, always=True)
    assert gate.remembered == []
    assert gate.check("WebFetch", {"url": "https://x.com/", "prompt": "p"}).behavior == "ask"

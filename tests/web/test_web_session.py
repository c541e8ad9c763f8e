"""WebFetch and WebSearch in whole runs: the gate before the fetch (``-p`` denies what would
ask), a scripted session that reads a page, stream-json's tool results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from websites import Site, serve

from agentrun.cli.app import main

AGENT = """---
name: browser
description: Reads web pages.
tools: Read, WebFetch, WebSearch
---
You read web pages.
"""


@pytest.fixture
def site() -> Iterator[Site]:
    """The test site on 127.0.0.1 (a conftest.py here would shadow tests/sandbox's)."""
    with serve() as state:
        yield state


def setup(tmp_path: Path, *turns: dict[str, Any], **top: Any) -> tuple[Path, str]:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "browser.md").write_text(AGENT)
    script = tmp_path / "script.yaml"
    script.write_text(yaml.safe_dump({"turns": list(turns), **top}))
    return ws, f"script:{script}"


def fetch_turn(url: str, **expect: Any) -> list[dict[str, Any]]:
    call = {"name": "WebFetch", "input": {"url": url, "prompt": "What does blue cost?"}}
    return [{"tool_calls": [call]}, {"expect": [expect], "text": "Done."}]


def cli(
    ws: Path, model: str, capsys: pytest.CaptureFixture[str], *flags: str
) -> tuple[int, list[dict[str, Any]]]:
    code = main(
        ["--cwd", str(ws), "-p", "go", "--agent", str(ws / "browser.md"), "--model", model,
         "--output-format", "stream-json", *flags]
    )  # fmt: skip
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def tool_results(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        block
        for line in lines
        if line["type"] == "user"
        for block in line["message"]["content"]
        if block["type"] == "tool_result"
    ]


def test_a_scripted_session_reads_a_page(
    tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, model = setup(
        tmp_path,
        *fetch_turn(f"{site.base}/page", is_error=False, contains="The **blue** widget"),
    )
    code, lines = cli(ws, model, capsys, "--allowedTools", "WebFetch(domain:127.0.0.1)")
    assert code == 0, lines[-1]
    assert lines[0]["tools"] == ["Read", "WebFetch", "WebSearch"]
    assert lines[-1]["subtype"] == "success" and lines[-1]["permission_denials"] == []
    [result] = tool_results(lines)
    assert "# Widget catalogue" in result["content"] and not result.get("is_error")
    assert site.hits["/page"] == 1


def test_print_mode_denies_a_fetch_that_would_ask(
    tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, model = setup(
        tmp_path, *fetch_turn(f"{site.base}/page", is_error=True, contains="needs approval")
    )
    code, lines = cli(ws, model, capsys)
    assert code == 0, lines[-1]
    [denial] = lines[-1]["permission_denials"]
    assert denial["tool_name"] == "WebFetch"
    assert sum(site.hits.values()) == 0


RULE = "WebFetch(domain:127.0.0.1)"


@pytest.mark.parametrize(
    ("contains", "rules"),
    [
        pytest.param(
            "denied by rule",
            ("--allowedTools", RULE, "--disallowedTools", RULE),
            id="a-deny-rule-holds",
        ),
        pytest.param("a loopback address", (), id="the-local-network-stays-out"),
    ],
)
def test_bypass_mode_still_refuses(
    tmp_path: Path,
    site: Site,
    capsys: pytest.CaptureFixture[str],
    contains: str,
    rules: tuple[str, ...],
) -> None:
    ws, model = setup(tmp_path, *fetch_turn(f"{site.base}/page", is_error=True, contains=contains))
    code, lines = cli(ws, model, capsys, "--permission-mode", "bypassPermissions", *rules)
    assert code == 0 and lines[-1]["subtype"] == "success", lines[-1]
    assert sum(site.hits.values()) == 0


def test_a_scripted_search_in_stream_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call = {"name": "WebSearch", "input": {"query": "widgets"}}
    ws, model = setup(
        tmp_path,
        {"tool_calls": [call]},
        {"expect": [{"is_error": False, "contains": "Widget shop"}], "text": "Done."},
        web_search=[{"title": "Widget shop", "url": "https://shop.example/"}],
    )
    code, lines = cli(ws, model, capsys, "--allowedTools", "WebSearch")
    assert code == 0 and lines[-1]["subtype"] == "success", lines[-1]
    [result] = tool_results(lines)
    assert result["content"].startswith('Web search results for query: "widgets"\n\nLinks: ')

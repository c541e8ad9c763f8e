"""Hostile pages and URLs against WebFetch on a real server on 127.0.0.1: slow charsets,
HTML that makes the converter quadratic, non-ASCII paths, hosts that are no host names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websites import Site, serve, web_context

from agentrun.core.types import ModelRequest, ModelResponse, ToolResult, Usage
from agentrun.models.function import FunctionModel
from agentrun.tools.web import htmlconvert
from agentrun.tools.web.htmlconvert import plain_text
from agentrun.tools.web.page import to_markdown
from agentrun.tools.web.webfetch import WebFetchTool


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as state:
        yield state


def fetch(tmp_path: Path, url: str) -> tuple[ToolResult, list[str]]:
    """The tool's result and the pages the small model was given."""
    seen: list[str] = []

    def answer(request: ModelRequest) -> ModelResponse:
        seen.append(str(request.messages[-1]["content"]))
        return ModelResponse([{"type": "text", "text": "ok"}], "end_turn", Usage())

    ctx, _ = web_context(tmp_path, FunctionModel(answer), allowed=("WebFetch(domain:127.0.0.1)",))
    return WebFetchTool().run({"url": url, "prompt": "p"}, ctx), seen


def test_a_slow_charset_is_read_as_utf8(tmp_path: Path, site: Site) -> None:
    # Decoding this 1 MB as punycode takes half a minute (and 10 MB most of an hour).
    site.pages["/puny"] = ("text/plain; charset=punycode", b"-" + b"a" * 1_000_000)
    started = time.monotonic()
    result, seen = fetch(tmp_path, f"{site.base}/puny")
    assert time.monotonic() - started < 10
    assert not result.is_error
    assert "-aaaaaaaa" in seen[0]


@pytest.mark.parametrize("charset", ["idna", "utf-7x", "rot13", "../../etc"])
def test_an_odd_charset_never_breaks_the_call(tmp_path: Path, site: Site, charset: str) -> None:
    site.pages["/odd"] = (f"text/html; charset={charset}", b"<p>caf\xc3\xa9 \xff</p>")
    result, seen = fetch(tmp_path, f"{site.base}/odd")
    assert not result.is_error, result.text()
    assert "café" in seen[0]


def test_known_charsets_still_decode() -> None:
    assert to_markdown("café".encode("cp1252"), "text/plain; charset=windows-1252", url="") == (
        "café"
    )
    assert to_markdown("日本".encode("shift_jis"), "text/plain; charset=Shift_JIS", url="") == (
        "日本"
    )
    assert to_markdown("zé".encode("utf-16"), "text/plain; charset=utf-16", url="") == "zé"


@pytest.mark.parametrize(
    "body",
    [b"<x" * 100_000, b"<!--" * 50_000, b"<![CDATA[" * 50_000],
    ids=["open-tags", "comments", "cdata"],
)
def test_hostile_html_is_cut_off_at_the_budget(
    tmp_path: Path, site: Site, body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # html2text takes about a minute on each of these 200-450 KB pages.
    monkeypatch.setattr(htmlconvert, "CONVERT_BUDGET_S", 2.0)
    site.pages["/hostile"] = ("text/html", b"<p>Start here</p>" + body)
    started = time.monotonic()
    result, seen = fetch(tmp_path, f"{site.base}/hostile")
    elapsed = time.monotonic() - started
    assert not result.is_error
    assert "Start here" in seen[0]
    assert elapsed < 15, elapsed


def test_the_fallback_text_is_linear_and_drops_scripts() -> None:
    page = (
        "<html><head><SCRIPT>var x = '<p>secret</p>';</Script><style>p{}</style></head>"
        "<body><!-- hidden --><p>Fish &amp; chips</p><![CDATA[raw]]>tail</body></html>"
    )
    assert plain_text(page, 1_000) == ("Fish & chips tail", False)
    assert plain_text("<p>" + "word " * 1000, 100) == (("word " * 1000)[:100], True)
    for hostile in ("<x" * 1_000_000, "<!--" * 500_000, "<script>" * 250_000):
        started = time.monotonic()
        plain_text(hostile, 100_000)
        assert time.monotonic() - started < 5


def test_a_non_ascii_path_is_sent_percent_encoded(tmp_path: Path, site: Site) -> None:
    site.pages["/%C3%A9"] = ("text/plain", b"accented page")
    result, seen = fetch(tmp_path, f"{site.base}/é?q=ü")
    assert not result.is_error, result.text()
    assert "accented page" in seen[0]
    assert site.hits["/%C3%A9?q=%C3%BC"] == 1


@pytest.mark.parametrize("url", ["http://*.com/", "http://a*b.org/", "https://*/"])
def test_a_host_that_is_no_host_name_is_refused(tmp_path: Path, url: str) -> None:
    result, seen = fetch(tmp_path, url)
    assert result.is_error
    assert "is not a valid host name" in result.text()
    assert seen == []

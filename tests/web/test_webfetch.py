"""WebFetch against a real HTTP server on 127.0.0.1: Markdown, the small model's answer,
redirects, the size cut, the cache, and every spelling of a local address refused."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from websites import BIG, Site, serve, web_context

from agentrun.core.pricing import cost_usd, resolve_alias
from agentrun.core.types import ModelRequest, ModelResponse, ToolResult, Usage
from agentrun.core.webcalls import WEB_FETCH_SYSTEM
from agentrun.models.function import FunctionModel
from agentrun.testing import ScriptedModel
from agentrun.tools.web import fetch as fetch_module
from agentrun.tools.web.fetch import MAX_BYTES, target
from agentrun.tools.web.htmlconvert import CONVERT_BUDGET_S
from agentrun.tools.web.page import MAX_MARKDOWN_CHARS
from agentrun.tools.web.webfetch import WebFetchTool

LOCAL_RULE = "WebFetch(domain:127.0.0.1)"


@pytest.fixture
def site() -> Iterator[Site]:
    """The test site on 127.0.0.1 (a conftest.py here would shadow tests/sandbox's)."""
    with serve() as state:
        yield state


class Asked:
    """A function model that records the page questions it gets and answers a fixed line."""

    def __init__(self, answer: str = "The blue widget costs 42 euros.") -> None:
        self.requests: list[ModelRequest] = []
        self.lock = threading.Lock()
        self.model = FunctionModel(self._answer)
        self.answer = answer

    def _answer(self, request: ModelRequest) -> ModelResponse:
        with self.lock:
            self.requests.append(request)
        text = {"type": "text", "text": self.answer}
        return ModelResponse([text], "end_turn", Usage(input_tokens=900, output_tokens=12))

    def question(self, i: int = -1) -> str:
        content = self.requests[i].messages[-1]["content"]
        assert isinstance(content, str)
        return content


def fetch(
    tmp_path: Path, url: str, model: object, *, allowed: tuple[str, ...] = (LOCAL_RULE,)
) -> ToolResult:
    ctx, _ = web_context(tmp_path, model, allowed=allowed)
    return WebFetchTool().run({"url": url, "prompt": "What does the blue widget cost?"}, ctx)


def test_an_html_page_becomes_markdown_and_the_small_model_answers(
    tmp_path: Path, site: Site
) -> None:
    asked = Asked()
    result = fetch(tmp_path, f"{site.base}/page", asked.model)
    usage = Usage(input_tokens=900, output_tokens=12)
    cost = cost_usd(resolve_alias("haiku"), usage)
    assert cost is not None and cost > 0  # the small model's tokens are the run's
    assert result == ToolResult("The blue widget costs 42 euros.", usage=usage, cost_usd=cost)
    [request] = asked.requests
    assert request.system == WEB_FETCH_SYSTEM
    assert request.model == resolve_alias("haiku")
    question = asked.question()
    assert "# Widget catalogue" in question
    assert "The **blue** widget costs 42 euros." in question
    assert f"[the price list]({site.base}/prices)" in question  # relative link made absolute
    assert "  * green" in question
    assert "var secret" not in question and "color: red" not in question
    assert question.rstrip().endswith("Answer from the content above only, concisely.")
    assert "What does the blue widget cost?" in question


def test_a_scripted_model_answers_with_the_page_by_default(tmp_path: Path, site: Site) -> None:
    model = ScriptedModel.from_data({"turns": [{"text": "unused"}]})
    result = fetch(tmp_path, f"{site.base}/page", model)
    assert not result.is_error
    assert "# Widget catalogue" in result.text()
    assert model.used == 0  # the page question uses no turn
    scripted = ScriptedModel.from_data({"turns": [{"text": "x"}], "web_fetch": "Forty-two."})
    again = fetch(tmp_path, f"{site.base}/page", scripted)
    assert again.text() == "Forty-two."
    assert site.hits["/page"] == 1  # the second fetch came from the cache


def test_the_cache_serves_a_page_again_without_a_download(tmp_path: Path, site: Site) -> None:
    asked = Asked()
    for _ in range(3):
        assert not fetch(tmp_path, f"{site.base}/page", asked.model).is_error
    assert site.hits["/page"] == 1
    assert len(asked.requests) == 3  # each prompt is still answered


def test_a_cached_local_page_needs_the_naming_rule_again(tmp_path: Path, site: Site) -> None:
    asked = Asked()
    assert not fetch(tmp_path, f"{site.base}/page", asked.model).is_error
    later = fetch(tmp_path, f"{site.base}/page", asked.model, allowed=("WebFetch",))
    assert later.is_error and "loopback" in later.text()
    assert len(asked.requests) == 1


def test_a_redirect_to_another_host_is_reported_not_followed(tmp_path: Path, site: Site) -> None:
    asked = Asked()
    result = fetch(tmp_path, f"{site.base}/away", asked.model)
    assert not result.is_error
    text = result.text()
    assert f"Original URL: {site.base}/away" in text
    assert "Redirect URL: http://elsewhere.example/landing" in text
    assert 'url: "http://elsewhere.example/landing"' in text
    assert asked.requests == []
    assert dict(site.hits) == {"/away": 1}


def test_a_redirect_to_another_name_of_the_same_server_is_not_followed(
    tmp_path: Path, site: Site
) -> None:
    result = fetch(tmp_path, f"{site.base}/alias", Asked().model)
    assert f"Redirect URL: http://localhost:{site.port}/page" in result.text()
    assert dict(site.hits) == {"/alias": 1}


def test_a_redirect_on_the_same_host_is_followed(tmp_path: Path, site: Site) -> None:
    asked = Asked()
    assert not fetch(tmp_path, f"{site.base}/hop", asked.model).is_error
    assert "# Widget catalogue" in asked.question()
    assert dict(site.hits) == {"/hop": 1, "/page": 1}


def test_a_redirect_loop_stops(tmp_path: Path, site: Site) -> None:
    result = fetch(tmp_path, f"{site.base}/loop", Asked().model)
    assert result.is_error and "Too many redirects" in result.text()
    assert site.hits["/loop"] == 11


def test_a_50_mb_body_is_cut_without_being_read_whole(tmp_path: Path, site: Site) -> None:
    asked = Asked()
    tracemalloc.start()
    try:
        result = fetch(tmp_path, f"{site.base}/big", asked.model)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.is_error
    assert result.text().endswith("(Only the first 10 MB of the page were read.)")
    assert "[Content cut: the page is longer than this.]" in asked.question()
    assert site.done.wait(60)
    # The server could only push what the client read plus the sockets' buffers.
    assert site.sent < BIG // 2, site.sent
    assert peak < 4 * MAX_BYTES, peak


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "answered HTTP 404 Not Found."),
        ("/image", "The page is image/png content, not text"),
    ],
    ids=["http-error", "binary"],
)
def test_what_cannot_be_read_is_an_error(
    tmp_path: Path, site: Site, path: str, message: str
) -> None:
    result = fetch(tmp_path, site.base + path, Asked().model)
    assert result.is_error and message in result.text()


def test_plain_text_passes_as_it_is(tmp_path: Path, site: Site) -> None:
    asked = Asked()
    assert not fetch(tmp_path, f"{site.base}/text", asked.model).is_error
    assert "---\nplain words here\n---" in asked.question()


# -- what a fetch may reach -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/page",
        "http://localhost:{port}/page",
        "http://0x7f000001:{port}/page",
        "http://2130706433:{port}/page",
        "http://0177.0.0.1:{port}/page",
        "http://127.1:{port}/page",
        "http://[::ffff:127.0.0.1]:{port}/page",
        "http://[::1]:{port}/page",
        "http://0.0.0.0:{port}/page",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://224.0.0.1/",
        "http://[64:ff9b::7f00:1]:{port}/page",
    ],
    ids=lambda u: u.split("//")[1].split("/")[0].replace("{port}", "P"),
)
def test_local_addresses_are_refused_without_a_rule_naming_the_host(
    tmp_path: Path, site: Site, url: str
) -> None:
    asked = Asked()
    result = fetch(tmp_path, url.format(port=site.port), asked.model, allowed=("WebFetch",))
    assert result.is_error
    assert "WebFetch refused" in result.text()
    assert "unless the user's allow rules name the host" in result.text()
    assert sum(site.hits.values()) == 0 and asked.requests == []


def test_a_rule_for_one_local_host_does_not_open_another_spelling_of_a_name(
    tmp_path: Path, site: Site
) -> None:
    # 127.0.0.1 is named; the name localhost is not (it could resolve anywhere).
    result = fetch(tmp_path, f"http://localhost:{site.port}/page", Asked().model)
    assert result.is_error and "localhost (127.0.0.1)" in result.text()
    # A numeric spelling of the named address is that address.
    assert not fetch(tmp_path, f"http://0x7f000001:{site.port}/page", Asked().model).is_error


def test_a_wildcard_rule_never_opens_a_local_address(tmp_path: Path, site: Site) -> None:
    result = fetch(
        tmp_path, f"http://127.0.0.1:{site.port}/page", Asked().model, allowed=("WebFetch",)
    )
    assert result.is_error and "a loopback address" in result.text()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "http:// and https:// URLs only, not file: URLs"),
        ("ftp://example.com/x", "not ftp: URLs"),
        ("gopher://127.0.0.1:70/", "not gopher: URLs"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http:///nohost", "no host"),
        ("https://example.com/" + "a" * 2000, "longer than 2000 characters"),
    ],
    ids=["file", "ftp", "gopher", "credentials", "no-host", "too-long"],
)
def test_urls_that_are_not_fetched(tmp_path: Path, url: str, message: str) -> None:
    result = fetch(tmp_path, url, Asked().model, allowed=("WebFetch",))
    assert result.is_error and message in result.text()


def test_http_is_upgraded_unless_a_rule_names_the_host() -> None:
    assert target("http://example.com/a?b=1", lambda h: False).url == "https://example.com/a?b=1"
    assert target("http://example.com:80/", lambda h: False).url == "https://example.com/"
    kept = target("http://Example.COM./a", lambda h: h == "example.com")
    assert (kept.url, kept.port) == ("http://example.com/a", 80)


def test_no_model_is_an_error(tmp_path: Path, site: Site) -> None:
    result = fetch(tmp_path, f"{site.base}/page", None)
    assert result.is_error and "not available" in result.text()
    assert sum(site.hits.values()) == 0


def test_the_host_proxy_settings_are_not_used(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would resolve and connect past the address check: it is ignored.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9/")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert not fetch(tmp_path, f"{site.base}/page", Asked().model).is_error


def test_a_huge_html_page_is_converted_only_as_far_as_the_model_reads(
    tmp_path: Path, site: Site
) -> None:
    # Converting all of these 5 MB takes html2text about a minute on a busy machine.
    asked = Asked()
    started = time.monotonic()
    result = fetch(tmp_path, f"{site.base}/hugehtml", asked.model)
    elapsed = time.monotonic() - started
    assert not result.is_error
    question = asked.question()
    assert "Some **text** and [a link](" in question
    assert "[Content cut: the page is longer than this.]" in question
    assert len(question) < MAX_MARKDOWN_CHARS + 1_000
    assert elapsed < 3 * CONVERT_BUDGET_S, elapsed


def test_a_server_that_drips_is_cut_off_at_the_deadline(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "DEADLINE_S", 1.0)
    started = time.monotonic()
    result = fetch(tmp_path, f"{site.base}/drip", Asked().model)
    assert result.is_error and "took longer than" in result.text()
    assert time.monotonic() - started < 15


def test_a_server_that_never_answers_times_out(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "READ_TIMEOUT_S", 0.5)
    result = fetch(tmp_path, f"{site.base}/stall", Asked().model)
    assert result.is_error and "did not answer in time" in result.text()


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://example.com:99999/",
        "https://%zz/",
        "http:",
        "   ",
        "http://a b/",
        "https://exa\x00mple.com/",
        "https://\u2603.invalid/",
        "https://xn--/",
        "https://" + "a" * 300 + ".invalid/",
    ],
    ids=lambda u: repr(u)[:30],
)
def test_malformed_urls_are_error_results(tmp_path: Path, url: str) -> None:
    result = fetch(tmp_path, url, Asked().model, allowed=("WebFetch",))
    assert result.is_error and result.text()

"""The WebFetch tool: a page fetched by the runtime, turned into Markdown and answered by a
small fast model with the model's prompt (as Claude Code does).

The permission gate has already allowed the URL's host when this runs (``WebFetch`` and
``WebFetch(domain:...)`` rules). What the fetch itself refuses (schemes, local addresses,
redirects to other hosts) is in :mod:`agentrun.tools.web.fetch`. The small model is the haiku
alias (``ANTHROPIC_SMALL_FAST_MODEL`` or ``ANTHROPIC_DEFAULT_HAIKU_MODEL`` override it) asked
through the session's model, so a scripted or function model answers in tests; its tokens and
cost are added to the run's. Under a recording or a replay the page comes through the model's
tape (:mod:`agentrun.core.webtape`): recorded, or served from the recording without a fetch.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from agentrun.core.errors import ModelError
from agentrun.core.types import JSON, ModelRequest, ToolResult
from agentrun.core.webcalls import WEB_FETCH_SYSTEM
from agentrun.tools.webspecs import WEBFETCH_DESCRIPTION, WEBFETCH_SCHEMA

if TYPE_CHECKING:
    import threading

    from agentrun.core.protocols import Model
    from agentrun.core.webtape import PageOutcome
    from agentrun.tools.base import ToolContext
    from agentrun.tools.web.fetch import Named

ANSWER_MAX_TOKENS = 4_096


class WebFetchTool:
    name = "WebFetch"
    description = WEBFETCH_DESCRIPTION
    input_schema = WEBFETCH_SCHEMA
    read_only = True  # several fetches of one turn run concurrently; each met the gate

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        from agentrun.core.webtape import WebTape
        from agentrun.tools.web.fetch import MAX_BYTES

        url, prompt = str(input["url"]).strip(), str(input["prompt"])
        if ctx.model is None:
            return ToolResult("WebFetch is not available here: no model to read the page.", True)
        named = ctx.names_host or (lambda host: False)

        def live() -> PageOutcome:
            return _fetched(url, named, ctx.cancel)

        # A recording writes the outcome down; a replay answers from it and never fetches.
        tape = ctx.model if isinstance(ctx.model, WebTape) else None
        page = tape.web_page(url, live) if tape is not None else live()
        if page.error:
            return ToolResult(page.error, is_error=True)
        if page.redirect:
            return ToolResult(_redirect_text(page, prompt))
        answer = _answer(ctx.model, page.markdown, prompt)
        if page.cut and not answer.is_error:
            note = f"\n\n(Only the first {MAX_BYTES // (1024 * 1024)} MB of the page were read.)"
            return ToolResult(answer.text() + note, usage=answer.usage, cost_usd=answer.cost_usd)
        return answer


def _fetched(url: str, named: Named, cancel: threading.Event) -> PageOutcome:
    """``url`` from the page cache, else fetched and converted (and cached)."""
    from agentrun.core.webtape import PageOutcome
    from agentrun.tools.web.cache import PAGES, CachedPage
    from agentrun.tools.web.fetch import FetchError, Redirect, fetch
    from agentrun.tools.web.page import NotTextError, to_markdown

    page = PAGES.get(url)
    if page is not None and page.local and not named(page.host):
        page = None  # fetched under another session's rule: this one must fetch itself
    if page is None:
        try:
            got = fetch(url, named=named, cancel=cancel)
        except FetchError as e:
            return PageOutcome(url, error=str(e))
        if isinstance(got, Redirect):
            return PageOutcome(url, final_url=got.url, status=got.status, redirect=got.location)
        if got.status >= 400:
            error = f"{got.url} answered HTTP {got.status} {got.reason}.".replace(" .", ".")
            return PageOutcome(url, final_url=got.url, status=got.status, error=error)
        try:
            markdown = to_markdown(got.body, got.content_type, url=got.url)
        except NotTextError as e:
            return PageOutcome(url, final_url=got.url, status=got.status, error=str(e))
        page = CachedPage(
            got.url, markdown, got.cut, got.host, got.local, time.monotonic(), got.status
        )
        PAGES.put(url, page)
    return PageOutcome(
        url, final_url=page.url, status=page.status, markdown=page.markdown, cut=page.cut
    )


def small_model_id() -> str:
    """The model that reads fetched pages (Claude Code's small fast model)."""
    from agentrun.core.pricing import resolve_alias

    for name in ("ANTHROPIC_SMALL_FAST_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL"):
        chosen = os.environ.get(name, "").strip()
        if chosen:
            return chosen
    return resolve_alias("haiku")


def page_prompt(markdown: str, prompt: str) -> str:
    """The small model's question: the page, then the prompt."""
    return (
        f"Web page content:\n---\n{markdown}\n---\n\n{prompt}\n\n"
        "Answer from the content above only, concisely."
    )


def _answer(model: Model, markdown: str, prompt: str) -> ToolResult:
    from agentrun.core.pricing import cost_usd

    model_id = small_model_id()
    request = ModelRequest(
        model=model_id,
        system=WEB_FETCH_SYSTEM,
        messages=[{"role": "user", "content": page_prompt(markdown, prompt)}],
        max_tokens=ANSWER_MAX_TOKENS,
    )
    try:
        response = model.complete(request)
    except ModelError as e:
        return ToolResult(f"The page was fetched but the model reading it failed: {e}", True)
    text = response.text().strip() or "(the model reading the page gave no answer)"
    return ToolResult(text, usage=response.usage, cost_usd=cost_usd(model_id, response.usage))


def _redirect_text(page: PageOutcome, prompt: str) -> str:
    return (
        f"The URL redirects to another host (HTTP {page.status}); the redirect was not "
        f"followed.\nOriginal URL: {page.final_url}\nRedirect URL: {page.redirect}\n\n"
        "To get the page, call WebFetch again with:\n"
        f'- url: "{page.redirect}"\n- prompt: "{prompt}"'
    )

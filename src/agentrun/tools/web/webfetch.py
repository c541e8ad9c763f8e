"""The WebFetch tool: a page fetched by the runtime, turned into Markdown and answered by a
small fast model with the model's prompt (as Claude Code does).

The permission gate has already allowed the URL's host when this runs (``WebFetch`` and
``WebFetch(domain:...)`` rules). What the fetch itself refuses (schemes, local addresses,
redirects to other hosts) is in :mod:`agentrun.tools.web.fetch`. The small model is the haiku
alias (``ANTHROPIC_SMALL_FAST_MODEL`` or ``ANTHROPIC_DEFAULT_HAIKU_MODEL`` override it) asked
through the session's model, so a scripted or function model answers in tests; its tokens and
cost are added to the run's.
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
    from agentrun.core.protocols import Model
    from agentrun.tools.base import ToolContext
    from agentrun.tools.web.cache import CachedPage
    from agentrun.tools.web.fetch import Redirect

ANSWER_MAX_TOKENS = 4_096


class WebFetchTool:
    name = "WebFetch"
    description = WEBFETCH_DESCRIPTION
    input_schema = WEBFETCH_SCHEMA
    read_only = True  # several fetches of one turn run concurrently; each met the gate

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        from agentrun.tools.web.cache import PAGES, CachedPage
        from agentrun.tools.web.fetch import MAX_BYTES, FetchError, Redirect, fetch
        from agentrun.tools.web.page import NotTextError, to_markdown

        url, prompt = str(input["url"]).strip(), str(input["prompt"])
        if ctx.model is None:
            return ToolResult("WebFetch is not available here: no model to read the page.", True)
        named = ctx.names_host or (lambda host: False)
        page = PAGES.get(url)
        if page is not None and page.local and not named(page.host):
            page = None  # fetched under another session's rule: this one must fetch itself
        if page is None:
            try:
                got = fetch(url, named=named, cancel=ctx.cancel)
            except FetchError as e:
                return ToolResult(str(e), is_error=True)
            if isinstance(got, Redirect):
                return ToolResult(_redirect_text(got, prompt))
            if got.status >= 400:
                return ToolResult(
                    f"{got.url} answered HTTP {got.status} {got.reason}.".replace(" .", "."),
                    is_error=True,
                )
            try:
                markdown = to_markdown(got.body, got.content_type, url=got.url)
            except NotTextError as e:
                return ToolResult(str(e), is_error=True)
            page = CachedPage(got.url, markdown, got.cut, got.host, got.local, time.monotonic())
            PAGES.put(url, page)
        answer = _answer(ctx.model, page, prompt)
        if page.cut and not answer.is_error:
            note = f"\n\n(Only the first {MAX_BYTES // (1024 * 1024)} MB of the page were read.)"
            return ToolResult(answer.text() + note, usage=answer.usage, cost_usd=answer.cost_usd)
        return answer


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


def _answer(model: Model, page: CachedPage, prompt: str) -> ToolResult:
    from agentrun.core.pricing import cost_usd

    model_id = small_model_id()
    request = ModelRequest(
        model=model_id,
        system=WEB_FETCH_SYSTEM,
        messages=[{"role": "user", "content": page_prompt(page.markdown, prompt)}],
        max_tokens=ANSWER_MAX_TOKENS,
    )
    try:
        response = model.complete(request)
    except ModelError as e:
        return ToolResult(f"The page was fetched but the model reading it failed: {e}", True)
    text = response.text().strip() or "(the model reading the page gave no answer)"
    return ToolResult(text, usage=response.usage, cost_usd=cost_usd(model_id, response.usage))


def _redirect_text(redirect: Redirect, prompt: str) -> str:
    return (
        f"The URL redirects to another host (HTTP {redirect.status}); the redirect was not "
        f"followed.\nOriginal URL: {redirect.url}\nRedirect URL: {redirect.location}\n\n"
        "To get the page, call WebFetch again with:\n"
        f'- url: "{redirect.location}"\n- prompt: "{prompt}"'
    )

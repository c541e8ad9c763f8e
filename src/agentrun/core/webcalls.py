"""The runtime's own model requests for the web tools, and how a model recognises them.

WebFetch asks a small fast model about a fetched page; WebSearch asks the session's model to
run the API's server-side web search. Each request carries one of these system prompts exactly,
so a scripted model can answer it without using a turn, a recording can leave it out and a
replay can refuse it (see :mod:`agentrun.models.scripted`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from agentrun.core.types import ModelRequest

WEB_FETCH_SYSTEM = (
    "You answer a question about one web page. Use only the page content given; say so when "
    "the page does not answer the question. Quote sparingly: at most 125 characters of any "
    "source text at a time, and never song lyrics."
)
WEB_SEARCH_SYSTEM = (
    "You run one web search with the web_search tool for the query given, then summarise "
    "what the results say, citing them."
)
WEB_SEARCH_TOOL = "web_search_20250305"
"""The Messages API's server-side web search tool (type of the ``tools`` entry)."""

WebCall = Literal["web_fetch", "web_search"]


def web_call(request: ModelRequest) -> WebCall | None:
    """Which web tool's request ``request`` is (None: a turn of the conversation)."""
    if request.system == WEB_FETCH_SYSTEM:
        return "web_fetch"
    if request.system == WEB_SEARCH_SYSTEM:
        return "web_search"
    return None

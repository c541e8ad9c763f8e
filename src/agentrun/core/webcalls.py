"""The runtime's own model requests for the web tools, and how a model recognises them.

WebFetch asks a small fast model about a fetched page; WebSearch asks the session's model to
run the API's server-side web search. Each request carries one of these system prompts exactly,
so a scripted model can answer it without using a turn, a recording can leave it out and a
replay can refuse it (see :mod:`agentrun.models.scripted`).
"""

from __future__ import annotations

from dataclasses import dataclass
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


def domain_host(domain: str) -> str:
    """The host a domain-list entry names, which is what matching compares: a scheme, a path,
    a port or a leading ``*.`` left out (``https://Example.COM./blog`` names ``example.com``),
    so that a call cannot slip a blocked domain past the settings in another spelling."""
    text = domain.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    for mark in "/?#":
        text = text.split(mark, 1)[0]
    text = text.rsplit("@", 1)[-1]
    if not text.startswith("["):
        text = text.split(":", 1)[0]
    return text.removeprefix("*.").rstrip(".")


def under(host: str, domain: str) -> bool:
    """Whether ``host`` is ``domain`` or below it (``docs.example.com`` is under
    ``example.com``), as the search API reads its domain lists."""
    host, domain = domain_host(host), domain_host(domain)
    return bool(domain) and (host == domain or host.endswith("." + domain))


def common_domains(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """The domains both lists allow: each domain of one list that is under one of the other's
    (``example.com`` and ``docs.example.com`` have ``docs.example.com`` in common)."""
    found = [d for d in first if any(under(d, o) for o in second)]
    found += [d for d in second if any(under(d, o) for o in first)]
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class SearchDomains:
    """WebSearch's domain lists from the settings files: they narrow what a call asks, never
    widen it. ``allowed`` None: no allow list (every domain not blocked); an empty tuple: the
    lists of two files allow no domain in common, so nothing may be searched."""

    allowed: tuple[str, ...] | None = None
    blocked: tuple[str, ...] = ()

    def narrowed(self, other: SearchDomains) -> SearchDomains:
        """What both allow: allow lists intersected, block lists joined."""
        if self.allowed is None or other.allowed is None:
            allowed = self.allowed if other.allowed is None else other.allowed
        else:
            allowed = common_domains(self.allowed, other.allowed)
        return SearchDomains(allowed, tuple(dict.fromkeys(self.blocked + other.blocked)))

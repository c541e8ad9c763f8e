"""WebSearch's domain lists: the call's narrowed by the settings' (``webSearch`` in the
settings files), and what one request may carry.

Settings only narrow: the call's allow list is intersected with the settings' (a call asking
for ``example.com`` under settings allowing ``docs.example.com`` searches
``docs.example.com``), block lists are joined, and a call's allowed domain the settings block
is dropped (every one dropped: an error result naming them). The API takes one list per
request, never both: with an allow list, the request carries it, and blocked domains below an
allowed one are filtered out of the results here; the summary the model wrote from them is then
left out too, since it may repeat what a blocked page said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agentrun.core.webcalls import SearchDomains, common_domains, under


@dataclass(frozen=True)
class SearchPlan:
    """What one search sends and what it filters; ``refusal``: why it cannot run at all."""

    allowed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    filtered: list[str] = field(default_factory=list)
    """Blocked domains the request cannot carry (it carries ``allowed``): results under them
    are dropped after the search."""
    dropped: list[str] = field(default_factory=list)
    """Domains the call asked for that the settings do not allow."""
    refusal: str | None = None


def plan(
    allowed: Sequence[str], blocked: Sequence[str], settings: SearchDomains | None
) -> SearchPlan:
    """The search for a call's lists under the settings' (None: no settings lists)."""
    settings = settings or SearchDomains()
    blocked_all = list(dict.fromkeys([*blocked, *settings.blocked]))
    if allowed:
        asked = tuple(dict.fromkeys(allowed))
        open_ = [d for d in asked if not any(under(d, b) for b in settings.blocked)]
        kept = list(
            open_ if settings.allowed is None else common_domains(tuple(open_), settings.allowed)
        )
        kept = [d for d in kept if not any(under(d, b) for b in settings.blocked)]
        dropped = [d for d in asked if not any(under(k, d) or under(d, k) for k in kept)]
        if not kept:
            return SearchPlan(
                dropped=dropped,
                refusal=(
                    f"The settings do not allow searching {', '.join(asked)} "
                    f"({_describe(settings)}); nothing was searched."
                ),
            )
    else:
        dropped = []
        if settings.allowed is None:
            return SearchPlan(blocked=blocked_all)
        kept = [d for d in settings.allowed if not any(under(d, b) for b in blocked_all)]
        if not kept:
            return SearchPlan(
                refusal=f"The settings allow no domain to be searched ({_describe(settings)})."
            )
    filtered = [b for b in blocked_all if any(under(b, k) for k in kept)]
    return SearchPlan(allowed=kept, filtered=filtered, dropped=dropped)


def _describe(settings: SearchDomains) -> str:
    parts = []
    if settings.allowed is not None:
        parts.append(f"webSearch.allowedDomains: {', '.join(settings.allowed) or 'none in common'}")
    if settings.blocked:
        parts.append(f"webSearch.blockedDomains: {', '.join(settings.blocked)}")
    return "; ".join(parts)

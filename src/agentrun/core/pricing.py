"""Model aliases and prices, in one table each, and usage -> cost.

Prices are US dollars per million tokens (Anthropic docs, Nov 2026). Cache writes (5-minute TTL)
cost 1.25x input and cache reads 0.1x input, so they are derived rather than listed. A model that
is not in the table still runs: its cost is ``None`` (unknown), never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.core.types import Usage

ALIASES: dict[str, str] = {
    "sonnet": "claude-sonnet-5-5",
    "opus": "claude-opus-5-5",
    "haiku": "claude-haiku-5-5",
    "fable": "claude-fable-5-2",
    # Claude Code's variants: the current models already have a 1M context, and agentrun has
    # no plan-mode model switch, so these are plain synonyms.
    "sonnet[1m]": "claude-sonnet-5-5",
    "opus[1m]": "claude-opus-5-5",
    "opusplan": "claude-opus-5-5",
}
"""Short names users type -> current model ids. The only place ids are spelled out."""

DEFAULT_ALIAS = "sonnet"

_SNAPSHOT = re.compile(r"(.+)-(?:\d{8}|latest)")

CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.1


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens."""

    input: float
    output: float


PRICES: dict[str, Price] = {
    "claude-fable-5-2": Price(input=8.0, output=40.0),
    "claude-opus-5-5": Price(input=4.0, output=20.0),
    "claude-sonnet-5-5": Price(input=2.0, output=10.0),
    "claude-haiku-5-5": Price(input=0.10, output=0.50),
    # Earlier models that agent files still name (``model: claude-sonnet-4-20250514`` is in 137
    # of the 1,552 corpus files); a dated id gets its base's price (see price_for).
    "claude-opus-4-5": Price(input=5.0, output=25.0),
    "claude-opus-4-1": Price(input=15.0, output=75.0),
    "claude-opus-4": Price(input=15.0, output=75.0),
    "claude-sonnet-4-5": Price(input=3.0, output=15.0),
    "claude-sonnet-4": Price(input=3.0, output=15.0),
    "claude-haiku-4-5": Price(input=1.0, output=5.0),
    "claude-3-7-sonnet": Price(input=3.0, output=15.0),
    "claude-3-5-haiku": Price(input=0.80, output=4.0),
}


def resolve_alias(name: str) -> str:
    """An alias's model id; any other name is taken as a model id already."""
    return ALIASES.get(name, name)


def price_for(model_id: str) -> Price | None:
    """The price of ``model_id``; a dated snapshot (``...-20261101``) or ``...-latest`` gets its
    base's price. Any other suffix is another model (``claude-opus-4-6`` is not
    ``claude-opus-4``): unknown, never a guess."""
    model_id = resolve_alias(model_id)
    match = _SNAPSHOT.fullmatch(model_id)
    return PRICES.get(match.group(1) if match else model_id)


def cost_usd(model_id: str, usage: Usage) -> float | None:
    """What ``usage`` costs on ``model_id`` in dollars; None when the model's price is unknown."""
    price = price_for(model_id)
    return None if price is None else _dollars(price, usage)


DEAREST = Price(
    input=max(p.input for p in PRICES.values()), output=max(p.output for p in PRICES.values())
)
"""The dearest known rates: what a budget counts for a model whose price is unknown (a budget
must not turn off because an agent file names a model the table lacks)."""


def budget_cost(model_id: str, usage: Usage) -> float:
    """What ``usage`` counts against a budget: its cost, or at the dearest rates when unknown."""
    cost = cost_usd(model_id, usage)
    return worst_cost(usage) if cost is None else cost


def worst_cost(usage: Usage) -> float:
    """``usage`` priced at the dearest known rates."""
    return _dollars(DEAREST, usage)


def _dollars(price: Price, usage: Usage) -> float:
    dollars = (
        usage.input_tokens * price.input
        + usage.cache_creation_input_tokens * price.input * CACHE_WRITE_FACTOR
        + usage.cache_read_input_tokens * price.input * CACHE_READ_FACTOR
        + usage.output_tokens * price.output
    ) / 1_000_000
    return round(dollars, 10)

"""Aliases and prices: one table each; unknown models cost None, not a guess."""

from __future__ import annotations

import pytest

from agentrun.core.pricing import ALIASES, PRICES, cost_usd, price_for, resolve_alias
from agentrun.core.types import Usage


def test_every_alias_has_a_price() -> None:
    assert ALIASES == {
        "sonnet": "claude-sonnet-5-5",
        "opus": "claude-opus-5-5",
        "haiku": "claude-haiku-5-5",
        "fable": "claude-fable-5-2",
        "sonnet[1m]": "claude-sonnet-5-5",
        "opus[1m]": "claude-opus-5-5",
        "opusplan": "claude-opus-5-5",
    }
    assert all(model in PRICES for model in ALIASES.values())


@pytest.mark.parametrize(
    ("model", "usage", "expected"),
    [
        ("claude-sonnet-5-5", Usage(input_tokens=1_000_000), 2.0),
        ("claude-sonnet-5-5", Usage(output_tokens=1_000_000), 10.0),
        ("claude-sonnet-5-5", Usage(cache_creation_input_tokens=1_000_000), 2.5),
        ("claude-sonnet-5-5", Usage(cache_read_input_tokens=1_000_000), 0.2),
        ("opus", Usage(1000, 1000, 1000, 1000), (4 + 20 + 5 + 0.4) / 1000),
        ("claude-fable-5-2", Usage(input_tokens=10, output_tokens=10), 480 / 1e6),
        ("claude-haiku-5-5-20261101", Usage(input_tokens=1_000_000), 0.10),
        ("claude-sonnet-4-20250514", Usage(1_000_000, 1_000_000), 18.0),
        ("claude-opus-4-1-20250805", Usage(output_tokens=1_000_000), 75.0),
        ("claude-opus-4-5-20251101", Usage(output_tokens=1_000_000), 25.0),
        ("claude-3-5-haiku-latest", Usage(input_tokens=1_000_000), 0.80),
    ],
    ids=[
        "input",
        "output",
        "cache-write",
        "cache-read",
        "all-four",
        "fable",
        "dated-snapshot",
        "sonnet-4-snapshot",
        "opus-4-1-not-opus-4-5",
        "opus-4-5-not-opus-4",
        "latest",
    ],
)
def test_cost(model: str, usage: Usage, expected: float) -> None:
    assert cost_usd(model, usage) == pytest.approx(expected)


def test_unknown_model_cost_is_none() -> None:
    assert cost_usd("claude-unknown-9", Usage(input_tokens=5)) is None
    assert price_for("") is None
    # Another version of a known family is another model: no guessed price.
    assert price_for("claude-opus-4-6") is None
    assert price_for("claude-sonnet-5-5-preview") is None


def test_resolve_alias_leaves_ids_alone() -> None:
    assert resolve_alias("haiku") == "claude-haiku-5-5"
    assert resolve_alias("claude-x") == "claude-x"

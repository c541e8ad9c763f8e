"""Why agentrun compacts and does not send ``clear_tool_uses``: a token-level simulation of the
same long session under both, with the prompt cache accounted like the API (and the fake
server): a request reads from the cache the prefix it shares with the previous one and writes
the rest (reads cost 0.1x input, writes 1.25x).

    python bench/context_editing.py [--turns 500] [--window 50000]

The session: a 5,000-token system prompt and tools; each turn a 60-token assistant message and
a 1,200-token tool result (a file read). Strategies, both triggered at 85% of the window:

- ``compact``: agentrun's own compaction: a 600-token summary, then the last messages verbatim
  up to 25% of the threshold (the system prompt and tools stay cached);
- ``clear_tool_uses``: the API's context edit with its defaults (keep the last 3 tool uses,
  clear the older results to a 10-token placeholder), applied to every request over the trigger.

Prints one JSON line per strategy: input tokens summed, cache-read share, and the cost in
"input-token equivalents" (uncached 1, cache read 0.1, cache write 1.25).
"""

from __future__ import annotations

import argparse
import json

SYSTEM, ASSISTANT, RESULT, PLACEHOLDER, SUMMARY = 5_000, 60, 1_200, 10, 600


def _account(prompt: list[tuple[str, int]], previous: list[tuple[str, int]]) -> tuple[int, int]:
    """(cache reads, cache writes) for ``prompt`` after ``previous``."""
    shared = 0
    for mine, theirs in zip(prompt, previous, strict=False):
        if mine != theirs:
            break
        shared += 1
    reads = sum(t for _, t in prompt[:shared])
    return reads, sum(t for _, t in prompt) - reads


def simulate(strategy: str, turns: int, window: int) -> dict[str, object]:
    trigger = int(window * 0.85)
    history: list[tuple[str, int]] = []  # (segment id, tokens) after the system prompt
    previous: list[tuple[str, int]] = []
    reads = writes = 0
    compactions = clearings = 0
    for n in range(turns):
        history += [(f"a{n}", ASSISTANT), (f"r{n}", RESULT)]
        prompt = [("system", SYSTEM), *history]
        if sum(t for _, t in prompt) > trigger:
            if strategy == "compact":
                compactions += 1
                kept: list[tuple[str, int]] = []
                for seg in reversed(history):
                    if sum(t for _, t in kept) + seg[1] > trigger * 0.25:
                        break
                    kept.insert(0, seg)
                history = [(f"summary{compactions}", SUMMARY), *kept]
                prompt = [("system", SYSTEM), *history]
            else:
                clearings += 1
                results = [i for i, (name, _) in enumerate(prompt) if name.startswith("r")]
                cleared = set(results[:-3])
                prompt = [
                    (f"{s}-cleared", PLACEHOLDER) if i in cleared else (s, t)
                    for i, (s, t) in enumerate(prompt)
                ]
        r, w = _account(prompt, previous)
        reads, writes, previous = reads + r, writes + w, prompt
    total = reads + writes
    return {
        "strategy": strategy,
        "turns": turns,
        "window": window,
        "events": compactions or clearings,
        "input_tokens_summed": total,
        "cache_read_share": round(reads / total, 3),
        "cost_input_equivalents": round(reads * 0.1 + writes * 1.25),
        "last_prompt": sum(t for _, t in previous),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--window", type=int, default=50_000)
    args = parser.parse_args()
    for strategy in ("compact", "clear_tool_uses"):
        print(json.dumps(simulate(strategy, args.turns, args.window)))


if __name__ == "__main__":
    main()

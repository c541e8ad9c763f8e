"""The size of a history in tokens, estimated (the budget measures every answer with it; the
compaction module is loaded only when a compaction happens)."""

from __future__ import annotations

import json

__all__ = ["estimate_tokens"]


def estimate_tokens(value: object) -> int:
    """About 4 characters a token, like the fake API and the scripted model."""
    return len(json.dumps(value, ensure_ascii=False)) // 4 + 1

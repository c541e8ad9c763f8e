"""One helper gives the text of content blocks; callers that join differently say so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentrun.core.types import ModelResponse, ToolResult, block_text
from agentrun.session.transcript import content_text

BLOCKS: list[Any] = [
    {"type": "text", "text": "one"},
    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}},
    {"type": "tool_use", "id": "t1", "name": "Read", "input": {}},
    "not a block",
    {"type": "text", "text": "two"},
]


def test_block_text_joins_text_blocks_only() -> None:
    assert block_text(BLOCKS) == "onetwo"
    assert block_text(BLOCKS, sep="\n") == "one\ntwo"
    assert block_text("as is") == "as is"
    assert block_text(None) == block_text([]) == ""


def test_the_callers_keep_their_joins(tmp_path: Path) -> None:
    blocks = [b for b in BLOCKS if isinstance(b, dict)]
    assert ModelResponse(content=blocks, stop_reason="end_turn").text() == "onetwo"
    assert ToolResult(content=blocks).text() == "onetwo"
    assert content_text(BLOCKS) == "one two"  # a listing's one-line title

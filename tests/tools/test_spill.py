"""The spill itself: file names a tool's name cannot steer, results with images left whole."""

from __future__ import annotations

from pathlib import Path

from agentrun.core.types import ToolResult
from agentrun.tools.spill import SPILL_DIR, Spill


def test_a_hostile_tool_name_names_no_other_place(tmp_path: Path) -> None:
    spill = Spill(tmp_path, threshold=1_000)
    result = spill.kept(ToolResult("x" * 5_000), "mcp__evil__../../../etc/passwd")
    (saved,) = (tmp_path / SPILL_DIR).iterdir()
    assert saved.name.startswith("mcp__evil__-etc-passwd-") and saved.read_text() == "x" * 5_000
    assert str(saved) in str(result.content) and len(str(result.content)) < 2_500


def test_text_blocks_are_joined_and_images_left_whole(tmp_path: Path) -> None:
    spill = Spill(tmp_path, threshold=1_000)
    blocks = [{"type": "text", "text": "a" * 800}, {"type": "text", "text": "b" * 800}]
    kept = spill.kept(ToolResult(blocks, is_error=True), "mcp")  # type: ignore[arg-type]
    assert kept.is_error and isinstance(kept.content, str)
    assert (
        kept.content.startswith("a" * 800 + "\n" + "b" * 100) and "1,601 characters" in kept.content
    )
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ""}}
    with_image = ToolResult([*blocks, image])  # type: ignore[list-item]
    assert spill.kept(with_image, "mcp") is with_image
    small = ToolResult("short")
    assert spill.kept(small, "mcp") is small

"""Read of a Jupyter notebook: the cells one by one, as Claude Code shows them.

Each cell is ``<cell id="ID">`` (the cell's id, else ``cell-N``), a ``<cell_type>`` tag for
cells that are not code, the source, and ``</cell id="ID">``; a code cell's outputs follow it
as text (streams, ``text/plain`` results, errors with their traceback) and PNG/JPEG outputs as
image blocks. A cell's outputs past :data:`MAX_OUTPUT_CHARS` are replaced by a note telling
how to see them, so one huge log does not take the whole read.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from agentrun.core.types import ToolResult
from agentrun.tools import nbcells, textfile

if TYPE_CHECKING:
    from pathlib import Path

    from agentrun.jail.paths import OpenedFile
    from agentrun.tools.base import ToolContext

MAX_NOTEBOOK_BYTES = 16 * 1024 * 1024
MAX_OUTPUT_CHARS = 10_000
"""A cell's text outputs longer than this are not shown (a note says how to see them)."""
MAX_TEXT_CHARS = 100_000
"""The cells' text in one read (about 25,000 tokens, Read's limit)."""
MAX_IMAGE_CHARS = 7_000_000
"""The images of one read, base64 (about 5 MB of image, Read's limit for one image file)."""
_IMAGE_TYPES = ("image/png", "image/jpeg")


def _text(value: Any) -> str:
    """nbformat's multiline string: one string or a list of lines."""
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _outputs(cell: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """A code cell's outputs: texts, and images as (media type, base64 data)."""
    texts: list[str] = []
    images: list[tuple[str, str]] = []
    outputs = cell.get("outputs")
    for out in outputs if isinstance(outputs, list) else ():
        if not isinstance(out, dict):
            continue
        kind = out.get("output_type")
        if kind == "stream":
            texts.append(_text(out.get("text")))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data")
            if not isinstance(data, dict):
                data = {}
            image = next((m for m in _IMAGE_TYPES if isinstance(data.get(m), str | list)), None)
            if image is not None:
                images.append((image, _text(data[image]).replace("\n", "")))
            elif "text/plain" in data:
                texts.append(_text(data["text/plain"]))
        elif kind == "error":
            trace = out.get("traceback")
            lines = [t for t in trace if isinstance(t, str)] if isinstance(trace, list) else []
            texts.append(
                "\n".join([f"{out.get('ename', 'Error')}: {out.get('evalue', '')}", *lines])
            )
    return texts, images


def _valid_image(data: str) -> bool:
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(data)


def read(opened: OpenedFile, shown: Path, ctx: ToolContext) -> ToolResult | None:
    """The notebook ``opened`` cell by cell, remembered as read whole (NotebookEdit's
    check); None when it is too big or not a notebook (Read then shows it as text)."""
    st = opened.stat
    if st.st_size > MAX_NOTEBOOK_BYTES:
        return None
    decoded = textfile.decode(opened.read_all())
    if decoded is None:
        return None
    try:
        nb, _ = nbcells.parse(decoded[0])
    except nbcells.NotebookError:
        return None
    result = render(nb, shown)
    ctx.reads.record(opened.path, st.st_mtime_ns, st.st_size, whole=True)
    return result


def render(nb: dict[str, Any], shown: Path) -> ToolResult:
    """The notebook's cells as content blocks (see the module docstring)."""
    cells = nb["cells"]
    language = _language(nb)
    blocks: list[dict[str, Any]] = []
    parts: list[str] = []
    total = 0
    image_chars = 0
    for index, cell in enumerate(cells):
        label = nbcells.cell_label(cell, index)
        kind = cell.get("cell_type", "code")
        head = f'<cell id="{label}">'
        if kind != "code":
            head += f"<cell_type>{kind}</cell_type>"
        elif language not in ("python", ""):
            head += f"<language>{language}</language>"
        text = f'{head}{_text(cell.get("source"))}</cell id="{label}">'
        shown_images: list[tuple[str, str]] = []
        if kind == "code":
            texts, found = _outputs(cell)
            joined = "\n".join(t.rstrip("\n") for t in texts if t)
            if len(joined) > MAX_OUTPUT_CHARS:
                joined = (
                    f"[The outputs of this cell are too long to show ({len(joined):,} "
                    "characters). See them with Bash: "
                    f"jq '.cells[{index}].outputs' {json.dumps(str(shown))}]"
                )
            if joined:
                text += f"\n{joined}"
            shown_images = [img for img in found if _valid_image(img[1])]
        total += len(text)
        if total > MAX_TEXT_CHARS:
            parts.append(
                f"[{len(cells) - index} more cells not shown: this read is over "
                f"{MAX_TEXT_CHARS:,} characters. See them with Bash, e.g. "
                f"jq '.cells[{index}:]' {json.dumps(str(shown))}]"
            )
            break
        parts.append(text)
        for media, data in shown_images:
            if image_chars + len(data) > MAX_IMAGE_CHARS:
                parts.append(f"[an image output of cell {label} is not shown: too many images]")
                continue
            image_chars += len(data)
            blocks.append({"type": "text", "text": "\n".join(parts)})
            parts = []
            blocks.append(
                {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
            )
    if parts or not blocks:
        blocks.append({"type": "text", "text": "\n".join(parts) or f"{shown} has no cells."})
    if len(blocks) == 1:
        return ToolResult(str(blocks[0]["text"]))
    return ToolResult(blocks)


def _language(nb: dict[str, Any]) -> str:
    meta = nb.get("metadata")
    info = meta.get("language_info") if isinstance(meta, dict) else None
    name = info.get("name") if isinstance(info, dict) else None
    return name if isinstance(name, str) else ""

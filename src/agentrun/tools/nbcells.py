"""Jupyter notebooks as plain JSON: finding a cell, changing it, writing the notebook back.

No ``nbformat`` dependency: the notebook is the JSON the file holds, changed in place, so keys
the tool does not touch keep their order and values, and the file its indentation and final
newline. What nbformat 4 requires is kept: a code cell has ``outputs`` and
``execution_count``, a markdown cell neither; from nbformat 4.5 on every cell has a unique
``id`` (``[a-zA-Z0-9-_]``, 1 to 64 characters).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

CellType = str  # "code" | "markdown"
_INDEX_ID = re.compile(r"cell-(\d+)")


class NotebookError(ValueError):
    """What is wrong with the notebook or the edit, worded for the model."""


@dataclass(frozen=True)
class Layout:
    """How the file was written: indentation (None = one line), final newline, ASCII escapes."""

    indent: int | str | None = 1
    newline: bool = True
    ascii: bool = False


def parse(text: str) -> tuple[dict[str, Any], Layout]:
    """The notebook and its layout; :class:`NotebookError` when it is not nbformat 4 JSON."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        raise NotebookError(f"it is not valid JSON ({e})") from e
    except RecursionError as e:  # a JSON bomb of nested arrays: no notebook is that deep
        raise NotebookError("its JSON is nested too deeply to be a notebook") from e
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError('it is not a Jupyter notebook (no "cells" list)')
    major = nb.get("nbformat")
    if not isinstance(major, int) or major < 4:
        raise NotebookError(f"its nbformat is {major!r}; only nbformat 4 notebooks are edited")
    if not all(isinstance(cell, dict) for cell in nb["cells"]):
        raise NotebookError("one of its cells is not a JSON object")
    return nb, _layout(text)


def _layout(text: str) -> Layout:
    found = re.match(r"\s*\{\r?\n([ \t]+)\S", text)
    indent: int | str | None = None
    if found is not None:
        lead = found[1]
        indent = len(lead) if set(lead) == {" "} else lead
    return Layout(
        indent=indent,
        newline=text.endswith("\n"),
        ascii=bool(re.search(r"\\u[0-9a-fA-F]{4}", text)) and text.isascii(),
    )


def dump(nb: dict[str, Any], layout: Layout) -> str:
    try:
        text = json.dumps(nb, indent=layout.indent, ensure_ascii=layout.ascii)
    except RecursionError as e:
        raise NotebookError("its JSON is nested too deeply to be written back") from e
    return text + "\n" if layout.newline else text


def needs_ids(nb: dict[str, Any]) -> bool:
    """nbformat 4.5 and later: every cell carries an id."""
    minor = nb.get("nbformat_minor")
    return nb.get("nbformat", 0) > 4 or (isinstance(minor, int) and minor >= 5)


def cell_label(cell: dict[str, Any], index: int) -> str:
    """The id Read shows and NotebookEdit takes: the cell's own, else ``cell-N``."""
    cid = cell.get("id")
    return cid if isinstance(cid, str) and cid else f"cell-{index}"


def find(cells: list[dict[str, Any]], cell_id: str) -> int:
    """The index of the cell ``cell_id`` names (its id, else ``cell-N`` = position N; N may be
    one past the last cell, for an insert at the end)."""
    for i, cell in enumerate(cells):
        if cell.get("id") == cell_id:
            return i
    found = _INDEX_ID.fullmatch(cell_id)
    if found is not None and int(found[1]) <= len(cells):
        return int(found[1])
    shown = ", ".join(cell_label(c, i) for i, c in enumerate(cells[:30]))
    more = f" (and {len(cells) - 30} more)" if len(cells) > 30 else ""
    listing = f"Its cells are: {shown}{more}." if cells else "It has no cells."
    raise NotebookError(
        f"it has no cell with id {json.dumps(cell_id)}. {listing} Read the notebook to see "
        "the ids, or use cell-N for the cell at 0-based position N"
    )


def _source(text: str, like: Any) -> str | list[str]:
    """``text`` as a cell source, in the form the notebook uses (a list of lines, as Jupyter
    writes it, or one string)."""
    return text if isinstance(like, str) else text.splitlines(keepends=True)


def _new_id(cells: list[dict[str, Any]]) -> str:
    taken = {c.get("id") for c in cells}
    while True:
        cid = secrets.token_hex(4)
        if cid not in taken:
            return cid


def _as_type(cell: dict[str, Any], cell_type: CellType) -> None:
    """Make ``cell`` a valid cell of ``cell_type``; a code cell starts unrun."""
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    else:
        cell.pop("execution_count", None)
        cell.pop("outputs", None)


def replace(nb: dict[str, Any], index: int, source: str, cell_type: CellType | None) -> str:
    """Set cell ``index``'s source (and type); its label."""
    cells: list[dict[str, Any]] = nb["cells"]
    cell = cells[index]
    cell["source"] = _source(source, cell.get("source", []))
    new_type = cell_type or str(cell.get("cell_type", "code"))
    if new_type != cell.get("cell_type") or new_type == "code":
        _as_type(cell, new_type)
    return cell_label(cell, index)


def insert(nb: dict[str, Any], index: int, source: str, cell_type: CellType) -> str:
    """A new cell at position ``index``; its label."""
    cells: list[dict[str, Any]] = nb["cells"]
    like: Any = next((c.get("source") for c in cells if "source" in c), [])
    cell: dict[str, Any] = {"cell_type": cell_type, "metadata": {}, "source": ""}
    if needs_ids(nb):
        cell["id"] = _new_id(cells)
    _as_type(cell, cell_type)
    cell["source"] = _source(source, like)
    cells.insert(index, dict(sorted(cell.items())))  # nbformat writes keys sorted
    return cell_label(cell, index)


def delete(nb: dict[str, Any], index: int) -> str:
    cells: list[dict[str, Any]] = nb["cells"]
    label = cell_label(cells[index], index)
    del cells[index]
    return label

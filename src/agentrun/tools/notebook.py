"""NotebookEdit: replace, insert or delete one cell of a Jupyter notebook.

It is an edit tool like Edit, through the same doors: the gate decides on ``notebook_path``
(acceptEdits, protected paths, ``Edit(...)`` rules), the workspace confines the path (openat2 or
the jail's file server), the gate checks the real path once more, the notebook must have been
read and be unchanged since, and the new file replaces the old one atomically. The cell work
itself is :mod:`agentrun.tools.nbcells`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ToolResult
from agentrun.jail.paths import describe_os_error
from agentrun.tools import nbcells, textfile
from agentrun.tools.edit import load_for_edit
from agentrun.tools.nbspecs import NOTEBOOK_DESCRIPTION, NOTEBOOK_SCHEMA
from agentrun.tools.read import error, missing_file_text

if TYPE_CHECKING:
    from pathlib import Path

    from agentrun.tools.base import ToolContext

_MODES = ("replace", "insert", "delete")
_TYPES = ("code", "markdown")


def _checked(input: JSON) -> tuple[str, str, str | None, str | None, str] | ToolResult:
    """(path, new_source, cell_id, cell_type, edit_mode), or the error for the model."""
    path = input.get("notebook_path")
    source = input.get("new_source")
    cell_id = input.get("cell_id")
    cell_type = input.get("cell_type")
    mode = input.get("edit_mode") or "replace"
    if not isinstance(path, str) or not path:
        return error("notebook_path must be a string: the path of the .ipynb file to edit.")
    if not isinstance(source, str):
        return error("new_source must be a string: the cell's new source.")
    if cell_id is not None and not isinstance(cell_id, str):
        return error("cell_id must be a string: a cell id as Read shows it, or cell-N.")
    if mode not in _MODES:
        return error(f"edit_mode must be replace, insert or delete, not {mode!r}.")
    if cell_type is not None and cell_type not in _TYPES:
        return error(f"cell_type must be code or markdown, not {cell_type!r}.")
    if mode == "insert" and cell_type is None:
        return error("cell_type (code or markdown) is required when edit_mode is insert.")
    if mode != "insert" and not cell_id:
        return error(f"cell_id is required to {mode} a cell: give the id Read shows for it.")
    if not path.endswith(".ipynb"):
        return error(f"{path} is not a Jupyter notebook (.ipynb file). Use Edit for other files.")
    return path, source, cell_id or None, cell_type, mode


class NotebookEditTool:
    """Claude Code's NotebookEdit (see the module docstring)."""

    name = "NotebookEdit"
    description = NOTEBOOK_DESCRIPTION
    input_schema = NOTEBOOK_SCHEMA
    read_only = False

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        checked = _checked(input)
        if isinstance(checked, ToolResult):
            return checked
        path = checked[0]
        try:
            return self._edit(*checked, ctx=ctx)
        except OSError as e:
            return error(describe_os_error(e, path, action="edit"))

    def _edit(
        self,
        path: str,
        source: str,
        cell_id: str | None,
        cell_type: str | None,
        mode: str,
        *,
        ctx: ToolContext,
    ) -> ToolResult:
        ws = ctx.workspace
        shown = ws.resolve(path)
        target = ws.write_target(path)
        refused = ctx.refusal(self.name, "write", target.path)
        if refused is not None:
            return error(refused)
        if target.existing is None:
            return error(missing_file_text(ws, shown, path))
        loaded = load_for_edit(ctx, target, shown)
        if isinstance(loaded, ToolResult):
            return loaded
        text, fmt = loaded
        try:
            nb, layout = nbcells.parse(text)
            done = _apply(nb, source, cell_id, cell_type, mode)
            new_text = nbcells.dump(nb, layout)
        except nbcells.NotebookError as e:
            return error(f"Cannot edit {shown}: {e}. The notebook was not changed.")
        data, _ = textfile.encode(new_text, fmt)
        outcome = ws.write_bytes(target, data)
        ctx.reads.record(outcome.path, outcome.mtime_ns, outcome.size, whole=True)
        return ToolResult(_summary(done, shown, len(nb["cells"])))


def _apply(
    nb: dict[str, Any], source: str, cell_id: str | None, cell_type: str | None, mode: str
) -> tuple[str, str, int]:
    """Do the edit; (what was done, the cell's label, its position)."""
    cells = nb["cells"]
    index = nbcells.find(cells, cell_id) if cell_id is not None else -1
    if mode == "replace" and index == len(cells):  # cell-N one past the end: an append
        mode, cell_type = "insert", cell_type or "code"
        index -= 1
    if mode == "insert":
        at = min(index + 1, len(cells))
        return "inserted", nbcells.insert(nb, at, source, cell_type or "code"), at
    if index == len(cells):
        raise nbcells.NotebookError(
            f"it has {len(cells)} cells, so there is no cell-{index} (positions start at 0)"
        )
    if mode == "delete":
        return "deleted", nbcells.delete(nb, index), index
    return "replaced", nbcells.replace(nb, index, source, cell_type), index


def _summary(done: tuple[str, str, int], shown: Path, count: int) -> str:
    what, label, at = done
    if what == "deleted":
        return f"Deleted cell {label} (position {at}) from {shown}; {count} cells remain."
    if what == "inserted":
        return f"Inserted cell {label} at position {at} of {shown} ({count} cells now)."
    return f"Updated cell {label} (position {at}) of {shown}."

"""NotebookEdit and Read of notebooks: real .ipynb files in tmp_path, the notebook checked
against nbformat 4's structure after every edit, and end-to-end runs through the gate and the
jail's file server."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from toolkit import agent_ws, make_ctx

from agentrun.core.types import JSON, ToolResult
from agentrun.jail.paths import Workspace
from agentrun.jail.policy import SandboxPolicy
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import run
from agentrun.tools.base import ToolContext
from agentrun.tools.notebook import NotebookEditTool
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecords

EDIT, READ = NotebookEditTool(), ReadTool()
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
_ID = re.compile(r"[a-zA-Z0-9-_]{1,64}")


def notebook(minor: int = 5) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "Some text"]},
        {
            "cell_type": "code",
            "execution_count": 3,
            "metadata": {"tags": ["keep"]},
            "outputs": [
                {"name": "stdout", "output_type": "stream", "text": ["hello\n"]},
                {
                    "data": {"image/png": PNG, "text/plain": ["<Figure>"]},
                    "metadata": {},
                    "output_type": "display_data",
                },
                {
                    "ename": "ValueError",
                    "evalue": "bad",
                    "output_type": "error",
                    "traceback": ["Traceback (most recent call last)", "ValueError: bad"],
                },
            ],
            "source": ["print('hello')\n", "show()"],
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": "x = 1",
        },
    ]
    if minor >= 5:
        for cell, cid in zip(cells, ["intro", "plot", "last"], strict=True):
            cell["id"] = cid
    return {
        "cells": cells,
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def check_nbformat4(nb: dict[str, Any]) -> None:
    """nbformat 4's rules for what this tool touches (the v4.5 schema's required keys)."""
    assert set(nb) >= {"cells", "metadata", "nbformat", "nbformat_minor"}
    assert nb["nbformat"] == 4
    ids = []
    for cell in nb["cells"]:
        kind = cell["cell_type"]
        assert kind in ("code", "markdown", "raw")
        required = {"cell_type", "metadata", "source"}
        if kind == "code":
            required |= {"outputs", "execution_count"}
            assert isinstance(cell["outputs"], list)
            assert cell["execution_count"] is None or isinstance(cell["execution_count"], int)
        else:
            assert "outputs" not in cell and "execution_count" not in cell
        if nb["nbformat_minor"] >= 5:
            required.add("id")
            assert _ID.fullmatch(cell["id"])
            ids.append(cell["id"])
        else:
            assert "id" not in cell
        assert set(cell) == required | ({"attachments"} & set(cell))
        source = cell["source"]
        assert isinstance(source, str) or all(isinstance(s, str) for s in source)
    assert len(ids) == len(set(ids))


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path, strict=True)


def write_nb(path: Path, nb: dict[str, Any], *, indent: int | None = 1) -> Path:
    path.write_text(json.dumps(nb, indent=indent, ensure_ascii=False) + "\n")
    return path


def edit(ctx: ToolContext, path: Path, **given: Any) -> ToolResult:
    return EDIT.run({"notebook_path": str(path), **given}, ctx)


def loaded(path: Path) -> dict[str, Any]:
    nb: dict[str, Any] = json.loads(path.read_text())
    check_nbformat4(nb)
    return nb


# -- Read --------------------------------------------------------------------------------------
def test_read_shows_cells_with_ids_types_sources_outputs_and_images(
    ctx: ToolContext, tmp_path: Path
) -> None:
    path = write_nb(tmp_path / "a.ipynb", notebook())
    result = READ.run({"file_path": str(path)}, ctx)
    assert not result.is_error
    assert isinstance(result.content, list)
    [first, image, rest] = result.content
    assert first == {
        "type": "text",
        "text": '<cell id="intro"><cell_type>markdown</cell_type># Title\nSome text'
        '</cell id="intro">\n'
        '<cell id="plot">print(\'hello\')\nshow()</cell id="plot">\nhello\n'
        "ValueError: bad\nTraceback (most recent call last)\nValueError: bad",
    }
    assert image == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
    }
    assert rest == {"type": "text", "text": '<cell id="last">x = 1</cell id="last">'}
    # Reading it counts as reading it whole: NotebookEdit may now edit it.
    assert ctx.reads.get(path.resolve()) is not None


def test_read_without_ids_shows_positions_and_cuts_long_outputs(
    ctx: ToolContext, tmp_path: Path
) -> None:
    nb = notebook(minor=4)
    nb["cells"][1]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": "y" * 20_000}]
    path = write_nb(tmp_path / "a.ipynb", nb)
    text = READ.run({"file_path": str(path)}, ctx).text()
    assert text.startswith('<cell id="cell-0"><cell_type>markdown</cell_type>')
    assert '<cell id="cell-2">x = 1</cell id="cell-2">' in text
    assert "yyyy" not in text
    assert "The outputs of this cell are too long to show (20,000 characters)" in text
    assert f"jq '.cells[1].outputs' \"{path}\"" in text


def test_read_of_a_broken_notebook_or_with_offset_shows_the_text(
    ctx: ToolContext, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [\n')
    assert READ.run({"file_path": str(bad)}, ctx).text() == '     1\t{"cells": ['
    path = write_nb(tmp_path / "a.ipynb", notebook())
    assert READ.run({"file_path": str(path), "offset": 1, "limit": 1}, ctx).text() == "     1\t{"


# -- NotebookEdit: a round trip ----------------------------------------------------------------
def test_round_trip_replace_insert_delete_keeps_a_valid_notebook(
    ctx: ToolContext, tmp_path: Path
) -> None:
    path = write_nb(tmp_path / "a.ipynb", notebook())
    assert not READ.run({"file_path": str(path)}, ctx).is_error

    result = edit(ctx, path, cell_id="plot", new_source="print('bye')\nplot()")
    assert (result.is_error, result.text()) == (False, f"Updated cell plot (position 1) of {path}.")
    nb = loaded(path)
    plot = nb["cells"][1]
    assert plot["source"] == ["print('bye')\n", "plot()"]  # the notebook's list form kept
    assert (plot["outputs"], plot["execution_count"]) == ([], None)
    assert plot["metadata"] == {"tags": ["keep"]}
    # The file keeps its layout: indent 1, keys in place, final newline.
    assert path.read_text() == json.dumps(nb, indent=1, ensure_ascii=False) + "\n"

    result = edit(
        ctx, path, cell_id="intro", new_source="## Part", edit_mode="insert", cell_type="markdown"
    )
    assert not result.is_error, result.text()
    new_id = re.match(r"Inserted cell (\S+) at position 1 ", result.text())
    assert new_id is not None
    nb = loaded(path)
    assert [c["id"] for c in nb["cells"]] == ["intro", new_id[1], "plot", "last"]
    assert nb["cells"][1] == {
        "cell_type": "markdown",
        "id": new_id[1],
        "metadata": {},
        "source": ["## Part"],
    }

    result = edit(ctx, path, new_source="import os", edit_mode="insert", cell_type="code")
    assert not result.is_error and "at position 0 " in result.text()
    assert loaded(path)["cells"][0]["outputs"] == []

    result = edit(ctx, path, cell_id="last", new_source="", edit_mode="delete")
    assert result.text() == f"Deleted cell last (position 4) from {path}; 4 cells remain."
    nb = loaded(path)
    assert [c["id"] for c in nb["cells"]][1:] == ["intro", new_id[1], "plot"]


def test_cell_type_changes_keep_the_cell_valid(ctx: ToolContext, tmp_path: Path) -> None:
    path = write_nb(tmp_path / "a.ipynb", notebook())
    READ.run({"file_path": str(path)}, ctx)
    assert not edit(ctx, path, cell_id="plot", new_source="text", cell_type="markdown").is_error
    assert not edit(ctx, path, cell_id="intro", new_source="1 + 1", cell_type="code").is_error
    nb = loaded(path)
    assert nb["cells"][0]["cell_type"] == "code" and nb["cells"][0]["outputs"] == []
    assert nb["cells"][1]["cell_type"] == "markdown" and "outputs" not in nb["cells"][1]


def test_old_notebooks_get_no_ids_and_take_positions(ctx: ToolContext, tmp_path: Path) -> None:
    path = write_nb(tmp_path / "a.ipynb", notebook(minor=4), indent=2)
    READ.run({"file_path": str(path)}, ctx)
    assert not edit(ctx, path, cell_id="cell-2", new_source="y = 2").is_error
    assert not edit(
        ctx, path, cell_id="cell-0", new_source="z", edit_mode="insert", cell_type="code"
    ).is_error
    # cell-N one past the end: a replace there appends, as Claude Code does.
    assert not edit(ctx, path, cell_id="cell-4", new_source="tail").is_error
    nb = loaded(path)
    assert [c["source"] for c in nb["cells"]][1:] == [
        ["z"],
        nb["cells"][2]["source"],
        "y = 2",
        ["tail"],
    ]
    assert path.read_text() == json.dumps(nb, indent=2, ensure_ascii=False) + "\n"


# -- NotebookEdit: errors ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"cell_id": "nope", "new_source": "x"},
            'has no cell with id "nope". Its cells are: intro, plot, last.',
        ),
        ({"cell_id": "cell-7", "new_source": "x"}, 'has no cell with id "cell-7"'),
        ({"new_source": "x"}, "cell_id is required to replace a cell"),
        (
            {"new_source": "x", "cell_id": "plot", "edit_mode": "delete-all"},
            "edit_mode must be replace, insert or delete, not 'delete-all'.",
        ),
        (
            {"new_source": "x", "edit_mode": "insert"},
            "cell_type (code or markdown) is required when edit_mode is insert.",
        ),
        (
            {"new_source": "x", "cell_id": "plot", "cell_type": "raw"},
            "cell_type must be code or markdown, not 'raw'.",
        ),
        ({"new_source": 3, "cell_id": "plot"}, "new_source must be a string"),
    ],
    ids=[
        "unknown-id",
        "index-past-end",
        "no-cell-id",
        "bad-mode",
        "insert-no-type",
        "bad-type",
        "source-not-string",
    ],
)
def test_edit_errors(ctx: ToolContext, tmp_path: Path, given: dict[str, Any], message: str) -> None:
    path = write_nb(tmp_path / "a.ipynb", notebook())
    READ.run({"file_path": str(path)}, ctx)
    before = path.read_bytes()
    result = edit(ctx, path, **given)
    assert result.is_error and message in result.text(), result.text()
    assert path.read_bytes() == before


def test_read_first_and_stale_and_missing_and_not_a_notebook(
    ctx: ToolContext, tmp_path: Path
) -> None:
    path = write_nb(tmp_path / "a.ipynb", notebook())
    unread = edit(ctx, path, cell_id="plot", new_source="x")
    assert (
        unread.text() == f"{path} has not been read in this session. Read it first, then edit it."
    )
    READ.run({"file_path": str(path)}, ctx)
    write_nb(path, notebook(), indent=4)  # changed on disk since the read
    stale = edit(ctx, path, cell_id="plot", new_source="x")
    assert stale.is_error and "since" in stale.text()
    missing = edit(ctx, tmp_path / "b.ipynb", cell_id="plot", new_source="x")
    assert missing.is_error and missing.text().startswith(
        f"File does not exist: {tmp_path}/b.ipynb"
    )
    (tmp_path / "a.py").write_text("x")
    other = edit(ctx, tmp_path / "a.py", cell_id="plot", new_source="x")
    assert (
        other.text()
        == f"{tmp_path}/a.py is not a Jupyter notebook (.ipynb file). Use Edit for other files."
    )
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": 3}')
    READ.run({"file_path": str(broken)}, ctx)
    bad = edit(ctx, broken, cell_id="cell-0", new_source="x")
    assert bad.text() == (
        f'Cannot edit {broken}: it is not a Jupyter notebook (no "cells" list). The notebook '
        "was not changed."
    )


# -- end to end: the gate and the jail ---------------------------------------------------------
def _run(
    ws: Path, path: str, last: dict[str, Any], *, read_ok: bool = True, **options: Any
) -> list[JSON]:
    """Read then NotebookEdit ``path``; the edit's result must match ``last`` (an expect
    entry); the run's permission denials."""
    read, nb_edit = _nb_calls(path)
    script = {
        "turns": [
            {"tool_calls": [read]},
            {"tool_calls": [nb_edit], "expect": [{"is_error": False} if read_ok else {}]},
            {"text": "done", "expect": [last]},
        ]
    }
    result = run("go", cwd=ws, model=ScriptedModel.from_data(script), strict=True, **options)
    assert result.subtype == "success", result.result
    return list(result.permission_denials)


def _nb_calls(path: str) -> list[dict[str, Any]]:
    return [
        {"name": "Read", "input": {"file_path": path}},
        {
            "name": "NotebookEdit",
            "input": {"notebook_path": path, "cell_id": "last", "new_source": "changed"},
        },
    ]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return agent_ws(tmp_path, monkeypatch, "nb", "Read, NotebookEdit")


def test_accept_edits_lets_it_edit_in_the_workspace(ws: Path) -> None:
    path = write_nb(ws / "a.ipynb", notebook())
    denials = _run(ws, "a.ipynb", {"is_error": False}, agent="nb", permission_mode="acceptEdits")
    assert denials == []
    assert loaded(path)["cells"][2]["source"] == "changed"


@pytest.mark.parametrize(
    ("rel", "contains", "options"),
    [
        pytest.param("a.ipynb", "NotebookEdit", {}, id="default-mode-asks-and-headless-denies"),
        pytest.param(
            "a.ipynb",
            "denied by rule Edit(*.ipynb)",
            {"permission_mode": "acceptEdits", "disallowed_tools": ["Edit(*.ipynb)"]},
            id="an-edit-deny-rule-covers-notebookedit",
        ),
        pytest.param(
            ".claude/a.ipynb",
            "is a protected path (.claude)",
            {"permission_mode": "acceptEdits"},
            id="a-protected-path-is-refused",
        ),
    ],
)
def test_a_refused_edit_leaves_the_notebook_as_it_was(
    ws: Path, rel: str, contains: str, options: dict[str, Any]
) -> None:
    path = write_nb(ws / rel, notebook())
    before = path.read_bytes()
    denials = _run(ws, rel, {"is_error": True, "contains": contains}, agent="nb", **options)
    assert [d["tool_name"] for d in denials] == ["NotebookEdit"]
    assert path.read_bytes() == before


def test_a_notebook_symlinked_outside_the_workspace_is_refused(ws: Path, tmp_path: Path) -> None:
    outside = write_nb(tmp_path / "outside.ipynb", notebook())
    before = outside.read_bytes()
    os.symlink(outside, ws / "link.ipynb")
    _run(
        ws,
        "link.ipynb",
        {"is_error": True},
        read_ok=False,
        agent="nb",
        permission_mode="acceptEdits",
    )
    assert outside.read_bytes() == before


def test_symlink_out_of_the_workspace_is_refused_by_the_path_checks(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    policy = SandboxPolicy.create(ws, mode="workspace-write")
    ctx = ToolContext(workspace=Workspace(policy), reads=ReadRecords(), strict=True)
    outside = write_nb(tmp_path / "outside.ipynb", notebook())
    before = outside.read_bytes()
    os.symlink(outside, ws / "link.ipynb")
    assert not READ.run({"file_path": str(ws / "link.ipynb")}, ctx).is_error  # reads may
    result = edit(ctx, ws / "link.ipynb", cell_id="last", new_source="changed")
    assert result.is_error and "outside" in result.text(), result.text()
    assert outside.read_bytes() == before


def test_a_json_bomb_is_refused_not_crashed_on(ctx: ToolContext, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.ipynb"
    bomb.write_text(
        '{"cells": [], "nbformat": 4, "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    read = READ.run({"file_path": str(bomb)}, ctx)
    assert not read.is_error and read.text().startswith("     1\t{")  # shown as text
    ctx.reads.record(bomb.resolve(), bomb.stat().st_mtime_ns, bomb.stat().st_size, whole=True)
    result = edit(ctx, bomb, new_source="x", edit_mode="insert", cell_type="code")
    assert result.text() == (
        f"Cannot edit {bomb}: its JSON is nested too deeply to be a notebook. The notebook was "
        "not changed."
    )


def test_images_past_the_budget_are_named_not_sent(ctx: ToolContext, tmp_path: Path) -> None:
    nb = notebook()
    big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 3_000_000).decode()
    nb["cells"][1]["outputs"] = [
        {"data": {"image/png": big}, "metadata": {}, "output_type": "display_data"}
    ] * 3
    path = write_nb(tmp_path / "a.ipynb", nb)
    result = READ.run({"file_path": str(path)}, ctx)
    assert isinstance(result.content, list)
    assert [b["type"] for b in result.content] == ["text", "image", "text"]
    assert result.content[2]["text"].count("is not shown: too many images") == 2

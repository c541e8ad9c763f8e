"""Edit: tool-spec's check order with one error each, exact matching, CRLF kept, chained edits."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from toolkit import make_ctx

from agentrun.core.types import ToolResult
from agentrun.tools.base import ToolContext
from agentrun.tools.edit import EditTool
from agentrun.tools.read import ReadTool

EDIT = EditTool()
READ = ReadTool()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path, strict=True)


def edit(ctx: ToolContext, path: str | Path, old: str, new: str, **kw: object) -> ToolResult:
    return EDIT.run({"file_path": str(path), "old_string": old, "new_string": new, **kw}, ctx)


def refused(ctx: ToolContext, path: Path, old: str, new: str, message: str) -> None:
    """Edit of ``old`` to ``new`` answers ``message`` as an error and leaves ``path`` as it was."""
    before = path.read_bytes()
    assert edit(ctx, path, old, new) == ToolResult(message, is_error=True)
    assert path.read_bytes() == before


def seed(ctx: ToolContext, path: Path, data: str | bytes) -> Path:
    """Create ``path`` and Read it, as the model would before editing."""
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    assert not READ.run({"file_path": str(path)}, ctx).is_error
    return path


def test_schema_is_claude_codes() -> None:
    assert EDIT.name == "Edit"
    assert EDIT.read_only is False
    schema = EDIT.input_schema
    assert schema["required"] == ["file_path", "old_string", "new_string"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["replace_all"] == {
        "type": "boolean",
        "default": False,
        "description": "Replace all occurrences of old_string (default false)",
    }


def test_simple_edit_shows_numbered_context(ctx: ToolContext, tmp_path: Path) -> None:
    lines = [f"line {i}" for i in range(1, 11)]
    path = seed(ctx, tmp_path / "f.txt", "\n".join(lines) + "\n")
    result = edit(ctx, path, "line 5\n", "line five\nline 5b\n")
    assert result == ToolResult(
        f"Edited {path} (1 replacement). Lines around the first change:\n"
        "     2\tline 2\n     3\tline 3\n     4\tline 4\n     5\tline five\n     6\tline 5b\n"
        "     7\tline 6\n     8\tline 7\n     9\tline 8"
    )
    assert path.read_text().splitlines()[3:7] == ["line 4", "line five", "line 5b", "line 6"]


def test_same_strings_come_first_even_for_missing_files(ctx: ToolContext) -> None:
    assert edit(ctx, "missing.txt", "a", "a") == ToolResult(
        "old_string and new_string are the same, so there is nothing to change.", is_error=True
    )


def test_empty_old_string_creates_a_missing_file(ctx: ToolContext, tmp_path: Path) -> None:
    assert edit(ctx, "new/dir/file.md", "", "# Title\n\ntext\n") == ToolResult(
        f"Created {tmp_path / 'new/dir/file.md'} (3 lines)."
    )
    assert (tmp_path / "new/dir/file.md").read_text() == "# Title\n\ntext\n"
    # and the new file can be edited at once: the creation counts as a read
    assert not edit(ctx, "new/dir/file.md", "text", "body").is_error


def test_empty_old_string_fills_an_empty_file(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    assert edit(ctx, "empty.txt", "", "content\n") == ToolResult(
        f"Wrote {tmp_path / 'empty.txt'} (1 line)."
    )
    assert (tmp_path / "empty.txt").read_text() == "content\n"


def test_empty_old_string_on_a_non_empty_file(ctx: ToolContext, tmp_path: Path) -> None:
    path = seed(ctx, tmp_path / "f.txt", "data\n")
    assert edit(ctx, path, "", "more") == ToolResult(
        f"old_string is empty but {path} already has content. Give the exact text to replace, "
        "or use Write to replace the whole file.",
        is_error=True,
    )


def test_missing_file_suggests_names(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text("x")
    assert edit(ctx, tmp_path / "model.py", "x", "y") == ToolResult(
        f"File does not exist: {tmp_path / 'model.py'}. Did you mean {tmp_path / 'models.py'}? "
        "To create a file, use Write (or Edit with an empty old_string).",
        is_error=True,
    )


def test_not_read_first(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("abc")
    assert edit(ctx, "f.txt", "b", "B") == ToolResult(
        f"{tmp_path / 'f.txt'} has not been read in this session. Read it first, then edit it.",
        is_error=True,
    )
    assert (tmp_path / "f.txt").read_text() == "abc"


def test_partial_read_is_enough_for_edit(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\nb\nc\n")
    READ.run({"file_path": "f.txt", "offset": 2, "limit": 1}, ctx)
    assert not edit(ctx, "f.txt", "b", "B").is_error
    assert (tmp_path / "f.txt").read_text() == "a\nB\nc\n"
    rec = ctx.reads.get(tmp_path / "f.txt")
    assert rec is not None and rec.whole is False  # still only partly seen


def test_changed_since_read(ctx: ToolContext, tmp_path: Path) -> None:
    path = seed(ctx, tmp_path / "f.txt", "abc")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    refused(
        ctx, path, "b", "B",
        f"{path} has changed on disk since you last read it (by the user or a command). "
        "Read it again before you edit it.",
    )  # fmt: skip
    assert path.read_text() == "abc"


@pytest.mark.parametrize(
    ("text", "old", "new", "message"),
    [
        pytest.param(
            "def f():\n    return 1\n",
            "def g():",
            "def h():",
            "old_string was not found in {path}:\ndef g():\n"
            "It must match the file exactly, including whitespace and indentation. "
            "Read the file again if unsure.",
            id="not-found-quotes-old-string",
        ),
        pytest.param(
            "a = 1\nb = 1\nc = 1\n",
            "= 1",
            "= 2",
            "old_string occurs 3 times in {path}, but replace_all is false. Add surrounding lines "
            "to old_string to pick one occurrence, or set replace_all to true to replace all of "
            "them.",
            id="several-matches-need-context-or-replace-all",
        ),
    ],
)
def test_an_old_string_that_does_not_match_once_is_refused(
    ctx: ToolContext, tmp_path: Path, text: str, old: str, new: str, message: str
) -> None:
    path = seed(ctx, tmp_path / "f.py", text)
    refused(ctx, path, old, new, message.format(path=path))
    assert path.read_text() == text


def test_not_found_cuts_long_quotes_and_spots_line_prefixes(
    ctx: ToolContext, tmp_path: Path
) -> None:
    path = seed(ctx, tmp_path / "f.py", "x = 1\n")
    text = edit(ctx, path, "z" * 500, "y").text()
    assert "z" * 300 + "… [200 more characters]" in text
    assert "z" * 301 not in text
    text = edit(ctx, path, "     1\tx = 1", "x = 2").text()
    assert "It seems to include Read's line-number prefixes; leave those out." in text


def test_replace_all(ctx: ToolContext, tmp_path: Path) -> None:
    path = seed(ctx, tmp_path / "f.py", "old_name()\nx = old_name\nold_name.y\n")
    result = edit(ctx, path, "old_name", "new_name", replace_all=True)
    assert result.text().startswith(f"Edited {path} (3 replacements).")
    assert path.read_text() == "new_name()\nx = new_name\nnew_name.y\n"


def test_crlf_file_is_matched_as_lf_and_written_back_as_crlf(
    ctx: ToolContext, tmp_path: Path
) -> None:
    path = seed(ctx, tmp_path / "w.txt", b"one\r\ntwo\r\nthree\r\n")
    assert not edit(ctx, path, "one\ntwo\n", "1\n2\n2.5\n").is_error
    assert path.read_bytes() == b"1\r\n2\r\n2.5\r\nthree\r\n"
    assert not edit(ctx, path, "2.5\r\nthree", "3").is_error  # CRLF in old_string also matches
    assert path.read_bytes() == b"1\r\n2\r\n3\r\n"


def test_tabs_must_match_exactly(ctx: ToolContext, tmp_path: Path) -> None:
    path = seed(ctx, tmp_path / "Makefile", "all:\n\techo hi\n")
    assert edit(ctx, path, "    echo hi", "    echo bye").is_error
    assert not edit(ctx, path, "\techo hi", "\techo bye").is_error
    assert path.read_text() == "all:\n\techo bye\n"


def test_trailing_whitespace_and_unicode_are_exact(ctx: ToolContext, tmp_path: Path) -> None:
    path = seed(ctx, tmp_path / "f.txt", "naïve  \ncafé\n")
    assert edit(ctx, path, "naïve\n", "x\n").is_error
    assert edit(ctx, path, "naive  \n", "x\n").is_error
    assert not edit(ctx, path, "naïve  \ncafé", "résumé 🎉").is_error
    assert path.read_text() == "résumé 🎉\n"


def test_combining_characters_and_emoji_sequences_match_exactly(
    ctx: ToolContext, tmp_path: Path
) -> None:
    # "é" as e + U+0301 (NFD) is not the precomposed U+00E9: no normalisation, as in the file.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, three code points joined
    path = seed(ctx, tmp_path / "f.txt", f"cafe\u0301 {family} \U0001f44d\U0001f3fd\n")
    assert edit(ctx, path, "caf\u00e9", "tea").text().startswith("old_string was not found")
    assert not edit(ctx, path, "cafe\u0301", "th\u00e9").is_error
    assert not edit(ctx, path, family, "\U0001f3e0").is_error
    assert not edit(ctx, path, "\U0001f3fd", "").is_error  # a skin tone alone is a code point
    assert path.read_bytes() == "th\u00e9 \U0001f3e0 \U0001f44d\n".encode()


def test_edits_chain_without_rereading(ctx: ToolContext, tmp_path: Path) -> None:
    path = seed(ctx, tmp_path / "f.txt", "a b c\n")
    for old, new in [("a", "A"), ("b", "B"), ("c", "C")]:
        assert not edit(ctx, path, old, new).is_error
    assert path.read_text() == "A B C\n"


def test_keeps_mode_bom_and_missing_final_newline(ctx: ToolContext, tmp_path: Path) -> None:
    path = seed(ctx, tmp_path / "s.sh", b"\xef\xbb\xbfecho 1")
    path.chmod(0o700)
    assert not edit(ctx, path, "1", "2").is_error
    assert path.read_bytes() == b"\xef\xbb\xbfecho 2"
    assert stat.S_IMODE(path.stat().st_mode) == 0o700


def test_binary_files_are_refused(ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "img.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    READ.run({"file_path": str(path)}, ctx)
    assert edit(ctx, path, "PNG", "GIF") == ToolResult(
        f"{path} is a binary file; Edit only changes text files.", is_error=True
    )


def test_unread_binary_file_is_refused_as_binary_not_as_unread(
    ctx: ToolContext, tmp_path: Path
) -> None:
    # "Read it first" would send the model to Read, which refuses binary files: a loop.
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01PNG")
    assert edit(ctx, path, "PNG", "GIF") == ToolResult(
        f"{path} is a binary file; Edit only changes text files.", is_error=True
    )


def test_read_only_mode_refuses_before_anything_else(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, strict=True, mode="read-only")
    path = seed(ctx, tmp_path / "f.txt", "abc")
    result = edit(ctx, path, "b", "B")
    assert result.is_error and "read-only" in result.text()
    assert path.read_text() == "abc"


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (tmp_path / "outside.txt").write_text("safe\n")
    (ws / "inside.txt").symlink_to(tmp_path / "outside.txt")
    ctx = make_ctx(ws, strict=True)
    READ.run({"file_path": str(ws / "inside.txt")}, ctx)
    result = edit(ctx, ws / "inside.txt", "safe", "pwned")
    assert result.is_error and "symbolic link" in result.text()
    assert (tmp_path / "outside.txt").read_text() == "safe\n"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"file_path": 1, "old_string": "a", "new_string": "b"}, "file_path must be a string"),
        ({"file_path": "f", "old_string": None, "new_string": "b"}, "must both be strings"),
        (
            {"file_path": "f", "old_string": "a", "new_string": "b", "replace_all": "yes"},
            "true or false",
        ),
    ],
    ids=["path-int", "old-none", "replace-all-str"],
)
def test_odd_input_is_an_error(ctx: ToolContext, payload: dict[str, object], message: str) -> None:
    result = EDIT.run(payload, ctx)
    assert result.is_error and message in result.text()


def test_replace_all_null_means_false(ctx: ToolContext, tmp_path: Path) -> None:
    path = seed(ctx, tmp_path / "f.txt", "a a\n")
    result = edit(ctx, path, "a", "b", replace_all=None)
    assert result.is_error and "occurs 2 times" in result.text()

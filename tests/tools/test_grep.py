"""Grep on real files with the real rg: every parameter, every output mode, limits and safety."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from toolkit import make_ctx, write

from agentrun.core.types import JSON, ToolResult
from agentrun.tools.base import ToolContext
from agentrun.tools.grep import GrepTool, split_globs


def grep(ctx: ToolContext, **input: object) -> ToolResult:
    return GrepTool().run(JSON(input), ctx)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root / "app.py", "import os\n\ndef main():\n    print('Hello')\n", mtime=1_000)
    write(root / "lib" / "util.py", "def helper():\n    return 'hello world'\n", mtime=3_000)
    write(root / "web" / "ui.ts", "const hello = 1;\n", mtime=2_000)
    write(root / "web" / "ui.tsx", "export const Hello = () => null;\n", mtime=4_000)
    write(root / "notes.md", "nothing here\n", mtime=500)
    return root


def test_files_with_matches_is_default_newest_first(ws: Path) -> None:
    result = grep(make_ctx(ws), pattern="hello", **{"-i": True})
    assert result == ToolResult("Found 4 files\nweb/ui.tsx\nlib/util.py\nweb/ui.ts\napp.py")


def test_case_sensitive_by_default(ws: Path) -> None:
    assert grep(make_ctx(ws), pattern="Hello").text() == "Found 2 files\nweb/ui.tsx\napp.py"


def test_content_mode_with_line_numbers(ws: Path) -> None:
    result = grep(make_ctx(ws), pattern="def ", output_mode="content")
    assert result == ToolResult("app.py:3:def main():\nlib/util.py:1:def helper():")


def test_content_mode_without_line_numbers(ws: Path) -> None:
    result = grep(make_ctx(ws), pattern="def ", output_mode="content", **{"-n": False})
    assert result.text() == "app.py:def main():\nlib/util.py:def helper():"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param({"-A": 1}, ["app.py:3:def main():", "app.py-4-    print('Hello')"], id="A"),
        pytest.param({"-B": 1}, ["app.py-2-", "app.py:3:def main():"], id="B"),
        pytest.param(
            {"-C": 1},
            ["app.py-2-", "app.py:3:def main():", "app.py-4-    print('Hello')"],
            id="C",
        ),
        pytest.param(
            {"-C": 2, "-A": 0},
            ["app.py-1-import os", "app.py-2-", "app.py:3:def main():"],
            id="A-overrides-C",
        ),
    ],
)
def test_context_lines(ws: Path, flags: dict[str, int], expected: list[str]) -> None:
    result = grep(make_ctx(ws), pattern="main", output_mode="content", **flags)
    assert result.text().splitlines() == expected


def test_count_mode_with_total(ws: Path) -> None:
    write(ws / "many.txt", "hit\nhit\nno\nhit\n")
    result = grep(make_ctx(ws), pattern="hit|hello", output_mode="count")
    assert result.text() == (
        "lib/util.py:1\nmany.txt:3\nweb/ui.ts:1\n\nFound 5 total occurrences across 3 files."
    )


def test_no_match_messages(ws: Path) -> None:
    assert grep(make_ctx(ws), pattern="zzz") == ToolResult("No files found")
    assert grep(make_ctx(ws), pattern="zzz", output_mode="content").text() == "No matches found"
    assert grep(make_ctx(ws), pattern="zzz", output_mode="count").text() == "No matches found"


def test_bad_regex_is_a_clear_error(ws: Path) -> None:
    result = grep(make_ctx(ws), pattern="def (")
    assert result.is_error
    assert result.text().startswith("Invalid regex pattern (ripgrep syntax):\nregex parse error:")
    assert "unclosed group" in result.text()
    assert "Traceback" not in result.text()


@pytest.mark.parametrize("pattern", ["-n", "--help", "-rf"])
def test_pattern_starting_with_dash(tmp_path: Path, pattern: str) -> None:
    write(tmp_path / "a.txt", f"x {pattern} y\nplain\n")
    result = grep(make_ctx(tmp_path), pattern=pattern, output_mode="content")
    assert result == ToolResult(f"a.txt:1:x {pattern} y")


def test_glob_filter_with_braces_and_lists(ws: Path) -> None:
    ctx = make_ctx(ws)
    assert grep(ctx, pattern="ello", glob="*.{ts,tsx}", **{"-i": True}).text() == (
        "Found 2 files\nweb/ui.tsx\nweb/ui.ts"
    )
    assert grep(ctx, pattern="ello", glob="*.py, *.tsx", **{"-i": True}).text() == (
        "Found 3 files\nweb/ui.tsx\nlib/util.py\napp.py"
    )
    assert split_globs("*.py *.md,*.{a,b}") == ["*.py", "*.md", "*.{a,b}"]


def test_type_filter(ws: Path) -> None:
    result = grep(make_ctx(ws), pattern="hello", type="py", **{"-i": True})
    assert result.text() == "Found 2 files\nlib/util.py\napp.py"


def test_invalid_type_is_a_clear_error(ws: Path) -> None:
    result = grep(make_ctx(ws), pattern="x", type="nosuchtype")
    assert result.is_error
    assert result.text().startswith("unrecognized file type: nosuchtype\n")


def test_multiline(tmp_path: Path) -> None:
    write(tmp_path / "m.py", "class A:\n    pass\nclass B:\n    x = 1\n")
    ctx = make_ctx(tmp_path)
    assert grep(ctx, pattern="A:.*pass", output_mode="content").text() == "No matches found"
    result = grep(ctx, pattern="A:.pass", output_mode="content", multiline=True)
    assert result.text().startswith("No matches")  # dotall: "." spans the newline, not 4 spaces
    result = grep(ctx, pattern=r"A:.\s+pass", output_mode="content", multiline=True)
    assert result.text() == "m.py:1:class A:\nm.py:2:    pass"


def test_head_limit_and_offset_windows(tmp_path: Path) -> None:
    write(tmp_path / "n.txt", "".join(f"line {i}\n" for i in range(1, 21)))
    ctx = make_ctx(tmp_path)
    first = grep(ctx, pattern="line", output_mode="content", head_limit=3).text().splitlines()
    assert first == [
        "n.txt:1:line 1",
        "n.txt:2:line 2",
        "n.txt:3:line 3",
        "[Showing entries 1-3; more exist. Use offset=3 to see the next ones.]",
    ]
    page = grep(ctx, pattern="line", output_mode="content", head_limit=3, offset=3)
    assert page.text().splitlines()[:3] == ["n.txt:4:line 4", "n.txt:5:line 5", "n.txt:6:line 6"]
    last = grep(ctx, pattern="line", output_mode="content", head_limit=5, offset=18)
    assert last.text() == "n.txt:19:line 19\nn.txt:20:line 20"
    past = grep(ctx, pattern="line", output_mode="content", offset=25)
    assert past.text() == "No results at offset 25: there are only 20 entries."


@pytest.mark.parametrize("name", ["-A", "-B", "-C", "head_limit", "offset"])
def test_numbers_must_be_whole(tmp_path: Path, name: str) -> None:
    # The schema types are Claude Code's "number"; a fraction is refused, naming the parameter.
    write(tmp_path / "n.txt", "line\n")
    result = grep(make_ctx(tmp_path), pattern="line", output_mode="content", **{name: 1.5})
    assert result == ToolResult(f'Parameter "{name}" must be a whole number; got 1.5.', True)
    whole = grep(make_ctx(tmp_path), pattern="line", output_mode="content", **{name: 1.0})
    assert not whole.is_error


def test_crlf_files_anchor_at_line_ends_and_show_no_carriage_returns(tmp_path: Path) -> None:
    (tmp_path / "win.txt").write_bytes(b"alpha\r\nbeta\r\ngamma\r\n")
    ctx = make_ctx(tmp_path)
    result = grep(ctx, pattern="^beta$", output_mode="content", **{"-A": 1})
    assert result == ToolResult("win.txt:2:beta\nwin.txt-3-gamma")
    assert grep(ctx, pattern="a$", output_mode="count").text().startswith("win.txt:3\n")


def test_default_head_limit_is_250_and_zero_means_unlimited(tmp_path: Path) -> None:
    write(tmp_path / "n.txt", "hit\n" * 300)
    ctx = make_ctx(tmp_path)
    default = grep(ctx, pattern="hit", output_mode="content").text().splitlines()
    assert len(default) == 251
    assert default[-1].startswith("[Showing entries 1-250; more exist.")
    unlimited = grep(ctx, pattern="hit", output_mode="content", head_limit=0).text()
    assert len(unlimited.splitlines()) == 300


def test_head_limit_on_files_and_counts(ws: Path) -> None:
    ctx = make_ctx(ws)
    files = grep(ctx, pattern="hello", head_limit=2, **{"-i": True}).text().splitlines()
    assert files[:3] == ["Found 2 files", "web/ui.tsx", "lib/util.py"]
    assert files[3].startswith("[Showing entries 1-2; more exist. Use offset=2")
    counts = grep(ctx, pattern="hello", output_mode="count", offset=1, head_limit=1, **{"-i": True})
    assert counts.text().splitlines()[0] == "lib/util.py:1"


def test_output_capped_at_20k_characters(tmp_path: Path) -> None:
    write(tmp_path / "wide.txt", ("hit " + "x" * 195 + "\n") * 400)
    result = grep(make_ctx(tmp_path), pattern="hit", output_mode="content", head_limit=0)
    text = result.text()
    assert 19_000 < len(text) <= 20_000
    assert text.splitlines()[-1].startswith("[Output cut at 20,000 characters.")
    assert not result.is_error


def test_long_lines_cut_at_500_columns(tmp_path: Path) -> None:
    write(tmp_path / "min.js", "a" * 5_000 + "needle" + "b" * 5_000 + "\n")
    text = grep(make_ctx(tmp_path), pattern="needle", output_mode="content").text()
    assert len(text) < 700
    assert text.startswith("min.js:1:aaaa")
    assert "omitted" in text


def test_hidden_files_searched_and_git_skipped(tmp_path: Path) -> None:
    write(tmp_path / ".env", "TOKEN_NAME=1\n")
    write(tmp_path / ".git" / "config", "TOKEN_NAME in git\n")
    write(tmp_path / "sub" / ".hg" / "x", "TOKEN_NAME in hg\n")
    result = grep(make_ctx(tmp_path), pattern="TOKEN_NAME", glob="*")
    assert result == ToolResult("Found 1 file\n.env")


def test_gitignore_respected_in_a_repo(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "build/\n")
    write(tmp_path / "build" / "out.js", "marker\n")
    write(tmp_path / "src.js", "marker\n")
    assert grep(make_ctx(tmp_path), pattern="marker").text() == "Found 1 file\nsrc.js"


def test_symlinks_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root / "in.txt", "needle\n")
    write(tmp_path / "outside" / "secret.txt", "needle\n")
    (root / "dirlink").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "filelink.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    assert grep(make_ctx(root), pattern="needle") == ToolResult("Found 1 file\nin.txt")


def test_denied_tree_not_searched_from_a_parent(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root / "a.txt", "needle\n")
    write(tmp_path / "vault" / "key.txt", "needle\n")
    ctx = make_ctx(root, extra_read_deny=[tmp_path / "vault"])
    result = grep(ctx, pattern="needle", path=str(tmp_path), output_mode="content")
    assert result == ToolResult("a.txt:1:needle")  # the workspace part, shown relative
    denied = grep(ctx, pattern="needle", path=str(tmp_path / "vault" / "key.txt"))
    assert denied.is_error and "deny list" in denied.text()


def test_single_file_path(ws: Path) -> None:
    result = grep(make_ctx(ws), pattern="helper", path="lib/util.py", output_mode="content")
    assert result == ToolResult("lib/util.py:1:def helper():")


def test_missing_path_is_an_error(ws: Path) -> None:
    result = grep(make_ctx(ws), pattern="x", path="nope")
    assert result.is_error
    assert result.text() == (
        f"Path does not exist: {ws / 'nope'}. Give an existing file or directory, or leave path "
        "out to search the working directory."
    )


def test_fifo_path_is_refused_not_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    result = grep(make_ctx(tmp_path), pattern="x", path="pipe")
    assert result.is_error
    assert "not a regular file" in result.text()


def test_stops_early_on_huge_output(tmp_path: Path) -> None:
    write(tmp_path / "big.txt", "match this line\n" * 200_000)
    ctx = make_ctx(tmp_path)
    before = _rg_children()
    started = time.monotonic()
    result = grep(ctx, pattern="match", output_mode="content", head_limit=10)
    elapsed = time.monotonic() - started
    assert len(result.text().splitlines()) == 11
    assert elapsed < 1.0, f"took {elapsed:.3f}s"
    assert _rg_children() == before


def _rg_children() -> list[str]:
    out = subprocess.run(
        ["ps", "-o", "pid=,comm=", "--ppid", str(os.getpid())], capture_output=True, text=True
    ).stdout
    return [line for line in out.splitlines() if line.strip().endswith("rg")]


def test_grep_tool_shape() -> None:
    tool = GrepTool()
    assert (tool.name, tool.read_only) == ("Grep", True)
    assert list(tool.input_schema["properties"]) == [
        "pattern",
        "path",
        "glob",
        "output_mode",
        "-B",
        "-A",
        "-C",
        "-n",
        "-i",
        "type",
        "head_limit",
        "offset",
        "multiline",
    ]


def test_cancelled_session_stops_the_search(ws: Path) -> None:
    ctx = make_ctx(ws)
    ctx.cancel.set()
    result = grep(ctx, pattern="hello")
    assert result == ToolResult("Interrupted by the user: the search was stopped.", is_error=True)


def test_case_insensitive_content_with_type_and_glob(ws: Path) -> None:
    result = grep(
        make_ctx(ws), pattern="HELLO", output_mode="content", type="ts", glob="*.ts", **{"-i": True}
    )
    assert result.text() == "web/ui.ts:1:const hello = 1;"


def test_directory_outside_workspace_shows_absolute_paths(tmp_path: Path, ws: Path) -> None:
    other = tmp_path / "other"
    write(other / "x.py", "hello\n")
    result = grep(make_ctx(ws), pattern="hello", path=str(other), output_mode="content")
    assert result == ToolResult(f"{other}/x.py:1:hello")


@pytest.mark.parametrize("key", ["pattern", "glob", "type"])
def test_a_nul_character_is_the_models_error_not_a_crash(ws: Path, key: str) -> None:
    given: dict[str, object] = {"pattern": "x", key: "a\x00b"}
    result = grep(make_ctx(ws), **given)  # called directly: a crash would raise here
    assert result.is_error and result.text() == (
        f'"{key}" contains a NUL character, which a search cannot take; remove it.'
    )

"""Glob on real files with the real rg: patterns, order, caps, hidden/VCS, symlinks, deny list."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolkit import make_ctx, write

from agentrun.core.types import JSON, ToolResult
from agentrun.tools.base import ToolContext
from agentrun.tools.glob import GlobTool, split_absolute


def glob(ctx: ToolContext, **input: object) -> ToolResult:
    return GlobTool().run(JSON(input), ctx)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root / "app.py", mtime=1_000)
    write(root / "src" / "models.py", mtime=3_000)
    write(root / "src" / "deep" / "util.py", mtime=2_000)
    write(root / "README.md", mtime=4_000)
    return root


def test_recursive_pattern_newest_first(ws: Path) -> None:
    result = glob(make_ctx(ws), pattern="**/*.py")
    assert result == ToolResult("src/models.py\nsrc/deep/util.py\napp.py")


def test_pattern_without_slash_matches_any_depth(ws: Path) -> None:
    result = glob(make_ctx(ws), pattern="*.py")
    assert result.text().splitlines() == ["src/models.py", "src/deep/util.py", "app.py"]


def test_anchored_pattern_is_relative_to_the_search_dir(ws: Path) -> None:
    assert glob(make_ctx(ws), pattern="src/*.py").text() == "src/models.py"
    assert glob(make_ctx(ws), pattern="./src/*.py").text() == "src/models.py"


def test_brace_alternatives(ws: Path) -> None:
    result = glob(make_ctx(ws), pattern="*.{md,py}")
    assert result.text().splitlines()[0] == "README.md"
    assert len(result.text().splitlines()) == 4


def test_path_subdirectory_gives_paths_relative_to_workspace(ws: Path) -> None:
    assert glob(make_ctx(ws), pattern="*.py", path="src/deep").text() == "src/deep/util.py"
    assert glob(make_ctx(ws), pattern="*.py", path=str(ws / "src" / "deep")).text() == (
        "src/deep/util.py"
    )


def test_path_outside_workspace_gives_absolute_paths(tmp_path: Path, ws: Path) -> None:
    other = tmp_path / "other"
    write(other / "lib.py")
    result = glob(make_ctx(ws), pattern="*.py", path=str(other))
    assert result == ToolResult(f"{other}/lib.py")


def test_absolute_pattern_is_split_into_path_and_pattern(ws: Path) -> None:
    result = glob(make_ctx(ws), pattern=f"{ws}/src/**/*.py")
    assert result.text().splitlines() == ["src/models.py", "src/deep/util.py"]
    assert split_absolute("/a/b/*.py") == ("/a/b", "/*.py")
    assert split_absolute("/a/b/c.py") == ("/a/b", "/c.py")
    assert split_absolute("src/*.py") == (None, "src/*.py")


@pytest.mark.parametrize("path", [None, ".", "src/deep"], ids=["no-path", "root", "other-dir"])
def test_absolute_pattern_names_its_directory_exactly(ws: Path, path: str | None) -> None:
    # "/ws/src/*.py" means the files directly in src: not src/deep/util.py, not app.py, and
    # not whatever a path given beside it would add.
    extra = {} if path is None else {"path": path}
    assert glob(make_ctx(ws), pattern=f"{ws}/src/*.py", **extra).text() == "src/models.py"
    assert glob(make_ctx(ws), pattern=f"{ws}/app.py", **extra).text() == "app.py"


def test_leading_dotdot_moves_the_search_up(ws: Path) -> None:
    assert glob(make_ctx(ws), pattern="../*.py", path="src/deep").text() == "src/models.py"
    outside = glob(make_ctx(ws / "src"), pattern="../*.md")
    assert outside.text() == f"{ws}/README.md"


def test_no_files_found(ws: Path) -> None:
    assert glob(make_ctx(ws), pattern="*.rs") == ToolResult("No files found")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param(
            "nope",
            "Directory does not exist: {path}. Give an existing directory, or leave path out to "
            "search the working directory.",
            id="missing-path",
        ),
        pytest.param(
            "app.py",
            "Not a directory: {path}. path must be a directory; to look at one file, use Read.",
            id="file-path-is-not-a-directory",
        ),
    ],
)
def test_a_path_that_is_no_directory_is_an_error(ws: Path, path: str, message: str) -> None:
    result = glob(make_ctx(ws), pattern="*", path=path)
    assert result.is_error
    assert result.text() == message.format(path=ws / path)


def test_hidden_files_listed_and_gitignore_not_applied(ws: Path) -> None:
    write(ws / ".env.py")
    write(ws / "build" / "gen.py")
    write(ws / ".gitignore", "build/\n.env.py\n")
    (ws / ".git").mkdir()
    listed = set(glob(make_ctx(ws), pattern="**/*.py").text().splitlines())
    assert {".env.py", "build/gen.py"} <= listed


@pytest.mark.parametrize("vcs", [".git", ".hg", ".svn"])
def test_vcs_folders_skipped(ws: Path, vcs: str) -> None:
    write(ws / vcs / "hooks" / "pre-commit.py")
    write(ws / "sub" / vcs / "config.py")
    listed = glob(make_ctx(ws), pattern="**/*").text().splitlines()
    assert not [p for p in listed if vcs in p]
    assert "app.py" in listed


def test_cap_at_100_with_truncation_line(tmp_path: Path) -> None:
    for i in range(130):
        write(tmp_path / f"f{i:03}.txt", mtime=10_000 + i)
    lines = glob(make_ctx(tmp_path), pattern="*.txt").text().splitlines()
    assert len(lines) == 101
    assert lines[0] == "f129.txt"
    assert lines[99] == "f030.txt"
    assert lines[100].startswith("(Results are truncated: showing the 100 most recently")


def test_exactly_100_is_not_truncated(tmp_path: Path) -> None:
    for i in range(100):
        write(tmp_path / f"f{i:03}.txt")
    lines = glob(make_ctx(tmp_path), pattern="*.txt").text().splitlines()
    assert len(lines) == 100
    assert not lines[-1].startswith("(")


def test_symlinked_dir_pointing_outside_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root / "inside.txt")
    outside = tmp_path / "outside"
    write(outside / "secret.txt")
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "filelink.txt").symlink_to(outside / "secret.txt")
    assert glob(make_ctx(root), pattern="**/*.txt") == ToolResult("inside.txt")


def test_denied_tree_under_search_path_is_never_listed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root / "a.txt")
    secret = tmp_path / "vault"
    write(secret / "key.txt")
    write(tmp_path / "public" / "b.txt")
    ctx = make_ctx(root, extra_read_deny=[secret])
    listed = glob(ctx, pattern="**/*.txt", path=str(tmp_path)).text().splitlines()
    assert sorted(listed) == [f"{tmp_path}/public/b.txt", "a.txt"]


def test_denied_path_itself_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    secret = tmp_path / "vault"
    write(secret / "key.txt")
    result = glob(make_ctx(root, extra_read_deny=[secret]), pattern="*", path=str(secret))
    assert result.is_error
    assert "deny list" in result.text()


def test_empty_pattern_is_an_error(ws: Path) -> None:
    result = glob(make_ctx(ws), pattern="")
    assert result.is_error and "empty" in result.text()


def test_glob_tool_shape() -> None:
    tool = GlobTool()
    assert (tool.name, tool.read_only) == ("Glob", True)
    assert tool.input_schema["required"] == ["pattern"]
    assert set(tool.input_schema["properties"]) == {"pattern", "path"}


def test_cancelled_session_stops_the_search(ws: Path) -> None:
    ctx = make_ctx(ws)
    ctx.cancel.set()
    result = glob(ctx, pattern="**/*")
    assert result == ToolResult(
        "Interrupted by the user: the file search was stopped.", is_error=True
    )


def test_a_nul_character_is_the_models_error_not_a_crash(ws: Path) -> None:
    result = glob(make_ctx(ws), pattern="*\x00.py")  # called directly: a crash would raise
    assert result.is_error and "NUL character" in result.text()

"""Write: create; overwrite only after a whole unchanged read; keep the file's form; confined."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from toolkit import make_ctx

from agentrun.core.types import ToolResult
from agentrun.tools.base import ToolContext
from agentrun.tools.read import ReadTool
from agentrun.tools.write import WriteTool

WRITE = WriteTool()
READ = ReadTool()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path, strict=True)


def write(ctx: ToolContext, path: str | Path, content: str) -> ToolResult:
    return WRITE.run({"file_path": str(path), "content": content}, ctx)


def read_whole(ctx: ToolContext, path: str | Path) -> None:
    assert not READ.run({"file_path": str(path)}, ctx).is_error


def test_schema_is_claude_codes() -> None:
    assert WRITE.name == "Write"
    assert WRITE.read_only is False
    assert WRITE.input_schema["required"] == ["file_path", "content"]
    assert WRITE.input_schema["additionalProperties"] is False
    assert set(WRITE.input_schema["properties"]) == {"file_path", "content"}


def test_creates_a_file_and_its_parents(ctx: ToolContext, tmp_path: Path) -> None:
    result = write(ctx, "pkg/sub/mod.py", "x = 1\ny = 2\n")
    assert result == ToolResult(f"Created {tmp_path / 'pkg/sub/mod.py'} (2 lines).")
    assert (tmp_path / "pkg/sub/mod.py").read_text() == "x = 1\ny = 2\n"
    assert stat.S_IMODE((tmp_path / "pkg/sub/mod.py").stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    return 0o022


def test_new_file_content_is_written_verbatim(ctx: ToolContext, tmp_path: Path) -> None:
    write(ctx, "win.bat", "@echo off\r\necho hi\r\n")
    assert (tmp_path / "win.bat").read_bytes() == b"@echo off\r\necho hi\r\n"


def test_overwrite_without_read_is_refused(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("original")
    assert write(ctx, "f.txt", "new") == ToolResult(
        f"{tmp_path / 'f.txt'} has not been read in this session. Read it first, then "
        "overwrite it.",
        is_error=True,
    )
    assert (tmp_path / "f.txt").read_text() == "original"


def test_unread_binary_file_gets_advice_that_does_not_loop(
    ctx: ToolContext, tmp_path: Path
) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    assert READ.run({"file_path": "blob.bin"}, ctx).is_error  # so "Read it first" cannot work
    assert write(ctx, "blob.bin", "text") == ToolResult(
        f"{tmp_path / 'blob.bin'} is an existing binary file, which Read cannot show, so Write "
        "will not replace it. If it really should become this text, remove it first with Bash "
        "(`rm`), then Write.",
        is_error=True,
    )
    assert (tmp_path / "blob.bin").read_bytes() == b"\x00\x01\x02binary"


def test_overwrite_after_partial_read_is_refused(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\nb\nc\n")
    READ.run({"file_path": "f.txt", "offset": 2, "limit": 1}, ctx)
    assert write(ctx, "f.txt", "new") == ToolResult(
        f"{tmp_path / 'f.txt'} was only read in part. Before you overwrite it, read all of "
        "it: no offset, and a limit of at least its line count (without one only the first "
        "2000 lines are read). Or use Edit to change part of it.",
        is_error=True,
    )
    assert (tmp_path / "f.txt").read_text() == "a\nb\nc\n"


def test_following_the_partial_read_advice_unlocks_a_long_file(
    ctx: ToolContext, tmp_path: Path
) -> None:
    # 2,500 lines: a Read without offset and limit shows 2,000, so it is still a partial read;
    # the advice must lead somewhere (a limit covering every line), never into a loop.
    (tmp_path / "long.txt").write_text("x\n" * 2500)
    READ.run({"file_path": "long.txt"}, ctx)
    assert (
        write(ctx, "long.txt", "new\n")
        .text()
        .startswith(f"{tmp_path / 'long.txt'} was only read in part.")
    )
    assert not READ.run({"file_path": "long.txt", "limit": 2500}, ctx).is_error
    assert write(ctx, "long.txt", "new\n") == ToolResult(
        f"Updated {tmp_path / 'long.txt'} (1 line)."
    )


@pytest.mark.parametrize("change", ["mtime", "size"])
def test_overwrite_after_outside_change_is_refused(
    ctx: ToolContext, tmp_path: Path, change: str
) -> None:
    path = tmp_path / "f.txt"
    path.write_text("v1")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    read_whole(ctx, path)
    if change == "mtime":
        os.utime(path, ns=(2_000_000_000, 2_000_000_000))
    else:
        path.write_text("v2 by the user")
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert write(ctx, path, "mine") == ToolResult(
        f"{path} has changed on disk since you last read it (by the user or a command). "
        "Read it again before you overwrite it.",
        is_error=True,
    )
    assert path.read_text() == ("v1" if change == "mtime" else "v2 by the user")


def test_overwrite_after_read_and_again_without_rereading(ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("v1\n")
    read_whole(ctx, path)
    assert write(ctx, path, "v2\n") == ToolResult(f"Updated {path} (1 line).")
    assert write(ctx, path, "v3\nmore\n") == ToolResult(f"Updated {path} (2 lines).")
    assert path.read_text() == "v3\nmore\n"
    st = path.stat()
    rec = ctx.reads.get(path)
    assert rec is not None and (rec.mtime_ns, rec.size, rec.whole) == (st.st_mtime_ns, 8, True)


def test_keeps_mode_bits_and_leaves_no_temp_files(ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "run.sh"
    path.write_text("echo 1\n")
    path.chmod(0o750)
    read_whole(ctx, path)
    write(ctx, path, "echo 2\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["run.sh"]


@pytest.mark.parametrize(
    ("before", "content", "after"),
    [
        (b"a\r\nb\r\n", "x\ny\n", b"x\r\ny\r\n"),
        (b"a\r\nb\r\n", "x\r\ny\n", b"x\r\ny\r\n"),
        (b"a\nb\n", "x\r\ny\r\n", b"x\ny\n"),
        (b"\xef\xbb\xbfa\n", "\u00e9t\u00e9\n", "\ufeff\u00e9t\u00e9\n".encode()),
        ("\ufeffa\n".encode("utf-16-le"), "b\n", "\ufeffb\n".encode("utf-16-le")),
        (b"caf\xe9\n", "th\u00e9\n", b"th\xe9\n"),
    ],
    ids=["crlf-kept", "crlf-mixed-content", "lf-kept", "utf8-bom", "utf16le", "latin1"],
)
def test_keeps_line_endings_and_encoding(
    ctx: ToolContext, tmp_path: Path, before: bytes, content: str, after: bytes
) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(before)
    read_whole(ctx, path)
    assert not write(ctx, path, content).is_error
    assert path.read_bytes() == after


def test_latin1_file_given_new_characters_becomes_utf8(ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"caf\xe9\n")
    read_whole(ctx, path)
    assert write(ctx, path, "café ☕\n") == ToolResult(
        f"Updated {path} (1 line). Saved as UTF-8: the text has characters latin-1 lacks."
    )
    assert path.read_text(encoding="utf-8") == "café ☕\n"


def test_read_only_mode_refuses(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, strict=True, mode="read-only")
    assert write(ctx, "new.txt", "x") == ToolResult(
        f"Cannot write {tmp_path / 'new.txt'}: this session is read-only (sandbox mode read-only).",
        is_error=True,
    )
    assert not (tmp_path / "new.txt").exists()


@pytest.mark.parametrize("path", [".git/config", ".git/hooks/pre-commit"])
def test_git_directory_is_protected(ctx: ToolContext, tmp_path: Path, path: str) -> None:
    (tmp_path / ".git/hooks").mkdir(parents=True)
    (tmp_path / ".git/config").write_text("[core]\n")
    read_whole(ctx, tmp_path / ".git/config")
    assert write(ctx, path, "evil") == ToolResult(
        f"Cannot write {tmp_path / path}: {tmp_path / '.git'} is protected (read-only) in this "
        "session.",
        is_error=True,
    )
    assert (tmp_path / ".git/config").read_text() == "[core]\n"
    assert not (tmp_path / ".git/hooks/pre-commit").exists()


@pytest.mark.parametrize(
    ("path", "entry"),
    [
        ("sub/.git", "sub/.git"),  # a submodule's gitfile, replaced by `gitdir: elsewhere`
        ("a/b/.git/HEAD", "a/b/.git"),  # a nested repository made from nothing
        (".gitmodules", ".gitmodules"),
        ("vendor/lib/.gitmodules", "vendor/lib/.gitmodules"),
        (".mcp.json", ".mcp.json"),
        (".claude/settings.json", ".claude"),
        (".agentrun/settings.json", ".agentrun"),
    ],
)
def test_git_metadata_at_any_depth_and_root_settings_are_protected(
    ctx: ToolContext, tmp_path: Path, path: str, entry: str
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/.git").write_text("gitdir: ../.git/modules/sub\n")
    result = write(ctx, path, "gitdir: ../docs/build\n")
    assert result.is_error and result.text().startswith(f"Cannot write {tmp_path / path}: ")
    if entry in (".mcp.json", ".claude", ".agentrun"):  # kept at the root: named as such
        assert f"{tmp_path / entry} is protected (read-only)" in result.text()
    assert (tmp_path / "sub/.git").read_text() == "gitdir: ../.git/modules/sub\n"
    assert not (tmp_path / path).exists() or path == "sub/.git"


def test_symlink_into_git_is_protected(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / ".git/hooks").mkdir(parents=True)
    (tmp_path / "hooks").symlink_to(".git/hooks")
    result = write(ctx, "hooks/pre-commit", "evil")
    assert result.is_error and "is protected" in result.text()
    assert not (tmp_path / ".git/hooks/pre-commit").exists()


@pytest.mark.parametrize(
    "given",
    ["../escape.txt", "sub/../../escape.txt", "{parent}/escape.txt", "/etc/agentrun-escape"],
    ids=["dotdot", "sub-dotdot", "absolute-outside", "etc"],
)
def test_paths_outside_the_workspace_are_refused(tmp_path: Path, given: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    ctx = make_ctx(ws, strict=True)
    result = write(ctx, given.format(parent=tmp_path), "x")
    assert result.is_error
    assert "outside the writable directories" in result.text()
    assert not (tmp_path / "escape.txt").exists()
    assert not Path("/etc/agentrun-escape").exists()


def test_write_through_symlink_inside_workspace(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("old\n")
    (tmp_path / "link.txt").symlink_to("real.txt")
    read_whole(ctx, "link.txt")
    assert write(ctx, "link.txt", "new\n") == ToolResult(
        f"Updated {tmp_path / 'link.txt'} (1 line)."
    )
    assert (tmp_path / "real.txt").read_text() == "new\n"
    assert (tmp_path / "link.txt").is_symlink()


def test_dangling_symlink_is_refused(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "ghost").symlink_to("nowhere/file")
    assert write(ctx, "ghost", "x") == ToolResult(
        f"Cannot write {tmp_path / 'ghost'}: it is a symbolic link whose target does not exist.",
        is_error=True,
    )
    assert not (tmp_path / "nowhere").exists()


def test_hard_linked_file_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (tmp_path / "elsewhere.txt").write_text("keep me\n")
    os.link(tmp_path / "elsewhere.txt", ws / "linked.txt")
    ctx = make_ctx(ws, strict=True)
    read_whole(ctx, ws / "linked.txt")
    assert write(ctx, ws / "linked.txt", "changed\n") == ToolResult(
        f"Cannot write {ws / 'linked.txt'}: it has 2 hard links, so changing it would change a "
        "file elsewhere too. Refused.",
        is_error=True,
    )
    assert (tmp_path / "elsewhere.txt").read_text() == "keep me\n"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("dir", "Cannot write {p}: it is a directory."),
        ("fifo", "Cannot write {p}: it is not a regular file (a FIFO, socket or device)."),
        ("file-parent", "Cannot write {p}: a component of the path is not a directory."),
    ],
    ids=["directory", "fifo", "file-as-parent"],
)
def test_non_files_are_refused(ctx: ToolContext, tmp_path: Path, setup: str, message: str) -> None:
    target = tmp_path / "thing"
    if setup == "dir":
        target.mkdir()
    elif setup == "fifo":
        os.mkfifo(target)
    else:
        target.write_text("x")
        target = target / "child.txt"
    assert write(ctx, target, "x") == ToolResult(message.format(p=target), is_error=True)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"file_path": "a\x00b", "content": "x"},
            "The file path contains a NUL byte; give a plain path.",
        ),
        (
            {"file_path": "a", "content": None},
            "content must be a string: the full text of the file.",
        ),
        (
            {"file_path": ["a"], "content": "x"},
            "file_path must be a string: the path of the file to write.",
        ),
    ],
    ids=["nul", "content-none", "path-list"],
)
def test_odd_input_is_an_error(ctx: ToolContext, payload: dict[str, object], message: str) -> None:
    assert WRITE.run(payload, ctx) == ToolResult(message, is_error=True)


def test_git_reached_through_its_own_symlink_is_protected(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "gitdir/hooks").mkdir(parents=True)
    (tmp_path / ".git").symlink_to("gitdir")
    result = write(ctx, ".git/hooks/pre-commit", "evil")
    assert result.is_error and "is protected" in result.text()
    assert not (tmp_path / "gitdir/hooks/pre-commit").exists()


def test_lone_surrogate_in_path_is_an_error(ctx: ToolContext) -> None:
    assert write(ctx, "bad\ud800.txt", "x") == ToolResult(
        "The file path is not valid text (it has a lone surrogate); give a plain path.",
        is_error=True,
    )

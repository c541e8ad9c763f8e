"""Workspace: resolution, confined reads and writes, openat2 and its O_NOFOLLOW fallback."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from agentrun.jail.openat2 import (
    O_PATH,
    open_beneath,
    openat2,
    openat2_available,
    walk_beneath,
)
from agentrun.jail.paths import PathDenied, Workspace, describe_os_error
from agentrun.jail.policy import SandboxPolicy
from conftest import PATH_BACKENDS
from wskit import new_ws


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    return new_ws(tmp_path)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret").write_text("top secret\n")
    return d


@pytest.fixture(params=PATH_BACKENDS)
def ws(request: pytest.FixtureRequest, ws_dir: Path) -> Workspace:
    return Workspace(SandboxPolicy.create(ws_dir), use_openat2=request.param)


# -- resolve ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("a.txt", "WS/a.txt"),
        ("./src/../a.txt", "WS/a.txt"),
        ("/etc/passwd", "/etc/passwd"),
        ("//etc//passwd", "/etc/passwd"),
        ("../x", "PARENT/x"),
        ("WS/sub/../../x", "PARENT/x"),
    ],
    ids=["relative", "dot-dot-inside", "absolute", "double-slash", "parent", "absolute-dotdot"],
)
def test_resolve_is_lexical_and_relative_to_root(ws: Workspace, given: str, expected: str) -> None:
    sub = {"WS": str(ws.root), "PARENT": str(ws.root.parent)}
    for key, value in sub.items():
        given = given.replace(key, value)
        expected = expected.replace(key, value)
    assert ws.resolve(given) == Path(expected)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("a\x00b", "The file path contains a NUL byte; give a plain path."),
        ("", "The file path is empty; give a file path."),
        ("  ", "The file path is empty; give a file path."),
    ],
    ids=["nul", "empty", "blank"],
)
def test_resolve_rejects_unusable_paths(ws: Workspace, given: str, message: str) -> None:
    with pytest.raises(PathDenied) as info:
        ws.resolve(given)
    assert str(info.value) == message
    assert info.value.errno == errno.EINVAL


def test_resolve_expands_home(ws: Workspace) -> None:
    assert ws.resolve("~/x") == Path.home() / "x"


# -- reading ------------------------------------------------------------------------------------


def test_open_read_reports_the_real_path_through_a_symlink(ws: Workspace) -> None:
    (ws.root / "real.txt").write_text("hi")
    (ws.root / "link.txt").symlink_to("real.txt")
    with ws.open_read("link.txt") as opened:
        assert opened.path == ws.root / "real.txt"
        assert opened.read_all() == b"hi"
        fd = opened.fd
        assert stat.S_ISREG(opened.stat.st_mode)
    with pytest.raises(OSError):
        os.fstat(fd)  # closed by the context manager


@pytest.mark.timeout(10)
@pytest.mark.parametrize("change", ["grew", "sparse", "shrank", "same"])
def test_read_all_never_reads_past_the_size_it_was_opened_with(ws: Workspace, change: str) -> None:
    # The size fstat gave is what the caller checked against its limit: a file grown since
    # (by jailed code sharing it, a sparse truncate to 1 GiB) is read no further.
    path = ws.root / "f.txt"
    path.write_bytes(b"x" * 70_000)
    with ws.open_read(path) as opened:
        if change == "grew":
            with path.open("ab") as f:
                f.write(b"y" * 3_000_000)
        elif change == "sparse":
            os.truncate(path, 1 << 30)
        elif change == "shrank":
            os.truncate(path, 10)
        got = opened.read_all()
    assert got == {"shrank": b"x" * 10}.get(change, b"x" * 70_000)


def test_read_all_reads_a_file_reporting_size_0_up_to_a_cap(ws: Workspace) -> None:
    with open("/proc/version", "rb") as f:
        expected = f.read()
    with ws.open_read("/proc/version") as opened:
        assert opened.stat.st_size == 0
        assert opened.read_all() == expected


def test_open_read_refuses_a_fifo_without_blocking(ws: Workspace) -> None:
    os.mkfifo(ws.root / "pipe")
    with pytest.raises(PathDenied, match="not a regular file"):
        ws.open_read("pipe")


def test_open_read_refuses_a_device(ws: Workspace) -> None:
    with pytest.raises(PathDenied, match="not a regular file"):
        ws.open_read("/dev/null")


def test_open_read_missing_file_has_enoent(ws: Workspace) -> None:
    with pytest.raises(PathDenied) as info:
        ws.open_read("nope.txt")
    assert info.value.errno == errno.ENOENT
    assert info.value.path == ws.root / "nope.txt"
    assert str(info.value) == f"File does not exist: {ws.root / 'nope.txt'}"


def test_read_deny_list_applies_to_real_paths(ws_dir: Path, outside: Path) -> None:
    ws = Workspace(SandboxPolicy.create(ws_dir, extra_read_deny=[outside]))
    (ws_dir / "innocent").symlink_to(outside / "secret")
    for given in (str(outside / "secret"), "innocent"):
        with pytest.raises(PathDenied, match="read deny list"):
            ws.open_read(given)


def test_danger_full_access_reads_process_files(ws_dir: Path) -> None:
    ws = Workspace(SandboxPolicy.create(ws_dir, mode="danger-full-access"))
    with ws.open_read("/proc/self/status") as opened:
        assert b"Pid:" in opened.read_all()


# -- check_dir ----------------------------------------------------------------------------------


def test_check_dir_returns_the_real_directory(ws: Workspace) -> None:
    (ws.root / "src").mkdir()
    (ws.root / "alias").symlink_to("src")
    assert ws.check_dir("src") == ws.root / "src"
    assert ws.check_dir(ws.root / "alias") == ws.root / "src"


@pytest.mark.parametrize(
    ("name", "message", "code"),
    [
        ("missing", "Directory does not exist: {p}", errno.ENOENT),
        ("file.txt", "Not a directory: {p}", errno.ENOTDIR),
    ],
    ids=["missing", "file"],
)
def test_check_dir_errors(ws: Workspace, name: str, message: str, code: int) -> None:
    (ws.root / "file.txt").write_text("x")
    with pytest.raises(PathDenied) as info:
        ws.check_dir(name)
    assert str(info.value) == message.format(p=ws.root / name)
    assert info.value.errno == code


def test_check_dir_refuses_denied_dirs(ws_dir: Path, outside: Path) -> None:
    ws = Workspace(SandboxPolicy.create(ws_dir, extra_read_deny=[outside]))
    with pytest.raises(PathDenied, match="read deny list"):
        ws.check_dir(outside)


def test_similar_names(ws: Workspace) -> None:
    for name in ("config.py", "conftest.py", "readme.md"):
        (ws.root / name).write_text("")
    assert ws.similar_names(ws.root / "confg.py") == [
        ws.root / "config.py",
        ws.root / "conftest.py",
    ]
    assert ws.similar_names(ws.root / "readme.txt") == [ws.root / "readme.md"]
    assert ws.similar_names(ws.root / "zzz") == []
    # The shared extension does not make a name similar.
    (ws.root / "u.md").write_text("")
    assert ws.similar_names(ws.root / "nosuch.md") == []
    assert ws.similar_names(ws.root / "Readme") == [ws.root / "readme.md"]
    assert ws.similar_names(ws.root / "no" / "such" / "dir") == []


# -- writing ------------------------------------------------------------------------------------


def test_write_creates_parents_beneath_the_root(ws: Workspace) -> None:
    target = ws.write_target("a/b/c/new.txt")
    assert target.existing is None
    assert target.root == ws.root
    outcome = ws.write_bytes(target, b"data")
    assert outcome.created
    assert (ws.root / "a/b/c/new.txt").read_bytes() == b"data"
    st = (ws.root / "a/b/c/new.txt").stat()
    assert (outcome.mtime_ns, outcome.size) == (st.st_mtime_ns, 4)


def test_write_replaces_atomically_keeping_mode_and_leaving_no_temp(ws: Workspace) -> None:
    path = ws.root / "script.sh"
    path.write_text("old")
    path.chmod(0o751)
    before = path.stat().st_ino
    outcome = ws.write_bytes(ws.write_target("script.sh"), b"new")
    assert not outcome.created
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert path.stat().st_ino != before  # renamed over, never rewritten in place
    assert sorted(p.name for p in ws.root.iterdir()) == ["script.sh"]


def test_write_through_an_inside_symlink_lands_on_its_target(ws: Workspace) -> None:
    (ws.root / "real.txt").write_text("old")
    (ws.root / "link.txt").symlink_to(ws.root / "real.txt")  # absolute, still inside
    target = ws.write_target("link.txt")
    assert target.path == ws.root / "real.txt"
    ws.write_bytes(target, b"new")
    assert (ws.root / "real.txt").read_text() == "new"
    assert (ws.root / "link.txt").is_symlink()


def test_write_refuses_when_a_parent_turns_into_a_symlink(ws: Workspace, outside: Path) -> None:
    (ws.root / "d").mkdir()
    target = ws.write_target("d/f.txt")
    (ws.root / "d").rmdir()
    (ws.root / "d").symlink_to(outside)
    with pytest.raises(PathDenied):
        ws.write_bytes(target, b"x")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_write_refuses_a_target_turned_into_a_hard_link(ws: Workspace, outside: Path) -> None:
    target = ws.write_target("f.txt")
    os.link(outside / "secret", ws.root / "f.txt")
    with pytest.raises(PathDenied, match="2 hard links"):
        ws.write_bytes(target, b"x")
    assert (outside / "secret").read_text() == "top secret\n"


def test_add_dir_is_a_second_writable_root(ws_dir: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    ws = Workspace(SandboxPolicy.create(ws_dir, add_dirs=[extra]))
    target = ws.write_target(extra / "x.txt")
    assert target.root == extra
    ws.write_bytes(target, b"ok")
    assert (extra / "x.txt").read_text() == "ok"


def test_read_only_still_reads_an_add_dir_inside_a_denied_tree(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = home / "project"
    project.mkdir(parents=True)
    (project / "notes.txt").write_text("notes")
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    policy = SandboxPolicy.create(ws_dir, mode="read-only", add_dirs=[project], home=home)
    assert policy.writable_roots == () and policy.readable_roots == (ws_dir, project)
    assert policy.can_read(project / "notes.txt") and not policy.can_read(home / "other")
    assert not policy.can_write(project / "notes.txt")
    with Workspace(policy).open_read(project / "notes.txt") as opened:
        assert opened.read_all() == b"notes"


def test_full_access_writes_outside_roots(ws_dir: Path, outside: Path) -> None:
    ws = Workspace(SandboxPolicy.create(ws_dir, mode="danger-full-access"))
    target = ws.write_target(outside / "free.txt")
    assert target.root == Path("/")
    ws.write_bytes(target, b"ok")
    assert (outside / "free.txt").read_text() == "ok"


# -- the syscall layer --------------------------------------------------------------------------


@pytest.mark.parametrize("opener", [openat2, walk_beneath], ids=["openat2", "walk"])
@pytest.mark.parametrize(
    ("rel", "codes"),
    [
        ("link/secret", {errno.ELOOP, errno.EXDEV}),
        ("../outside/secret", {errno.EXDEV}),
        ("sub/../../outside/secret", {errno.EXDEV}),
        (None, {errno.EXDEV}),  # absolute path
    ],
    ids=["symlink", "dotdot", "sub-dotdot", "absolute"],
)
def test_confined_open_never_leaves_the_dirfd(
    ws_dir: Path, outside: Path, opener: object, rel: str | None, codes: set[int]
) -> None:
    if opener is openat2 and not openat2_available():
        pytest.skip("kernel without openat2")
    (ws_dir / "link").symlink_to(outside)
    (ws_dir / "sub").mkdir()
    rel = rel if rel is not None else str(outside / "secret")
    dirfd = os.open(ws_dir, O_PATH | os.O_DIRECTORY)
    try:
        with pytest.raises(OSError) as info:
            opener(dirfd, rel, os.O_RDONLY)  # type: ignore[operator]
        assert info.value.errno in codes
    finally:
        os.close(dirfd)


@pytest.mark.parametrize("use_openat2", PATH_BACKENDS)
def test_open_beneath_opens_plain_paths(ws_dir: Path, use_openat2: bool) -> None:
    (ws_dir / "a").mkdir()
    (ws_dir / "a" / "f").write_text("x")
    dirfd = os.open(ws_dir, O_PATH | os.O_DIRECTORY)
    try:
        fd = open_beneath(dirfd, "a/f", os.O_RDONLY, use_openat2=use_openat2)
        assert os.read(fd, 10) == b"x"
        os.close(fd)
    finally:
        os.close(dirfd)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (errno.ENOENT, "File does not exist: /p"),
        (errno.EACCES, "Cannot write /p: permission denied."),
        (errno.ENOSPC, "Cannot write /p: no space left on the device."),
        (
            errno.ELOOP,
            "Cannot write /p: the path goes through a symbolic link, which is not allowed here.",
        ),
        (errno.ENOTDIR, "Cannot write /p: a component of the path is not a directory."),
        (errno.ECHILD, "Cannot write /p: error ECHILD."),
    ],
    ids=["enoent", "eacces", "enospc", "eloop", "enotdir", "unlisted"],
)
def test_describe_os_error_is_stable(code: int, text: str) -> None:
    assert describe_os_error(OSError(code, "platform words"), "/p", action="write") == text


def test_denied_trees_leak_neither_existence_nor_names(ws_dir: Path, outside: Path) -> None:
    ws = Workspace(SandboxPolicy.create(ws_dir, extra_read_deny=[outside]))
    (ws_dir / "peek").symlink_to(outside)
    with pytest.raises(PathDenied, match="read deny list"):
        ws.open_read(outside / "no-such-file")
    assert ws.similar_names(ws_dir / "peek" / "secrt") == []
    assert ws.similar_names(outside / "secrt") == []

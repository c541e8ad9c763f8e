"""The jail's file server: concurrent calls, a server killed from inside the jail, a search
stopped early, and what comes back (real paths, fds) for the permission gate."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentrun.core.types import ToolResult
from agentrun.jail.fileclient import FileChannel, JailedWorkspace
from agentrun.jail.fileerrors import PathDenied
from agentrun.jail.paths import WriteTarget
from agentrun.jail.policy import SandboxPolicy
from agentrun.jail.wire import recv_frame, send_frame
from agentrun.tools.base import ToolContext
from agentrun.tools.edit import EditTool
from agentrun.tools.glob import GlobTool
from agentrun.tools.grep import GrepTool
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecords
from agentrun.tools.write import WriteTool
from conftest import Host, Shell, jail_with_files


@pytest.fixture
def jailed(host: Host) -> Iterator[tuple[Shell, JailedWorkspace]]:
    with jail_with_files(host, host.policy()) as pair:
        yield pair


def test_concurrent_reads_and_searches_all_answer(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    _, workspace = jailed
    for i in range(20):
        (host.workspace / f"f{i}.txt").write_text(f"needle {i}\n")
    ctx = ToolContext(workspace=workspace, reads=ReadRecords())

    def call(i: int) -> tuple[int, ToolResult]:
        if i % 3 == 0:
            return i, ReadTool().run({"file_path": f"f{i % 20}.txt"}, ctx)
        if i % 3 == 1:
            return i, GrepTool().run({"pattern": f"needle {i % 20}$", "output_mode": "count"}, ctx)
        return i, GlobTool().run({"pattern": "*.txt"}, ctx)

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(call, range(60)))
    for i, result in results:
        assert not result.is_error, result
        text = str(result.content)
        if i % 3 == 0:
            assert f"needle {i % 20}" in text
        elif i % 3 == 1:
            assert f"f{i % 20}.txt:1" in text
        else:
            assert text.count(".txt") == 20


def test_a_server_killed_from_inside_the_jail_is_replaced(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    shell, workspace = jailed
    (host.workspace / "a.txt").write_text("alpha\n")
    ctx = ToolContext(workspace=workspace, reads=ReadRecords())
    assert "alpha" in str(ReadTool().run({"file_path": "a.txt"}, ctx).content)
    shell.run("kill -9 -1")  # every process of the jail but its init, the file server included
    assert "alpha" in str(ReadTool().run({"file_path": "a.txt"}, ctx).content)
    assert not WriteTool().run({"file_path": "b.txt", "content": "b"}, ctx).is_error
    assert (host.workspace / "b.txt").read_text() == "b"


def test_a_server_stopped_from_inside_the_jail_is_killed_and_replaced(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    shell, workspace = jailed
    (host.workspace / "a.txt").write_text("alpha\n")
    workspace.channel.timeout = 2.0
    ctx = ToolContext(workspace=workspace, reads=ReadRecords())
    assert "alpha" in str(ReadTool().run({"file_path": "a.txt"}, ctx).content)
    out = shell.out(
        'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = agentrun-files ] && '
        "kill -STOP ${p#/proc/} && echo stopped; done; true"
    )
    assert "stopped" in out
    result = ReadTool().run({"file_path": "a.txt"}, ctx)  # waits 2 s, kills it, asks again
    assert not result.is_error and "alpha" in str(result.content)
    states = (
        'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = agentrun-files ] && '
        "grep State: $p/status; done; true"
    )
    assert host.wait_for(lambda: "stopped" not in shell.out(states), 10)  # not left behind


def test_the_server_cannot_be_written_through_proc_mem(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    shell, workspace = jailed
    workspace.check_dir(host.workspace)  # the server is up
    out = shell.out(
        "for p in /proc/[0-9]*; do "
        'if [ "$(cat $p/comm 2>/dev/null)" = agentrun-files ]; then echo server $p; '
        "dd if=/dev/zero of=$p/mem bs=1 count=1 seek=4096 2>&1 | head -1; "
        "cat $p/environ >/dev/null 2>&1 && echo readable $p; fi; done; echo end"
    )
    assert "server /proc/" in out, out
    assert "readable" not in out, out
    assert "copied" not in out, out


def test_a_jailed_command_cannot_write_into_a_search_s_output(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    """rg is dumpable after exec: a jailed command of its uid may open /proc/<rg>/fd/1. Its
    output is a socket, which cannot be opened that way, so no result can be forged."""
    shell, workspace = jailed
    arg = host.unique_sleep()  # a search program that stays up while the command looks
    search = workspace.search(["sleep", arg], host.workspace)
    try:
        out = shell.out(
            "for p in /proc/[0-9]*; do "
            '[ "$(cat $p/comm 2>/dev/null)" = sleep ] || continue; '
            f'tr "\\0" " " < $p/cmdline | grep -q "{arg}" || continue; '
            "echo found; for n in 1 2; do "
            "(echo FORGED > $p/fd/$n) 2>/dev/null && echo wrote $n; done; done; echo end"
        )
    finally:
        search.kill()
        search.wait()
        search.close()
    assert "found" in out, out
    assert "wrote" not in out, out


def test_a_search_stopped_early_leaves_no_rg_behind(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    shell, workspace = jailed
    big = host.workspace / "big"
    big.mkdir()
    for i in range(200):
        (big / f"f{i}.txt").write_text("e\n" * 2000)
    ctx = ToolContext(workspace=workspace, reads=ReadRecords())
    result = GrepTool().run({"pattern": "e", "output_mode": "content", "head_limit": 5}, ctx)
    assert not result.is_error and "more exist" in str(result.content)
    assert host.wait_for(lambda: "rg" not in shell.out("ps -eo comm").split(), 10)


def plant_link(ws: Path, text: str) -> None:
    """``real.txt`` holding ``text``, and ``link.txt``, a symlink to it."""
    (ws / "real.txt").write_text(text)
    (ws / "link.txt").symlink_to(ws / "real.txt")


def test_what_the_gate_is_shown_is_the_real_object(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    _, workspace = jailed
    plant_link(host.workspace, "r\n")
    seen: list[tuple[str, str, Path]] = []

    def check(tool: str, access: str, real: Path) -> str | None:
        seen.append((tool, access, real))
        return "Denied by a rule." if tool == "Write" else None

    ctx = ToolContext(workspace=workspace, reads=ReadRecords(), check_resolved=check)
    assert not ReadTool().run({"file_path": "link.txt"}, ctx).is_error
    denied = WriteTool().run({"file_path": "new/x.txt", "content": "x"}, ctx)
    assert denied.is_error and denied.content == "Denied by a rule."
    assert not (host.workspace / "new").exists()
    assert GlobTool().run({"pattern": "*"}, ctx).is_error is False
    ws = host.workspace
    assert seen == [
        ("Read", "read", ws / "real.txt"),
        ("Write", "write", ws / "new" / "x.txt"),
        ("Glob", "read", ws),
    ]
    assert os.listdir(ws).count("new") == 0


def test_a_write_the_runtime_cannot_finish_leaves_the_old_file(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    """The server lends the temp file's fd and renames only on the runtime's word: content
    that fails half-way (a full disk) leaves the old file and no temp file behind."""
    _, workspace = jailed
    path = host.workspace / "keep.sh"
    path.write_text("old\n")
    path.chmod(0o751)
    target = workspace.write_target(path)

    def half(fd: int) -> None:
        os.write(fd, b"half of the new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        workspace.write_with(target, half)
    assert path.read_text() == "old\n"
    assert [n for n in os.listdir(host.workspace) if n.endswith("tmp")] == []

    big = b"new line\n" * 200_000  # larger than any socket buffer
    outcome = workspace.write_bytes(workspace.write_target(path), big)
    assert path.read_bytes() == big and outcome.size == len(big)
    assert path.stat().st_mode & 0o7777 == 0o751
    assert [n for n in os.listdir(host.workspace) if n.endswith("tmp")] == []
    empty = workspace.write_bytes(workspace.write_target("empty.txt"), b"")
    assert empty.created and (host.workspace / "empty.txt").read_bytes() == b""


def test_edit_target_opens_the_file_in_the_same_trip(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    _, workspace = jailed
    plant_link(host.workspace, "body\n")
    target, opened = workspace.edit_target("link.txt")
    assert opened is not None
    with opened:
        assert target.path == opened.path == host.workspace / "real.txt"
        assert opened.read_all() == b"body\n"
    target, opened = workspace.edit_target("new.txt")
    assert target.existing is None and opened is None
    ctx = ToolContext(workspace=workspace, reads=ReadRecords())
    assert not ReadTool().run({"file_path": "link.txt"}, ctx).is_error
    result = EditTool().run({"file_path": "link.txt", "old_string": "b", "new_string": "n"}, ctx)
    assert not result.is_error, result
    assert (host.workspace / "real.txt").read_text() == "nody\n"
    assert (host.workspace / "link.txt").is_symlink()


def test_a_write_never_goes_into_a_lent_fd_that_is_not_a_regular_file(tmp_path: Path) -> None:
    """The runtime writes into the fd the file server lends; a server that lent a FIFO (were
    it ever taken over) would block the runtime's write for good: it is refused unwritten."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    ours, theirs = socket.socketpair()

    def serve() -> None:
        theirs.sendall(b"H")
        frame = recv_frame(theirs)
        assert frame is not None
        conn = socket.socket(fileno=frame[1][0])
        lent = os.open(fifo, os.O_RDWR)  # opened both ways: the open never waits, writes do
        send_frame(conn, {"ok": None}, [lent])
        os.close(lent)
        conn.recv(1)  # the runtime's word, or its end closing
        send_frame(conn, {"error": {"errno": 5, "filename": "refused"}})
        conn.close()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    workspace = JailedWorkspace(SandboxPolicy.create(tmp_path), FileChannel(lambda: ours))
    target = WriteTarget(tmp_path / "a.txt", tmp_path, None)
    outcome: list[object] = []

    def write() -> None:
        try:
            workspace.write_bytes(target, b"x" * (1 << 20))  # more than a pipe holds
        except OSError as e:
            outcome.append(e)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(30)
    assert not writer.is_alive(), "the write blocked on the FIFO"
    assert isinstance(outcome[0], PathDenied)
    assert not (tmp_path / "a.txt").exists()


def _temp_files(directory: Path) -> list[str]:
    return [n for n in os.listdir(directory) if n.endswith("agentrun-tmp")]


def test_edit_lends_the_temp_file_with_the_opened_file_and_commits_or_removes_it(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    _, workspace = jailed
    path = host.workspace / "e.txt"
    path.write_text("old\n")
    path.chmod(0o640)
    target, opened = workspace.edit_target("e.txt")
    assert opened is not None
    assert len(_temp_files(host.workspace)) == 1  # made in the same request
    opened.close()  # closed unwritten (a refused edit): the temp file goes, the file stays
    assert _temp_files(host.workspace) == [] and path.read_text() == "old\n"

    target, opened = workspace.edit_target("e.txt")
    assert opened is not None
    with opened:
        data = opened.read_all().replace(b"old", b"new")
        meanwhile: list[int] = []
        outcome = workspace.write_bytes(target, data, meanwhile=lambda: meanwhile.append(1))
    assert meanwhile == [1]
    assert path.read_text() == "new\n" and outcome.size == 4 and not outcome.created
    assert path.stat().st_mode & 0o7777 == 0o640
    assert _temp_files(host.workspace) == []

    ctx = ToolContext(workspace=workspace, reads=ReadRecords())
    result = EditTool().run({"file_path": "e.txt", "old_string": "new", "new_string": "x"}, ctx)
    assert result.is_error and "Read" in str(result.content)  # not read yet: refused
    assert _temp_files(host.workspace) == [] and path.read_text() == "new\n"
    assert not ReadTool().run({"file_path": "e.txt"}, ctx).is_error
    result = EditTool().run({"file_path": "e.txt", "old_string": "zz", "new_string": "x"}, ctx)
    assert result.is_error and "not found" in str(result.content)
    assert _temp_files(host.workspace) == [] and path.read_text() == "new\n"
    result = EditTool().run({"file_path": "e.txt", "old_string": "new", "new_string": "x"}, ctx)
    assert not result.is_error, result
    assert path.read_text() == "x\n" and _temp_files(host.workspace) == []


def test_an_edit_whose_temp_file_cannot_be_made_keeps_its_checks_in_order(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    """No temp file where the jail may not create one (a 0555 directory: no capabilities in
    the jail, root or not): the edit is refused as any write there, after Edit's own checks."""
    _, workspace = jailed
    sealed = host.workspace / "sealed"
    sealed.mkdir()
    (sealed / "f.txt").write_text("old\n")
    sealed.chmod(0o555)
    ctx = ToolContext(workspace=workspace, reads=ReadRecords())
    edit = {"file_path": "sealed/f.txt", "old_string": "old", "new_string": "new"}
    result = EditTool().run(edit, ctx)
    assert result.is_error and "Read" in str(result.content)  # read first, as before
    assert not ReadTool().run({"file_path": "sealed/f.txt"}, ctx).is_error
    result = EditTool().run(edit, ctx)
    assert result.is_error and "ermission" in str(result.content), result
    assert (sealed / "f.txt").read_text() == "old\n" and _temp_files(sealed) == []


def test_an_edit_never_writes_into_a_lent_temp_fd_that_is_not_a_regular_file(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "a.txt").write_text("old\n")
    ours, theirs = socket.socketpair()
    heard: list[bytes] = []

    def serve() -> None:
        theirs.sendall(b"H")
        frame = recv_frame(theirs)
        assert frame is not None
        conn = socket.socket(fileno=frame[1][0])
        readable = os.open(tmp_path / "a.txt", os.O_RDONLY)
        lent = os.open(fifo, os.O_RDWR)
        real = str(tmp_path / "a.txt")
        send_frame(conn, {"ok": [real, str(tmp_path), None, real, True]}, [readable, lent])
        os.close(readable)
        os.close(lent)
        heard.append(conn.recv(1))  # the runtime's end closing, never its word
        send_frame(conn, {"error": {"errno": 5, "filename": "refused"}})
        conn.close()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    workspace = JailedWorkspace(SandboxPolicy.create(tmp_path), FileChannel(lambda: ours))
    with pytest.raises(PathDenied):
        workspace.edit_target("a.txt")
    server.join(30)
    assert heard == [b""]
    assert (tmp_path / "a.txt").read_text() == "old\n"


def test_an_edit_through_a_link_the_gate_refuses_leaves_no_trace_there(
    host: Host, jailed: tuple[Shell, JailedWorkspace]
) -> None:
    """The temp file comes with the open only for the path the gate already allowed: a link
    to a refused place gets no temp file there, not even for a moment (its directory's mtime
    would change)."""
    _, workspace = jailed
    secret = host.workspace / "secret"
    secret.mkdir()
    (secret / "f.txt").write_text("old\n")
    (host.workspace / "link.txt").symlink_to(secret / "f.txt")

    def check(tool: str, kind: str, real: Path) -> str | None:
        return "refused" if kind == "write" and secret in real.parents else None

    ctx = ToolContext(workspace=workspace, reads=ReadRecords(), check_resolved=check)
    assert not ReadTool().run({"file_path": "link.txt"}, ctx).is_error
    before = secret.stat().st_mtime_ns
    edit = {"file_path": "link.txt", "old_string": "old", "new_string": "new"}
    result = EditTool().run(edit, ctx)
    assert result.is_error and "refused" in str(result.content)
    assert secret.stat().st_mtime_ns == before and (secret / "f.txt").read_text() == "old\n"

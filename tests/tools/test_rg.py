"""The ripgrep layer: binary lookup, exclusion globs, streaming and stopping early."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.rg import (
    COMMON_FLAGS,
    LINE_CAP,
    RgStream,
    SearchRoot,
    escape_glob,
    exclude_globs,
    rg_binary,
)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_binary_is_the_wheel_rg() -> None:
    binary = rg_binary()
    assert binary is not None
    assert Path(binary).name == "rg"
    assert os.access(binary, os.X_OK)


def test_streams_lines_and_reports_exit(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\nbeta\nalpha two\n")
    with RgStream([*COMMON_FLAGS, "-n", "-e", "alpha", "."], cwd=tmp_path) as stream:
        lines = list(stream)
    assert lines == ["./a.txt:1:alpha", "./a.txt:3:alpha two"]
    assert stream.outcome is not None
    assert stream.outcome.returncode == 0
    assert not stream.outcome.stopped_early


def test_no_match_is_exit_1(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    with RgStream(["-e", "zzz", "."], cwd=tmp_path) as stream:
        assert list(stream) == []
    assert stream.outcome is not None
    assert stream.outcome.returncode == 1
    assert not stream.outcome.failed


def test_bad_regex_reports_rg_message(tmp_path: Path) -> None:
    with RgStream(["-e", "(", "."], cwd=tmp_path) as stream:
        assert list(stream) == []
    outcome = stream.outcome
    assert outcome is not None and outcome.failed
    assert "regex parse error" in outcome.error_text()
    assert "rg: " not in outcome.error_text()


def test_empty_stdin_is_never_searched(tmp_path: Path) -> None:
    # A directory with no files: rg must search it (finding nothing), not wait on stdin.
    started = time.monotonic()
    with RgStream(["-e", "x", "."], cwd=tmp_path) as stream:
        assert list(stream) == []
    assert time.monotonic() - started < 5


def test_stopping_early_kills_rg_and_is_fast(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("match me\n" * 200_000)
    started = time.monotonic()
    with RgStream(["-e", "match", "."], cwd=tmp_path) as stream:
        pid = stream.pid
        taken = []
        for line in stream:
            taken.append(line)
            if len(taken) == 10:
                break
    elapsed = time.monotonic() - started
    assert len(taken) == 10
    assert stream.outcome is not None and stream.outcome.stopped_early
    assert stream.outcome.returncode is None
    assert not _pid_alive(pid)
    assert elapsed < 1.0


def test_cancel_stops_the_stream(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n" * 1000)
    cancel = threading.Event()
    cancel.set()
    with RgStream(["-e", "x", "."], cwd=tmp_path, cancel=cancel) as stream:
        assert list(stream) == []
    assert stream.outcome is not None and stream.outcome.cancelled


def test_escape_glob() -> None:
    assert escape_glob("a*b?[c]{d}!e\\f") == "a\\*b\\?\\[c\\]\\{d\\}\\!e\\\\f"
    assert escape_glob("plain/dir") == "plain/dir"


def test_exclude_globs_cover_vcs_and_denied_trees_below(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    outside = tmp_path / "outside"
    (outside / "keys[1]").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    policy = SandboxPolicy.create(ws, extra_read_deny=[outside / "keys[1]", elsewhere])
    args = exclude_globs(tmp_path, policy)
    globs = [args[i + 1] for i in range(0, len(args), 2)]
    assert "!.git" in globs and "!.hg" in globs
    assert "!/outside/keys\\[1\\]" in globs
    assert "!/elsewhere" in globs
    # Nothing denied lies under the workspace itself.
    ws_globs = exclude_globs(ws, policy)
    assert all(not g.startswith("!/") for g in ws_globs)


def test_search_root_display(tmp_path: Path) -> None:
    policy = SandboxPolicy.create(tmp_path)
    root = SearchRoot.for_dir(tmp_path, root=tmp_path, policy=policy)
    assert root.display("./a/b.py:3:x") == "a/b.py:3:x"
    sub = SearchRoot.for_dir(tmp_path / "src", root=tmp_path, policy=policy)
    assert sub.display("./b.py") == "src/b.py"
    outside = SearchRoot.for_dir(Path("/usr"), root=tmp_path, policy=policy)
    assert outside.display("./lib") == "/usr/lib"
    assert outside.display("--") == "--"
    file_root = SearchRoot.for_file(tmp_path / "src" / "x.py", root=tmp_path)
    assert (file_root.cwd, file_root.target) == (tmp_path / "src", "./x.py")


@pytest.mark.parametrize("denied_name", ["secret", "we ird*{name}"])
def test_denied_tree_never_listed(tmp_path: Path, denied_name: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "ok.txt").write_text("x")
    denied = tmp_path / denied_name
    denied.mkdir()
    (denied / "key.txt").write_text("x")
    policy = SandboxPolicy.create(ws, extra_read_deny=[denied])
    root = SearchRoot.for_dir(tmp_path, root=ws, policy=policy)
    with RgStream(
        [*COMMON_FLAGS, "--files", "--no-ignore", *root.excludes, root.target], cwd=root.cwd
    ) as stream:
        listed = sorted(root.display(line) for line in stream)
    assert listed == ["ok.txt"]  # under the workspace root: shown relative to it


def test_pseudo_filesystems_excluded_from_root_and_proc(tmp_path: Path) -> None:
    policy = SandboxPolicy.create(tmp_path)
    root_globs = exclude_globs(Path("/"), policy)
    assert {"!/proc", "!/sys", "!/dev"} <= set(root_globs)
    proc_globs = exclude_globs(Path("/proc"), policy)
    assert {"!/[0-9]*", "!/kcore", "!/kmsg"} <= set(proc_globs)
    # danger-full-access confines nothing but still skips VCS folders.
    open_policy = SandboxPolicy.create(tmp_path, mode="danger-full-access")
    assert all(not g.startswith("!/") for g in exclude_globs(Path("/"), open_policy))


def test_proc_search_never_lists_process_files(tmp_path: Path) -> None:
    root = SearchRoot.for_dir(Path("/proc"), root=tmp_path, policy=SandboxPolicy.create(tmp_path))
    with RgStream(
        [*COMMON_FLAGS, "--files", "--no-ignore", *root.excludes, root.target], cwd=root.cwd
    ) as stream:
        listed = [root.display(line) for line in stream]
    assert "/proc/cpuinfo" in listed
    assert not [p for p in listed if p.split("/")[2].isdigit()]
    assert f"/proc/{os.getpid()}/environ" not in listed


@pytest.mark.parametrize("terminator", [b"\n", b"\0"])
def test_a_line_longer_than_the_cap_is_cut_and_never_held_whole(
    tmp_path: Path, terminator: bytes
) -> None:
    """Whatever writes into rg's output pipe (jailed code could reach it) cannot make the
    runtime hold an endless line: it is cut at LINE_CAP, the rest dropped up to its end."""
    script = (
        "import sys; w = sys.stdout.buffer.write; "
        f"w(b'x' * 5_000_000 + {terminator!r} + b'short' + {terminator!r}); "
        "w(b'y' * 3_000_000)"
    )
    with RgStream(["-c", script], cwd=tmp_path, binary=sys.executable, terminator=terminator) as s:
        lines = list(s)
    note = " [... line cut: too long]"
    assert lines == ["x" * LINE_CAP + note, "short", "y" * LINE_CAP + note], [
        (line[:10], len(line)) for line in lines
    ]

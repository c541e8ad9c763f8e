"""File-tool attacks F01-F15 (research/sandbox.md §4.2): each fails safe, nothing outside changes.

Every attack runs against both confinement backends: openat2 and the O_NOFOLLOW walk fallback.
"outside" is a sibling of the workspace on the read deny list, holding a secret.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentrun.core.types import ToolResult
from agentrun.jail.paths import Workspace
from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.base import ToolContext
from agentrun.tools.edit import EditTool
from agentrun.tools.glob import GlobTool
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecords
from agentrun.tools.write import WriteTool
from conftest import PATH_BACKENDS

SECRET = "top secret\n"
READ, WRITE, EDIT = ReadTool(), WriteTool(), EditTool()


@dataclass
class Scene:
    ws: Path
    outside: Path
    ctx: ToolContext

    def snapshot(self) -> dict[str, tuple[bytes, int]]:
        """Every file under ``outside`` with its bytes and mtime: must never change."""
        return {
            str(p.relative_to(self.outside)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(self.outside.rglob("*"))
            if p.is_file()
        }


@pytest.fixture(params=PATH_BACKENDS)
def scene(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scene]:
    ws = tmp_path / "ws"
    outside = tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (outside / "secret").write_text(SECRET)
    policy = SandboxPolicy.create(ws, extra_read_deny=[outside])
    ctx = ToolContext(
        workspace=Workspace(policy, use_openat2=request.param), reads=ReadRecords(), strict=True
    )
    s = Scene(ws=ws, outside=outside, ctx=ctx)
    before = s.snapshot()
    yield s
    assert s.snapshot() == before, "a file outside the workspace changed"


def refused(result: ToolResult, *words: str) -> None:
    assert result.is_error, result
    assert SECRET.strip() not in result.text()
    for word in words:
        assert word in result.text()


def write(s: Scene, path: str, content: str = "pwned") -> ToolResult:
    return WRITE.run({"file_path": path, "content": content}, s.ctx)


def test_F01_dotdot(scene: Scene) -> None:
    refused(READ.run({"file_path": "../outside/secret"}, scene.ctx), "read deny list")
    refused(write(scene, "../outside/secret"), "outside the writable directories")
    refused(write(scene, "../outside/new"), "outside the writable directories")
    assert not (scene.outside / "new").exists()


def test_F02_etc_shadow(scene: Scene) -> None:
    refused(READ.run({"file_path": "/etc/shadow"}, scene.ctx), "read deny list")
    refused(write(scene, "/etc/agentrun-pwned"), "outside the writable directories")
    assert not Path("/etc/agentrun-pwned").exists()


def test_F03_proc_self_environ(scene: Scene) -> None:
    refused(READ.run({"file_path": "/proc/self/environ"}, scene.ctx), "read deny list")
    refused(READ.run({"file_path": f"/proc/{os.getpid()}/environ"}, scene.ctx))
    refused(write(scene, "/proc/self/environ"))


@pytest.mark.parametrize("relative", [False, True], ids=["F04-absolute", "F05-relative"])
def test_F04_F05_symlinked_dir_pointing_out(scene: Scene, relative: bool) -> None:
    (scene.ws / "link").symlink_to("../outside" if relative else scene.outside)
    refused(READ.run({"file_path": "link/secret"}, scene.ctx), "read deny list")
    refused(write(scene, "link/secret"), "symbolic link")
    refused(write(scene, "link/new.txt"), "symbolic link")
    refused(write(scene, "link/deeper/new.txt"), "symbolic link")
    assert not (scene.outside / "deeper").exists()


def test_F04_symlinked_file_pointing_out(scene: Scene) -> None:
    (scene.ws / "notes.txt").symlink_to(scene.outside / "secret")
    refused(READ.run({"file_path": "notes.txt"}, scene.ctx), "read deny list")
    refused(write(scene, "notes.txt"), "symbolic link")
    edit = {"file_path": "notes.txt", "old_string": "top", "new_string": "pwned"}
    refused(EDIT.run(edit, scene.ctx), "symbolic link")


def test_F06_symlink_to_proc_self_environ(scene: Scene) -> None:
    (scene.ws / "env").symlink_to("/proc/self/environ")
    refused(READ.run({"file_path": "env"}, scene.ctx), "read deny list")
    refused(write(scene, "env"))


def test_F07_proc_self_root(scene: Scene) -> None:
    refused(READ.run({"file_path": f"/proc/self/root{scene.outside}/secret"}, scene.ctx))
    refused(write(scene, f"/proc/self/root{scene.outside}/secret"))
    refused(write(scene, f"/proc/self/root{scene.outside}/new"))
    refused(write(scene, "/proc/self/root/etc/agentrun-pwned"))
    assert not Path("/etc/agentrun-pwned").exists()


def test_F08_write_to_dangling_symlink(scene: Scene) -> None:
    (scene.ws / "dangling").symlink_to(scene.outside / "created-by-attack")
    refused(write(scene, "dangling"), "symbolic link whose target does not exist")
    edit = {"file_path": "dangling", "old_string": "", "new_string": "pwned"}
    refused(EDIT.run(edit, scene.ctx), "symbolic link")
    assert not (scene.outside / "created-by-attack").exists()


def test_F09_sub_dotdot_dotdot(scene: Scene) -> None:
    (scene.ws / "sub").mkdir()
    refused(READ.run({"file_path": "sub/../../outside/secret"}, scene.ctx))
    refused(write(scene, "sub/../../outside/secret"))


def test_F10_absolute_path_normalising_outside(scene: Scene) -> None:
    path = f"{scene.ws}/a/../../outside/secret"
    refused(READ.run({"file_path": path}, scene.ctx))
    refused(write(scene, path), "outside the writable directories")


def test_F11_preexisting_hard_link_to_outside_file(scene: Scene) -> None:
    os.link(scene.outside / "secret", scene.ws / "innocent.txt")
    # Read cannot tell a hard link from a file (it is one); writing through it is what is refused.
    assert not READ.run({"file_path": "innocent.txt"}, scene.ctx).is_error
    edit = {"file_path": "innocent.txt", "old_string": "top", "new_string": "pwned"}
    refused(EDIT.run(edit, scene.ctx), "2 hard links")
    refused(write(scene, "innocent.txt"), "2 hard links")


@pytest.mark.timeout(10)
def test_F12_fifo_read_does_not_hang(scene: Scene) -> None:
    os.mkfifo(scene.ws / "pipe")
    refused(READ.run({"file_path": "pipe"}, scene.ctx), "not a regular file")
    refused(write(scene, "pipe"), "not a regular file")


def test_F13_path_with_nul(scene: Scene) -> None:
    refused(READ.run({"file_path": "ok.txt\x00/../../outside/secret"}, scene.ctx), "NUL")
    refused(write(scene, "ok.txt\x00../outside/secret"), "NUL")


def test_F14_glob_through_symlinked_dir(scene: Scene) -> None:
    (scene.ws / "link").symlink_to(scene.outside)
    (scene.ws / "mine.txt").write_text("x")
    result = GlobTool().run({"pattern": "**/*"}, scene.ctx)
    assert "secret" not in result.text()
    assert "mine.txt" in result.text()
    refused(GlobTool().run({"pattern": "*", "path": str(scene.ws / "link")}, scene.ctx))


# -- F15: the race ------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_SYS_RENAMEAT2 = {"x86_64": 316, "aarch64": 276}.get(platform.machine())


def _exchanger(a: Path, b: Path, stop: threading.Event, swaps: list[int]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    old, new = os.fsencode(a), os.fsencode(b)
    n = 0
    while not stop.is_set():
        rc = libc.syscall(_SYS_RENAMEAT2, _AT_FDCWD, old, _AT_FDCWD, new, _RENAME_EXCHANGE)
        assert rc == 0, os.strerror(ctypes.get_errno())
        n += 1
    swaps.append(n)


@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.skipif(_SYS_RENAMEAT2 is None, reason="renameat2 number unknown on this arch")
def test_F15_symlink_swap_race_never_writes_outside(scene: Scene) -> None:
    (scene.ws / "d").mkdir()
    (scene.ws / "l").symlink_to(scene.outside)
    stop = threading.Event()
    swaps: list[int] = []
    thread = threading.Thread(
        target=_exchanger, args=(scene.ws / "d", scene.ws / "l", stop, swaps), daemon=True
    )
    landed_inside = 0
    deadline = time.monotonic() + 12
    thread.start()
    try:
        for i in range(3000):
            result = write(scene, f"d/f{i}.txt", "raced")
            landed_inside += not result.is_error
            if time.monotonic() > deadline:
                break
    finally:
        stop.set()
        thread.join()
    assert swaps and swaps[0] > 100, "the swapping thread barely ran"
    assert sorted(p.name for p in scene.outside.iterdir()) == ["secret"]
    inside = [p for d in ("d", "l") for p in (scene.ws / d).glob("f*.txt") if not p.is_symlink()]
    assert landed_inside > 0
    assert len({p.name for p in inside}) == landed_inside

"""A running ``rg`` as the search tools see it: two pipes to read, and a way to stop it.

:class:`LocalSearch` is a plain child process (``danger-full-access`` and tests that build a
:class:`agentrun.jail.paths.Workspace` directly); inside the jail the file server starts it
and :class:`agentrun.jail.fileclient.JailedSearch` stands for it.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


class SearchProcess(Protocol):
    """``stdout``/``stderr`` are fds the caller reads (and closes with :meth:`close`)."""

    @property
    def stdout(self) -> int: ...

    @property
    def stderr(self) -> int: ...

    def poll(self) -> int | None: ...

    def kill(self) -> None: ...

    def wait(self) -> int | None: ...

    def close(self) -> None: ...


class LocalSearch:
    """``argv`` run here, in ``cwd``, with an empty stdin (rg would read a non-tty stdin)."""

    def __init__(self, argv: Sequence[str], cwd: Path) -> None:
        self._proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def stdout(self) -> int:
        assert self._proc.stdout is not None
        return self._proc.stdout.fileno()

    @property
    def stderr(self) -> int:
        assert self._proc.stderr is not None
        return self._proc.stderr.fileno()

    def poll(self) -> int | None:
        return self._proc.poll()

    def kill(self) -> None:
        self._proc.kill()

    def wait(self) -> int | None:
        return self._proc.wait()

    def close(self) -> None:
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()

"""What tests/conftest.py's autouse fixture uses: the real home, and what a test leaked into it.

Every test gets its own ``HOME`` and ``AGENTRUN_HOME``; one that wrote under the real ones fails.

Both are set with ``monkeypatch`` on ``os.environ``, so subprocesses inherit them. A subprocess
started with a hand-made environment that leaves ``HOME`` out still finds the real home (Python
falls back to the password database): so the fixture also compares the real home's top level
and the real sessions directory before and after the test. A new session there whose ``cwd``
lies in this run's temporary directories is this test's; a new top-level entry under the real
``~/.agentrun`` (or an ``.agentrun`` appearing in the real home) is too. Other processes on the
machine write there at any time, so nothing else is attributed to the test.
"""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

REAL_HOME = Path(os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir)
REAL_STATE = Path(os.environ.get("AGENTRUN_HOME") or REAL_HOME / ".agentrun")


def _names(directory: Path) -> set[str]:
    try:
        return set(os.listdir(directory))
    except OSError:
        return set()


def _session_cwd(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError):
        return ""
    return str(header.get("cwd", "")) if isinstance(header, dict) else ""


def leaks(
    before: tuple[set[str], set[str], set[str]], base: Path, state: Path = REAL_STATE
) -> list[str]:
    """What appeared under the real home and state directory that this run wrote."""
    top, state_top, sessions = before
    found = [
        str(state / name)
        for name in sorted(_names(state) - state_top)
        if name not in {"cache"}  # the probe cache: any agentrun process on the machine
    ]
    if state.parent == REAL_HOME and state.name in _names(REAL_HOME) - top:
        found.append(str(state))
    # this run's directories: pytest's temporary ones, and the jail tests' hosts under /var/tmp
    ours = (str(base.resolve()) + os.sep, f"/var/tmp/agentrun-test-{os.getpid()}-")
    for name in sorted(_names(state / "sessions") - sessions):
        cwd = _session_cwd(state / "sessions" / name)
        if cwd.startswith(ours) or cwd + os.sep in ours:
            found.append(f"{state / 'sessions' / name} (cwd {cwd})")
    return found


def snapshot(state: Path = REAL_STATE) -> tuple[set[str], set[str], set[str]]:
    return _names(REAL_HOME), _names(state), _names(state / "sessions")

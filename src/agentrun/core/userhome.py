"""The user's home directories, and which session roots hold one.

A workspace that contains the home directory (``--cwd ~``, or ``/``) is never writable: the
user's shells, git, Python, editors and package managers run what almost any new file there
holds (a dot-file, ``readline.py``, ``node_modules``, a ``.pth`` file), and no list of names
can cover them all. The sandbox policy and the permission gate both ask this module, so the
jail and the file tools refuse the same writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from agentrun.core.pathutil import is_within


def home_dirs(home: Path | None = None) -> tuple[Path, ...]:
    """``$HOME`` (or ``home``) and the login home from the password database, resolved:
    the user's tools may use either. Never ``/``."""
    import pwd

    out = [(home or Path.home()).resolve()]
    try:
        out.append(Path(pwd.getpwuid(os.getuid()).pw_dir).resolve())
    except (KeyError, OSError):
        pass
    # A home of "/" means no home directory (nobody, daemons, many containers): taken as one,
    # it would make every workspace read-only.
    return tuple(h for h in dict.fromkeys(out) if h != Path("/"))


def home_roots(roots: Iterable[Path], homes: Iterable[Path]) -> tuple[Path, ...]:
    """The roots (resolved) that hold one of ``homes``: kept read-only."""
    held = tuple(homes)
    return tuple(r for r in dict.fromkeys(roots) if any(is_within(h, r) for h in held))


def home_root_message(path: Path | str, root: Path) -> str:
    """Why a write to ``path`` in ``root`` is refused, worded for the model."""
    return (
        f"Cannot write {path}: it is in {root}, a workspace that contains your home directory, "
        "which agentrun keeps read-only (the user's shells, git, Python and editors run what "
        "new files there hold). Work in a project directory instead (start the session there, "
        "or --add-dir one), or tell the user what to change."
    )

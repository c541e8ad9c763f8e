"""Empty ``.git`` placeholders for the writable roots that have no repository.

Bash may write anywhere in the workspace, and a ``.git`` it created there (hooks, or a config
with ``core.fsmonitor``) would run code on the host at the user's next ``git status``. The
jail binds every root's existing ``.git`` read-only; where there is none, its start creates an
empty directory to bind instead. Git skips an empty ``.git`` and keeps searching upwards, so
the host's git sees what it saw before (no repository, or the enclosing one of a monorepo),
while inside the jail ``git init`` fails on a read-only ``.git`` that cannot be removed or
renamed (it is a mount point there).

The session's end removes each placeholder that is still empty; a runtime killed before that
leaves the list in its state directory, and the next jail's sweep removes them.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

LIST_NAME = "git-placeholders.json"


def plant(paths: Iterable[Path], state: Path) -> list[Path]:
    """Create each absent ``paths`` entry as an empty directory; the ones made, also listed in
    ``state`` (written before any is made, so a kill in between leaves nothing unlisted)."""
    wanted = [p for p in paths if not os.path.lexists(p)]
    (state / LIST_NAME).write_text(json.dumps([str(p) for p in wanted]))
    made = []
    for path in wanted:
        try:
            os.mkdir(path, 0o755)
        except OSError:
            continue  # appeared meanwhile (the user's own `git init`), or its root is gone
        made.append(path)
    return made


def remove(paths: Iterable[Path]) -> None:
    """Remove the placeholders that are still empty directories (a repository the user made
    in one since is theirs)."""
    for path in paths:
        with contextlib.suppress(OSError):
            if not path.is_symlink():
                path.rmdir()


def sweep(state: Path) -> None:
    """Remove what a killed runtime's jail planted, from the list in its state directory."""
    try:
        listed = json.loads((state / LIST_NAME).read_text())
    except (OSError, ValueError):
        return
    if isinstance(listed, list):
        remove(Path(p) for p in listed if isinstance(p, str) and Path(p).name == ".git")

"""Path predicates shared by the sandbox, the permission rules and the shell.

They work on the paths' text: ``root in path.parents`` builds a Path per level and ran several
times per tool call (a tenth of an Edit's own time on a small file).
"""

from __future__ import annotations

from pathlib import PurePath


def is_within(path: PurePath, root: PurePath) -> bool:
    """Whether ``path`` is ``root`` or lies beneath it, compared lexically (as pathlib does:
    no symlinks resolved, ``..`` not collapsed), so callers pass normalised paths."""
    p, r = str(path), str(root)
    if p.startswith("//") != r.startswith("//"):
        return False  # POSIX keeps a leading "//" as a root of its own, and so does pathlib
    return p == r or p.startswith(r if r.endswith("/") else r + "/")

"""Where the user's git runs hooks from when a repository keeps them in its work tree
(``core.hooksPath = .githooks``, husky's ``.husky/_``), and the config files it includes from
there (``include.path = ../shared.gitconfig``, whose ``core.pager`` runs at the next ``git
log``): the user's git runs what they hold, so the sandbox and the gate protect them like
``.git``.

Read once per session start. Git's config files are only scanned as text; ``git config`` runs
only when one of them names ``hooksPath`` or includes another file (the usual repository has
neither: no process is started)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from agentrun.core.pathutil import is_within

_MARKS = (b"hookspath", b"include")


def git_run_paths(roots: Sequence[Path]) -> tuple[Path, ...]:
    """The ``core.hooksPath`` directories and included config files, resolved, of the
    repositories ``roots`` (resolved paths) lie in, when inside one of the roots."""
    out: list[Path] = []
    for root in roots:
        top = _work_tree(root)
        if top is None or not _mentioned(top):
            continue
        for origin, key, value in _configured(root):
            # hooksPath is relative to the work tree; an include to the file naming it
            where = top if key == "core.hookspath" else (top / origin).parent
            out.append(Path(os.path.realpath(where / value)))
    return tuple(p for p in dict.fromkeys(out) if any(is_within(p, r) for r in roots))


def _work_tree(root: Path) -> Path | None:
    """The work tree top ``root`` lies in: the nearest directory holding a ``.git``."""
    for d in (root, *root.parents):
        if os.path.lexists(d / ".git"):
            return d
    return None


def _mentioned(top: Path) -> bool:
    """Whether any config file git would read may set ``core.hooksPath``."""
    env = os.environ
    if env.get("GIT_CONFIG_COUNT") or env.get("GIT_CONFIG_PARAMETERS"):
        return True
    home = Path(env.get("HOME") or Path.home())
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    files = [
        Path(env.get("GIT_CONFIG_GLOBAL") or home / ".gitconfig"),
        xdg / "git" / "config",
        Path(env.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"),
    ]
    gitdir = _gitdir(top)
    if gitdir is not None:
        files += [gitdir / "config", gitdir / "config.worktree"]
        try:
            common = (gitdir / "commondir").read_text().strip()
        except (OSError, UnicodeDecodeError):
            common = ""
        if common:
            files.append(Path(os.path.normpath(gitdir / common)) / "config")
    for f in files:
        try:
            text = f.read_bytes().lower()
        except OSError:
            continue
        if any(m in text for m in _MARKS):
            return True
    return False


def _gitdir(top: Path) -> Path | None:
    git = top / ".git"
    if git.is_dir():
        return git
    try:
        line = git.read_text(errors="replace").splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    if not line.startswith("gitdir:"):
        return None
    return Path(os.path.normpath(top / line.removeprefix("gitdir:").strip()))


_KEYS = r"^(core\.hookspath|include\.path|includeif\..*\.path)$"


def _configured(root: Path) -> list[tuple[str, str, str]]:
    """``core.hooksPath`` and the include paths as the user's git in ``root`` sees them
    (``~`` expanded): (the file setting it, relative to the work tree or absolute; key;
    value)."""
    argv = ["git", "-C", str(root), "config", "--show-origin", "-z", "--type=path"]
    try:
        done = subprocess.run(
            [*argv, "--get-regexp", _KEYS],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    fields = done.stdout.decode(errors="replace").split("\0")
    out: list[tuple[str, str, str]] = []
    for origin, entry in zip(fields[0::2], fields[1::2], strict=False):
        key, _, value = entry.partition("\n")
        if origin.startswith("file:") and value:
            out.append((origin.removeprefix("file:"), key.lower(), value))
    return out

"""Where the user's git runs hooks from when a repository keeps them in its work tree
(``core.hooksPath = .githooks``, husky's ``.husky/_``): the user's next ``git commit`` runs
what is there, so the sandbox and the gate protect that directory like ``.git``.

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


def hooks_dirs(roots: Sequence[Path]) -> tuple[Path, ...]:
    """The ``core.hooksPath`` directories, resolved, of the repositories ``roots`` (resolved
    paths) lie in, when inside one of the roots."""
    out: list[Path] = []
    for root in roots:
        top = _work_tree(root)
        if top is None or not _mentioned(top):
            continue
        value = _configured(root)
        if value:
            out.append(Path(os.path.realpath(top / value)))
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


def _configured(root: Path) -> str:
    """``core.hooksPath`` as the user's git in ``root`` sees it (``~`` expanded), or ""."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "config", "--type=path", "--get", "core.hooksPath"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.decode(errors="replace").strip() if done.returncode == 0 else ""

"""A task's private checkout: a git worktree off its ref (or a copy of a plain directory), and its
removal (the change it made is taken by ``batch.patch``).

git runs here unconfined on a tree the model wrote to: hooks and config-defined filters are
kept off (``core.hooksPath``, no system/global config), and ``.git`` itself was read-only to
the model (the jail protects it).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from agentrun.runner.gitcmd import git as _git


def checkout_dir(root: Path, task_id: str) -> Path:
    """Where a task's checkout lives: one fixed place per id, so a rerun (a retry after a lost
    worker, a resumed batch) finds and replaces what an earlier attempt left."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:80] or "task"
    return root / f"{safe}-{abs(hash_id(task_id)):08x}"


def hash_id(text: str) -> int:
    import zlib

    return zlib.crc32(text.encode("utf-8"))


def create(root: Path, task_id: str, *, repo: str | None, ref: str, workspace: str | None) -> Path:
    """A fresh checkout for the task (anything an earlier attempt left there is removed)."""
    target = checkout_dir(root, task_id)
    if target.exists() or target.is_symlink():
        remove(target, repo=repo)
    # (A worktree git still records but whose directory is gone is taken over by `add --force`.)
    root.mkdir(parents=True, exist_ok=True)
    if repo is not None:
        # Several workers add worktrees to one repository at once: git's lock files make a
        # concurrent add fail now and then; a retry succeeds.
        for attempt in range(5):
            done = _git(repo, "worktree", "add", "--detach", "--force", str(target), ref)
            if done.returncode == 0:
                return target
            time.sleep(0.05 * (attempt + 1))
        raise OSError(f"git worktree add failed: {done.stderr.strip()}")
    assert workspace is not None
    shutil.copytree(workspace, target, symlinks=True)
    # A baseline commit (of a copy made by the runtime, not the model) is what the patch is
    # taken against. A copy that already is a repository keeps its own history.
    if not (target / ".git").exists():
        for args in (
            ("init", "-q"),
            ("add", "-A"),
            ("commit", "-q", "--allow-empty", "-m", "base"),
        ):
            done = _git(str(target), *args)
            if done.returncode != 0:
                raise OSError(f"git {args[0]} in the copy failed: {done.stderr.strip()}")
    return target


def remove(target: Path, *, repo: str | None) -> None:
    """Remove a checkout and git's record of it; nothing if it is not there."""
    removed = repo is not None and (
        _git(repo, "worktree", "remove", "--force", "--force", str(target)).returncode == 0
    )
    if target.exists() or target.is_symlink():
        shutil.rmtree(target, ignore_errors=True)
    if repo is not None and not removed:  # git's record of a checkout it could not remove
        _git(repo, "worktree", "prune")

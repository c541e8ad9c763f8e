"""``isolation: worktree``: the session works in a temporary git worktree of the workspace's
repository, on a branch of its own, so the checkout the user works in is never touched.

When the session closes the worktree is removed if nothing changed (no modified or new file,
no commit), and kept otherwise: its path and branch are reported (stderr, the JSON result),
for the user to review, merge or delete. Outside a git repository the run is refused before
any model call. git runs unconfined here with hooks and config helpers off
(:mod:`agentrun.runner.gitcmd`).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agentrun.core.errors import ConfigError
from agentrun.core.pathutil import is_within
from agentrun.runner.gitcmd import git


@dataclass
class Worktree:
    """One session's worktree; ``kept`` is set when :meth:`finish` left it in place."""

    repo: Path
    path: Path
    branch: str
    base: str
    cwd: Path
    """Where the session works: the worktree, at the workspace's place in the repository."""
    kept: bool = False

    def changed(self) -> bool:
        """Whether anything differs from the base: a file changed or added, or a commit."""
        # ignored files too (a build output, a `*.log` the agent wrote is work as well)
        status = git(str(self.path), "status", "--porcelain", "--untracked-files=all", "--ignored")
        head = git(str(self.path), "rev-parse", "HEAD")
        if status.returncode != 0 or head.returncode != 0:
            return True  # when in doubt, keep the work
        return bool(status.stdout.strip()) or head.stdout.strip() != self.base

    def finish(self) -> None:
        """Remove the worktree and its branch if unchanged, else keep both (``kept``)."""
        if self.changed():
            self.kept = True
            return
        git(str(self.repo), "worktree", "remove", "--force", str(self.path))
        shutil.rmtree(self.path, ignore_errors=True)
        git(str(self.repo), "worktree", "prune")
        git(str(self.repo), "branch", "-D", self.branch)

    def note(self) -> str:
        return f"the agent's changes are kept in the worktree {self.path} on branch {self.branch}"

    def to_dict(self) -> dict[str, str | bool]:
        return {"path": str(self.path), "branch": self.branch, "kept": self.kept}


def open_worktree(cwd: Path, agent: str) -> Worktree:
    """A new worktree of the repository holding ``cwd``, off its HEAD, on a new branch
    ``agentrun/<agent>-<hex>``; ConfigError outside a repository or without a commit."""
    top = git(str(cwd), "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ConfigError(
            f"the agent file asks for isolation: worktree, but {cwd} is not in a git repository"
        )
    repo = Path(top.stdout.strip()).resolve()
    head = git(str(repo), "rev-parse", "--verify", "HEAD")
    if head.returncode != 0:
        raise ConfigError(f"isolation: worktree needs a commit to start from; {repo} has none")
    tag = secrets.token_hex(4)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in agent).strip(".-") or "agent"
    branch = f"agentrun/{safe}-{tag}"
    path = Path(tempfile.mkdtemp(prefix=f"agentrun-worktree-{safe}-")).resolve()
    added = git(str(repo), "worktree", "add", "-q", "-b", branch, str(path), "HEAD")
    if added.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        raise ConfigError(f"git worktree add failed: {added.stderr.strip()}")
    tree = Worktree(repo, path, branch, head.stdout.strip(), path)
    # The commit decides what lies at the workspace's place: a symlink there (`a -> /victim`)
    # would take the session, the jail's writable root included, out of the worktree.
    inside = (path / cwd.resolve().relative_to(repo)).resolve()
    if not is_within(inside, path):
        tree.finish()
        raise ConfigError(
            f"isolation: worktree: {cwd.resolve().relative_to(repo)} in the commit checked out"
            f" is a symlink leading out of the worktree (to {inside}); refusing to work there"
        )
    if inside.is_dir():
        tree.cwd = inside
    return tree

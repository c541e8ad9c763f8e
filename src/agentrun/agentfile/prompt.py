"""The system prompt: the agent body, an ``<env>`` block, its skills and memory, then project
memory.

Like Claude Code: the agent file's body (stripped), an ``<env>`` block with the working directory,
whether it is a git repo, the platform, OS version, today's date and the model, then the project
memory files (``CLAUDE.md``, ``AGENTS.md``) found in the working directory and its parents up to
the repository root (outermost first, so the most specific file has the last word), then any
``--append-system-prompt`` text. The same inputs give the same bytes, so the prompt caches well.

The runtime reads the memory files itself, unconfined, and what it reads goes to the model; a
model with Bash can plant ``ln -s /proc/self/environ CLAUDE.md`` and start a subagent, whose
prompt is built afresh. So a memory file is read only when the file the kernel opened (its
``/proc/self/fd`` link, judged after opening, so a swap in between changes nothing) is a regular
file inside the folders searched (the repository root, or the working directory outside a
repository) and one the session's sandbox lets the agent read (``can_read``). A symlink between
them (``CLAUDE.md`` -> ``AGENTS.md``) still works.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from agentrun.core.pathutil import is_within

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

MEMORY_FILES = ("CLAUDE.md", "AGENTS.md")
MAX_MEMORY_CHARS = 40_000
"""Past this a memory file is cut (with a note), so one huge file cannot crowd out the task."""


class _Agent(Protocol):
    @property
    def prompt(self) -> str: ...


def find_repo_root(cwd: Path) -> Path | None:
    """The nearest directory at or above ``cwd`` holding a ``.git`` that git would take: a
    worktree file, or a directory with a ``HEAD`` (an empty one, like the sandbox's placeholder
    in a root without a repository, is skipped, as git skips it)."""
    for directory in (cwd, *cwd.parents):
        git = directory / ".git"
        if git.is_file() or (git / "HEAD").exists():
            return directory
    return None


def memory_files(cwd: Path) -> list[Path]:
    """Project memory files from the repo root (or just ``cwd`` outside a repo) down to ``cwd``."""
    cwd = cwd.resolve()
    top = find_repo_root(cwd) or cwd
    chain = [d for d in (cwd, *cwd.parents) if d == top or top in d.parents]
    found: list[Path] = []
    seen: set[Path] = set()
    for directory in reversed(chain):
        for name in MEMORY_FILES:
            path = directory / name
            if path.is_file() and (real := path.resolve()) not in seen:
                seen.add(real)  # CLAUDE.md is often a symlink to AGENTS.md: include it once
                found.append(path)
    return found


def env_block(
    *, cwd: Path, model_id: str, today: dt.date | None = None, sandbox: Sequence[str] = ()
) -> str:
    _uname = os.uname()  # not `platform`: it costs 3 ms of regex compiling to import
    day = (today or dt.date.today()).isoformat()
    is_repo = "Yes" if find_repo_root(cwd.resolve()) is not None else "No"
    return "\n".join(
        [
            "<env>",
            f"Working directory: {cwd.resolve()}",
            f"Is directory a git repo: {is_repo}",
            f"Platform: {sys.platform}",
            f"OS Version: {_uname.sysname} {_uname.release}",
            f"Today's date: {day}",
            f"Model: {model_id}",
            *sandbox,
            "</env>",
        ]
    )


def build_system_prompt(
    agent: _Agent,
    *,
    cwd: Path | str,
    model_id: str,
    append: str | None = None,
    today: dt.date | None = None,
    sandbox: Sequence[str] = (),
    preload: Sequence[str] = (),
    can_read: Callable[[Path], bool] | None = None,
) -> str:
    """The full system prompt for ``agent`` working in ``cwd`` (see the module docstring);
    ``sandbox``: lines saying what the sandbox allows, ending the ``<env>`` block;
    ``preload``: the agent's skills and memory sections, after it; ``can_read``: whether the
    session's sandbox lets the agent read a resolved path (None: no sandbox to ask)."""
    cwd = Path(cwd)
    env = env_block(cwd=cwd, model_id=model_id, today=today, sandbox=sandbox)
    parts = [agent.prompt.strip(), env, *preload]
    top = find_repo_root(cwd.resolve()) or cwd.resolve()
    for path in memory_files(cwd):
        text = _read_memory(path, top, can_read)
        if text is None:
            continue  # unreadable or refused memory is skipped, never fatal
        if len(text) > MAX_MEMORY_CHARS:
            text = text[:MAX_MEMORY_CHARS] + "\n[... cut: the file is longer ...]"
        parts.append(f"Contents of {path} (project instructions):\n\n{text}")
    if append and append.strip():
        parts.append(append.strip())
    return "\n\n".join(p for p in parts if p)


def _read_memory(path: Path, top: Path, can_read: Callable[[Path], bool] | None) -> str | None:
    """The text of a memory file, or None when it is unreadable or leads somewhere the agent
    may not read (see the module docstring). At most a few times the cut length is read: a
    link to a huge file cannot fill memory."""
    from agentrun.agentfile.skills import UnreadableError, read_checked

    def allowed(real: Path) -> bool:
        return is_within(real, top) and (can_read is None or can_read(real))

    try:
        text, _ = read_checked(path, allowed=allowed, limit=MAX_MEMORY_CHARS * 4, follow=True)
    except UnreadableError:
        return None
    return text.strip()

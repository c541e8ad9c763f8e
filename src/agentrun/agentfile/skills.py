"""An agent file's ``skills:``: each named skill's ``SKILL.md`` preloaded into its system prompt.

Claude Code injects the whole skill (not just its name and description) into a subagent that
lists it. A skill ``NAME`` is the directory ``.claude/skills/NAME/`` nearest the working
directory (the working directory, then each parent up to the home directory, as agent discovery
searches), else ``~/.claude/skills/NAME/``. A skill that is not found or cannot be read is a
warning; the agent runs without it.

The runtime reads these files unconfined, and what it reads goes to the model: so a file is
opened without following a final symlink, and the path it really opened must lie in the skills
folder it was found in (no symlink led out of it; the folders' own paths are resolved) or be one
the session's sandbox lets the agent read (``can_read``). A workspace cannot plant
``.claude/skills/x/SKILL.md`` (or a folder ``x``) pointing at ``~/.ssh``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.pathutil import is_within

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

MAX_SKILL_BYTES = 100_000
"""Past this a SKILL.md is cut (with a note): one huge file must not crowd out the task."""


class UnreadableError(Exception):
    """Why a file was not read (the message is the reason, for a warning)."""


def read_checked(
    path: Path, *, allowed: Callable[[Path], bool], limit: int, follow: bool = False
) -> tuple[str, bool]:
    """The text of the regular file at ``path`` (at most ``limit`` bytes) and whether it was
    cut. The file is opened first and then judged by the path the kernel opened (its
    ``/proc/self/fd`` link), so a symlink swapped in between cannot redirect the read; a final
    symlink is refused unless ``follow``. Run as root, the runtime reads past file modes
    where the jail's root (no capabilities) could not: a file only that one could read is
    refused, so a link planted in the workspace cannot lend it the runtime's rights."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    if not follow:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as e:
        raise UnreadableError("not found") from e
    except OSError as e:
        raise UnreadableError(e.strerror or str(e)) from e
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableError("not a regular file")
        if not _mode_lets_read(info):
            raise UnreadableError("its permissions do not let the agent read it")
        real = Path(f"/proc/self/fd/{fd}").readlink()
        if not allowed(real):
            raise UnreadableError(
                f"it resolves to {real}, which the sandbox does not let the agent read"
            )
        data = os.read(fd, limit + 1)
    finally:
        os.close(fd)
    return data[:limit].decode("utf-8", errors="replace"), len(data) > limit


def _mode_lets_read(info: os.stat_result) -> bool:
    """Whether the file's mode bits let this process's ids read it without a capability
    (what the jail's processes, which hold none, are held to). A non-root process is held to
    them by the kernel already."""
    if os.geteuid() != 0:
        return True
    if info.st_uid == os.geteuid():
        return bool(info.st_mode & stat.S_IRUSR)
    if info.st_gid == os.getegid() or info.st_gid in os.getgroups():
        return bool(info.st_mode & stat.S_IRGRP)
    return bool(info.st_mode & stat.S_IROTH)


def skill_dirs(cwd: Path, home: Path) -> list[Path]:
    """Where skills are looked for, nearest first: ``.claude/skills`` in ``cwd`` and each
    parent up to ``home`` (or ``/`` outside it), then the user's ``~/.claude/skills``."""
    top = home if cwd.is_relative_to(home) else Path(cwd.anchor)
    chain = [d for d in (cwd, *cwd.parents) if d.is_relative_to(top) and d != home]
    return [*(d / ".claude" / "skills" for d in chain), home / ".claude" / "skills"]


def load_skills(
    names: Sequence[str], *, cwd: Path, home: Path, can_read: Callable[[Path], bool]
) -> tuple[list[str], list[str]]:
    """The prompt sections of the skills ``names`` and the warnings for those not loaded."""
    sections: list[str] = []
    warnings: list[str] = []
    folders = skill_dirs(cwd.resolve(), home.resolve())
    for name in names:
        problem = f"no .claude/skills/{name}/SKILL.md here or in ~/.claude/skills/{name}/"
        for directory in folders:
            path = directory / name / "SKILL.md"
            if not os.path.lexists(path):
                continue

            def allowed(real: Path, folder: Path = directory) -> bool:
                return can_read(real) or is_within(real, folder)

            try:
                text, cut = read_checked(path, allowed=allowed, limit=MAX_SKILL_BYTES)
            except UnreadableError as e:
                problem = f"{path}: {e}"
                break
            sections.append(_section(name, path, text, cut))
            problem = ""
            break
        if problem:
            warnings.append(f"skill {name!r} not loaded: {problem}")
    return sections, warnings


def _section(name: str, path: Path, text: str, cut: bool) -> str:
    description, body = _split(text)
    head = f'<skill name="{name}" path="{path}">'
    lines = [head, *([f"Description: {description}", ""] if description else []), body.strip()]
    if cut:
        lines.append("[... cut: the skill file is longer ...]")
    return "\n".join([*lines, "</skill>"])


def _split(text: str) -> tuple[str, str]:
    """A SKILL.md's description and body (its frontmatter parsed leniently, as agent files)."""
    from agentrun.agentfile.agentyaml import normalise, parse_frontmatter, split_frontmatter
    from agentrun.core.errors import AgentFileError

    try:
        split = split_frontmatter(normalise(text), None)
        data = parse_frontmatter(split, None).data
    except AgentFileError:
        return "", text
    description = data.get("description")
    return (description.strip() if isinstance(description, str) else ""), split.body

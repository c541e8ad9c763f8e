"""An agent file's ``memory:``: a persistent directory the agent keeps notes in.

As in Claude Code: ``user`` is ``~/.claude/agent-memory/<agent>/``, ``project`` is
``.claude/agent-memory/<agent>/`` and ``local`` ``.claude/agent-memory-local/<agent>/`` in the
working directory. The first :data:`MEMORY_LINES` lines of its ``MEMORY.md`` go into the
system prompt with a note on how to keep the directory; the agent gets Read, Write and Edit
so it can.

The runtime (unconfined) creates the directory and reads ``MEMORY.md``, and the session makes
the directory writable for the file tools and Bash although it lies in the protected
``.claude`` (or outside the workspace): so every component is created and opened without
following symlinks (a workspace could hold ``.claude/agent-memory/x -> ~/.ssh`` or
``.claude/agent-memory -> .claude``), the agent's name must be a plain name, and
``MEMORY.md`` is read only if it really lies in that directory.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.agentfile.skills import UnreadableError, read_checked
from agentrun.core.pathutil import is_within

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec

MEMORY_LINES = 200
MAX_MEMORY_BYTES = 50_000
_SCOPE_DIRS = {
    "user": (".claude", "agent-memory"),
    "project": (".claude", "agent-memory"),
    "local": (".claude", "agent-memory-local"),
}
MEMORY_TOOLS = ("Read", "Write", "Edit")
_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
"""Claude Code's agent names: lower-case letters, digits and hyphens (nothing a path or a
permission rule could read as more than a name)."""


class MemoryRefusedError(Exception):
    """Why an agent's memory directory cannot be used (the message, for a warning)."""


def memory_dir(scope: str, agent: str, *, cwd: Path, home: Path) -> Path:
    """Where the memory of ``agent`` in ``scope`` lives (nothing is created)."""
    base = home if scope == "user" else cwd
    return base.joinpath(*_SCOPE_DIRS[scope], agent)


def prepare_memory(
    scope: str,
    agent: str,
    *,
    cwd: Path,
    home: Path,
    create: bool = True,
    missing_ok: bool = False,
) -> Path:
    """The memory directory of ``agent``, created if missing (``create``); MemoryRefusedError
    when the name is not a plain name, a component on the way is a symlink or not a
    directory, or (without ``create``) it does not exist, unless ``missing_ok``: then the
    components that exist are checked."""
    if not _PLAIN_NAME.fullmatch(agent):
        raise MemoryRefusedError(
            f"the agent name {agent!r} cannot name a directory (memory needs a plain name:"
            " lower-case letters, digits and hyphens)"
        )
    base = (home if scope == "user" else cwd).resolve()
    parts = (*_SCOPE_DIRS[scope], agent)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(base, flags)
    try:
        for part in parts:
            try:
                if create:
                    os.mkdir(part, 0o700, dir_fd=fd)
            except FileExistsError:
                pass
            except OSError as e:
                raise MemoryRefusedError(f"cannot create {part!r}: {e.strerror or e}") from e
            try:
                child = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                if not missing_ok or create:
                    raise MemoryRefusedError(
                        f"{base.joinpath(*parts[: parts.index(part) + 1])} does not exist"
                    ) from None
                break
            except OSError as e:
                # ELOOP: a symlink; ENOTDIR: a file. Neither may become a writable root.
                raise MemoryRefusedError(
                    f"{base.joinpath(*parts[: parts.index(part) + 1])} is not a plain directory"
                    f" ({e.strerror or e})"
                ) from e
            os.close(fd)
            fd = child
    finally:
        os.close(fd)
    return base.joinpath(*parts)


def memory_section(directory: Path) -> str:
    """What the system prompt says about the memory directory, with ``MEMORY.md``'s start."""
    real = directory.resolve()
    note = ""
    try:
        text, _ = read_checked(
            directory / "MEMORY.md",
            allowed=lambda path: is_within(path, real),
            limit=MAX_MEMORY_BYTES,
        )
    except UnreadableError as e:
        text = ""
        if str(e) != "not found":
            note = f"\n(MEMORY.md was not read: {e})"
    lines = text.splitlines()
    shown = "\n".join(lines[:MEMORY_LINES])
    if len(lines) > MEMORY_LINES:
        shown += (
            f"\n[... MEMORY.md has {len(lines)} lines; only the first {MEMORY_LINES} are shown:"
            " move details into topic files and keep MEMORY.md short ...]"
        )
    return (
        f"# Agent memory\n\nYou have a persistent memory directory at {directory}. Keep what you"
        " learn that will help in later sessions there (patterns, decisions, recurring problems),"
        " with MEMORY.md as its index: only its first lines are loaded at the start of each"
        " session, so keep it concise and put details into other files in the directory, which"
        " you can read when needed.\n\n"
        + (f"Contents of MEMORY.md:\n\n{shown}" if shown.strip() else "MEMORY.md is empty.")
        + note
    )


def with_memory_tools(agent: AgentSpec) -> AgentSpec:
    """``agent`` with Read, Write and Edit added to a ``tools`` list that lacks them (an agent
    with memory manages it with those, as in Claude Code); unchanged without ``memory:``."""
    if agent.fields.memory is None or agent.tools is None:
        return agent
    listed = {t.split("(", 1)[0].strip() for t in agent.tools}
    missing = tuple(t for t in MEMORY_TOOLS if t not in listed)
    return replace(agent, tools=(*agent.tools, *missing)) if missing else agent

"""What a session adds for its agents' ``skills:`` and ``memory:`` fields.

Memory directories are granted before the session's gate and sandbox exist, for the
session's agent and every agent it may start (a subagent's memory must be writable in the one
jail the session starts, which fixes its mounts when it starts). The session's agent's is made
then; a subagent's project or local one only when that agent starts (it is writable to Bash,
and to the file tools in a confined sandbox, if the jail starts after that: else from the next
session on), a subagent's user one at once (a root of the jail must exist when it starts).
Each is given to the gate as a
directory (Write/Edit allowed in exactly it: the one way into the protected ``.claude``; never
as rule text, which a name or path with ``)`` or ``,`` could break into other rules), and a
user one is also a root of the session like ``--add-dir``. Only an agent the user installed
(``~/.claude/agents``, built-in, or defined in code) gets ``user`` memory, which outlives the
project: a workspace file asking for it gets ``project`` memory instead, with a warning.
Skills and ``MEMORY.md`` are read when each agent's system prompt is built, through the
sandbox's read rules.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from agentrun.agentfile.memory import MemoryRefusedError, memory_section, prepare_memory

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Sequence
    from pathlib import Path

    from agentrun.agentfile.agentfile import AgentSpec

_GLOB = frozenset("*?[]{}")


class MemoryGrants:
    """The memory directories of a session's agents and the rights that make them writable.
    (A plain class: every session imports this module, and a dataclass costs start-up time.)"""

    def __init__(self) -> None:
        self.dirs: dict[tuple[str, str], Path] = {}
        """``(agent name, scope)`` -> its directory."""
        self.writable: list[Path] = []
        """The directories the file tools may write (the gate's ``memory_dirs``)."""
        self.roots: list[Path] = []
        """User-scope directories, outside the workspace: extra roots of the session."""
        self.pending: set[tuple[str, str]] = set()
        """Directories in :attr:`dirs` made only when their agent starts."""
        self.warnings: list[str] = []


def grant_memory(
    agents: Iterable[AgentSpec],
    *,
    cwd: Path,
    home: Path,
    writable: bool,
    later: Collection[str] = (),
) -> MemoryGrants:
    """Create the memory directories ``agents`` ask for; ``writable`` False (a read-only
    sandbox) only reads them. Project and local ones of the agents named in ``later`` are
    only checked, and left in :attr:`MemoryGrants.pending` for :class:`Preloader`."""
    grants = MemoryGrants()
    for agent in agents:
        scope = agent.fields.memory
        if scope is None or (agent.name, scope) in grants.dirs:
            continue
        wait = writable and agent.name in later and scope != "user"
        try:
            # a read-only session writes nothing, the runtime included: an existing one is read
            directory = prepare_memory(
                scope, agent.name, cwd=cwd, home=home, create=writable and not wait, missing_ok=wait
            )
        except MemoryRefusedError as e:
            grants.warnings.append(f"agent {agent.name!r}: memory ({scope}) not used: {e}")
            continue
        if _GLOB.intersection(str(directory)):
            # a rule would read the path as a pattern and cover more than the directory
            grants.warnings.append(
                f"agent {agent.name!r}: memory directory {directory} has wildcard characters"
                " in its path; not made writable"
            )
        elif writable:
            # the rules also open the protected `.claude` in the user's memory path
            grants.writable.append(directory)
            if scope == "user":
                grants.roots.append(directory)
        if wait and not directory.is_dir():
            grants.pending.add((agent.name, scope))
        grants.dirs[(agent.name, scope)] = directory
    return grants


def session_memory(
    agent: AgentSpec,
    *,
    cwd: Path,
    disallowed: Sequence[str],
    writable: bool,
    inline: Sequence[AgentSpec] = (),
    sources: Sequence[str] | None = None,
) -> tuple[AgentSpec, dict[str, AgentSpec] | None, MemoryGrants]:
    """The session's agent (with its memory tools), the agents it may start (None: it may
    not delegate; discovered here once, the Task tool reuses them) and the memory grants of
    them all; ``inline`` agents (defined in code) replace discovered ones of the same name;
    ``sources``: the setting sources whose agent files are read (None: all).
    A session without ``memory:`` anywhere creates nothing."""
    from pathlib import Path

    from agentrun.agentfile.memory import with_memory_tools
    from agentrun.permissions.delegation import delegation_tool_name, startable

    notes: dict[str, str] = {}
    agent = with_memory_tools(trusted_memory(agent, notes))
    agents = [agent]
    found: dict[str, AgentSpec] | None = None
    if delegation_tool_name(agent.tools, disallowed) is not None:
        from agentrun.agentfile.agentfile import discover_agents

        discovered, _ = discover_agents(cwd, sources=sources)
        discovered.update((a.name, a) for a in inline)
        found = {
            name: with_memory_tools(trusted_memory(a, notes)) for name, a in discovered.items()
        }
        agents += [found[name] for name in startable(agent.tools, found)]
    if not any(a.fields.memory for a in agents):
        grants = MemoryGrants()
    else:
        later = {a.name for a in agents[1:]} - {agent.name}
        grants = grant_memory(agents, cwd=cwd, home=Path.home(), writable=writable, later=later)
    # said for the agents this session may run, not every one discovered
    grants.warnings[:0] = [notes[a.name] for a in agents if a.name in notes]
    return agent, found, grants


_TRUSTED_SOURCES = ("user", "builtin", "sdk")


def trusted_memory(agent: AgentSpec, notes: dict[str, str]) -> AgentSpec:
    """``agent`` with ``memory: user`` turned into ``project`` (and a warning in ``notes``,
    by agent name) unless the user
    installed it: a workspace file's user memory would be written without approval, outlive
    the project and enter other projects' prompts."""
    from dataclasses import replace

    if agent.fields.memory != "user":
        return agent
    coded = agent.source == "path" and agent.path is None  # an AgentSpec built in code
    if agent.source in _TRUSTED_SOURCES or coded:
        return agent
    notes[agent.name] = (
        f"agent {agent.name!r}: memory (user) is only for agents in ~/.claude/agents, built-in"
        f" or defined in code; {agent.path or 'this agent file'} gets project memory instead"
    )
    return replace(agent, fields=replace(agent.fields, memory="project"))


class Preloader:
    """Builds the skills and memory sections of any agent's system prompt in one session."""

    def __init__(
        self,
        cwd: Path,
        home: Path,
        can_read: Callable[[Path], bool],
        memory: dict[tuple[str, str], Path],
        pending: Collection[tuple[str, str]] = (),
    ) -> None:
        self.cwd, self.home, self.can_read, self.memory = cwd, home, can_read, memory
        self.pending = set(pending)
        self._lock = threading.Lock()  # subagents start in parallel

    def sections(self, agent: AgentSpec) -> tuple[list[str], list[str]]:
        """The prompt sections for ``agent`` and warnings about what could not be loaded."""
        sections: list[str] = []
        warnings: list[str] = []
        if agent.fields.skills:
            from agentrun.agentfile.skills import load_skills

            found, missed = load_skills(
                agent.fields.skills, cwd=self.cwd, home=self.home, can_read=self.can_read
            )
            sections += found
            warnings += [f"agent {agent.name!r}: {w}" for w in missed]
        scope = agent.fields.memory
        directory = self.memory.get((agent.name, scope)) if scope else None
        if directory is not None and scope is not None:
            try:
                self._make(agent.name, scope)
            except MemoryRefusedError as e:
                warnings.append(f"agent {agent.name!r}: memory ({scope}) not used: {e}")
            else:
                sections.append(memory_section(directory))
        return sections, warnings

    def _make(self, name: str, scope: str) -> None:
        """Create a subagent's memory directory as it starts (checked again: a symlink may
        have been planted on the way since the session started)."""
        with self._lock:
            if (name, scope) in self.pending:
                prepare_memory(scope, name, cwd=self.cwd, home=self.home)
                self.pending.discard((name, scope))

    def for_subagent(self, agent: AgentSpec) -> list[str]:
        """:meth:`sections` for a subagent starting (its warnings go to the log)."""
        sections, warnings = self.sections(agent)
        if warnings:
            import logging  # only when there is something to say: it costs start-up time

            for warning in warnings:
                logging.getLogger(__name__).warning("%s", warning)
        return sections

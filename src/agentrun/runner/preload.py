"""What a session adds for its agents' ``skills:`` and ``memory:`` fields.

Memory directories are made before the session's gate and sandbox exist, for the session's
agent and every agent it may start (a subagent's memory must be writable in the one jail the
session starts, which fixes its mounts when it starts): a project or local one becomes an
explicit Write/Edit allow rule (the one way into the protected ``.claude``), a user one a root
of the session like ``--add-dir``. Skills and ``MEMORY.md`` are read when each agent's system
prompt is built, through the sandbox's read rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.agentfile.memory import MemoryRefusedError, memory_section, prepare_memory

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    from agentrun.agentfile.agentfile import AgentSpec

_GLOB = frozenset("*?[]{}")


class MemoryGrants:
    """The memory directories of a session's agents and the rights that make them writable.
    (A plain class: every session imports this module, and a dataclass costs start-up time.)"""

    def __init__(self) -> None:
        self.dirs: dict[tuple[str, str], Path] = {}
        """``(agent name, scope)`` -> its directory."""
        self.allow: list[str] = []
        """Write/Edit allow rules for each directory (the one way into a protected
        ``.claude``)."""
        self.roots: list[Path] = []
        """User-scope directories, outside the workspace: extra roots of the session."""
        self.warnings: list[str] = []


def grant_memory(
    agents: Iterable[AgentSpec], *, cwd: Path, home: Path, writable: bool
) -> MemoryGrants:
    """Create the memory directories ``agents`` ask for; ``writable`` False (a read-only
    sandbox) only reads them."""
    grants = MemoryGrants()
    for agent in agents:
        scope = agent.fields.memory
        if scope is None or (agent.name, scope) in grants.dirs:
            continue
        try:
            # a read-only session writes nothing, the runtime included: an existing one is read
            directory = prepare_memory(scope, agent.name, cwd=cwd, home=home, create=writable)
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
            grants.allow += [f"{tool}(/{directory}/**)" for tool in ("Edit", "Write")]
            if scope == "user":
                grants.roots.append(directory)
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

    agent = with_memory_tools(agent)
    agents = [agent]
    found: dict[str, AgentSpec] | None = None
    if delegation_tool_name(agent.tools, disallowed) is not None:
        from agentrun.agentfile.agentfile import discover_agents

        discovered, _ = discover_agents(cwd, sources=sources)
        discovered.update((a.name, a) for a in inline)
        found = {name: with_memory_tools(a) for name, a in discovered.items()}
        agents += [found[name] for name in startable(agent.tools, found)]
    if not any(a.fields.memory for a in agents):
        return agent, found, MemoryGrants()
    return agent, found, grant_memory(agents, cwd=cwd, home=Path.home(), writable=writable)


class Preloader:
    """Builds the skills and memory sections of any agent's system prompt in one session."""

    def __init__(
        self,
        cwd: Path,
        home: Path,
        can_read: Callable[[Path], bool],
        memory: dict[tuple[str, str], Path],
    ) -> None:
        self.cwd, self.home, self.can_read, self.memory = cwd, home, can_read, memory

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
        if directory is not None:
            sections.append(memory_section(directory))
        return sections, warnings

    def for_subagent(self, agent: AgentSpec) -> list[str]:
        """:meth:`sections` for a subagent starting (its warnings go to the log)."""
        sections, warnings = self.sections(agent)
        if warnings:
            import logging  # only when there is something to say: it costs start-up time

            for warning in warnings:
                logging.getLogger(__name__).warning("%s", warning)
        return sections

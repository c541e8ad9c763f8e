"""Where agents are found, and an agent argument resolved to one.

Discovery (later wins on a name collision): built-in agents < ``~/.claude/agents`` <
``.claude/agents`` in each directory from home (or ``/`` when cwd is outside home) down to cwd.
Directories are searched recursively for ``*.md``. (Its names are also importable from
:mod:`agentrun.agentfile.agentfile`.)
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.errors import AgentFileError, ConfigError
from agentrun.core.pathutil import is_within

if TYPE_CHECKING:
    import logging
    from collections.abc import Collection

    from agentrun.agentfile.agentfile import AgentSpec

__all__ = [
    "builtin_agents_dir",
    "discover_agents",
    "find_agents",
    "looks_like_path",
    "resolve_agent",
]


def builtin_agents_dir() -> Path:
    """The shipped agents: package data in a wheel, else the checkout's ``agents/``."""
    packaged = importlib.resources.files("agentrun") / "_data" / "agents"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "agents"


def _search_dirs(
    cwd: Path, home: Path, sources: Collection[str] | None = None
) -> list[tuple[str, Path]]:
    """(source, directory) pairs in increasing precedence; ``sources`` as in
    :func:`discover_agents`."""
    dirs: list[tuple[str, Path]] = [("builtin", builtin_agents_dir())]
    if sources is None or "user" in sources:
        dirs.append(("user", home / ".claude" / "agents"))
    if sources is not None and "project" not in sources:
        return dirs
    top = home if cwd.is_relative_to(home) else Path(cwd.anchor)
    chain = [cwd, *cwd.parents]
    below = [d for d in reversed(chain) if d.is_relative_to(top) and d != home]
    dirs.extend(("project", d / ".claude" / "agents") for d in below)
    return dirs


def _agent_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    found: list[Path] = []
    for root, subdirs, files in os.walk(directory):
        subdirs.sort()
        found.extend(Path(root) / f for f in sorted(files) if f.endswith(".md"))
    return found


def discover_agents(
    cwd: str | os.PathLike[str],
    *,
    home: str | os.PathLike[str] | None = None,
    sources: Collection[str] | None = None,
) -> tuple[dict[str, AgentSpec], list[AgentFileError]]:
    """Every agent visible from ``cwd`` by name (nearest wins), and the files that failed.

    ``sources`` are the setting sources a run reads (the SDK's ``setting_sources``; None: all):
    the files of ``~/.claude/agents`` only with ``user``, those of the ``.claude/agents`` of
    ``cwd`` and its parents only with ``project``; the built-in agents always. An agent file
    can carry hooks that run on the host, so a run that does not trust its workspace must not
    read the workspace's agents."""
    from agentrun.agentfile.agentfile import load_agent  # it imports this module

    here = Path(cwd).expanduser().resolve()
    home_dir = Path(home).expanduser().resolve() if home is not None else Path.home().resolve()
    agents: dict[str, AgentSpec] = {}
    errors: list[AgentFileError] = []
    for source, directory in _search_dirs(here, home_dir, sources):
        for file in _agent_files(directory):
            try:
                spec = load_agent(file, source=source)
            except AgentFileError as e:
                errors.append(e)
                continue
            shadowed = agents.get(spec.name)
            if shadowed is not None:
                _log().debug("agent %r: %s overrides %s", spec.name, file, shadowed.path)
                original = shadowed.shadows or (
                    shadowed.path if shadowed.source in ("builtin", "user") else None
                )
                if source == "project" and original is not None:
                    # A file in the workspace (anyone who can write there, a model included)
                    # replaces an agent the user relies on by name: say so, never silently.
                    note = (
                        f"agent {spec.name!r} comes from the workspace file {file}, which "
                        f"shadows the {_origin(original)} agent {original}"
                    )
                    spec = replace(spec, shadows=original, warnings=(*spec.warnings, note))
            agents[spec.name] = spec
    return agents, errors


def _origin(path: Path) -> str:
    return "built-in" if is_within(path, builtin_agents_dir()) else "user"


def find_agents(
    cwd: str | os.PathLike[str], *, home: str | os.PathLike[str] | None = None
) -> dict[str, AgentSpec]:
    """Every agent visible from ``cwd`` by name; files that fail to load are logged and skipped."""
    agents, errors = discover_agents(cwd, home=home)
    for error in errors:
        _log().warning("skipped agent file: %s", error)
    return agents


def _log() -> logging.Logger:
    # Imported when there is something to log: logging costs ~3 ms of every start.
    import logging

    return logging.getLogger("agentrun.agentfile.agentfile")  # the name it always had


def looks_like_path(text: str) -> bool:
    """Whether an agent argument names a file rather than an agent."""
    return "/" in text or os.sep in text or text.endswith(".md") or text.startswith(("~", "."))


def resolve_agent(
    name_or_path: str,
    cwd: str | os.PathLike[str],
    *,
    home: str | os.PathLike[str] | None = None,
    sources: Collection[str] | None = None,
) -> AgentSpec:
    """Load a file if ``name_or_path`` is (or looks like) a path, else find the agent by name
    among those ``sources`` allow (see :func:`discover_agents`).

    Raises ConfigError listing the available names when no agent has that name, and the
    file's own AgentFileError when the only file that could hold it failed to load.
    """
    from agentrun.agentfile.agentfile import load_agent

    candidate = Path(name_or_path).expanduser()
    if not candidate.is_absolute():
        candidate = Path(cwd) / candidate
    # A bare name that happens to be a file in the workspace is a project file: only read
    # when project files are.
    project = sources is None or "project" in sources
    if looks_like_path(name_or_path) or (project and candidate.is_file()):
        if not candidate.is_file():
            raise ConfigError(f"agent file not found: {candidate}")
        return load_agent(candidate)
    agents, errors = discover_agents(cwd, home=home, sources=sources)
    if name_or_path in agents:
        return agents[name_or_path]
    for error in reversed(errors):
        if error.path is not None and error.path.stem == name_or_path:
            raise error
    names = ", ".join(sorted(agents)) or "none"
    raise ConfigError(f"no agent named {name_or_path!r}; available: {names}")

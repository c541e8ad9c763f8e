"""The keywords of :meth:`~agentrun.permissions.gate.Gate.load` that a session hands on.

A session loads its gate with these and keeps them, so a subagent's own gate starts from the
same workspace, roots and settings; typed here so a misspelt key fails the type check instead
of reaching ``Gate.load`` at run time. ``tests/permissions`` checks each key is a keyword of
``Gate.load`` with the same type.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict


class GateKeywords(TypedDict):
    """``Gate.load``'s keywords that describe the session (not the agent, not the mode)."""

    cwd: Path
    allowed: NotRequired[Iterable[str]]
    add_dirs: NotRequired[Sequence[Path]]
    writable_roots: NotRequired[Sequence[Path] | None]
    shell_writable: NotRequired[Sequence[Path]]
    shell_cwd: NotRequired[Callable[[], Path | None] | None]
    settings: NotRequired[Sequence[tuple[str, Mapping[str, Any]]]]
    sources: NotRequired[Collection[str] | None]
    memory_dirs: NotRequired[Sequence[Path]]

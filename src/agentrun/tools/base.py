"""What every tool receives when it runs (:class:`agentrun.core.toolcontext.ToolContext`), with
the types of this package and the jail filled in."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from agentrun.core.toolcontext import Access
from agentrun.core.toolcontext import ToolContext as _ToolContext

if TYPE_CHECKING:
    from agentrun.jail.paths import Workspace
    from agentrun.tools.records import ReadRecords
    from agentrun.tools.shell import BashSession
    from agentrun.tools.spill import Spill

    ToolContext: TypeAlias = _ToolContext[Workspace, BashSession, ReadRecords, Spill]
else:
    ToolContext = _ToolContext

__all__ = ["Access", "ToolContext"]

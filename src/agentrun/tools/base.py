"""What every tool receives when it runs: the session's doors to the disk and the shell."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.protocols import Sandbox
    from agentrun.sandbox.paths import Workspace
    from agentrun.tools.records import ReadRecords
    from agentrun.tools.shell import BashSession


@dataclass
class ToolContext:
    """Per-session state shared by the tools. Built once per session, reused every call.

    - ``workspace``: the file tools' only way to open files (policy + openat2 confinement).
    - ``reads``: which files were read, when, and whether whole (Write/Edit staleness checks).
    - ``shell``: the Bash tool's persistent state (cwd, background jobs), spawning through
      ``sandbox``. Both are None where Bash is not offered (e.g. file-tool tests).
    - ``strict``: re-raise unexpected tool exceptions instead of turning them into error results
      (the test suite sets it, so a bug cannot hide behind a polite error message).
    - ``cancel``: set when the user interrupts; long-running tools stop and report it.
    """

    workspace: Workspace
    reads: ReadRecords
    shell: BashSession | None = None
    sandbox: Sandbox | None = None
    strict: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)

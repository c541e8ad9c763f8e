"""Where agentrun keeps its own state: transcripts, settings, caches.

Its own module because nearly everything needs the answer at start-up, while the sandbox policy
that also hides this directory is only worked out at the first tool call.
"""

from __future__ import annotations

import os
from pathlib import Path


def agentrun_home() -> Path:
    """agentrun's own state (sessions, settings): ``$AGENTRUN_HOME``, else ``~/.agentrun``."""
    env = os.environ.get("AGENTRUN_HOME")
    return Path(env).expanduser() if env else Path.home() / ".agentrun"

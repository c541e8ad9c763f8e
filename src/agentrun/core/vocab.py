"""Names every layer shares, written once: the agent a run gets when none is named."""

from __future__ import annotations

DEFAULT_AGENT = "backend-specialist"
"""The agent a run gets when none is named (the CLI, the Python API, tests, batch tasks)."""

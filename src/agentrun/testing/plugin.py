"""agentrun's pytest plugin (registered through the ``pytest11`` entry point).

Importing it must stay cheap and side-effect free: pytest loads it in every test session of every
project that has agentrun installed.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "agentrun_live: allow real Anthropic API requests")

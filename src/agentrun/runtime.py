"""Deprecated: moved to :mod:`agentrun.runner.runtime` (this alias goes in the next release)."""

from agentrun._moved import forwarder

__getattr__ = forwarder(__name__, "agentrun.runner.runtime")

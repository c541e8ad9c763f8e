"""Deprecated: moved to :mod:`agentrun.runner.api` (this alias goes in the next release)."""

from agentrun._moved import forwarder

__getattr__ = forwarder(__name__, "agentrun.runner.api")

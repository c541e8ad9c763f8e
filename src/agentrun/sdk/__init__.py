"""The Claude Agent SDK's Python API, running on agentrun."""

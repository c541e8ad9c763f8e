"""The loop's vocabulary and the turn loop: types, events, errors, protocols (everything the
loop calls). Imports only the standard library and ``agentrun.core`` (see ``docs/architecture.md``).
"""

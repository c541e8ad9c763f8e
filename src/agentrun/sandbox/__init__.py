"""Deprecated: the jail moved to :mod:`agentrun.jail` (this alias goes in the next release).

``agentrun.sandbox.open_sandbox`` and ``from agentrun.sandbox import policy`` still work, with a
warning; ``import agentrun.sandbox.policy`` does not (use ``agentrun.jail.policy``).
"""

from agentrun._moved import forwarder

_jail = forwarder(__name__, "agentrun.jail")


def __getattr__(name: str) -> object:
    import importlib
    import importlib.util
    import warnings

    if not name.startswith("_") and importlib.util.find_spec(f"agentrun.jail.{name}") is not None:
        warnings.warn(
            f"{__name__}.{name} is deprecated: use agentrun.jail.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(f"agentrun.jail.{name}")
    return _jail(name)

"""The ``agentrun`` command: argument parsing and dispatch (:mod:`.app`), subcommands
(:mod:`.commands`), the REPL, the terminal and rendering. Only this package prints.

The names ``agentrun.cli`` had before it became a package still resolve, with a warning;
``entry`` (the console script) stays here.
"""

from agentrun._moved import forwarder

_moved = forwarder(__name__, "agentrun.cli.app", __path__[0])


def entry() -> None:
    """The ``agentrun`` console script (``pyproject.toml``)."""
    from agentrun.cli.app import entry as app_entry

    app_entry()


def __getattr__(name: str) -> object:
    return _moved(name)

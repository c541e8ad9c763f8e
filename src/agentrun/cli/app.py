"""The ``agentrun`` command line: parsing, dispatch and exit codes.

Only argparse is imported at start-up; every subcommand's module is imported when chosen, so
``agentrun --help`` and ``--version`` stay fast. Exit codes (README.md): 0 success, 1 the run
failed, 2 usage or configuration error (before any model call), 130 interrupted.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from agentrun import __version__
from agentrun.core.errors import (
    AgentrunError,
    ConfigError,
    MissingApiKeyError,
    SandboxUnavailableError,
)
from agentrun.core.vocab import DEFAULT_AGENT, PERMISSION_MODES, SANDBOX_MODES

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

OUTPUT_FORMATS = ("text", "json", "stream-json")
PICK_SESSION = ""
"""``--resume`` given no ID: pick a session (in a terminal)."""

# subcommand -> module with `add_arguments(parser)` and `run(args) -> int`
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "agents": ("agentrun.cli.commands.agents", "list or show agent files"),
    "tools": ("agentrun.cli.commands.tools", "list the tools and their input schemas"),
    "sessions": ("agentrun.cli.commands.sessions", "list saved sessions; show or rm one"),
    "sandbox": ("agentrun.cli.commands.sandbox", "show which sandbox layers this machine enforces"),
    "hooks": ("agentrun.cli.commands.hooks", "list the hooks configured here, and from which file"),
    "demo": ("agentrun.cli.commands.demo", "run the backend-specialist demo offline"),
    "mcp": ("agentrun.cli.commands.mcp", "list, show, add or remove MCP servers"),
    "batch": ("agentrun.cli.commands.batch", "run a task file, each task in its own worktree"),
}


class UsageError(Exception):
    """A bad flag or value; argparse's own exit is replaced by this so tests can call main()."""

    def __init__(self, message: str, *, prog: str = "agentrun") -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """Every parser of the CLI, and every subparser (argparse makes them of their parent's
    class): no abbreviated flags, so a later flag never changes what an old abbreviation meant
    (``--out`` taken as ``--output-format``), and usage errors raise :class:`UsageError`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}", prog=self.prog)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


_EPILOG = """\
examples:
  agentrun                                   interactive session in the current directory
  agentrun "add a /health endpoint"          interactive, starting with a prompt
  agentrun -p "why do the tests fail?"       one-shot; the answer on stdout
  git diff | agentrun -p --output-format json
  agentrun -p "fix lint" --allowedTools "Edit Bash(ruff check:*)" --max-turns 20

subcommands:
{subcommands}

exit codes: 0 success; 1 the run failed (max turns, budget, API error, timeout);
            2 usage or configuration error; 130 interrupted
"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    # a wider option column than argparse's default keeps each flag's help on fewer lines
    def __init__(self, prog: str) -> None:
        import shutil

        width = min(100, shutil.get_terminal_size().columns)
        super().__init__(prog, max_help_position=30, width=width)


def build_parser() -> argparse.ArgumentParser:
    subcommands = "\n".join(
        f"  agentrun {name:<9} {help_}" for name, (_, help_) in SUBCOMMANDS.items()
    )
    names = ",".join(SUBCOMMANDS)
    parser = _Parser(
        prog="agentrun",
        usage=f"agentrun [options] [PROMPT]\n       agentrun {{{names}}} ...",
        description="Run a Claude Code-style agent file on a repository, with Claude Code's six "
        "tools in a sandbox.",
        epilog=_EPILOG.format(subcommands=subcommands),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "prompt",
        nargs="?",
        metavar="PROMPT",
        help="the first prompt; with -p, '-' or nothing reads it from stdin",
    )
    parser.add_argument("--version", action="version", version=f"agentrun {__version__}")

    run = parser.add_argument_group("run")
    run.add_argument(
        "-p",
        "--print",
        dest="print_mode",
        action="store_true",
        help="one-shot: answer PROMPT (or stdin) and exit; never prompts for approval",
    )
    run.add_argument(
        "--agent", metavar="NAME|PATH", help=f"agent name or file (default: {DEFAULT_AGENT})"
    )
    run.add_argument(
        "--model",
        metavar="SPEC",
        help="alias (sonnet, opus, haiku), model id, script:PATH or replay:PATH "
        "(default: the agent's model, else $ANTHROPIC_MODEL, else sonnet)",
    )
    run.add_argument("--cwd", metavar="DIR", help="working directory, the workspace (default: .)")
    run.add_argument(
        "--add-dir",
        metavar="DIR",
        action="append",
        default=[],
        help="another writable directory (repeatable)",
    )
    run.add_argument(
        "--append-system-prompt", metavar="TEXT", help="text added to the system prompt"
    )
    run.add_argument(
        "--effort",
        metavar="LEVEL",
        type=str.lower,
        choices=("low", "medium", "high", "xhigh", "max"),
        help="how much the model reasons: low, medium (default), high, xhigh, max",
    )
    run.add_argument(
        "--settings",
        metavar="FILE|JSON",
        help="one more settings layer for this run (its hooks, disableAllHooks)",
    )
    run.add_argument("--no-hooks", action="store_true", help="run no hooks (like disableAllHooks)")

    output = parser.add_argument_group("output")
    output.add_argument(
        "--output-format",
        choices=OUTPUT_FORMATS,
        default="text",
        help="with -p: text (the final answer), json (one result object) or stream-json "
        "(one event per line, as it happens); default: text",
    )
    output.add_argument(
        "--verbose", action="store_true", help="with -p: show tool calls and results on stderr"
    )

    limits = parser.add_argument_group("limits")
    limits.add_argument("--max-turns", type=_positive_int, metavar="N", help="stop after N turns")
    limits.add_argument(
        "--max-budget-usd", type=_positive_float, metavar="X", help="stop once X dollars are spent"
    )
    limits.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="wall-clock limit for the whole run",
    )

    perms = parser.add_argument_group("permissions and sandbox")
    perms.add_argument(
        "--permission-mode",
        choices=PERMISSION_MODES,
        metavar="MODE",
        help="default | acceptEdits | plan | dontAsk | bypassPermissions "
        "(default: settings' defaultMode, else default)",
    )
    perms.add_argument(
        "--allowedTools",
        "--allowed-tools",
        dest="allowed_tools",
        action="extend",
        nargs="+",
        default=[],
        metavar="RULES",
        help="allow rules, as one or several arguments (like Claude Code), space or comma "
        'separated: "Read" "Edit(src/**)" "Bash(git diff:*)"',
    )
    perms.add_argument(
        "--disallowedTools",
        "--disallowed-tools",
        dest="disallowed_tools",
        action="extend",
        nargs="+",
        default=[],
        metavar="RULES",
        help='deny rules; a bare tool name is not offered at all: "WebFetch Bash(rm:*)"',
    )
    perms.add_argument(
        "--sandbox",
        choices=SANDBOX_MODES,
        default="workspace-write",
        metavar="MODE",
        help="workspace-write (default) | read-only | danger-full-access",
    )
    perms.add_argument("--allow-network", action="store_true", help="let Bash reach the network")
    mcp = parser.add_argument_group("MCP servers")
    mcp.add_argument(
        "--mcp-config",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE|JSON",
        help='MCP servers from files or JSON text ({"mcpServers": {...}}); repeatable',
    )
    mcp.add_argument(
        "--strict-mcp-config",
        action="store_true",
        help="use only the --mcp-config servers (not .mcp.json or user settings)",
    )

    sessions = parser.add_argument_group("sessions")
    sessions.add_argument(
        "-r",
        "--resume",
        metavar="ID",
        nargs="?",
        const=PICK_SESSION,
        help="continue a saved session (an ID or a unique prefix; no ID in a terminal: pick one)",
    )
    sessions.add_argument(
        "-c",
        "--continue",
        dest="continue_",
        action="store_true",
        help="continue the latest session of this directory",
    )
    sessions.add_argument("--record", metavar="PATH", help="record model requests/responses")
    sessions.add_argument(
        "--replay-drift",
        choices=("error", "warn"),
        default="error",
        help="with --model replay:PATH, what a tool result differing from the recording does",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting (tests call this)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # answered before the parser is even built: scripts poll it
        print(f"agentrun {__version__}")
        return EXIT_OK
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            return _run_subcommand(args_list[0], args_list[1:])
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exit_:  # --help / --version
            return int(exit_.code or 0)
        module = importlib.import_module("agentrun.cli.commands.run")
        return int(module.run(args))
    except UsageError as e:
        from agentrun.cli.termsafe import safe

        print(f"{safe(str(e))} (see {e.prog} --help)", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as e:
        print(f"agentrun: {_one_line(str(e))}{_hint(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("agentrun: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`agentrun -p ... | head`); say nothing more on a dead pipe
        _silence_stdout()
        return EXIT_FAILED
    except AgentrunError as e:
        print(f"agentrun: {_one_line(str(e))}{_hint(e)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(e, SandboxUnavailableError) else EXIT_FAILED
    except Exception as e:  # the top level: one line instead of a traceback
        print(f"agentrun: internal error: {type(e).__name__}: {_one_line(str(e))}", file=sys.stderr)
        if "--verbose" in args_list:
            import traceback

            traceback.print_exc()
        return EXIT_FAILED


def _one_line(text: str) -> str:
    from agentrun.cli.termsafe import safe  # an error may quote a model's or a file's text

    return " ".join(safe(text).split())


def _hint(error: Exception) -> str:
    """What to do next, for the errors whose own message may not say it."""
    text = str(error)
    if isinstance(error, MissingApiKeyError) and "script:" not in text:
        return " (export ANTHROPIC_API_KEY=..., or use --model script:PATH to run offline)"
    if isinstance(error, SandboxUnavailableError) and "--sandbox" not in text:
        return (
            f" (missing layer: {error.layer}; `agentrun sandbox` shows what this machine "
            "enforces; --sandbox danger-full-access runs without confinement)"
        )
    return ""


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _run_subcommand(name: str, argv: list[str]) -> int:
    module_name, help_ = SUBCOMMANDS[name]
    module = importlib.import_module(module_name)
    parser = _Parser(prog=f"agentrun {name}", description=help_)
    module.add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return int(module.run(args))


class _StartUpCollection:
    """Whether :func:`entry` paused the garbage collector for start-up (see there)."""

    paused = False


def collect_from_now_on() -> None:
    """Resume garbage collection paused by :func:`entry`, with everything start-up made frozen
    out of it (it lives as long as the process). Called once the session is built, before the
    run's work; a no-op when nothing was paused (tests calling :func:`main`)."""
    if _StartUpCollection.paused:
        _StartUpCollection.paused = False
        gc.freeze()
        gc.enable()


def entry() -> None:
    """Console-script entry point."""
    if not (sys.argv[1:2] and sys.argv[1] in SUBCOMMANDS):
        # Start-up (imports, the agent, the session) makes tens of thousands of objects that
        # live as long as the process; collecting while they pile up walks them again and
        # again and frees nothing (~3 ms of a one-turn -p run). The run command resumes
        # collection before its work (collect_from_now_on); subcommands never pause it.
        _StartUpCollection.paused = gc.isenabled()
        gc.disable()
    try:
        code = main()
    finally:
        collect_from_now_on()
    # Everything is closed and flushed by now; what remains is interpreter shutdown, whose
    # final garbage collection walks every object the imports made (~5 ms of a short run).
    # Frozen objects are skipped; nothing left relies on a cycle being collected.
    gc.freeze()
    sys.exit(code)

"""The main command: one-shot (``-p``) or interactive, chosen from the flags and the terminal.

One-shot prints only the chosen ``--output-format`` on stdout (stream-json lines flushed as they
happen); everything meant for people goes to stderr. It never prompts: the run gets no approver,
so every call that would need approval is denied and listed in ``permission_denials``.

Exit codes (README.md): 0 success, 1 the run failed (max turns, budget, API error, script
exhausted, timeout, refusal), 2 usage or configuration (raised as ConfigError before the first
model call; ``cli.main`` prints it), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from agentrun.cli.app import collect_from_now_on
from agentrun.cli.termsafe import json_line, safe
from agentrun.core.errors import ConfigError
from agentrun.core.events import INTERRUPTED_STOP
from agentrun.core.vocab import DEFAULT_AGENT

if TYPE_CHECKING:
    from agentrun.core.events import Event
    from agentrun.runner.api import RunResult
    from agentrun.runner.runtime import RunOptions

__all__ = ["exit_code", "run", "session_options"]

STDIN_WAIT_S = 3.0
"""How long a prompt argument waits for piped stdin to start (Claude Code waits as long)."""


def run(args: argparse.Namespace) -> int:
    """Dispatch to interactive mode or a one-shot run; returns the exit code."""
    stdin_tty = _isatty(sys.stdin)
    if not args.print_mode and stdin_tty and args.prompt != "-":
        if args.output_format != "text":
            raise ConfigError(
                f"--output-format {args.output_format} needs -p (one-shot); add -p to the command"
            )
        options = session_options(args)  # flag errors before rich is even imported
        if args.resume == "":  # --resume with no ID: pick one
            from agentrun.cli.commands.sessions import pick_session

            picked = pick_session()
            if picked is None:
                return 0
            options = dataclasses.replace(options, resume=picked)
        from agentrun.cli.interactive import run_interactive

        collect_from_now_on()
        return run_interactive(args, options)
    prompt = _one_shot_prompt(args, stdin_tty)
    return run_once(args, prompt)


def session_options(args: argparse.Namespace) -> RunOptions:
    """The options of ``agentrun.runner.api.run`` / ``AgentSession`` from the parsed flags,
    after checking what can be checked without loading anything heavy."""

    cwd = _directory(args.cwd or ".", "workspace", "--cwd")
    add_dirs = tuple(_directory(d, "directory", "--add-dir") for d in args.add_dir)
    if args.resume is not None and args.continue_:
        raise ConfigError("--resume and --continue cannot be combined; pick one")
    if args.resume == "" and (args.print_mode or not _isatty(sys.stdin)):
        raise ConfigError(
            "--resume needs a session ID outside an interactive terminal "
            "(`agentrun sessions` lists them; a unique prefix of an ID is enough)"
        )
    from agentrun.runner.runtime import RunOptions

    return RunOptions(
        agent=_agent_arg(args.agent),
        cwd=str(cwd),
        model=args.model,
        max_turns=args.max_turns,
        max_budget_usd=args.max_budget_usd,
        timeout_s=args.timeout,
        allowed_tools=_rules(args.allowed_tools, "--allowedTools"),
        disallowed_tools=_rules(args.disallowed_tools, "--disallowedTools"),
        sandbox=args.sandbox,
        add_dirs=tuple(str(d) for d in add_dirs),
        allow_network=args.allow_network,
        resume=args.resume,
        continue_session=args.continue_,
        append_system_prompt=args.append_system_prompt,
        effort=args.effort,
        record=args.record,
        replay_drift=args.replay_drift,
        # None lets the settings files' defaultMode apply
        permission_mode=args.permission_mode,
        mcp_config=tuple(getattr(args, "mcp_config", ())),
        strict_mcp_config=bool(getattr(args, "strict_mcp_config", False)),
        settings=args.settings,
        disable_hooks=args.no_hooks,
    )


def run_once(args: argparse.Namespace, prompt: str) -> int:
    """A headless run: prompt in, the chosen output format out, an exit code back."""
    options = session_options(args)  # flag errors first, before anything heavy is imported
    from agentrun.agentfile.agentfile import resolve_agent
    from agentrun.runner import api

    # Loaded here rather than by the session so that what the file says that agentrun cannot
    # honour (tools it lacks, repaired YAML) is on stderr before the run, not never.
    agent = resolve_agent(options.agent, Path(options.cwd))
    for warning in agent.warnings:
        print(f"agentrun: warning: {safe(warning)}", file=sys.stderr)
    out = sys.stdout
    on_event = _event_sink(args, out)
    with (
        _sigterm_as_ctrl_c(),
        api.AgentSession(options, on_event=on_event, agent=agent, approver=None) as session,
    ):
        for warning in session.warnings:  # settings the workspace may not set
            print(f"agentrun: warning: {warning}", file=sys.stderr)
        collect_from_now_on()
        result = session.send(prompt)
        unplayed = _unplayed_turns(session.model)
    worktree = session.worktree  # closed now: kept or removed
    if worktree is not None:
        done = worktree.note() if worktree.kept else "the agent's worktree was unchanged; removed"
        print(f"agentrun: {safe(done)}", file=sys.stderr)
    if args.output_format == "json":
        payload = _result_json(result)
        if worktree is not None:
            payload["worktree"] = worktree.to_dict()
        out.write(json_line(payload) + "\n")
    elif args.output_format == "text" and not result.is_error:
        out.write(safe(result.result.rstrip("\n")) + "\n")
    out.flush()
    if result.is_error and not args.verbose:  # --verbose already rendered it on stderr
        print(f"agentrun: {result.subtype}: {safe(_limit_text(result, args))}", file=sys.stderr)
    for denial in result.permission_denials:
        print(f"agentrun: denied {_denial_text(denial)}", file=sys.stderr)
    if unplayed and not result.is_error:
        print(f"agentrun: warning: {safe(unplayed)}", file=sys.stderr)
    return exit_code(result.subtype, result.stop_reason)


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM (``docker stop``, a CI job's timeout) ends a run as Ctrl-C does: the running tools
    are stopped, the result line and the transcript are written, the exit code is 130."""

    from agentrun.core.signals import handling

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    with handling([signal.SIGTERM], interrupt):
        yield


def _unplayed_turns(model: object) -> str | None:
    """For a scripted run that ended before its script did: say so (a test script whose last
    turns never ran usually means the run went another way than its author meant)."""
    from agentrun.models.scripted import ScriptedModel

    if not isinstance(model, ScriptedModel) or model.used >= len(model.turns):
        return None
    left = len(model.turns) - model.used
    return (
        f"{model.source}: the run ended after turn {model.used}; "
        f"{left} scripted turn{'s' if left != 1 else ''} never played"
    )


def exit_code(subtype: str, stop_reason: str | None = None) -> int:
    if subtype == "success":
        return 0
    return 130 if stop_reason == INTERRUPTED_STOP else 1


def _event_sink(args: argparse.Namespace, out: TextIO) -> Callable[[Event], None]:
    """stream-json lines on stdout, flushed one by one; with --verbose, people's rendering of
    the same events on stderr."""
    renderer = None
    if args.verbose:
        from rich.console import Console

        from agentrun.cli.render import Renderer

        console = Console(file=sys.stderr, highlight=False)
        renderer = Renderer(console, cwd=Path(args.cwd or "."), verbose=True)
    stream = args.output_format == "stream-json"

    def on_event(event: Event) -> None:
        if stream and (line := event.stream_json()) is not None:
            out.write(json_line(line) + "\n")
            out.flush()
        if renderer is not None:
            renderer.on_event(event)
        elif _MORE_EVENTS in sys.modules:  # a hook's event exists only once its class does
            _report_hook(event)

    return on_event


_MORE_EVENTS = "agentrun.core.moreevents"


def _report_hook(event: Event) -> None:
    """A hook that failed never stops the run, but the user must hear of it."""
    from agentrun.core.moreevents import HookEvent

    if not isinstance(event, HookEvent):
        return
    name = safe(event.hook_name)
    if event.system_message:
        print(f"agentrun: {name} hook: {safe(event.system_message)}", file=sys.stderr)
    if event.outcome != "success":
        what = safe(_one_line(event.stderr.strip() or f"exit code {event.exit_code}"))
        print(f"agentrun: {name} hook failed: {what}", file=sys.stderr)


def _result_json(result: RunResult) -> dict[str, Any]:
    """The ``json`` output: the same object as stream-json's last line."""
    from agentrun.core.events import ResultEvent

    final = next(e for e in reversed(result.events) if isinstance(e, ResultEvent))
    return final.stream_json() or {}


def _limit_text(result: RunResult, args: argparse.Namespace) -> str:
    """Why the run stopped, naming the limit that stopped it (the last text says nothing
    about that); other failures: the error itself."""
    turns = f"{result.num_turns} turn{'s' if result.num_turns != 1 else ''}"
    cost = "" if result.total_cost_usd is None else f", ${result.total_cost_usd:.4f} spent"
    if result.subtype == "error_max_turns":
        return f"reached --max-turns {args.max_turns} ({turns}{cost})"
    if result.subtype == "error_max_budget_usd":
        return f"reached --max-budget-usd {args.max_budget_usd} ({turns}{cost})"
    if result.subtype == "error_timeout":
        return f"reached --timeout {args.timeout:g} s ({turns}{cost})"
    if result.stop_reason in _MODEL_STOPS:
        # the model's own stop: say which before its (partial) text
        return f"{_MODEL_STOPS[result.stop_reason]}: {_error_detail(result)}"
    return _error_detail(result)


_MODEL_STOPS = {
    "refusal": "the model refused",
    "model_context_window_exceeded": "the conversation outgrew the model's context window",
    "max_tokens": "the model's answers kept hitting the output token limit",
}


def _no_answer(result: RunResult) -> str:
    cost = "unknown" if result.total_cost_usd is None else f"${result.total_cost_usd:.4f}"
    return f"no final answer after {result.num_turns} turn(s), cost {cost}"


def _one_shot_prompt(args: argparse.Namespace, stdin_tty: bool) -> str:
    if args.prompt is not None and args.prompt != "-":
        if not args.prompt.strip():
            raise ConfigError("empty prompt: say what the agent should do")
        piped = None if stdin_tty or sys.stdin is None else _piped_text()
        if piped:
            # `git diff | agentrun -p "review"`: like Claude Code, the piped text follows the
            # prompt (a blank line between them).
            return f"{args.prompt}\n\n{piped}"
        return str(args.prompt)
    if stdin_tty or sys.stdin is None:  # None: the process was started with stdin closed
        raise ConfigError("-p needs a prompt: pass it as an argument or pipe it on stdin")
    try:
        text = _read_stdin()
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read the prompt from stdin: {e}") from e
    if not text.strip():
        raise ConfigError("empty prompt on stdin: pass a prompt as an argument or pipe one in")
    return text


def _piped_text(wait_s: float = STDIN_WAIT_S) -> str | None:
    """What is piped in beside a prompt argument: all of it once the first byte comes within
    ``wait_s``; None (and a warning) when nothing does, as from a CI runner's idle pipe."""
    import select

    try:
        ready = select.select([sys.stdin.fileno()], [], [], wait_s)[0]
    except (AttributeError, OSError, ValueError):
        return None  # no real stdin behind sys.stdin (an embedding host, a test runner)
    if not ready:
        print(
            f"agentrun: warning: no input on stdin after {wait_s:g} s; going on without it "
            "(redirect stdin from /dev/null to skip the wait)",
            file=sys.stderr,
        )
        return None
    try:
        text = _read_stdin()
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read stdin: {e}") from e
    return text if text.strip() else None


def _read_stdin() -> str:
    """All of stdin as text; bytes that are not UTF-8 become U+FFFD (a pipe of a Latin-1 file
    must not end the run, nor reach the API as unencodable surrogates)."""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        return sys.stdin.read()
    return bytes(raw.read()).decode("utf-8", errors="replace")


def _rules(values: list[str], flag: str) -> tuple[str, ...]:
    """The rules of a rule flag. It takes several arguments, like Claude Code's, so a prompt
    written after it is read as rules: a word that cannot be a tool name is said on stderr."""
    from agentrun.permissions import split_rules

    rules = tuple(split_rules(values))
    for rule in rules:
        name = rule.partition("(")[0]
        if not (name[:1].isupper() or name.startswith("mcp__")):
            print(
                f"agentrun: warning: {flag}: {rule!r} is not a tool name; a prompt written "
                f"after {flag} is read as rules (put the prompt first)",
                file=sys.stderr,
            )
    return rules


def _agent_arg(raw: str | None) -> str:
    """``--agent``: a relative path to a file that exists from the shell's directory is taken
    from there, like every other path argument (``script:PATH``, ``--add-dir``); anything else
    is a name, or a path from ``--cwd`` (where the session looks for agents)."""
    from agentrun.agentfile.agentfile import looks_like_path

    if not raw:
        return DEFAULT_AGENT
    path = Path(raw).expanduser()
    if looks_like_path(raw) and not path.is_absolute() and path.is_file():
        return str(path.resolve())
    return raw


def _directory(raw: str, what: str, flag: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{what} {raw!r} is not a directory; pass {flag} an existing directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ConfigError(
            f"{what} {raw!r} is not readable; fix its permissions or pass {flag} another directory"
        )
    return path.resolve()


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False


def _denial_text(denial: dict[str, Any]) -> str:
    name = denial.get("tool_name", "?")
    tool_input = denial.get("tool_input") or {}
    key = tool_input.get("command") or tool_input.get("file_path") or tool_input.get("pattern")
    return f"{name}({_one_line(str(key), 80)})" if key else str(name)


def _error_detail(result: RunResult) -> str:
    """One line for a one-line message; a multi-line one (a replay drift diff, an expectation
    failure) whole, up to 4,000 characters: squashed into one line it could not be read."""
    text = result.result.strip()
    if "\n" not in text:
        return _one_line(text) or _no_answer(result)
    return "\n" + (text if len(text) <= 4000 else text[:3999] + "…")


def _one_line(text: str, width: int = 300) -> str:
    line = " ".join(safe(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"

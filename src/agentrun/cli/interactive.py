"""Interactive mode: a prompt line with history over one :class:`agentrun.runner.api.AgentSession`.

A thin layer over the same loop as ``-p``: each line the user types is one ``session.send``;
events are drawn by :class:`agentrun.cli.render.Renderer`; calls that need approval are asked here
(yes / no / always for this session). Ctrl-C during a turn cancels that turn only (the session
goes on); Ctrl-C at the prompt clears the line, twice in a row leaves, as do Ctrl-D and
``/exit``. SIGTERM and SIGHUP leave too, through the same clean-up (the terminal's echo and
cursor come back, the session's jobs are killed).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Unpack

from rich.console import Console
from rich.text import Text

from agentrun.cli.render import Renderer
from agentrun.cli.slash import COMMANDS, is_command, run_command
from agentrun.cli.terminal import (
    Terminal,
    add_history,
    forget_last_history_line,
    history,
    leave_on_signals,
    save_last_history_line,
)
from agentrun.core.events import (
    INTERRUPTED_STOP,
    AssistantEvent,
    Event,
    InitEvent,
    ToolResultsEvent,
)
from agentrun.core.types import ToolCall, Usage

if TYPE_CHECKING:
    from agentrun.core.protocols import PermissionDecision
    from agentrun.runner.keywords import RunKeywords
    from agentrun.runner.options import RunOptions

__all__ = ["COMMANDS", "InteractiveApp", "run_interactive"]

Answer = Literal["allow", "deny", "always"]
RESUMED_EXCHANGES = 3
"""How many of a resumed conversation's last exchanges are shown before the prompt."""
_PROMPT = "\001\x1b[1;36m\002❯\001\x1b[0m\002 "
_CONTINUE = "\001\x1b[2m\002…\001\x1b[0m\002 "
_ANSWERS: dict[str, Answer] = {
    "y": "allow",
    "yes": "allow",
    "n": "deny",
    "no": "deny",
    "a": "always",
    "always": "always",
}


def run_interactive(args: argparse.Namespace, options: RunOptions) -> int:
    first = args.prompt if args.prompt not in (None, "-") else None
    app = InteractiveApp(options, console=Console(highlight=False))
    with history(), leave_on_signals():
        return app.run(first)


class InteractiveApp:
    """The read-send-render loop. ``read`` is ``input`` (tests may pass another line source)."""

    def __init__(
        self,
        options: RunOptions,
        *,
        console: Console,
        read: Callable[[str], str] = input,
    ) -> None:
        self.options = options
        self.console = console
        self.read = read
        self.cwd = Path(self.options.cwd or ".")
        model = self.options.model
        self.renderer = Renderer(
            console, cwd=self.cwd, model=model if isinstance(model, str) else ""
        )
        self.turns = 0
        # What sessions replaced by /model used: the footer and /cost count the whole
        # conversation. The current session's own totals come from it (see totals()).
        self._earlier_usage = Usage()
        self._earlier_cost: float | None = 0.0
        self._header_shown = False
        self._warmed = False
        self._cancel_turn = False
        self._carried: tuple[str, ...] = ()  # "always" rules of sessions /model replaced
        self.term = Terminal()
        self.session = self._new_session()
        self.renderer.model = _model_id(self.session) or self.renderer.model

    def _new_session(self, **overrides: Unpack[RunKeywords]) -> Any:
        from agentrun.runner.api import AgentSession

        overrides.setdefault("approver", self.approve)
        overrides.setdefault("mcp_consent", self._mcp_consent)
        session = AgentSession(self.options, on_event=self._on_event, **overrides)
        # the prompt comes back while background agents run; each one's notification goes to
        # the model with the next message typed here
        session.wait_background = False
        self.renderer.agent_colors = session.agent_colors  # a Task line in its agent's colour
        return session

    def _mcp_consent(self, server: Any) -> bool:
        """Whether a server of the project's .mcp.json (or of a workspace agent file) may
        start, asked once per definition: at the session's start, or mid-turn when a subagent
        with servers of its own starts."""
        self.renderer.pause()
        self.console.print(
            Text(f"  {server.origin} asks to start MCP server {server.name!r}:", style="yellow"),
            Text(f"    {server.describe()}  (it would run as you), defined as:"),
            *(Text(f"      {line}") for line in server.definition_lines()),
            sep="\n",
        )
        self.term.restore()
        self.term.discard_typeahead()  # a key typed earlier must never answer this question
        try:
            raw = self.read("  Start it? (remembered for this definition) [y]es / [n]o: ")
        except (KeyboardInterrupt, EOFError):
            return False
        return raw.strip().lower() in ("y", "yes")

    # -- main loop -----------------------------------------------------------------------------
    def run(self, first_prompt: str | None = None) -> int:
        agent = self.options.agent
        self.console.print(
            Text.assemble(("agentrun", "bold"), f" · agent {agent} · {self.cwd}"),
            Text("/help for commands · Ctrl-C cancels a turn · Ctrl-D exits", style="dim"),
            sep="\n",
        )
        for warning in (*self.session.agent.warnings, *self.session.warnings):
            self.console.print(Text(f"warning: {warning}", style="yellow"))
        self._show_resumed()
        pending = first_prompt
        interrupted = False  # the last key at the prompt was Ctrl-C
        try:
            while True:
                if pending is None:
                    try:
                        line = self._read_prompt().strip()
                    except KeyboardInterrupt:
                        if interrupted:
                            self.console.print()
                            return 0
                        interrupted = True
                        hint = "(Ctrl-C again, Ctrl-D or /exit to leave)"
                        self.console.print(Text(f"\n{hint}", style="dim"))
                        continue
                    except EOFError:
                        self.console.print()
                        return 0
                    if line:
                        save_last_history_line()
                else:
                    line, pending = pending.strip(), None
                    self.console.print(Text.assemble(("❯ ", "bold cyan"), line))
                    add_history(line)
                interrupted = False
                if not line:
                    continue
                if is_command(line):
                    if not self.command(line):
                        return 0
                    continue
                self.send(line)
        finally:
            self.term.restore()
            with contextlib.suppress(OSError):  # a hung-up terminal must not skip the rest
                self.renderer.close()
            with contextlib.suppress(Exception):
                self.session.close("prompt_input_exit")

    def _read_prompt(self) -> str:
        """One prompt; a line ending in a backslash continues on the next (multi-line input)."""
        if not self._warmed:  # started as the prompt shows, so it never delays the prompt
            self._warmed = True
            _warm_up(self.session.model)
        line = self.read(_PROMPT)
        while line.endswith("\\"):
            line = line[:-1] + "\n" + self.read(_CONTINUE)
        return line

    def send(self, prompt: str) -> None:
        from agentrun.core.errors import AgentrunError

        self.term.quiet()
        self._cancel_turn = False
        try:
            result = self.session.send(prompt)
        except KeyboardInterrupt:
            # The loop turns a Ctrl-C mid-turn into an "interrupted" result; this catches
            # one landing in between (rendering, approvals). The session stays usable, and
            # what the turn cost is counted all the same (the totals live in the session).
            self.renderer.close()
            self.console.print(Text("⏹ Interrupted: the turn was cancelled.", style="yellow"))
            self.renderer.footer(turns=self.turns, usage=self.usage, cost=self.cost)
            return
        except AgentrunError as e:  # the turn failed; the session and the prompt go on
            self.renderer.close()
            self.console.print(Text(f"✗ {e}", style="red"))
            return
        finally:
            self.term.restore()
        self.renderer.close()
        if result.stop_reason == INTERRUPTED_STOP:
            self.console.print(Text("⏹ Interrupted: the turn was cancelled.", style="yellow"))
        self.renderer.footer(turns=self.turns, usage=self.usage, cost=self.cost)

    @property
    def usage(self) -> Usage:
        """Tokens of the whole conversation (earlier sessions of a /model switch included)."""
        now: Usage = self.session.usage
        return self._earlier_usage + now

    @property
    def cost(self) -> float | None:
        now: float | None = self.session.cost
        if self._earlier_cost is None or now is None:
            return None
        return self._earlier_cost + now

    def _show_resumed(self) -> None:
        """After --resume / --continue: which conversation goes on, its last exchanges, and
        its totals so far (the footer counts the whole session, as ``agentrun sessions`` does)."""
        from agentrun.cli.transcript_view import render_messages
        from agentrun.session.listing import summarize
        from agentrun.session.store import FileSessionStore
        from agentrun.session.transcript import read_transcript

        messages = self.session.messages
        if not messages:
            return
        path = FileSessionStore(self.options.sessions_root).path(self.session.session_id)
        try:
            info = summarize(path, read_transcript(path).entries)
        except OSError:
            info = None
        if info is not None:
            self.turns = info.turns
            self._earlier_usage, self._earlier_cost = info.usage, info.cost_usd
        self.console.print(
            Text(f"resumed session {self.session.session_id} · {_turns(self.turns)}", style="dim")
        )
        render_messages(self.console, messages, cwd=self.cwd, last=RESUMED_EXCHANGES)
        self.renderer.footer(turns=self.turns, usage=self.usage, cost=self.cost)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, AssistantEvent):
            self.turns += 1
        if isinstance(event, ToolResultsEvent) and self._cancel_turn:
            # Ctrl-C at an approval: the denials are recorded (the transcript stays valid),
            # then the turn ends here instead of going back to the model.
            self._cancel_turn = False
            raise KeyboardInterrupt
        if isinstance(event, InitEvent) and not self._header_shown:
            self._header_shown = True
            self.renderer.model = event.model
            self.renderer.header(event)
        self.renderer.on_event(event)

    # -- approvals -----------------------------------------------------------------------------
    def approve(self, call: ToolCall, decision: PermissionDecision) -> Answer:
        """Show what the call would do and ask. Ctrl-D answers no; Ctrl-C answers no and
        cancels the turn (any other call of the batch is refused without asking). "Always" is
        offered only when the gate says what it would grant (``decision.grant``)."""
        if self._cancel_turn:
            return "deny"
        self.session.hooks.fire(  # a notifier hook tells the user they are needed
            "Notification",
            {
                "message": f"agentrun needs your permission to use {call.name}",
                "notification_type": "permission_prompt",
            },
        )
        self.renderer.approval_preview(call)
        self.console.print(Text(f"  {decision.reason}", style="dim"))
        scope = decision.grant
        if scope is None:
            question = "  Allow? [y]es / [n]o: "
        else:
            question = f"  Allow? [y]es / [n]o / [a]lways ({scope}, this session): "
        self.term.restore()
        self.term.discard_typeahead()  # a key typed earlier must never answer this question
        try:
            while True:
                try:
                    raw = self.read(question)
                except KeyboardInterrupt:
                    self.console.print()
                    self._cancel_turn = True
                    return "deny"
                except EOFError:
                    self.console.print()
                    raw = "n"
                else:
                    if raw:  # readline kept it: an answer is not worth recalling
                        forget_last_history_line()
                answer = raw.strip().lower()
                if answer in _ANSWERS and (scope is not None or _ANSWERS[answer] != "always"):
                    return _ANSWERS[answer]
        finally:
            self.term.quiet()

    def command(self, line: str) -> bool:
        """Run a slash command (see :mod:`agentrun.cli.slash`); False means leave."""
        return run_command(self, line)

    def _replace_session(self, **overrides: Unpack[RunKeywords]) -> bool:
        """Swap in a new session; on a configuration error (a mistyped /model) say so and keep
        the current one."""
        from agentrun.core.errors import ConfigError

        options: RunKeywords = {"resume": None, "continue_session": False, **overrides}
        old = self.session
        resume = options.get("resume")
        if resume:  # the same conversation keeps its "always" answers too
            carried = tuple(dict.fromkeys([*self._carried, *old.remembered_rules]))
            options["allowed_tools"] = (*self.options.allowed_tools, *carried)
        else:
            carried = ()
        try:
            if resume:
                # A transcript is held by one session at a time: check the new model first,
                # then let the old session go before the new one takes the conversation on.
                model = options.get("model")
                _check_model(model if isinstance(model, str) else None)
                old.close()
                try:
                    new = self._new_session(**options)
                except ConfigError:
                    self.session = self._new_session(resume=resume)
                    raise
            else:
                new = self._new_session(**options)
        except ConfigError as e:
            self.console.print(Text(f"  {e}", style="red"))
            return False
        self.session = new
        self._carried = carried
        with contextlib.suppress(Exception):
            old.close("clear" if overrides.get("session_source") == "clear" else "other")
        self._header_shown = False
        if overrides.get("resume"):  # the conversation goes on: so does its count
            self._earlier_usage = self._earlier_usage + old.usage
            if self._earlier_cost is not None:
                self._earlier_cost = None if old.cost is None else self._earlier_cost + old.cost
        else:
            self.turns, self._earlier_usage, self._earlier_cost = 0, Usage(), 0.0
        self.renderer.model = _model_id(new) or self.renderer.model
        return True


def _check_model(spec: str | None) -> None:
    """Raise ConfigError for a model spec that cannot be used (a mistyped /model)."""
    from agentrun.models import resolve_model

    model = resolve_model(spec, agent_model=None)
    closer = getattr(model, "close", None)
    if callable(closer):
        closer()


def _turns(n: int) -> str:
    return f"{n} turn{'' if n == 1 else 's'}"


def _model_id(session: Any) -> str:
    return str(getattr(getattr(session, "model", None), "model_id", "") or "")


def _warm_up(model: Any) -> None:
    """Import in a background thread, while the user types, what the first turn needs: the
    Markdown renderer, and the SDK (over a second) for a real model. The prompt shows at once;
    the first send waits on the import lock only if the user was quicker than the import."""
    import threading

    def load() -> None:
        import rich.markdown  # noqa: F401

        from agentrun.models.anthropic import AnthropicModel, preload_sdk

        if isinstance(model, AnthropicModel):
            preload_sdk()

    threading.Thread(target=load, name="agentrun-warm-up", daemon=True).start()

"""Interactive mode: a prompt line with history over one :class:`agentrun.api.AgentSession`.

A thin layer over the same loop as ``-p``: each line the user types is one ``session.send``;
events are drawn by :class:`agentrun.render.Renderer`; calls that need approval are asked here
(yes / no / always for this session). Ctrl-C during a turn cancels that turn only (the session
goes on); Ctrl-C at the prompt clears the line; Ctrl-D or ``/exit`` leaves.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.text import Text

from agentrun.events import INTERRUPTED_STOP, Event, InitEvent, ToolResultsEvent
from agentrun.render import Renderer, format_cost
from agentrun.terminal import Terminal, forget_last_history_line, history
from agentrun.types import ToolCall, Usage

__all__ = ["InteractiveApp", "run_interactive"]

Answer = Literal["allow", "deny", "always"]
COMMANDS = {
    "/help": "show this help",
    "/cost": "tokens and dollars spent in this session",
    "/clear": "start a new conversation (same agent and options)",
    "/agents": "list the agents available here",
    "/model": "show the model; /model SPEC switches (the conversation carries over)",
    "/exit": "leave (Ctrl-D works too)",
}
# shown under the commands by /help
_KEYS = "end a line with \\ to continue it · Ctrl-C cancels a turn · Ctrl-D exits"
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


def run_interactive(args: argparse.Namespace, options: dict[str, Any]) -> int:
    first = args.prompt if args.prompt not in (None, "-") else None
    app = InteractiveApp(options, console=Console(highlight=False))
    with history():
        return app.run(first)


class InteractiveApp:
    """The read-send-render loop. ``read`` is ``input`` (tests may pass another line source)."""

    def __init__(
        self,
        options: dict[str, Any],
        *,
        console: Console,
        read: Callable[[str], str] = input,
    ) -> None:
        self.options = dict(options)
        self.console = console
        self.read = read
        self.cwd = Path(self.options.get("cwd") or ".")
        self.renderer = Renderer(console, cwd=self.cwd, model=self.options.get("model") or "")
        self.turns = 0
        self.usage = Usage()
        self.cost: float | None = 0.0
        self._header_shown = False
        self._cancel_turn = False
        self.term = Terminal()
        self.session = self._new_session()
        self.renderer.model = _model_id(self.session) or self.renderer.model

    def _new_session(self, **overrides: Any) -> Any:
        from agentrun.api import AgentSession

        opts = {**self.options, **overrides}
        return AgentSession(**opts, on_event=self._on_event, approver=self.approve)

    # -- main loop -----------------------------------------------------------------------------
    def run(self, first_prompt: str | None = None) -> int:
        agent = self.options.get("agent", "")
        self.console.print(
            Text.assemble(("agentrun", "bold"), f" · agent {agent} · {self.cwd}"),
            Text("/help for commands · Ctrl-C cancels a turn · Ctrl-D exits", style="dim"),
            sep="\n",
        )
        for warning in self.session.agent.warnings:
            self.console.print(Text(f"warning: {warning}", style="yellow"))
        pending = first_prompt
        try:
            while True:
                if pending is None:
                    try:
                        line = self._read_prompt().strip()
                    except KeyboardInterrupt:
                        self.console.print(Text("(Ctrl-D or /exit to leave)", style="dim"))
                        continue
                    except EOFError:
                        self.console.print()
                        return 0
                else:
                    line, pending = pending.strip(), None
                if not line:
                    continue
                if line.startswith("/"):
                    if not self.command(line):
                        return 0
                    continue
                self.send(line)
        finally:
            self.term.restore()
            self.renderer.close()
            with contextlib.suppress(Exception):
                self.session.close()

    def _read_prompt(self) -> str:
        """One prompt; a line ending in a backslash continues on the next (multi-line input)."""
        line = self.read(_PROMPT)
        while line.endswith("\\"):
            line = line[:-1] + "\n" + self.read(_CONTINUE)
        return line

    def send(self, prompt: str) -> None:
        from agentrun.errors import AgentrunError

        self.term.quiet()
        self._cancel_turn = False
        try:
            result = self.session.send(prompt)
        except KeyboardInterrupt:
            # The loop turns a Ctrl-C mid-turn into an "interrupted" result; this catches
            # one landing in between (rendering, approvals). The session stays usable.
            self.renderer.close()
            self.console.print(Text("⏹ Interrupted: the turn was cancelled.", style="yellow"))
            return
        except AgentrunError as e:  # the turn failed; the session and the prompt go on
            self.renderer.close()
            self.console.print(Text(f"✗ {e}", style="red"))
            return
        finally:
            self.term.restore()
        self.renderer.close()
        self.turns += result.num_turns
        self.usage = self.usage + result.usage
        if self.cost is not None:
            self.cost = None if result.total_cost_usd is None else self.cost + result.total_cost_usd
        if result.stop_reason == INTERRUPTED_STOP:
            self.console.print(Text("⏹ Interrupted: the turn was cancelled.", style="yellow"))
        self.renderer.footer(turns=self.turns, usage=self.usage, cost=self.cost)

    def _on_event(self, event: Event) -> None:
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
    def approve(self, call: ToolCall, reason: str) -> Answer:
        """Show what the call would do and ask. Ctrl-D answers no; Ctrl-C answers no and
        cancels the turn (any other call of the batch is refused without asking)."""
        if self._cancel_turn:
            return "deny"
        self.renderer.approval_preview(call)
        self.console.print(Text(f"  {reason}", style="dim"))
        # "always" remembers the exact command for Bash, the whole tool otherwise (the loop's rule)
        scope = "this command" if call.name == "Bash" else call.name
        question = f"  Allow? [y]es / [n]o / [a]lways ({scope}, this session): "
        self.term.restore()
        self.term.discard_typeahead()  # a key typed earlier must never answer this question
        try:
            while True:
                try:
                    answer = self.read(question).strip().lower()
                except KeyboardInterrupt:
                    self.console.print()
                    self._cancel_turn = True
                    return "deny"
                except EOFError:
                    self.console.print()
                    answer = "n"
                forget_last_history_line()
                if answer in _ANSWERS:
                    return _ANSWERS[answer]
        finally:
            self.term.quiet()

    # -- slash commands ------------------------------------------------------------------------
    def command(self, line: str) -> bool:
        """Run a slash command; False means leave."""
        name, _, arg = line.partition(" ")
        arg = arg.strip()
        if name in ("/exit", "/quit"):
            return False
        if name == "/help":
            for cmd, text in COMMANDS.items():
                self.console.print(Text.assemble((f"  {cmd:<8}", "bold"), f" {text}"))
            self.console.print(Text(f"  {_KEYS}", style="dim"))
        elif name == "/cost":
            self.console.print(
                f"  {self.turns} turn{'' if self.turns == 1 else 's'} · "
                f"{self.usage.total_input_tokens:,} input tokens "
                f"({self.usage.cache_read_input_tokens:,} from cache) · "
                f"{self.usage.output_tokens:,} output tokens · {format_cost(self.cost)}"
            )
        elif name == "/clear":
            self._replace_session()
            self.console.print(Text("  (new conversation)", style="dim"))
        elif name == "/agents":
            self._list_agents()
        elif name == "/model":
            resume = self.session.session_id if self.turns else None
            if arg and self._replace_session(model=arg, resume=resume):
                self.options["model"] = arg
            self.console.print(f"  model: {self.renderer.model or 'default'}")
        else:
            self.console.print(Text(f"  unknown command {name}; /help lists them", style="red"))
        return True

    def _replace_session(self, **overrides: Any) -> bool:
        """Swap in a new session; on a configuration error (a mistyped /model) say so and keep
        the current one."""
        from agentrun.errors import ConfigError

        try:
            new = self._new_session(**{"resume": None, "continue_session": False, **overrides})
        except ConfigError as e:
            self.console.print(Text(f"  {e}", style="red"))
            return False
        old, self.session = self.session, new
        with contextlib.suppress(Exception):
            old.close()
        self._header_shown = False
        if not overrides.get("resume"):
            self.turns, self.usage, self.cost = 0, Usage(), 0.0
        self.renderer.model = _model_id(new) or self.renderer.model
        return True

    def _list_agents(self) -> None:
        from agentrun.agentfile import find_agents

        current = self.options.get("agent")
        for name, spec in sorted(find_agents(self.cwd).items()):
            mark = "*" if name == current else " "
            desc = " ".join(spec.description.split())
            desc = desc if len(desc) <= 70 else desc[:69] + "…"
            self.console.print(Text.assemble(f" {mark} ", (name, "bold"), f"  {desc}"))


def _model_id(session: Any) -> str:
    return str(getattr(getattr(session, "model", None), "model_id", "") or "")

"""The interactive mode's slash commands (``/help``, ``/cost``, ``/model`` ...): what each does
to the :class:`~agentrun.cli.interactive.InteractiveApp` it is typed in."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from rich.text import Text

from agentrun.cli.toollines import format_cost

if TYPE_CHECKING:
    from agentrun.cli.interactive import InteractiveApp

COMMANDS = {
    "/help": "show this help",
    "/cost": "tokens and dollars spent in this session",
    "/clear": "start a new conversation (same agent and options)",
    "/compact": "summarise the conversation to free context; /compact TEXT says what to keep",
    "/context": "the context by part (prompt, tools, memory, messages, tool results)",
    "/agents": "list the agents available here",
    "/hooks": "list the hooks configured, and from which file",
    "/model": "show the model; /model SPEC switches (the conversation carries over)",
    "/mcp": "the MCP servers of this session, their status and tools",
    "/exit": "leave (Ctrl-D works too)",
}
# shown under the commands by /help
KEYS = "end a line with \\ to continue it · Ctrl-C cancels a turn · Ctrl-D exits"
# "/help", "/model opus", "/hepl" (a typo, told so): commands. "/etc/hosts explain this" or
# "/tmp is full, why?": prompts that start with a path.
COMMAND = re.compile(r"/[A-Za-z][\w-]*")


def is_command(line: str) -> bool:
    word, _, rest = line.partition(" ")
    return word in COMMANDS or word == "/quit" or (not rest and COMMAND.fullmatch(word) is not None)


def run_command(app: InteractiveApp, line: str) -> bool:
    """Run a slash command; False means leave."""
    name, _, arg = line.partition(" ")
    arg = arg.strip()
    if name in ("/exit", "/quit"):
        return False
    if name == "/help":
        for cmd, text in COMMANDS.items():
            app.console.print(Text.assemble((f"  {cmd:<8}", "bold"), f" {text}"))
        app.console.print(Text(f"  {KEYS}", style="dim"))
    elif name == "/cost":
        app.console.print(
            f"  {app.turns} turn{'' if app.turns == 1 else 's'} · "
            f"{app.usage.total_input_tokens:,} input tokens "
            f"({app.usage.cache_read_input_tokens:,} from cache) · "
            f"{app.usage.output_tokens:,} output tokens · {format_cost(app.cost)}"
        )
    elif name == "/clear":
        app._replace_session(session_source="clear")
        app.console.print(Text("  (new conversation)", style="dim"))
    elif name == "/compact":
        compact(app, arg or None)
    elif name == "/context":
        for text in app.session.context.parts().lines():
            app.console.print(f"  {text}")
    elif name == "/agents":
        list_agents(app)
    elif name == "/hooks":
        from agentrun.hooks.config import describe

        for text in describe(app.session.hooks.config):
            app.console.print(Text(f"  {text}"))
    elif name == "/model":
        # the conversation so far goes on, including one opened with --resume/--continue
        resume = app.session.session_id if app.session.messages else None
        if arg and app._replace_session(model=arg, resume=resume):
            app.options = dataclasses.replace(app.options, model=arg)
        app.console.print(f"  model: {app.renderer.model or 'default'}")
    elif name == "/mcp":
        from agentrun.cli.commands.mcp import session_lines

        for text in session_lines(app.session):
            app.console.print(Text(f"  {text}"))
    else:
        app.console.print(Text(f"  unknown command {name}; /help lists them", style="red"))
    return True


def compact(app: InteractiveApp, instructions: str | None) -> None:
    from agentrun.core.errors import AgentrunError

    if not app.session.messages:
        app.console.print(Text("  nothing to compact yet", style="dim"))
        return
    app.console.print(Text("  compacting the conversation…", style="dim"))
    try:
        event = app.session.compact(instructions)
    except AgentrunError as e:
        app.console.print(Text(f"  compaction failed: {e}", style="red"))
        return
    app.console.print(
        Text(
            f"  compacted: {event.pre_tokens:,} → {event.post_tokens:,} tokens",
            style="dim",
        )
    )


def list_agents(app: InteractiveApp) -> None:
    from agentrun.agentfile.agentfile import find_agents

    current = app.options.agent
    for name, spec in sorted(find_agents(app.cwd).items()):
        mark = "*" if name == current else " "
        desc = " ".join(spec.description.split())
        desc = desc if len(desc) <= 70 else desc[:69] + "…"
        app.console.print(Text.assemble(f" {mark} ", (name, "bold"), f"  {desc}"))

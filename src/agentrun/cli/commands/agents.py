"""``agentrun agents list|show``: the agents visible from a directory, and one resolved spec.

``list`` prints a table (name, source, tools, model) or, with ``--json``, a JSON list of
AgentSpec dicts; files that fail to load are named on stderr and skipped. ``show NAME|PATH``
prints the resolved spec with its warnings, or with ``--json`` the AgentSpec fields. A load
error propagates as a ConfigError, which the CLI turns into one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.agentfile.agentfile import AgentSpec, discover_agents, resolve_agent

if TYPE_CHECKING:
    from rich.console import Console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``list`` (the default) and ``show NAME|PATH``, each with ``--json`` and ``--cwd``."""
    actions = parser.add_subparsers(dest="action", metavar="{list,show}")
    list_ = actions.add_parser("list", help="the agents visible from --cwd, nearest winning")
    show = actions.add_parser("show", help="one agent's resolved spec and warnings")
    show.add_argument("agent", metavar="NAME|PATH", help="an agent name or an agent file")
    parser.set_defaults(json=False, cwd=None)
    for sub in (parser, list_, show):
        # SUPPRESS: a subparser's own default would overwrite `agents --cwd X list`'s value.
        sub.add_argument(
            "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON"
        )
        sub.add_argument(
            "--cwd",
            metavar="DIR",
            default=argparse.SUPPRESS,
            help="look for agents from DIR (default: the current directory)",
        )


def run(args: argparse.Namespace) -> int:
    """List or show agents; returns the exit code (load errors raise ConfigError -> exit 2)."""
    cwd = args.cwd or Path.cwd()
    if args.action == "show":
        spec = resolve_agent(args.agent, cwd)
        if args.json:
            print(json.dumps(spec.to_dict(), indent=2, ensure_ascii=False))
        else:
            _print_spec(_console(), spec)
        return 0
    agents, errors = discover_agents(cwd)
    for error in errors:
        print(f"agentrun: skipped {error}", file=sys.stderr)
    specs = sorted(agents.values(), key=lambda s: s.name)
    if args.json:
        print(json.dumps([s.to_dict() for s in specs], indent=2, ensure_ascii=False))
    else:
        _print_table(_console(), specs)
    return 0


def _console() -> Console:
    # rich is imported here, not at module level, so `agentrun --help` stays fast.
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _tools_text(tools: tuple[str, ...] | None) -> str:
    if tools is None:
        return "all"
    return ", ".join(tools) if tools else "none"


def _print_table(console: Console, specs: list[AgentSpec]) -> None:
    from rich.table import Table
    from rich.text import Text

    from agentrun.cli.colors import terminal_color

    table = Table("name", "source", "tools", "model", title=f"{len(specs)} agents")
    for spec in specs:
        name = Text(spec.name, style=terminal_color(spec.fields.color))
        table.add_row(name, spec.source, _tools_text(spec.tools), spec.model or "default")
    console.print(table)


def _print_spec(console: Console, spec: AgentSpec) -> None:
    from rich.markup import escape

    rows = [
        ("name", spec.name),
        ("source", spec.source),
        ("path", str(spec.path) if spec.path else "-"),
        ("model", spec.model or "default"),
        ("tools", _tools_text(spec.tools)),
        ("disallowed", ", ".join(spec.disallowed_tools) or "-"),
        ("rules", ", ".join(spec.permission_rules) or "-"),
    ]
    rows.extend(_field_rows(spec))
    shown = set(_FIELD_KEYS.values())
    rows.extend(
        (key, json.dumps(value, default=str))
        for key, value in spec.to_dict()["extra"].items()
        if key not in shown
    )
    for key, value in rows:
        console.print(f"[bold]{key:>10}[/bold]  {escape(value)}")
    console.print(f"[bold]description[/bold]\n{escape(spec.description)}")
    for warning in spec.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    console.print("[bold]prompt[/bold]")
    console.print(escape(spec.prompt) or "[dim](empty)[/dim]")


_FIELD_KEYS = {
    "permission_mode": "permissionMode",
    "max_turns": "maxTurns",
    "skills": "skills",
    "memory": "memory",
    "effort": "effort",
    "isolation": "isolation",
    "background": "background",
    "color": "color",
    "mcp_servers": "mcpServers",
    "hooks": "hooks",
}
"""Claude Code's optional fields (typed in ``AgentSpec.fields``) by the key the file uses."""


def _field_rows(spec: AgentSpec) -> list[tuple[str, str]]:
    """One row per optional field the file sets, as the agent will use it."""
    rows: list[tuple[str, str]] = []
    values = spec.to_dict()["fields"]
    for attr, key in _FIELD_KEYS.items():
        value = values[attr]
        if value in (None, False, []):
            continue
        if isinstance(value, list):
            text = ", ".join(map(str, value))
        elif isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
        else:
            text = json.dumps(value, default=str)
        rows.append((key, text))
    return rows

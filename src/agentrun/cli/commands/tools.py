"""``agentrun tools``: the tools the model is offered, as a table or as the exact JSON sent.

The table shows each tool's name, whether it is read-only (runs concurrently), the first line of
its description and its parameters (``*`` marks required ones). ``--json`` prints the ``tools``
list of a model request byte for byte as the snapshot test pins it, so a user can diff what
their agent sees across versions.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from agentrun.core.vocab import TOOL_ALIASES
from agentrun.tools.registry import ALL_TOOL_NAMES, build_tools, specs_json, tool_specs

if TYPE_CHECKING:
    from agentrun.core.types import ToolSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"only these tools (default: all of {', '.join(ALL_TOOL_NAMES)})",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the exact tool specs sent to the model"
    )


def run(args: argparse.Namespace) -> int:
    """Print the table or the JSON; exit 2 when a named tool does not exist."""
    from agentrun.subagent.spec import TASK_NAMES

    names = [TOOL_ALIASES.get(n, n) for n in args.names]  # KillBash: the tool it became
    unknown = [n for n in names if n not in (*ALL_TOOL_NAMES, *TASK_NAMES)]
    if unknown:
        print(
            f"agentrun tools: unknown tool {', '.join(unknown)}; "
            f"the tools are {', '.join((*ALL_TOOL_NAMES, *TASK_NAMES))}",
            file=sys.stderr,
        )
        return 2
    tools = build_tools([n for n in names if n in ALL_TOOL_NAMES] if names else None)
    specs = tool_specs(tools)
    delegation = [n for n in names if n in TASK_NAMES] or ([] if names else ["Task"])
    if delegation:
        specs += _task_specs(delegation)
    if args.json:
        sys.stdout.write(specs_json(specs))
        return 0
    read_only = {t.name for t in tools if t.read_only} | set(TASK_NAMES)
    _print_table(specs, read_only)
    return 0


def _task_specs(names: list[str]) -> list[ToolSpec]:
    """The delegation tool as an agent here would be offered it: listing the agents visible
    from the current directory (the built-in ones, ``~/.claude/agents``, the project's)."""
    from pathlib import Path

    from agentrun.agentfile.agentfile import discover_agents
    from agentrun.subagent.spec import task_spec

    agents, _ = discover_agents(Path.cwd())
    return [task_spec(name, agents.values()) for name in names]


def parameters_text(spec: ToolSpec) -> str:
    """``pattern*, path`` — every parameter in schema order, required ones starred."""
    required = set(spec.input_schema.get("required") or ())
    props = spec.input_schema.get("properties") or {}
    return ", ".join(f"{name}*" if name in required else name for name in props)


def _print_table(specs: list[ToolSpec], read_only: set[str]) -> None:
    # rich is imported here, not at module level, so `agentrun --help` stays fast.
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "mode", "description", "parameters (* required)")
    for spec in specs:
        first = spec.description.strip().splitlines()[0] if spec.description.strip() else ""
        mode = "read-only" if spec.name in read_only else "in order"
        table.add_row(spec.name, mode, first, parameters_text(spec))
    Console(highlight=False).print(table)

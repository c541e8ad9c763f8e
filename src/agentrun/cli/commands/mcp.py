"""``agentrun mcp list|get|add|remove``: the configured MCP servers, their status and tools;
adding and removing servers in the user's settings or the project's ``.mcp.json``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ConfigError

if TYPE_CHECKING:
    from agentrun.mcp.client import Server
    from agentrun.mcp.config import ServerConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cwd", metavar="DIR", default=".", help="the workspace (default: .)")
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="each server, where it is configured, status, tools")
    listing.add_argument("--json", action="store_true", help="one JSON object per server")
    get = sub.add_parser("get", help="one server's definition, status and tools")
    get.add_argument("name")
    get.add_argument("--json", action="store_true")
    add = sub.add_parser("add", help="add a server to the user's or the project's configuration")
    add.add_argument("name")
    add.add_argument("target", metavar="COMMAND|URL")
    add.add_argument("args", nargs=argparse.REMAINDER, help="the command's arguments")
    add.add_argument("--scope", choices=("user", "project"), default="user")
    add.add_argument("--transport", choices=("stdio", "http", "sse"), default="stdio")
    add.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE")
    add.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'")
    add.add_argument("--sandbox", action="store_true", help="run this stdio server in the jail")
    remove = sub.add_parser("remove", help="remove a server")
    remove.add_argument("name")
    remove.add_argument("--scope", choices=("user", "project"), default=None)


def run(args: argparse.Namespace) -> int:
    cwd = Path(args.cwd).expanduser().resolve()
    if args.action in ("list", "get"):
        return _show(args, cwd)
    if args.action == "add":
        return _add(args, cwd)
    return _remove(args, cwd)


def _configured(cwd: Path) -> list[tuple[ServerConfig, bool]]:
    """Every server of the user's settings and the project's ``.mcp.json``, and whether it
    may start (project servers need consent)."""
    from agentrun.mcp.config import (
        PROJECT_FILE,
        Consent,
        parse_servers,
        read_json,
        user_settings_path,
    )

    user = read_json(user_settings_path())
    consent = Consent(cwd, user, ask=None)
    chosen: dict[str, tuple[ServerConfig, bool]] = {}
    for server in parse_servers(user, source="user", origin=str(user_settings_path())):
        chosen[server.name] = (server, True)
    project = cwd / PROJECT_FILE
    for server in parse_servers(read_json(project), source="project", origin=str(project)):
        chosen[server.name] = (server, consent.allows(server))
    return list(chosen.values())


def _show(args: argparse.Namespace, cwd: Path) -> int:
    from agentrun.cli.termsafe import json_line, safe

    servers = _configured(cwd)
    if args.action == "get":
        servers = [s for s in servers if s[0].name == args.name]
        if not servers:
            raise ConfigError(f"no MCP server named {args.name!r} is configured here")
    if not servers:
        print("No MCP servers configured (`agentrun mcp add NAME COMMAND` adds one).")
        return 0
    started = _start([s for s, ok in servers if ok])
    for config, _ok in servers:
        state = started.get(config.name)
        status = state.status if state is not None else "needs approval"
        entry: dict[str, Any] = {
            "name": config.name,
            "scope": config.source,
            "origin": config.origin,
            "type": config.kind,
            "target": config.describe(),
            "sandbox": config.sandbox,
            "status": status,
            "tools": [t.name for t in state.tools] if state is not None else [],
        }
        if state is not None and state.error:
            entry["error"] = state.error
        if args.json:
            print(json_line(entry))
            continue
        tools = len(entry["tools"])
        line = f"{config.name}: {config.describe()} [{config.source}] - {status}, {tools} tools"
        print(safe(line + (f" ({entry['error']})" if "error" in entry else "")))
        if args.action == "get":
            print(safe(f"  configured in {config.origin}"))
            for name in entry["tools"]:
                print(safe(f"  - {name}"))
    return 0


def _start(configs: list[ServerConfig]) -> dict[str, Server]:
    if not configs:
        return {}
    from agentrun.mcp.client import McpClient

    client = McpClient(configs)
    try:
        return {s.name: s for s in client.start()}
    finally:
        client.close()


def _scope_file(scope: str, cwd: Path) -> Path:
    from agentrun.mcp.config import PROJECT_FILE, user_settings_path

    return cwd / PROJECT_FILE if scope == "project" else user_settings_path()


def _add(args: argparse.Namespace, cwd: Path) -> int:
    from agentrun.mcp.config import parse_server, read_json, write_json

    raw: dict[str, Any]
    if args.transport == "stdio":
        raw = {"command": args.target, "args": list(args.args)}
        if args.env:
            raw["env"] = dict(_pair(e, "=", "--env") for e in args.env)
        if args.sandbox:
            raw["sandbox"] = True
    else:
        raw = {"type": args.transport, "url": args.target}
        if args.header:
            raw["headers"] = dict(_pair(h, ":", "--header") for h in args.header)
    path = _scope_file(args.scope, cwd)
    parse_server(args.name, raw, source=args.scope, origin=str(path), env={})  # checks it
    data = read_json(path)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"{path}: mcpServers must be an object")
    replaced = args.name in servers
    servers[args.name] = raw
    write_json(path, data)
    print(f"{'Replaced' if replaced else 'Added'} MCP server {args.name!r} in {path}")
    return 0


def _remove(args: argparse.Namespace, cwd: Path) -> int:
    from agentrun.mcp.config import read_json, write_json

    scopes = [args.scope] if args.scope else ["project", "user"]
    for scope in scopes:
        path = _scope_file(scope, cwd)
        data = read_json(path)
        servers = data.get("mcpServers")
        if isinstance(servers, dict) and args.name in servers:
            del servers[args.name]
            write_json(path, data)
            print(f"Removed MCP server {args.name!r} from {path}")
            return 0
    raise ConfigError(f"no MCP server named {args.name!r} in the {' or '.join(scopes)} config")


def _pair(text: str, sep: str, flag: str) -> tuple[str, str]:
    key, found, value = text.partition(sep)
    if not found or not key.strip():
        raise ConfigError(f"{flag} {text!r}: expected KEY{sep}VALUE")
    return key.strip(), value.strip()


def session_lines(session: Any) -> list[str]:
    """``/mcp`` in the REPL: each server of the running session, its status and tools."""
    from agentrun.cli.termsafe import safe

    servers = session.mcp_servers
    if not servers:
        return ["No MCP servers in this session (`agentrun mcp add` configures one)."]
    tools = [t for t in session.tool_names if t.startswith("mcp__")]
    lines = []
    for name, status in servers:
        mine = [t for t in tools if t.startswith(f"mcp__{name}__")]
        lines.append(safe(f"{name}: {status}, {len(mine)} tools"))
        lines += [safe(f"  - {t}") for t in mine]
    return lines

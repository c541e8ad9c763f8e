"""Which MCP servers a session starts, as Claude Code configures them.

Sources, later winning on a name collision:

1. the user's settings, ``$AGENTRUN_HOME/settings.json`` → ``mcpServers``;
2. the project's ``.mcp.json`` (``{"mcpServers": {...}}``) in the workspace — only the servers
   the user consented to (see :class:`Consent`): a repository you did not write can name any
   command, and stdio servers run as you;
3. ``--mcp-config FILE|JSON`` (several; given explicitly, so no consent is asked);
4. the agent file's ``mcpServers:`` — inline definitions (scoped to that agent; from an agent
   file inside the workspace they need consent like ``.mcp.json``), or names of servers from
   1-3 (a name configured nowhere is a warning).

An ``sdk`` server (``{"type": "sdk", "name": ..., "instance": <mcp Server>}``, made by
``agentrun.sdk.create_sdk_mcp_server``) lives in this process: it holds a live object, so it
can only be given from Python (a mapping in ``RunOptions.mcp_config``); named in any file or
JSON text it is an error naming the server.

``--strict-mcp-config`` keeps only 3 (and the agent's inline servers).
``${VAR}`` and ``${VAR:-default}`` expand in commands, args, env, cwd, URLs and headers; a
variable that is unset with no default makes that server fail with a message naming it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from agentrun.core.errors import ConfigError
from agentrun.core.home import agentrun_home
from agentrun.mcp.present import PROJECT_FILE as PROJECT_FILE
from agentrun.mcp.present import user_settings_path as user_settings_path

Kind = Literal["stdio", "http", "sse", "sdk"]

APPROVALS_FILE = "mcp-approvals.json"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_OWN_SECRET = re.compile(r"ANTHROPIC_")


@dataclass(frozen=True)
class ServerConfig:
    """One configured server, after ``${VAR}`` expansion."""

    name: str
    kind: Kind
    source: str
    """Where it was configured: ``user``, ``project``, ``--mcp-config``, ``agent``."""
    origin: str = ""
    """The file (or ``inline JSON``) it came from."""
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    sandbox: bool = False
    """Start this stdio server inside the session's jail."""
    problem: str | None = None
    """Why it cannot start (an unset variable); reported as a failed server."""
    raw: Mapping[str, Any] = field(default_factory=dict)
    """The definition as written (before expansion), for ``mcp get`` and consent."""
    instance: Any = field(default=None, compare=False, repr=False)
    """An ``sdk`` server's ``mcp`` server object (``Server`` or ``MCPServer``)."""

    def fingerprint(self) -> str:
        """A hash of the definition as written: a consent holds for exactly this command."""
        import hashlib  # ~1.5 ms: only when consent is looked up

        text = json.dumps(self.raw, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def definition_lines(self) -> list[str]:
        """The definition as written, every field (env, headers, cwd, ``${VAR}`` references
        included): what a consent approves, so what the user is shown."""
        text = json.dumps(dict(self.raw), indent=2, ensure_ascii=True, default=str)
        return text.splitlines()

    def secret_references(self) -> list[str]:
        """The ``${VAR}`` names in the definition that are agentrun's own credentials
        (``ANTHROPIC_*``): a project's server may not have them sent anywhere."""
        text = json.dumps(dict(self.raw), ensure_ascii=False, default=str)
        return sorted({m.group(1) for m in _VAR.finditer(text) if _OWN_SECRET.match(m.group(1))})

    def describe(self) -> str:
        if self.kind == "sdk":
            return "in-process (sdk)"
        if self.kind == "stdio":
            return " ".join([self.command, *self.args])
        return f"{self.url} ({self.kind})"


def expand(text: str, env: Mapping[str, str], missing: list[str]) -> str:
    """``${VAR}`` / ``${VAR:-default}`` in ``text``; unset names without a default go to
    ``missing`` (and expand to nothing)."""

    def one(m: re.Match[str]) -> str:
        value = env.get(m.group(1))
        if value is not None and (value != "" or m.group(2) is None):
            return value
        if m.group(2) is not None:
            return m.group(2)
        missing.append(m.group(1))
        return ""

    return _VAR.sub(one, text)


def parse_server(
    name: str,
    raw: Any,
    *,
    source: str,
    origin: str,
    env: Mapping[str, str] | None = None,
    live: bool = False,
) -> ServerConfig:
    """One ``mcpServers`` entry; :class:`ConfigError` naming the server when it is malformed.
    ``live``: the entry came from Python, so it may be an ``sdk`` server."""
    where = f"MCP server {name!r} in {origin}"
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: a server name may hold only letters, digits, _ and -")
    if "__" in name:
        # its tools' names (mcp__a__b__tool) would read as server a's: a rule `mcp__a` the user
        # wrote for server a would allow them
        raise ConfigError(f"{where}: a server name may not contain '__'")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected an object with a command or a url")
    env = os.environ if env is None else env
    missing: list[str] = []
    kind = raw.get("type", "stdio" if "command" in raw else "http" if "url" in raw else None)
    if kind == "sdk":
        return _sdk_server(name, raw, source=source, origin=origin, live=live)
    if kind not in ("stdio", "http", "sse"):
        raise ConfigError(f"{where}: type must be stdio, http or sse (got {kind!r})")

    def text(key: str) -> str:
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
        return expand(value, env, missing)

    def strings(key: str) -> dict[str, str]:
        value = raw.get(key) or {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{where}: {key} must map names to strings")
        return {str(k): expand(v, env, missing) for k, v in value.items()}

    sandbox = raw.get("sandbox", False)
    if not isinstance(sandbox, bool):
        raise ConfigError(f"{where}: sandbox must be true or false")
    config = ServerConfig(name, kind, source, origin, sandbox=sandbox, raw=raw)
    if kind == "stdio":
        args = raw.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ConfigError(f"{where}: args must be a list of strings")
        command = text("command")
        if not command and not missing:
            raise ConfigError(f"{where}: a stdio server needs a command")
        config = replace(
            config,
            command=command,
            args=tuple(expand(a, env, missing) for a in args),
            env=strings("env"),
            cwd=text("cwd") or None,
        )
    else:
        url = text("url")
        if not url and not missing:
            raise ConfigError(f"{where}: an {kind} server needs a url")
        if sandbox:
            raise ConfigError(f"{where}: only stdio servers can run in the sandbox")
        config = replace(config, url=url, headers=strings("headers"))
    if missing:
        names = ", ".join(dict.fromkeys(missing))
        config = replace(config, problem=f"environment variable(s) not set: {names}")
    return config


def _sdk_server(
    name: str, raw: Mapping[str, Any], *, source: str, origin: str, live: bool
) -> ServerConfig:
    """An in-process server: only a Python caller can hand over the live object."""
    where = f"MCP server {name!r} in {origin}"
    if not live:
        raise ConfigError(
            f"{where}: an sdk server is an object in a Python program "
            "(agentrun.sdk.create_sdk_mcp_server); it cannot come from a file or JSON text"
        )
    instance = raw.get("instance")
    # mcp is imported here only: the caller built the instance with it already.
    from mcp.server import Server
    from mcp.server.mcpserver import MCPServer

    if not isinstance(instance, Server | MCPServer):
        got = type(instance).__name__
        raise ConfigError(
            f"{where}: an sdk server's instance must be an mcp Server "
            f"(from agentrun.sdk.create_sdk_mcp_server), not {got}"
        )
    if raw.get("sandbox"):
        raise ConfigError(f"{where}: an sdk server runs in this process, never in the sandbox")
    shown = {k: v for k, v in raw.items() if k != "instance"}
    return ServerConfig(name, "sdk", source, origin, raw=shown, instance=instance)


def parse_servers(data: Any, *, source: str, origin: str, live: bool = False) -> list[ServerConfig]:
    """The servers of one ``{"mcpServers": {...}}`` document (``live``: a Python mapping)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a JSON object with mcpServers")
    servers = data.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"{origin}: mcpServers must be an object")
    return [parse_server(n, s, source=source, origin=origin, live=live) for n, s in servers.items()]


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object file (``{}`` when absent); :class:`ConfigError` when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return data


def flag_config(value: str | os.PathLike[str] | Mapping[str, Any], cwd: Path) -> list[ServerConfig]:
    """One ``--mcp-config`` value: a file, the JSON text itself, or (from Python) a mapping,
    whose ``sdk`` servers may hold live objects."""
    given: Any = value  # from Python, anything may come
    if isinstance(given, os.PathLike):
        value = os.fsdecode(given)
    elif isinstance(given, Mapping):
        return parse_servers(dict(given), source="--mcp-config", origin="mcp_config", live=True)
    elif not isinstance(given, str):
        kind = type(given).__name__
        raise ConfigError(f"mcp_config: expected a path, JSON text or a mapping, not {kind}")
    assert isinstance(value, str)
    if value.lstrip().startswith("{"):
        try:
            data = json.loads(value)
        except ValueError as e:
            raise ConfigError(f"--mcp-config: not valid JSON: {e}") from e
        return parse_servers(data, source="--mcp-config", origin="inline JSON")
    path = (cwd / value).expanduser()
    if not path.is_file():
        raise ConfigError(f"--mcp-config: no such file {path}")
    return parse_servers(read_json(path), source="--mcp-config", origin=str(path))


Ask = Callable[[ServerConfig], bool]
"""Asks the user whether a project server may start (interactive sessions)."""


class Consent:
    """Which project-defined servers (``.mcp.json``, workspace agent files) may start.

    Allowed by the user's settings (``enableAllProjectMcpServers``, ``enabledMcpjsonServers``;
    ``disabledMcpjsonServers`` refuses), else by an earlier answer for this project and this
    exact definition, else by asking (interactive only; the answer is remembered)."""

    def __init__(self, cwd: Path, user: Mapping[str, Any], ask: Ask | None) -> None:
        self.cwd = cwd
        self.all = user.get("enableAllProjectMcpServers") is True
        self.enabled = set(_names(user.get("enabledMcpjsonServers")))
        self.disabled = set(_names(user.get("disabledMcpjsonServers")))
        self.ask = ask
        self.path = agentrun_home() / APPROVALS_FILE

    def allows(self, server: ServerConfig) -> bool:
        if server.name in self.disabled or server.secret_references():
            return False  # no consent sends agentrun's key where a repository says
        if self.all or server.name in self.enabled:
            return True
        remembered = self._load().get(str(self.cwd), {}).get(server.name)
        if isinstance(remembered, dict) and remembered.get("fingerprint") == server.fingerprint():
            return remembered.get("approved") is True
        if self.ask is None:
            return False
        approved = bool(self.ask(server))
        self._remember(server, approved)
        return approved

    def _load(self) -> dict[str, Any]:
        try:
            return read_json(self.path)
        except ConfigError:
            return {}

    def _remember(self, server: ServerConfig, approved: bool) -> None:
        data = self._load()
        project = data.setdefault(str(self.cwd), {})
        project[server.name] = {"approved": approved, "fingerprint": server.fingerprint()}
        write_json(self.path, data)


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` to ``path`` whole (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


@dataclass
class McpSetup:
    """The servers to start, and what was left out and why."""

    servers: list[ServerConfig] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_setup(
    cwd: Path,
    *,
    flags: Sequence[str | os.PathLike[str] | Mapping[str, Any]] = (),
    strict: bool = False,
    agent_servers: Any = None,
    agent_in_project: bool = False,
    ask: Ask | None = None,
    sources: Collection[str] | None = None,
) -> McpSetup:
    """Every server this session starts, from every source (see the module docstring);
    ``sources`` (the setting sources a run reads; None: all): the user's servers only with
    ``user``, the project's ``.mcp.json`` only with ``project``."""
    setup = McpSetup()
    user = read_json(user_settings_path())
    consent = Consent(cwd, user, ask)
    chosen: dict[str, ServerConfig] = {}
    if not strict:
        if sources is None or "user" in sources:
            for server in parse_servers(user, source="user", origin=str(user_settings_path())):
                chosen[server.name] = server
        project = cwd / PROJECT_FILE
        mcp_json = read_json(project) if sources is None or "project" in sources else {}
        for server in parse_servers(mcp_json, source="project", origin=str(project)):
            if consent.allows(server):
                chosen[server.name] = server
            else:
                setup.warnings.append(unapproved(server))
    for value in flags:
        for server in flag_config(value, cwd):
            chosen[server.name] = server
    for server in _agent_servers(agent_servers, chosen, setup.warnings):
        if agent_in_project and not consent.allows(server):
            setup.warnings.append(unapproved(server))
            continue
        chosen[server.name] = server
    setup.servers = list(chosen.values())
    return setup


def unapproved(server: ServerConfig) -> str:
    refs = server.secret_references()
    if refs:
        names = ", ".join(f"${{{n}}}" for n in refs)
        return (
            f"MCP server {server.name!r} from {server.origin} was not started: it refers to "
            f"{names}, agentrun's own credentials, which a project's server may not be given "
            f"(pass its definition with --mcp-config if you mean it)"
        )
    return (
        f"MCP server {server.name!r} from {server.origin} was not started: project servers "
        f"need your consent (answer in an interactive session, or set enabledMcpjsonServers "
        f"or enableAllProjectMcpServers in {user_settings_path()}, or pass --mcp-config)"
    )


def _agent_servers(
    value: Any, configured: Mapping[str, ServerConfig], warnings: list[str]
) -> list[ServerConfig]:
    """An agent file's ``mcpServers:``: a list of names and/or ``{name: definition}``
    mappings, or one mapping."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    found: list[ServerConfig] = []
    for item in items:
        if isinstance(item, str):
            if item not in configured:
                warnings.append(f"the agent names MCP server {item!r}, which is not configured")
        elif isinstance(item, dict):
            for name, raw in item.items():
                found.append(parse_server(str(name), raw, source="agent", origin="the agent file"))
        else:
            warnings.append(f"the agent's mcpServers entry {item!r} is not a name or a server")
    return found

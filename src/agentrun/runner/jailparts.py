"""The session's jail and what opens through it: the sandbox policy, the one sandbox shared by
Bash and the file tools, the shells (the session's and a subagent's), the file tools' workspace
and MCP servers started inside the jail. Each is made at the first call that needs it."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from agentrun.core.protocols import Sandbox
    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.paths import Workspace
    from agentrun.jail.policy import SandboxMode, SandboxPolicy
    from agentrun.mcp.config import ServerConfig
    from agentrun.runner.runtime import Runtime
    from agentrun.tools.shell import BashSession


def make_policy(rt: Runtime) -> SandboxPolicy:
    """The sandbox's rules (deny list, writable roots): it reads the file system and the
    interpreter's layout (~2 ms)."""
    from agentrun.jail.policy import SandboxPolicy

    o = rt._options
    return SandboxPolicy.create(
        rt.cwd,
        mode=cast("SandboxMode", o.sandbox),
        add_dirs=rt._add_dirs,
        allow_network=o.allow_network,
        # Read deny rules hold for Bash too where the kernel can enforce them
        extra_read_deny=rt.permissions.read_deny_paths(),
        # `.claude/agents` named by `Edit(./.claude/agents/**)`: writable after all.
        unprotect=rt.permissions.writable_protected_paths(),
        state_dirs=[o.sessions_root] if o.sessions_root is not None else (),
    )


def open_workspace(rt: Runtime) -> Workspace:
    """The file tools' door: in a confined mode, through the jail's file server (the jail
    starts at the first file tool call), so they reach exactly what Bash can."""
    if not rt.policy.confined:
        from agentrun.jail.paths import Workspace

        return Workspace(rt.policy)
    from agentrun.jail.fileclient import jailed_workspace

    jail = cast("JailSandbox", open_sandbox(rt))  # open_sandbox's answer when confined
    workspace = jailed_workspace(rt.policy, jail)
    rt._cleanup.append(workspace.channel)
    return workspace


def start_early(rt: Runtime) -> threading.Thread | None:
    """Start the session's jail and the file tools' server in it now, on a thread (joined by
    ``Runtime.close``), while the first model call is under way. Nothing runs in the jail until
    a tool call that the gate allowed asks for it; a jail that cannot start is reported by that
    call, as without this. None: no offered tool needs the jail."""
    from agentrun.core.vocab import JAILED_TOOLS

    if not JAILED_TOOLS.intersection(tool.name for tool in rt.runner.tools):
        return None
    thread = threading.Thread(target=_start_now, args=(rt,), name="agentrun-jail-start")
    thread.start()
    return thread


def _start_now(rt: Runtime) -> None:
    try:
        if not rt.policy.confined:
            return
        channel = getattr(rt.ctx.workspace, "channel", None)  # a JailedWorkspace's
        if channel is not None:
            channel.connect_now()
    except Exception as e:  # the first tool call that needs the jail meets it again
        import logging

        logging.getLogger(__name__).debug("the jail did not start early: %s", e)


def open_sandbox(rt: Runtime) -> Sandbox:
    """The session's one sandbox, shared by Bash and the file tools (callers hold the
    tool context's lock; a subagent's shell comes from its own thread: the lock)."""
    with rt._sandbox_lock:
        return _make_sandbox(rt)


def _make_sandbox(rt: Runtime) -> Sandbox:
    if rt.sandbox is None:
        from agentrun.jail import open_sandbox

        assert rt.tmp_dir is not None
        # One private tmp for both: the jail makes exactly this directory writable.
        sealed = [rt.spill.dir] if rt.spill is not None else []
        rt.sandbox = open_sandbox(rt.policy, tmp_dir=rt.tmp_dir, sealed=sealed)
        rt._cleanup.append(rt.sandbox)
    return rt.sandbox


def open_shell(rt: Runtime) -> BashSession:
    """The shell and its sandbox, at the first Bash call (the jail itself starts at the
    first spawn)."""
    from agentrun.tools.shell import BashSession

    assert rt.tmp_dir is not None
    sandbox = open_sandbox(rt)
    roots = rt.policy.readable_roots
    env = bash_env(rt, rt.tmp_dir)
    shell = rt._shell = BashSession(sandbox, cwd=rt.cwd, tmp_dir=rt.tmp_dir, env=env, roots=roots)
    # Big outputs go whole to a file in the tmp dir, which the jail binds read-only.
    shell.spill = rt.spill
    rt._cleanup.insert(0, shell)  # the shell's jobs die before the sandbox closes
    return shell


def child_shell(rt: Runtime) -> BashSession:
    """A subagent's own shell: its own cwd, environment and jobs, in the session's jail.
    Its tmp dir is a fresh one inside the session's (made by mkdtemp: the jailed commands
    that can write there cannot have planted it)."""
    from agentrun.tools.shell import BashSession

    assert rt.tmp_dir is not None
    sandbox = open_sandbox(rt)
    tmp = Path(tempfile.mkdtemp(prefix="subagent-", dir=rt.tmp_dir))
    roots = rt.policy.readable_roots
    env = bash_env(rt, tmp)
    shell = BashSession(sandbox, cwd=rt.cwd, tmp_dir=tmp, env=env, roots=roots)
    shell.spill = rt.spill  # the session's sealed directory, read-only to jailed commands
    return shell


def bash_env(rt: Runtime, tmp_dir: Path) -> dict[str, str] | None:
    """A shell's environment: None for BashSession's own allowlist, else that allowlist
    with the run's ``bash_env`` added."""
    if not rt._options.bash_env:
        return None
    from agentrun.tools.shell import build_env

    home = tmp_dir / "home"
    home.mkdir(exist_ok=True)
    return build_env(home=home, tmp_dir=tmp_dir, extra=rt._options.bash_env)


def mcp_jail_spawn(rt: Runtime, config: ServerConfig, env: dict[str, str]) -> tuple[Any, Any]:
    """A ``"sandbox": true`` stdio server, started in the session jail (network as
    ``--allow-network`` says): its stdin and stdout are one socket, its stderr dropped."""
    import socket

    with rt._sandbox_lock:
        sandbox = open_sandbox(rt)
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    argv = ["/bin/sh", "-c", 'exec "$@" <&1 2>/dev/null', "sh", config.command, *config.args]
    try:
        cwd = Path(config.cwd) if config.cwd else rt.cwd
        process = sandbox.spawn(argv, cwd=cwd, env=env, stdout=theirs.fileno())
    except BaseException:
        mine.close()
        raise
    finally:
        theirs.close()
    return mine, process

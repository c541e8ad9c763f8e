"""The session jail: one set of namespaces per session, one confined process tree per Bash call.

:class:`JailSandbox` starts :mod:`agentrun.jail.init` once, at the session's first Bash call
(which builds the namespaces and confines itself; every call inherits that), learns from it which
layers are in force, and then serves :meth:`spawn` by handing it the call's stdout fd. It fails
closed: if the mode needs a layer that could not be set up, :meth:`spawn` raises
:class:`SandboxUnavailableError` naming the layer and the opt-out, and nothing runs.

The start is lazy because it costs a Python start-up plus the namespace set-up (~100 ms here):
a session that never runs Bash — most scripted and read-only runs — should not pay it. Until
then :attr:`JailSandbox.enforced` reports the layers the probe found for this mode; a Bash call
runs only once every one of them is in force, so the claim made before the start holds for
every command that runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import SandboxUnavailableError
from agentrun.jail import cgroups, gitguard, gittrees, gitwatch
from agentrun.jail.gitwatch import Watcher
from agentrun.jail.layers import promised_layers, required_layers
from agentrun.jail.leftovers import STATE_PREFIX, sweep
from agentrun.jail.limits import JailLimits
from agentrun.jail.policy import SandboxPolicy, runtime_paths
from agentrun.jail.process import JailProcess, children
from agentrun.jail.wire import recv_frame, send_frame

if TYPE_CHECKING:
    from agentrun.jail.zygote import ForkedInit

log = logging.getLogger(__name__)

OPT_OUT = "--sandbox danger-full-access"


def _forked_init(ctrl: int, log_fd: int) -> ForkedInit | None:
    """An init forked from this process's jail template, if it has one (else None: a fresh
    interpreter is started). A template that is gone is replaced at the next start."""
    from agentrun.jail import zygote

    template = zygote.running()
    if template is None:
        return None
    try:
        return template.fork_init(ctrl, log_fd)
    except OSError as e:
        log.warning("the jail template failed (%s); starting a fresh init", e)
        zygote.stop()
        return None


def _extra_files() -> list[Path]:
    """Files commands need whose real place is outside the trees the jail shows: a
    ``/etc/resolv.conf`` that is a symlink into ``/run`` (systemd-resolved), so that DNS
    works in a session with ``--allow-network``."""
    link = Path("/etc/resolv.conf")
    if not link.is_symlink():
        return []
    target = Path(os.path.realpath(link))
    return [target] if target.is_file() else []


class JailSandbox:
    """The Bash jail of one session: started by the first :meth:`spawn`, ended by :meth:`close`."""

    def __init__(
        self,
        policy: SandboxPolicy,
        *,
        tmp_dir: Path,
        limits: JailLimits | None = None,
        sealed: Sequence[Path] = (),
    ) -> None:
        """``sealed``: directories inside ``tmp_dir`` bound read-only (the runtime's saved
        tool outputs): commands read them, none can change, rename or replace them."""
        self._policy = policy
        self._tmp_dir = Path(tmp_dir).resolve()
        self._sealed = [Path(p).resolve() for p in sealed]
        # It must exist now: the jail binds it and grants it to Landlock when it starts.
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        self._limits = limits or JailLimits()
        self._required = required_layers(policy.mode, allow_network=policy.allow_network)
        self._enforced: list[str] = []
        self._missing: dict[str, str] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._proc: subprocess.Popen[bytes] | ForkedInit | None = None
        self._ctrl: socket.socket | None = None
        self._cgroup: cgroups.Cgroup | None = None
        self._init_pid: int | None = None
        self._init_pidfd: int | None = None
        self._paths: dict[str, str] = {}  # PATH as given -> PATH without unreadable entries
        self._state: Path | None = None
        self._placeholders: list[gitguard.Placeholder] = []
        self._watcher: Watcher | None = None
        self._started = False
        self._promised = promised_layers(policy.mode, allow_network=policy.allow_network)

    def start(self) -> None:
        """Start the jail now (idempotent; spawn() calls it). A failure is recorded, not raised:
        spawn() explains it, and :attr:`enforced` then shows what is really in force."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            sweep()  # what SIGKILLed runtimes left behind goes before a new jail comes (~2 ms)
            token = os.urandom(4).hex()
            self._state = Path(tempfile.mkdtemp(prefix=f"{STATE_PREFIX}{os.getpid()}-{token}-"))
            try:
                self._start(f"{cgroups.PREFIX}{os.getpid()}-{token}", self._state)
                return
            except Exception as e:
                log.warning("sandbox jail did not start: %s", e)
                self._missing.setdefault("pidns", f"the jail did not start: {e}")
        self.close()  # spawn() still explains what is missing

    def _start(self, cg_name: str, state: Path) -> None:
        policy = self._policy
        # Before the scan: a root without a .git gets an empty one, which the scan then lists.
        self._placeholders = gitguard.plant(policy.writable_roots, state)
        watcher = Watcher(policy.writable_roots, skip=policy.hidden, guard=policy.protected)
        try:
            found = watcher.start()
            self._watcher = watcher
        except OSError as e:
            self._missing[gitwatch.LAYER] = str(e)
            found = watcher.found
        private_tmp = state / "tmp"
        private_var_tmp = state / "var-tmp"
        for private in (private_tmp, private_var_tmp):
            private.mkdir()
            private.chmod(0o1777)
        build_dir = state / "root"
        build_dir.mkdir()
        ctrl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._ctrl = ctrl
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        with open(state / "init.log", "wb") as log_file:
            # Forked from this process's jail template when it has one, else a fresh interpreter.
            self._proc = _forked_init(theirs.fileno(), log_file.fileno()) or subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "agentrun.jail.init",
                    str(theirs.fileno()),
                    str(os.getpid()),
                ],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                env=env,  # never the runtime's: its API key would sit in /proc/<pid>/environ
                cwd="/",
                start_new_session=True,
            )
        theirs.close()
        try:
            cgroup = cgroups.create(
                cg_name, pids_max=self._limits.pids, memory_max=self._limits.memory
            )
        except OSError as e:
            self._missing["cgroup"] = str(e)
        else:
            try:
                cgroup.add(self._proc.pid)  # before init forks anything: it waits for the config
            except OSError as e:
                # Counted as enforced only with init inside (a v1 pair half joined kills it).
                cgroup.remove()
                self._missing["cgroup"] = f"cannot move the jail into its cgroup: {e}"
            else:
                self._cgroup = cgroup
        read_roots = list(policy.readable_roots)
        write_roots = [*policy.writable_roots, self._tmp_dir]
        # The running Python and agentrun's own code, wherever they live (pyenv under /root, a
        # venv under /var/tmp): Bash must be able to run `python3 -m pytest`, whose plugin entry
        # points import agentrun. Read-only, unless inside a write root (a workspace venv).
        runtime = [r for r in runtime_paths() if r.is_dir()]
        git_trees = gittrees.git_context(policy.readable_roots, readable=policy.can_read)
        sockets = [*found.sockets, *(s for t in git_trees for s in gittrees.sockets_in(t))]
        config = {
            "userns": os.geteuid() != 0,
            "netns": not policy.allow_network,
            "view": {
                "build_dir": str(build_dir),
                "private_tmp": str(private_tmp),
                "private_var_tmp": str(private_var_tmp),
                "read_only": [str(p) for p in dict.fromkeys([*runtime, *read_roots, *git_trees])],
                "writable": [str(p) for p in write_roots],
                "protected": [
                    str(p)
                    for p in dict.fromkeys([*policy.protected, *found.protected, *self._sealed])
                ],
                "reopened": [str(p) for p in policy.unprotected],
                "hidden": [str(p) for p in dict.fromkeys([*policy.hidden, *sockets])],
                "extra_files": [str(p) for p in _extra_files()],
            },
            "shm_size": self._limits.shm_size,
            "read_deny": [str(p) for p in policy.read_deny],
            "read_roots": [str(p) for p in read_roots],
            "write_roots": [str(p) for p in write_roots],
        }
        send_frame(ctrl, config)
        ready, _, _ = select.select([ctrl], [], [], 30)
        frame = recv_frame(ctrl) if ready else None
        if frame is None:
            raise OSError(f"the jail init gave no report (see {state / 'init.log'})")
        report: dict[str, Any] = frame[0]
        self._enforced = list(report["enforced"])
        self._missing.update(report["missing"])
        if self._cgroup is not None:
            self._enforced.append("cgroup")
        self._enforced.append("rlimits")
        if self._watcher is not None:
            self._enforced.append(gitwatch.LAYER)
        self._init_pid = next(iter(children(self._proc.pid)), None)
        if self._init_pid is not None:
            # Killed through a pidfd at close: never a raw pid, which may be reused by then.
            with contextlib.suppress(OSError):
                self._init_pidfd = os.pidfd_open(self._init_pid)

    @property
    def mode(self) -> str:
        return self._policy.mode

    @property
    def enforced(self) -> tuple[str, ...]:
        """The layers every Bash call of this session runs under: measured once the jail has
        started, the probe's answer before (spawn refuses unless all of those are in force)."""
        return tuple(self._enforced) if self._started else self._promised

    @property
    def started(self) -> bool:
        return self._started

    @property
    def missing(self) -> dict[str, str]:
        """Layers not in force, with the reason (some are optional: see ``required_layers``)."""
        return dict(self._missing)

    def notices(self) -> list[str]:
        """What the session's guards did since the last call (a ``.git`` a command created,
        renamed away), worded for the model; the Bash tool appends it to the call's result."""
        watcher = self._watcher
        return watcher.notices() if watcher is not None else []

    def _refusal(self, subject: str = "Bash was") -> SandboxUnavailableError | None:
        wanted = dict.fromkeys((*self._required, *self._promised))
        absent = [layer for layer in wanted if layer not in self._enforced]
        # Name the layer that actually failed first (the others were never attempted).
        absent.sort(key=lambda layer: layer not in self._missing)
        for layer in absent:
            if layer not in self._enforced:
                reason = self._missing.get(layer) or next(iter(self._missing.values()), "")
                return SandboxUnavailableError(
                    f"the {self.mode} sandbox needs {layer}, which is not available here"
                    f"{': ' + reason if reason else ''}. {subject} not run. Use {OPT_OUT} to "
                    "run it unconfined (only inside a VM or container you trust).",
                    layer=layer,
                )
        return None

    def _readable_path(self, value: str) -> str:
        """``value`` without the directories the deny list hides (``/root/.pyenv/shims``...):
        a command found there would only fail with EACCES instead of the next one being used."""
        if value not in self._paths:
            dirs = [d for d in value.split(":") if d]
            readable = [d for d in dirs if self._policy.can_read(Path(os.path.realpath(d)))]
            self._paths[value] = ":".join(readable)
        return self._paths[value]

    def spawn(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: int
    ) -> JailProcess:
        self.start()
        refusal = self._refusal()
        if refusal is not None:
            raise refusal
        env = dict(env)
        if "PATH" in env:
            env["PATH"] = self._readable_path(env["PATH"])
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        request = {
            "argv": list(argv),
            "cwd": str(cwd),
            "env": env,
            "rlimits": self._limits.rlimits(),
        }
        try:
            with self._lock:
                if self._closed or self._ctrl is None:
                    raise OSError("the session is closed")
                send_frame(self._ctrl, request, [stdout, theirs.fileno()])
        except OSError as e:
            mine.close()
            raise SandboxUnavailableError(f"the sandbox jail is gone: {e}", layer="pidns") from e
        finally:
            theirs.close()
        return JailProcess(mine, self._init_pid)

    def file_server(self, policy: Mapping[str, Any]) -> socket.socket:
        """A socket to a new file server in the jail (:mod:`agentrun.jail.fileserver`),
        starting the jail first; refuses, as :meth:`spawn` does, when a layer is missing."""
        self.start()
        refusal = self._refusal("The file tool was")
        if refusal is not None:
            raise refusal
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        mine.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # the server says its pid
        try:
            with self._lock:
                if self._closed or self._ctrl is None:
                    raise OSError("the session is closed")
                request = {"op": "fileserver", "policy": dict(policy)}
                send_frame(self._ctrl, request, [theirs.fileno()])
        except OSError as e:
            mine.close()
            raise SandboxUnavailableError(f"the sandbox jail is gone: {e}", layer="pidns") from e
        finally:
            theirs.close()
        return mine

    def close(self) -> None:
        """Kill everything in the jail and remove what it made (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._ctrl is not None:
                self._ctrl.close()  # init reads EOF and exits; its PID namespace dies with it
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                if self._init_pidfd is not None:
                    with contextlib.suppress(OSError):
                        signal.pidfd_send_signal(self._init_pidfd, signal.SIGKILL)
                self._proc.kill()  # our child (or, forked by the template, killed by pidfd)
                self._proc.wait()
        if self._init_pidfd is not None:
            os.close(self._init_pidfd)
            self._init_pidfd = None
        if self._cgroup is not None:
            self._cgroup.remove()
        if self._watcher is not None:
            # After the jail is gone, nothing can create anything any more: a last check.
            self._watcher.close()
            for notice in self._watcher.notices():
                log.warning("%s", notice)  # no tool result is left to carry it
            self._watcher = None
        gitguard.release(self._placeholders)  # the jail's mounts on them died with it
        self._placeholders = []
        if self._state is not None:
            shutil.rmtree(self._state, ignore_errors=True)

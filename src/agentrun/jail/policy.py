"""What a session may read and write: one policy object shared by the file tools and the jail.

The file tools check it in-process (through :class:`agentrun.jail.paths.Workspace`); the Bash
jail turns the same lists into Landlock rules. Keeping one object means the two can never disagree
about what is secret or writable.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentrun.core.home import agentrun_home
from agentrun.core.hookspath import git_run_paths
from agentrun.core.pathutil import is_within

# Defined in the vocabulary; still importable from here.
from agentrun.core.vocab import SANDBOX_MODES as SANDBOX_MODES
from agentrun.core.vocab import SandboxMode as SandboxMode  # noqa: TC001

ANY_DEPTH = (".git", ".gitmodules", ".claude", ".agentrun", ".mcp.json")
"""Names read-only at any depth of a root: git runs what they configure (also submodules'), and
Claude Code or agentrun started in any folder loads its ``.claude`` and ``.agentrun`` (hooks,
agents, skills) and ``.mcp.json`` (servers)."""
HOME_FILES = (
    ".gitconfig",
    ".config/git",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".zlogout",
    ".ssh",
    ".ripgreprc",
)
"""What the user's own tools execute from a home directory (git's pager and hooks, the shells'
start-up files, ssh's config and authorized keys, ripgrep's ``--pre``): read-only at each root,
since a root may be the home directory (``--cwd ~``)."""
AT_ROOT = (".git", ".claude", ".agentrun", ".mcp.json", *HOME_FILES)
NEVER_REOPENED = (".git", ".gitmodules")
"""Git's files stay read-only whatever the rules say: an explicit allow rule may reopen a part
of ``.claude``, ``.agentrun`` or ``.mcp.json`` at a root (:attr:`SandboxPolicy.unprotected`),
never anything in or named like these."""
REOPENABLE = (".claude", ".agentrun", ".mcp.json")
"""Paths read-only at each root: the repository, agents' settings, hooks and MCP servers, and
:data:`HOME_FILES`."""
HOME_BIN = "bin"
"""``~/bin``: on the user's PATH (a ``git`` there runs instead of the real one), so protected
with the home directory's dot-entries."""


# Secrets a jailed command must never read, whatever the mode (except danger-full-access).
# Home directories are added per user in `SandboxPolicy.create`.
_SYSTEM_READ_DENY = (
    "/root",
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/run/secrets",
    "/var/run/secrets",
    "/run/user",  # $XDG_RUNTIME_DIR: login-session credentials (registry auth, keyrings)
    # Root's own 0700 trees: uid 0 without capabilities still owns them, so only this hides
    # them from a jail run as root (TLS keys, Kerberos keys, systemd credentials and the
    # DynamicUser state, old password hashes).
    "/etc/ssl/private",
    "/etc/pki/tls/private",
    "/etc/letsencrypt",
    "/etc/krb5.keytab",
    "/etc/security/opasswd",
    "/run/credentials",
    "/var/lib/private",
)


@dataclass(frozen=True)
class SandboxPolicy:
    """The rules of one session. All paths are absolute and resolved (no symlinks).

    ``read_deny`` lists trees nobody in the session may read, except the parts of them that lie
    inside a writable root (a workspace under ``/root`` stays usable when run as root).
    """

    mode: SandboxMode
    workspace: Path
    writable_roots: tuple[Path, ...]
    read_deny: tuple[Path, ...]
    allow_network: bool = False
    protected: tuple[Path, ...] = field(default=())
    """Paths at the roots that stay read-only: :data:`AT_ROOT` of the workspace and of each
    ``--add-dir`` (hooks, config and settings would run code on the host), a repository's
    ``core.hooksPath`` inside them, and the dot-entries of :attr:`homes`.
    :meth:`protected_entry` adds :data:`ANY_DEPTH` at any depth; the jail binds every one of
    them read-only (see ``gitwatch``)."""
    hidden: tuple[Path, ...] = field(default=())
    """Paths inside the workspace or a writable root that stay unreadable and unwritable:
    agentrun's own state (transcripts, settings) when ``$AGENTRUN_HOME`` lies there, as
    ``~/.agentrun`` does for a session run from the home directory."""
    roots: tuple[Path, ...] = field(default=())
    """The workspace and each ``--add-dir``, in every mode (read-only keeps no writable roots
    but must still read them); empty means the workspace and the writable roots."""
    homes: tuple[Path, ...] = field(default=())
    """Home directories lying inside a root (``--cwd ~``, or a root above it): every entry
    directly in one whose name starts with a dot, and ``bin``, is protected like
    :data:`ANY_DEPTH` (:func:`home_entry`), existing or created later. The user's own tools run
    what they hold (``~/.local/bin`` and ``.pth`` files, ``~/.config/systemd``, shells' and
    git's start-up files, ``~/.claude.json``); no fixed list can name them all."""
    unprotected: tuple[Path, ...] = field(default=())
    """Paths in a root's ``.claude``, ``.agentrun`` or ``.mcp.json`` that an explicit allow rule
    names (``Edit(./.claude/agents/**)``): writable after all, for the file tools and, when
    they exist as the jail starts, for Bash. Never inside a ``.git`` or ``.gitmodules``."""

    @property
    def readable_roots(self) -> tuple[Path, ...]:
        """The trees readable whatever the deny list says: the workspace and each --add-dir."""
        return self.roots or tuple(dict.fromkeys((self.workspace, *self.writable_roots)))

    @classmethod
    def create(
        cls,
        workspace: Path | str,
        *,
        mode: SandboxMode = "workspace-write",
        add_dirs: Sequence[Path | str] = (),
        allow_network: bool = False,
        extra_read_deny: Iterable[Path | str] = (),
        state_dirs: Iterable[Path | str] = (),
        home: Path | None = None,
        unprotect: Iterable[Path | str] = (),
    ) -> SandboxPolicy:
        ws = Path(workspace).resolve()
        roots = (ws, *(Path(d).resolve() for d in add_dirs))
        openable = [root / name for root in roots for name in REOPENABLE]
        unprotected = tuple(
            dict.fromkeys(
                p
                for p in (Path(os.path.normpath(Path(ws, u))) for u in unprotect)
                if any(is_within(p, o) for o in openable)
                and not any(part in NEVER_REOPENED for part in p.parts)
            )
        )
        user_home = (home or Path.home()).resolve()
        deny: list[Path] = [Path(p) for p in _SYSTEM_READ_DENY]
        deny.append(user_home)
        home_parent = Path("/home")
        if home_parent.is_dir():
            deny.extend(p for p in sorted(home_parent.iterdir()) if p.is_dir())
        # agentrun's own state (transcripts, settings), plus a sessions directory given in code:
        # never readable, and hidden even when it lies inside a workspace.
        states = tuple(
            dict.fromkeys([agentrun_home().resolve(), *(Path(p).resolve() for p in state_dirs)])
        )
        deny.extend(states)
        deny.extend(Path(p).resolve() for p in extra_read_deny)
        unique = tuple(dict.fromkeys(p.resolve() if p.exists() else p for p in deny))
        unique = _carve_runtime(unique)
        hidden = tuple(s for s in states if any(root in s.parents for root in roots))
        homes = tuple(
            h
            for h in dict.fromkeys([user_home, *_login_home()])
            if any(is_within(h, r) for r in roots)
        )
        at_roots = [root / name for root in roots for name in AT_ROOT]
        if mode != "danger-full-access":
            at_roots += git_run_paths(roots)
        return cls(
            mode=mode,
            workspace=ws,
            writable_roots=() if mode == "read-only" else roots,
            read_deny=unique,
            allow_network=allow_network,
            protected=tuple(
                dict.fromkeys([*at_roots, *_home_entries(homes, roots), *_user_dirs(homes)])
            ),
            hidden=hidden,
            homes=homes,
            roots=tuple(dict.fromkeys(roots)),
            unprotected=() if mode == "read-only" else unprotected,
        )

    @property
    def confined(self) -> bool:
        return self.mode != "danger-full-access"

    def can_read(self, path: Path) -> bool:
        """Whether a resolved absolute path may be read."""
        if not self.confined:
            return True
        if any(is_within(path, p) for p in self.hidden):
            return False
        if any(is_within(path, root) for root in self.readable_roots):
            return True
        return not any(is_within(path, denied) for denied in self.read_deny)

    def can_write(self, path: Path) -> bool:
        """Whether a resolved absolute path may be created or changed."""
        if not self.confined:
            return True
        if self.protected_entry(path) is not None and not self.unprotected_path(path):
            return False
        if any(is_within(path, p) for p in self.hidden):
            return False
        return any(is_within(path, root) for root in self.writable_roots)

    def unprotected_path(self, path: Path) -> bool:
        """Whether ``path`` lies in a protected entry's part an explicit allow rule opened
        (:attr:`unprotected`); a ``.git`` or ``.gitmodules`` in it stays protected."""
        return any(is_within(path, u) for u in self.unprotected) and not any(
            part in NEVER_REOPENED for part in path.parts
        )

    def protected_entry(self, path: Path) -> Path | None:
        """The protected entry ``path`` is or lies in (``ws/sub/.git`` for
        ``ws/sub/.git/config``), or None: a name of :data:`ANY_DEPTH` at any depth of a root,
        and :attr:`protected` (the names kept at each root). By name, so an entry created
        during the session is covered too."""
        if not self.confined:
            return None
        for p in self.protected:
            if is_within(path, p):
                return p
        for root in self.roots or (self.workspace, *self.writable_roots):
            if is_within(path, root) and path != root:
                parts = path.relative_to(root).parts
                for i, part in enumerate(parts):
                    if part in ANY_DEPTH:
                        return root.joinpath(*parts[: i + 1])
        for home in self.homes:
            entry = home_entry(path, home)
            if entry is not None:
                return entry
        return None


def home_entry(path: Path, home: Path) -> Path | None:
    """The entry directly in ``home`` that ``path`` is or lies in when its name starts with a
    dot or is ``bin`` (``~/.local`` for ``~/.local/bin/git``), else None."""
    if path == home or not is_within(path, home):
        return None
    first = path.relative_to(home).parts[0]
    return home / first if first.startswith(".") or first == HOME_BIN else None


def _login_home() -> list[Path]:
    """The login home directory (the password database's), when ``$HOME`` names another:
    the user's tools may use either."""
    import pwd

    try:
        return [Path(pwd.getpwuid(os.getuid()).pw_dir).resolve()]
    except (KeyError, OSError):
        return []


def _user_dirs(homes: Sequence[Path]) -> list[Path]:
    """Directories the environment names for the user's own programs and configuration that
    lie in a protected home but not in a dot-entry of it (``~/go/bin`` on ``PATH``, an
    ``XDG_CONFIG_HOME`` or ``PYTHONUSERBASE`` elsewhere in the home directory)."""
    if not homes:
        return []
    env = os.environ
    named = [p for p in env.get("PATH", "").split(os.pathsep) if p]
    named += [env[k] for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "PYTHONUSERBASE") if env.get(k)]
    out: list[Path] = []
    for raw in named:
        if not Path(raw).is_absolute():
            continue
        path = Path(os.path.realpath(raw))
        if any(h != path and is_within(path, h) for h in homes):
            out.append(path)
    return out


def _home_entries(homes: Sequence[Path], roots: Sequence[Path]) -> list[Path]:
    """The dot-entries (and ``bin``) each home holds now, to bind read-only, and where those
    that are symbolic links lead when that is inside a root (``~/.config`` -> a dotfiles
    folder): the tools follow the link."""
    out: list[Path] = []
    for home in homes:
        try:
            with os.scandir(home) as it:
                names = [e.name for e in it if home_entry(home / e.name, home) is not None]
        except OSError:
            continue
        for name in sorted(names):
            entry = home / name
            out.append(entry)
            if entry.is_symlink():
                real = Path(os.path.realpath(entry))
                if any(is_within(real, r) for r in roots):
                    out.append(real)
    return out


@functools.cache
def runtime_paths() -> tuple[Path, ...]:
    """The running Python's installation (interpreter, standard library, site-packages) and
    the directory agentrun's code was imported from.

    Bash must be able to run ``python3 -m pytest`` with them even where they live inside a
    denied tree (pyenv or a virtualenv under the home directory, ``/root/.pyenv`` when run as
    root), so :meth:`SandboxPolicy.create` leaves them readable.
    """
    import sys
    import sysconfig

    raw = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    raw.update(sysconfig.get_paths().values())
    raw.add(str(Path(__file__).resolve().parents[2]))
    return tuple(sorted({Path(p).resolve() for p in raw if p}))


def _carve_runtime(deny: tuple[Path, ...]) -> tuple[Path, ...]:
    """``deny`` with the runtime's paths taken out: a denied tree holding one is replaced by
    its other entries, level by level down to the kept path (siblings stay denied)."""
    keep = runtime_paths()
    # Sets of each kept path's ancestors: "tree in k.parents" walks a lazy sequence, and this
    # runs at every session start.
    ancestors = {k: frozenset(k.parents) for k in keep}
    out: list[Path] = []

    def carve(tree: Path) -> None:
        inside = [k for k in keep if tree in ancestors[k]]
        if not inside:
            out.append(tree)
            return
        try:
            children = sorted(tree.iterdir())
        except OSError:
            out.append(tree)
            return
        for child in children:
            if child in keep:
                continue
            if any(child in ancestors[k] for k in inside) and not child.is_symlink():
                carve(child)
            else:
                out.append(child)

    for tree in deny:
        carve(tree)
    return tuple(dict.fromkeys(out))

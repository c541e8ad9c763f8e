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
from agentrun.core.userhome import home_dirs, home_roots

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
"""``~/bin``: on the user's PATH; its links into a writable root are protected like the
dot-entries' (:func:`_home_links`)."""


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
    ``core.hooksPath`` and included config files inside them (the global git config's too),
    and where the home directories' symlinks lead inside a writable root.
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
    """Home directories lying inside a root (``--cwd ~``, or a root above it). Such a root is
    never writable (see :mod:`agentrun.core.userhome`): the user's own tools run what almost
    any new file there holds; an ``--add-dir`` below it still is."""
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
        deny: list[Path] = [Path(p) for p in _SYSTEM_READ_DENY]
        deny.append((home or Path.home()).resolve())
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
        every_home = home_dirs(home)
        homes = tuple(h for h in every_home if any(is_within(h, r) for r in roots))
        writable = roots
        if mode == "read-only":
            writable = ()
        elif mode != "danger-full-access":
            # A root holding the home directory stays read-only whole (an --add-dir below it
            # is still writable): see agentrun.core.userhome.
            held = home_roots(roots, every_home)
            writable = tuple(r for r in roots if r not in held)
        at_roots = [root / name for root in roots for name in AT_ROOT]
        if mode != "danger-full-access":
            at_roots += git_run_paths(roots)
        return cls(
            mode=mode,
            workspace=ws,
            writable_roots=writable,
            read_deny=unique,
            allow_network=allow_network,
            protected=tuple(
                dict.fromkeys(
                    [*at_roots, *_home_links(every_home, writable), *_user_dirs(writable)]
                )
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
        return None


def _home_links(homes: Sequence[Path], writable: Sequence[Path]) -> list[Path]:
    """Where symbolic links in the home directories' dot-entries lead, when that is inside a
    writable root (``~/.config/nvim`` -> a dotfiles folder, as stow makes them): the user's
    tools run what they reach through them, so those targets are bound read-only. Walks each
    dot-entry deep (caches and package trees skipped), each with its own entry budget: only
    symlinks are followed to their targets, so the walk costs one ``scandir`` a directory."""
    if not writable:
        return []
    out: list[Path] = []
    budget = [0]
    total = _LINK_SCAN_TOTAL

    def walk(path: Path, depth: int) -> None:
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except OSError:
            return
        budget[0] -= len(entries)
        for e in entries:
            if e.is_symlink():
                real = Path(os.path.realpath(e.path))
                if any(is_within(real, r) for r in writable):
                    out.append(real)
            elif depth > 0 and budget[0] > 0 and _walked(e):
                walk(Path(e.path), depth - 1)

    for home in homes:
        try:
            with os.scandir(home) as it:
                names = sorted(e.name for e in it if e.name.startswith(".") or e.name == HOME_BIN)
        except OSError:
            continue
        for name in names:
            entry = home / name
            if entry.is_symlink():
                real = Path(os.path.realpath(entry))
                if any(is_within(real, r) for r in writable):
                    out.append(real)
            elif name not in _LINK_SCAN_SKIP and entry.is_dir():
                # each dot-entry its own budget: one big folder hides no other
                start = budget[0] = min(_LINK_SCAN_BUDGET, total)
                walk(entry, _LINK_SCAN_DEPTH)
                total -= start - budget[0]
    return list(dict.fromkeys(out))


def _walked(e: os.DirEntry[str]) -> bool:
    return e.is_dir(follow_symlinks=False) and e.name not in _LINK_SCAN_SKIP


def _user_dirs(writable: Sequence[Path]) -> list[Path]:
    """The directories the environment names for the user's own configuration and programs
    (``XDG_CONFIG_HOME``, ``XDG_DATA_HOME``, ``PYTHONUSERBASE``) when inside a writable root:
    the user's shells, editors and Python run what they hold, as from a home directory. So are
    the PATH directories there (``ws/bin``, ``~/.local/bin`` of a home workspace): the user's
    shell, and the next agentrun's ``git``, run what they hold. Except a project's own package
    tree on PATH (an activated ``.venv/bin``, ``node_modules/.bin``): the code beside it
    (``site-packages``, ``node_modules``) is the project's, writable like its sources and run
    the same way, so keeping its ``bin`` read-only would only break installing into it."""
    env = os.environ
    out: list[Path] = []
    raws = [env.get(key, "") for key in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "PYTHONUSERBASE")]
    paths = env.get("PATH", "").split(os.pathsep)
    raws += [p for p in paths if p and not _package_bin(Path(p))]
    for raw in raws:
        if not raw or not Path(raw).is_absolute():
            continue
        path = Path(os.path.realpath(raw))
        if any(path != r and is_within(path, r) for r in writable):
            out.append(path)
    return out


def _package_bin(path: Path) -> bool:
    """A virtualenv's ``bin`` (a ``pyvenv.cfg`` beside it) or ``node_modules/.bin``."""
    if path.name == ".bin" and path.parent.name == "node_modules":
        return True
    try:
        return path.name == "bin" and (path.parent / "pyvenv.cfg").is_file()
    except OSError:  # a PATH entry this user cannot look into (another user's home)
        return False


_LINK_SCAN_BUDGET = 10000
"""Entries looked at in each dot-entry of a home directory (about 8 ms each at most here)."""
_LINK_SCAN_TOTAL = 80000
"""And in all of them: a ceiling on the start-up cost of a pathological home."""
_LINK_SCAN_DEPTH = 8
_LINK_SCAN_SKIP = frozenset(
    {".cache", ".agentrun", ".npm", ".cargo", ".rustup", ".git", ".pyenv", ".m2", ".nvm", ".gradle"}
    | {"node_modules", "__pycache__", "site-packages", "Trash", "Cache", "Code Cache", "GPUCache"}
)
"""Caches, toolchains and package trees: big, and made by their tools, not by a dotfiles
manager."""


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

"""Where the user's git runs hooks from when a repository keeps them in its work tree
(``core.hooksPath = .githooks``, husky's ``.husky/_``), and the config files it includes from
there (``include.path = ../shared.gitconfig``, whose ``core.pager`` runs at the next ``git
log``): the user's git runs what they hold, so the sandbox and the gate protect them like
``.git``.

Read once per session start. Git's config files are only scanned as text; ``git config`` runs
only when one of them names ``hooksPath`` or includes another file (the usual repository has
neither: no process is started)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from agentrun.core.pathutil import is_within

_MARKS = (b"hookspath", b"include")


def git_run_paths(roots: Sequence[Path]) -> tuple[Path, ...]:
    """The ``core.hooksPath`` directories and included config files, resolved, of the
    repositories ``roots`` (resolved paths) lie in, and those of the user's global git config
    (with the programs it names by path: ``core.pager = ~/dotfiles/pager``), when inside one
    of the roots."""
    out: list[Path] = list(global_run_paths())
    for root in roots:
        out += repo_run_paths(root)
    return tuple(p for p in dict.fromkeys(out) if any(is_within(p, r) for r in roots))


_NESTED_LIMIT = 64
"""Repositories below the roots asked (one ``git config`` each, only when a config file
mentions a hooks path or an include); more are not checked (a residual, for huge trees)."""


def nested_run_paths(repos: Sequence[Path], roots: Sequence[Path]) -> tuple[Path, ...]:
    """:func:`git_run_paths` of repositories found below the roots (``ws/sub/.git``)."""
    out: list[Path] = []
    for repo in list(dict.fromkeys(repos))[:_NESTED_LIMIT]:
        out += repo_run_paths(repo)
    return tuple(p for p in dict.fromkeys(out) if any(is_within(p, r) for r in roots))


def repo_run_paths(root: Path) -> list[Path]:
    """:func:`git_run_paths` of the one repository ``root`` lies in (wherever they lead)."""
    top = _work_tree(root)
    if top is None or not _mentioned(top):
        return []
    out: list[Path] = []
    for origin, key, value in _configured(root):
        # hooksPath is relative to the work tree; an include to the file naming it
        where = top if key == "core.hookspath" else (top / origin).parent
        out.append(Path(os.path.realpath(where / value)))
    return out


_PROGRAM_KEYS = (
    r"^(core\.(pager|editor|sshcommand|fsmonitor|askpass)|sequence\.editor|diff\.external"
    r"|gpg\.program|gpg\..*\.program|pager\..*|interactive\.difffilter)$"
)
"""Global keys whose value is a command the user's git runs: its first word, when a path."""


def global_run_paths() -> list[Path]:
    """The user's global git config files (``GIT_CONFIG_GLOBAL``, ``~/.gitconfig``,
    ``$XDG_CONFIG_HOME/git/config``) and what they make git run or read: their
    ``core.hooksPath``, included files, and programs named by path. Read only when one of the
    files mentions such a key (no process is started otherwise)."""
    files = _global_files()
    out: list[Path] = [Path(os.path.realpath(f)) for f in files if f.exists()]
    marks: tuple[bytes, ...] = (
        *_MARKS,
        b"pager",
        b"editor",
        b"sshcommand",
        b"fsmonitor",
        b"askpass",
    )
    marks += (b"program", b"external", b"difffilter")
    if not any(m in _text(f) for f in files for m in marks):
        return out
    home = Path(os.environ.get("HOME") or Path.home())
    for origin, key, value in _configured(None, _KEYS):
        base = Path(origin).parent if key != "core.hookspath" else home
        out.append(Path(os.path.realpath(base / value)))
    for _, _, value in _configured(None, _PROGRAM_KEYS, typed=False):
        word = value.strip().removeprefix("!").split(maxsplit=1)
        program = Path(word[0]).expanduser() if word else None
        if program is not None and program.is_absolute():
            out.append(Path(os.path.realpath(program)))
    return out


def _global_files() -> list[Path]:
    env = os.environ
    home = Path(env.get("HOME") or Path.home())
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return [Path(env.get("GIT_CONFIG_GLOBAL") or home / ".gitconfig"), xdg / "git" / "config"]


def _text(f: Path) -> bytes:
    try:
        return f.read_bytes().lower()
    except OSError:
        return b""


def _work_tree(root: Path) -> Path | None:
    """The work tree top ``root`` lies in: the nearest directory holding a ``.git``."""
    for d in (root, *root.parents):
        if os.path.lexists(d / ".git"):
            return d
    return None


def _mentioned(top: Path) -> bool:
    """Whether any config file git would read may set ``core.hooksPath``."""
    env = os.environ
    if env.get("GIT_CONFIG_COUNT") or env.get("GIT_CONFIG_PARAMETERS"):
        return True
    files = [*_global_files(), Path(env.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig")]
    gitdir = _gitdir(top)
    if gitdir is not None:
        files += [gitdir / "config", gitdir / "config.worktree"]
        try:
            common = (gitdir / "commondir").read_text().strip()
        except (OSError, UnicodeDecodeError):
            common = ""
        if common:
            files.append(Path(os.path.normpath(gitdir / common)) / "config")
    for f in files:
        try:
            text = f.read_bytes().lower()
        except OSError:
            continue
        if any(m in text for m in _MARKS):
            return True
    return False


def _gitdir(top: Path) -> Path | None:
    git = top / ".git"
    if git.is_dir():
        return git
    try:
        line = git.read_text(errors="replace").splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    if not line.startswith("gitdir:"):
        return None
    return Path(os.path.normpath(top / line.removeprefix("gitdir:").strip()))


_KEYS = r"^(core\.hookspath|include\.path|includeif\..*\.path)$"


def _configured(
    root: Path | None, keys: str = _KEYS, *, typed: bool = True
) -> list[tuple[str, str, str]]:
    """``core.hooksPath`` and the include paths (or other ``keys``) as the user's git in
    ``root`` sees them (None: the global config, includes followed), ``~`` expanded when
    ``typed``: (the file setting it, relative to the work tree or absolute; key; value)."""
    where = (
        ["-C", str(root), "config"] if root is not None else ["config", "--global", "--includes"]
    )
    argv = ["git", *where, "--show-origin", "-z", *(["--type=path"] if typed else [])]
    try:
        done = subprocess.run(
            [*argv, "--get-regexp", keys],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    fields = done.stdout.decode(errors="replace").split("\0")
    out: list[tuple[str, str, str]] = []
    for origin, entry in zip(fields[0::2], fields[1::2], strict=False):
        key, _, value = entry.partition("\n")
        if origin.startswith("file:") and value:
            out.append((origin.removeprefix("file:"), key.lower(), value))
    return out

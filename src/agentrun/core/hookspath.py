"""Where the user's git runs hooks from when a repository keeps them in its work tree
(``core.hooksPath = .githooks``, husky's ``.husky/_``), and the config files it includes from
there (``include.path = ../shared.gitconfig``, whose ``core.pager`` runs at the next ``git
log``): the user's git runs what they hold, so the sandbox and the gate protect them like
``.git``.

Read once per session start. Git's config files are only read as text (every include followed,
whatever its condition: :mod:`agentrun.core.gitconfigtext`); no process is started."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from agentrun.core.pathutil import is_within


def git_run_paths(roots: Sequence[Path]) -> tuple[Path, ...]:
    """The ``core.hooksPath`` directories and included config files, resolved, of the
    repositories ``roots`` (resolved paths) lie in, and those of the user's global git config
    (with the programs it names by path: ``core.pager = ~/dotfiles/pager``), when inside one
    of the roots."""
    out: list[Path] = list(global_run_paths())
    hooks = _global_relative_hooks()
    for root in roots:
        out += repo_run_paths(root, hooks)
    return _inside(out, roots)


def _inside(paths: Sequence[Path], roots: Sequence[Path]) -> tuple[Path, ...]:
    """``paths`` strictly inside one of ``roots`` (a root itself is never made read-only
    whole: ``alias.b = !cd ~/proj && make`` names the workspace, not a program)."""
    return tuple(p for p in dict.fromkeys(paths) if any(p != r and is_within(p, r) for r in roots))


_NESTED_LIMIT = 2000
"""Repositories below the roots whose config files are read (as text, a few microseconds
each); more are not checked (a residual, for huge trees)."""


def nested_run_paths(repos: Sequence[Path], roots: Sequence[Path]) -> tuple[Path, ...]:
    """:func:`git_run_paths` of repositories found below the roots (``ws/sub/.git``)."""
    out: list[Path] = []
    hooks = _global_relative_hooks()
    for repo in list(dict.fromkeys(repos))[:_NESTED_LIMIT]:
        out += repo_run_paths(repo, hooks)
    return _inside(out, roots)


def repo_run_paths(root: Path, global_hooks: Sequence[str] = ()) -> list[Path]:
    """:func:`git_run_paths` of the one repository ``root`` lies in (wherever they lead), and
    its ``global_hooks`` (a relative ``core.hooksPath`` of the global config: git takes it
    from each work tree)."""
    top = _work_tree(root)
    if top is None:
        return []
    hooks = [Path(os.path.realpath(top / h)) for h in global_hooks]
    gitdir = _gitdir(top)
    if gitdir is None:
        return []
    files = [gitdir / "config", gitdir / "config.worktree"]
    try:
        common = (gitdir / "commondir").read_text().strip()
    except (OSError, UnicodeDecodeError):
        common = ""
    if common:
        files.append(Path(os.path.normpath(gitdir / common)) / "config")
    return hooks + _run_paths(files, top)


def _global_relative_hooks() -> list[str]:
    from agentrun.core.gitconfigtext import config_entries

    return [
        value
        for _, key, value in config_entries(_global_files())
        if key == "core.hookspath" and value and not value.startswith(("/", "~"))
    ]


_RUN_KEYS = re.compile(
    r"^(core\.(hookspath|pager|editor|sshcommand|fsmonitor|askpass|gitproxy)|include\.path"
    r"|sequence\.editor|diff\.external|gpg\.program|gpg\..+\.program|pager\..+"
    r"|interactive\.difffilter|init\.templatedir|credential\.(.+\.)?helper|alias\..+"
    r"|diff\..+\.(textconv|command)|filter\..+\.(clean|smudge|process)|merge\..+\.driver"
    r"|(diff|merge)tool\..+\.(cmd|path)|uploadpack\.packobjectshook|protocol\..+"
    r"|remote\..+\.(uploadpack|receivepack|vcs)|(browser|man)\..+\.(cmd|path)|web\.browser"
    r"|core\.(worktree|excludesfile|attributesfile)|ssh\.variant)$",
    re.IGNORECASE,
)
"""Keys whose value names a program git runs, a directory it copies hooks from, or a file it
reads: every absolute or ``~/`` word of their values counts (``!~/bin/x --y`` for an alias,
``~/tmpl`` for ``init.templateDir``)."""


def global_run_paths() -> list[Path]:
    """The user's global git config files (``GIT_CONFIG_GLOBAL``, ``~/.gitconfig``,
    ``$XDG_CONFIG_HOME/git/config``) and what they make git run or read: their
    ``core.hooksPath``, every included file (whatever its ``includeIf`` condition), template
    directory and programs named by path. Read as text; no process is started."""
    files = _global_files()
    out: list[Path] = [Path(os.path.realpath(f)) for f in files if os.path.lexists(f)]
    home = Path(os.environ.get("HOME") or Path.home())
    return out + _run_paths(files, home)


def _run_paths(files: list[Path], base: Path) -> list[Path]:
    """What ``files`` (and their includes) make git run or read; a relative
    ``core.hooksPath`` is taken from ``base`` (the work tree, or the home directory)."""
    from agentrun.core.gitconfigtext import config_entries, path_words

    home = Path(os.environ.get("HOME") or Path.home())
    out: list[Path] = []
    for _, key, value in config_entries(files):
        if not _RUN_KEYS.match(key):
            continue
        if key in ("core.hookspath", "include.path"):
            where = Path(value).expanduser()
            out.append(Path(os.path.realpath(base / where)))
        elif key == "init.templatedir":
            out += path_words(value, home)
        else:  # a command: the programs it names, not a directory it changes to
            out += [p for p in path_words(value, home) if not p.is_dir()]
    return out


def _global_files() -> list[Path]:
    env = os.environ
    home = Path(env.get("HOME") or Path.home())
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return [Path(env.get("GIT_CONFIG_GLOBAL") or home / ".gitconfig"), xdg / "git" / "config"]


def _work_tree(root: Path) -> Path | None:
    """The work tree top ``root`` lies in: the nearest directory holding a ``.git``."""
    for d in (root, *root.parents):
        if os.path.lexists(d / ".git"):
            return d
    return None


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

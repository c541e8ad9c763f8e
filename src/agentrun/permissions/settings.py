"""Settings files: where permission rules and the default permission mode come from.

Read in this order, later files winning for scalar settings (``defaultMode``) while rule lists are
unioned (deny beats ask beats allow whatever file a rule comes from, as in Claude Code):

1. ``~/.agentrun/settings.json`` (``$AGENTRUN_HOME/settings.json``) — the user's;
2. ``.claude/settings.json`` then ``.claude/settings.local.json`` in the workspace — only their
   ``permissions`` (an existing Claude Code project's deny and ask rules hold) and ``webSearch``;
3. ``.agentrun/settings.json`` then ``.agentrun/settings.local.json`` in the workspace.

The workspace's files (2 and 3) can be written by whoever controls the workspace, a model
included, so they may only narrow what a session may do: their ``ask`` and ``deny`` rules and a
``defaultMode`` of ``default``, ``acceptEdits`` (as teams commit it), ``plan`` or ``dontAsk``
apply; their ``allow`` rules and ``bypassPermissions`` are ignored, with a warning. Only the
user's own file or a flag can raise rights. ``webSearch``'s domain lists only narrow
searches, so every file's count (see :mod:`agentrun.tools.web.searchdomains`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrun.core.errors import ConfigError
from agentrun.core.home import agentrun_home
from agentrun.core.webcalls import SearchDomains, domain_host
from agentrun.permissions.rules import Rule

__all__ = ["RuleSource", "Settings", "load_settings", "read_once", "settings_paths"]


@dataclass(frozen=True)
class RuleSource:
    """The rules of one settings file. ``root`` anchors ``/path`` patterns (the directory that
    holds ``.agentrun``/``.claude``)."""

    path: Path
    root: Path
    project: bool = False
    """A workspace file: its allow rules are not used."""
    allow: tuple[str, ...] = ()
    ask: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """The merged settings files: their rules in precedence order, and the default mode."""

    sources: tuple[RuleSource, ...]
    default_mode: str | None = None
    warnings: tuple[str, ...] = ()
    search_domains: SearchDomains = field(default_factory=SearchDomains)
    """``webSearch.allowedDomains`` / ``blockedDomains`` of every file, each narrowing."""


def settings_paths(cwd: Path, home: Path | None = None) -> list[tuple[Path, Path]]:
    """``(file, root)`` pairs in precedence order, lowest first. ``home`` is the user's home
    directory (its ``.agentrun/settings.json`` is read); None means ``$AGENTRUN_HOME``."""
    if home is not None:
        user = (home / ".agentrun" / "settings.json", home)
    else:
        base = agentrun_home()
        user = (base / "settings.json", base.parent)
    project = [
        cwd / ".claude" / "settings.json",
        cwd / ".claude" / "settings.local.json",
        cwd / ".agentrun" / "settings.json",
        cwd / ".agentrun" / "settings.local.json",
    ]
    return [user, *((p, cwd) for p in project)]


def source_kind(path: Path, *, user: bool) -> str:
    """Which of Claude Code's setting sources a file is: ``user``, ``project`` or ``local``."""
    if user:
        return "user"
    return "local" if path.name.endswith(".local.json") else "project"


def load_settings(
    cwd: Path,
    home: Path | None = None,
    extra: Sequence[tuple[str, Mapping[str, Any]]] = (),
    only: Collection[str] | None = None,
) -> Settings:
    """Read every settings file that exists, then the ``extra`` layers (``--settings``: the
    user's own, given for one run, so they count as the user's file); a malformed one is a
    :class:`ConfigError` naming the file (a silently ignored deny rule would be worse than
    stopping). ``only``: only the files of these kinds (``user``, ``project``, ``local``;
    None: all), as a program asks for with the SDK's ``setting_sources``."""
    sources: list[RuleSource] = []
    default_mode: str | None = None
    warnings: list[str] = []
    search = SearchDomains()
    paths = settings_paths(cwd, home)
    layers: list[tuple[Path, Path, bool, Mapping[str, Any]]] = []
    for index, (path, root) in enumerate(paths):
        project = index > 0
        if (project and path == paths[0][0]) or not path.is_file():  # run from home: read once
            continue
        if only is not None and source_kind(path, user=not project) not in only:
            continue
        layers.append((path, root, project, read_settings_json(path)))
    layers += [(Path(label), cwd, False, data) for label, data in extra]
    for path, root, project, data in layers:
        perms = data.get("permissions", {})
        if not isinstance(perms, dict):
            raise ConfigError(f"{path}: 'permissions' must be an object")
        sources.append(
            RuleSource(
                path=path,
                root=root,
                project=project,
                allow=_rule_list(perms, "allow", path),
                ask=_rule_list(perms, "ask", path),
                deny=_rule_list(perms, "deny", path),
            )
        )
        search = search.narrowed(_search_domains(data, path))
        mode = perms.get("defaultMode")
        if mode is not None:
            from agentrun.permissions import PERMISSION_MODES

            if mode not in PERMISSION_MODES:
                raise ConfigError(
                    f"{path}: permissions.defaultMode {mode!r} is not a permission mode; "
                    f"choose one of {', '.join(PERMISSION_MODES)}"
                )
            if project and mode == "bypassPermissions":
                warnings.append(
                    f"{path}: defaultMode bypassPermissions ignored: a workspace settings file "
                    "may not turn it on (use --permission-mode or ~/.agentrun/settings.json)"
                )
            else:
                default_mode = mode
        if project and sources[-1].allow:
            warnings.append(
                f"{path}: allow rules ignored ({', '.join(sources[-1].allow)}): a workspace "
                "settings file may only narrow permissions (use --allowedTools or "
                "~/.agentrun/settings.json)"
            )
    return Settings(
        sources=tuple(sources),
        default_mode=default_mode,
        warnings=tuple(warnings),
        search_domains=search,
    )


_read: ContextVar[dict[Path, dict[str, Any]] | None] = ContextVar("settings_read", default=None)


@contextlib.contextmanager
def read_once() -> Iterator[None]:
    """Within the block each settings file is read and parsed once (a session's permission
    rules and its hooks come from the same files, and so from the same bytes)."""
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


def read_settings_json(path: Path) -> dict[str, Any]:
    """One settings file as a JSON object; unreadable or malformed is a ConfigError naming it.
    Inside :func:`read_once`, a file already read is not read again (callers do not modify
    what they get)."""
    cache = _read.get()
    if cache is None:
        return _read_settings_json(path)
    key = path.resolve()
    data = cache.get(key)
    if data is None:
        data = cache[key] = _read_settings_json(path)
    return data


def _read_settings_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read settings: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}:{e.lineno}: invalid JSON in settings: {e.msg}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: settings must be a JSON object")
    return data


def _rule_list(perms: Mapping[str, Any], key: str, path: Path) -> tuple[str, ...]:
    value = perms.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: permissions.{key} must be a list of strings")
    for text in value:
        try:
            Rule.parse(text)
        except ConfigError as e:
            raise ConfigError(f"{path}: permissions.{key}: {e}") from e
    return tuple(value)


def _search_domains(data: Mapping[str, Any], path: Path) -> SearchDomains:
    """One file's ``webSearch`` lists. Every file only narrows (an allow list is intersected
    with the others', a block list joined), so a workspace's file is read like the user's."""
    value = data.get("webSearch", {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: 'webSearch' must be an object")
    lists: dict[str, tuple[str, ...] | None] = {}
    for key in ("allowedDomains", "blockedDomains"):
        raw = value.get(key)
        if raw is not None and not (
            isinstance(raw, list) and all(isinstance(d, str) and d.strip() for d in raw)
        ):
            raise ConfigError(f"{path}: webSearch.{key} must be a list of domain names")
        for entry in raw or ():
            from agentrun.core.hosts import valid_host  # only for a file that has lists

            if not valid_host(domain_host(entry)):
                raise ConfigError(f"{path}: webSearch.{key}: {entry!r} is not a domain name")
        lists[key] = None if raw is None else tuple(d.strip().lower() for d in raw)
    return SearchDomains(lists["allowedDomains"], lists["blockedDomains"] or ())

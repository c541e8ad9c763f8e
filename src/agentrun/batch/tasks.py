"""A batch's task file (JSONL or YAML) read into :class:`Task` values, every problem by id.

JSONL: one JSON object per line; a line ``{"defaults": {...}}`` (first) sets defaults. YAML:
``{defaults: {...}, tasks: [...]}`` or a plain list. Relative paths (``repo``, ``workspace``,
``agent`` files, ``script:``/``replay:`` models) are relative to the task file's directory, since
each task runs somewhere else (its own worktree).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agentrun.core.errors import ConfigError
from agentrun.core.vocab import DEFAULT_AGENT, PERMISSION_MODES
from agentrun.runner.gitcmd import git_program

FIELDS = frozenset(
    {
        "id",
        "prompt",
        "repo",
        "ref",
        "workspace",
        "agent",
        "model",
        "max_turns",
        "max_budget_usd",
        "timeout",
        "permission_mode",
        "allowed_tools",
        "env",
    }
)


@dataclass(frozen=True)
class Task:
    """One task: what to ask, where (a git ``repo`` at ``ref``, or a ``workspace`` to copy)."""

    id: str
    prompt: str
    repo: str | None = None
    ref: str = "HEAD"
    workspace: str | None = None
    agent: str = DEFAULT_AGENT
    model: str | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None
    timeout: float | None = None
    permission_mode: str = "default"
    allowed_tools: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.repo if self.repo is not None else str(self.workspace)


class TaskFileError(ConfigError):
    """The task file is unusable; ``problems`` lists each as ``(task id or line, message)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = [f"{where}: {message}" for where, message in problems]
        super().__init__(f"{len(problems)} problem(s) in the task file:\n  " + "\n  ".join(lines))


def load_tasks(path: str | Path, defaults: Mapping[str, Any] | None = None) -> list[Task]:
    """Read and validate every task of ``path``; raise :class:`TaskFileError` listing all problems.

    ``defaults`` (from flags) apply under the file's own defaults and each task's fields.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the task file {file}: {e}") from e
    problems: list[tuple[str, str]] = []
    file_defaults, raw = _parse(text, file.suffix.lower(), problems)
    merged = {**(defaults or {}), **file_defaults}
    return validate([{**merged, **item} for item in raw], base=file.parent, problems=problems)


def validate(
    items: Iterable[Mapping[str, Any]],
    *,
    base: Path | None = None,
    problems: list[tuple[str, str]] | None = None,
) -> list[Task]:
    """Check each task (fields, types, agent, repository and ref) before anything runs."""
    found = problems if problems is not None else []
    tasks: list[Task] = []
    seen: set[str] = set()
    for index, item in enumerate(items, 1):
        where = str(item.get("id") or f"task #{index}")
        before = len(found)
        task = _task(item, where, base or Path.cwd(), found)
        if task is not None and task.id in seen:
            found.append((where, "duplicate id"))
        if task is not None and len(found) == before:
            seen.add(task.id)
            tasks.append(task)
    if found:
        raise TaskFileError(found)
    return tasks


def _parse(
    text: str, suffix: str, problems: list[tuple[str, str]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"the task file is not valid YAML: {e}") from e
        defaults: Any = {}
        if isinstance(data, dict):
            defaults, data = data.get("defaults") or {}, data.get("tasks")
        if not isinstance(data, list) or not isinstance(defaults, dict):
            raise ConfigError(
                "a YAML task file is a list of tasks or {defaults: {...}, tasks: [...]}"
            )
        items = []
        for index, item in enumerate(data, 1):
            if isinstance(item, dict):
                items.append(item)
            else:
                problems.append((f"task #{index}", "a task is a mapping"))
        return defaults, items
    defaults = {}
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append((f"line {number}", f"not JSON: {e.msg}"))
            continue
        if not isinstance(item, dict):
            problems.append((f"line {number}", "a task is a JSON object"))
        elif set(item) == {"defaults"} and isinstance(item["defaults"], dict):
            defaults.update(item["defaults"])
        else:
            items.append(item)
    return defaults, items


def _task(
    item: Mapping[str, Any], where: str, base: Path, problems: list[tuple[str, str]]
) -> Task | None:
    def bad(message: str) -> None:
        problems.append((where, message))

    unknown = sorted(set(item) - FIELDS)
    if unknown:
        bad(f"unknown field(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name in ("id", "prompt"):
        value = item.get(name)
        if not isinstance(value, str) or not value.strip():
            bad(f"missing or empty {name!r}")
            return None
        values[name] = value
    for name in ("ref", "agent", "model", "permission_mode"):
        if item.get(name) is not None:
            if not isinstance(item[name], str) or not item[name]:
                bad(f"{name!r} must be a non-empty string")
            else:
                values[name] = item[name]
    for name, kind in (("max_turns", int), ("max_budget_usd", float), ("timeout", float)):
        value = item.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            bad(f"{name!r} must be a positive number")
        elif kind is int and not isinstance(value, int):
            bad(f"{name!r} must be a whole number")
        else:
            values[name] = kind(value)
    tools = item.get("allowed_tools")
    if tools is not None:
        if isinstance(tools, str):
            tools = [t for t in tools.replace(",", " ").split() if t]
        if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
            bad("'allowed_tools' must be a list of strings")
        else:
            values["allowed_tools"] = tuple(tools)
    env = item.get("env")
    if env is not None:
        if not isinstance(env, dict) or not all(
            isinstance(k, str) and isinstance(v, str | int | float) for k, v in env.items()
        ):
            bad("'env' must map names to strings")
        else:
            values["env"] = {k: str(v) for k, v in env.items()}
    if values.get("permission_mode", "default") not in PERMISSION_MODES:
        bad(f"unknown permission_mode {values['permission_mode']!r}")
    task = Task(**values)
    return _place(task, item, base, bad)


def _place(task: Task, item: Mapping[str, Any], base: Path, bad: Any) -> Task | None:
    repo, workspace = item.get("repo"), item.get("workspace")
    if (repo is None) == (workspace is None):
        bad("give exactly one of 'repo' (a git repository) or 'workspace' (a directory)")
        return None
    where = Path(str(repo if repo is not None else workspace)).expanduser()
    where = (base / where).resolve()
    if not where.is_dir():
        bad(f"{'repository' if repo is not None else 'workspace'} {where} does not exist")
        return None
    if repo is not None:
        sha = _rev_parse(where, task.ref)
        if sha is None:
            bad(f"{where} is not a git repository with a commit {task.ref!r}")
            return None
        task = replace(task, repo=str(where))
    else:
        task = replace(task, workspace=str(where))
    if task.model and task.model.split(":", 1)[0] in ("script", "replay"):
        kind, _, spec = task.model.partition(":")
        model_file = (base / Path(spec).expanduser()).resolve()
        if not model_file.is_file():
            bad(f"model file {model_file} does not exist")
            return None
        task = replace(task, model=f"{kind}:{model_file}")
    return _agent(task, where, base, bad)


def _agent(task: Task, where: Path, base: Path, bad: Any) -> Task | None:
    from agentrun.agentfile.agentfile import looks_like_path, resolve_agent

    agent = task.agent
    if looks_like_path(agent):
        agent = str((base / Path(agent).expanduser()).resolve())
    try:
        resolve_agent(agent, where)
    except ConfigError as e:  # AgentFileError is one
        bad(" ".join(str(e).split()))
        return None
    return replace(task, agent=agent)


def _rev_parse(repo: Path, ref: str) -> str | None:
    done = subprocess.run(
        [git_program(), "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return done.stdout.strip() or None if done.returncode == 0 else None

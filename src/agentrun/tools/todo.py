"""TodoWrite: the model's task list for the session. Each call replaces the list; the tool keeps
it (one tool object per session) and answers as Claude Code does. The list itself reaches
stream-json and the REPL as the tool call's input."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ToolResult
from agentrun.tools.morespecs import TODOWRITE_DESCRIPTION, TODOWRITE_SCHEMA
from agentrun.tools.validate import item_problem

if TYPE_CHECKING:
    from agentrun.tools.base import ToolContext

STATUSES = ("pending", "in_progress", "completed")
_KEYS = ("content", "status", "activeForm")
ANSWER = (
    "Todos have been modified successfully. Ensure that you continue to use the todo list to "
    "track your progress. Please proceed with the current tasks if applicable"
)


def _problem(todos: Any) -> str | None:
    if not isinstance(todos, list):
        return "todos must be a list of {content, status, activeForm} objects."
    for i, todo in enumerate(todos, 1):
        where = f"todo {i}"
        problem = item_problem(where, todo, _KEYS, "content, status and activeForm")
        if problem is not None:
            return problem
        for key in ("content", "activeForm"):
            value = todo.get(key)
            if not isinstance(value, str) or not value.strip():
                return f"{where}: {key} must be a non-empty string."
        if todo.get("status") not in STATUSES:
            return f"{where}: status must be one of {', '.join(STATUSES)}."
    return None


class TodoWriteTool:
    """Claude Code's TodoWrite (see the module docstring)."""

    name = "TodoWrite"
    description = TODOWRITE_DESCRIPTION
    input_schema = TODOWRITE_SCHEMA
    read_only = True  # changes nothing on disk

    def __init__(self) -> None:
        self.todos: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        todos = input.get("todos")
        problem = _problem(todos)
        if problem is not None:
            return ToolResult(problem, is_error=True)
        assert isinstance(todos, list)
        with self._lock:
            self.todos = [dict(t) for t in todos]
        return ToolResult(ANSWER)

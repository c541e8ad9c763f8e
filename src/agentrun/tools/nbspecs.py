"""What the model is told about NotebookEdit and the background-job tools BashOutput and
KillShell (their names, parameters and types as Claude Code has them)."""

from __future__ import annotations

from agentrun.core.types import JSON, ToolSpec

NOTEBOOK_DESCRIPTION = """\
Replaces, inserts or deletes one cell of a Jupyter notebook (.ipynb file).

- notebook_path should be an absolute path; a relative path is taken from the session's \
working directory.
- Read the notebook first: NotebookEdit refuses a notebook not read in this session, or \
changed since.
- cell_id is the id Read shows for the cell (`<cell id="...">`); `cell-N` picks the cell at \
0-based position N.
- edit_mode replace (the default) sets the cell's source; a replaced code cell loses its \
outputs and execution count. insert adds a new cell after cell_id (at the top when cell_id \
is omitted) and needs cell_type. delete removes the cell (new_source is then ignored).
- cell_type (code or markdown) changes a replaced cell's type; omitted, the type is kept.
- The notebook stays valid nbformat JSON and keeps its indentation."""

NOTEBOOK_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "notebook_path": {
            "type": "string",
            "description": "The absolute path to the Jupyter notebook file to edit (must be "
            "absolute, not relative)",
        },
        "cell_id": {
            "type": "string",
            "description": "The ID of the cell to edit. When inserting a new cell, the new "
            "cell will be inserted after the cell with this ID, or at the beginning if not "
            "specified.",
        },
        "new_source": {"type": "string", "description": "The new source for the cell"},
        "cell_type": {
            "type": "string",
            "enum": ["code", "markdown"],
            "description": "The type of the cell (code or markdown). If not specified, it "
            "defaults to the current cell type. If using edit_mode=insert, this is required.",
        },
        "edit_mode": {
            "type": "string",
            "enum": ["replace", "insert", "delete"],
            "description": "The type of edit to make (replace, insert, delete). Defaults to "
            "replace.",
        },
    },
    "required": ["notebook_path", "new_source"],
    "additionalProperties": False,
}

BASH_OUTPUT_DESCRIPTION = """\
Reads the output of a background Bash job (started with run_in_background) and its status.

- bash_id is the id the Bash result gave (`bash_1`, ...).
- Each call returns only the output written since the previous BashOutput call for that job, \
with the job's status (running, completed, killed) and, once it ended, its exit code.
- filter is a regular expression (ripgrep syntax): only the new lines matching it are shown; \
the other new lines are skipped and will not be shown again.
- Use it to follow a server, a watcher or a long build without waiting for it."""

BASH_OUTPUT_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "bash_id": {
            "type": "string",
            "description": "The ID of the background shell to retrieve output from",
        },
        "filter": {
            "type": "string",
            "description": "Optional regular expression to filter the output lines. Only lines "
            "matching this regex will be included in the result. Any lines that do not match "
            "will no longer be available to read.",
        },
    },
    "required": ["bash_id"],
    "additionalProperties": False,
}

KILL_SHELL_DESCRIPTION = """\
Stops a background Bash job (started with run_in_background) and every process it started.

- shell_id is the id the Bash result gave (`bash_1`, ...).
- Its output so far stays readable with BashOutput.
- Use it for a server or watcher you no longer need, or a job that hangs.
- It also stops a background agent: give the agentId the Task tool answered (`agent_1`, ...)."""

TASK_OUTPUT_DESCRIPTION = """\
Reads the output of a background task: an agent started with run_in_background (its agentId, \
`agent_1`, ...) or a background Bash job (`bash_1`, ...).

- block (default true) waits until the task has ended, at most timeout milliseconds \
(default 30000, at most 600000); block false answers at once with the status so far.
- The answer gives the task's status (running, completed, failed, killed) and its output.
- A background agent's result also arrives on its own as a <task-notification> message when \
it ends: call this only when you need the result before that."""

TASK_OUTPUT_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "task_id": {"type": "string", "description": "The task ID to get output from"},
        "block": {
            "type": "boolean",
            "default": True,
            "description": "Whether to wait for completion",
        },
        "timeout": {
            "type": "number",
            "default": 30000,
            "minimum": 0,
            "maximum": 600000,
            "description": "Max wait time in ms",
        },
    },
    "required": ["task_id"],
    "additionalProperties": False,
}

KILL_SHELL_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "shell_id": {"type": "string", "description": "The ID of the background shell to kill"},
    },
    "required": ["shell_id"],
    "additionalProperties": False,
}

NOTEBOOK_SPECS: dict[str, ToolSpec] = {
    "NotebookEdit": ToolSpec("NotebookEdit", NOTEBOOK_DESCRIPTION, NOTEBOOK_SCHEMA),
    "BashOutput": ToolSpec("BashOutput", BASH_OUTPUT_DESCRIPTION, BASH_OUTPUT_SCHEMA),
    "KillShell": ToolSpec("KillShell", KILL_SHELL_DESCRIPTION, KILL_SHELL_SCHEMA),
}

TASK_SPECS: dict[str, ToolSpec] = {
    "TaskOutput": ToolSpec("TaskOutput", TASK_OUTPUT_DESCRIPTION, TASK_OUTPUT_SCHEMA),
}

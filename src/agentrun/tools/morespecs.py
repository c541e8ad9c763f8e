"""What the model is told about Claude Code's smaller tools: MultiEdit, LS, TodoWrite
(their names, parameters and types as Claude Code has them)."""

from __future__ import annotations

from agentrun.core.types import JSON, ToolSpec

MULTIEDIT_DESCRIPTION = """\
Makes several edits to one file in one operation; prefer it over several Edit calls on the \
same file.

- Read the file first: MultiEdit refuses a file not read in this session, or changed since.
- edits are applied in order, each to the result of the one before; each follows Edit's rules \
(old_string must match exactly, once unless replace_all is true, and differ from new_string).
- The edits are atomic: if any one fails, none is applied and the file is unchanged.
- Plan the order: an earlier edit can change the text a later one looks for."""

MULTIEDIT_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "file_path": {
            "type": "string",
            "description": "The absolute path to the file to modify",
        },
        "edits": {
            "type": "array",
            "minItems": 1,
            "description": "Array of edit operations to perform sequentially on the file",
            "items": {
                "type": "object",
                "properties": {
                    "old_string": {"type": "string", "description": "The text to replace"},
                    "new_string": {
                        "type": "string",
                        "description": "The text to replace it with",
                    },
                    "replace_all": {
                        "type": "boolean",
                        "default": False,
                        "description": "Replace all occurrences of old_string (default false).",
                    },
                },
                "required": ["old_string", "new_string"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["file_path", "edits"],
    "additionalProperties": False,
}

LS_DESCRIPTION = """\
Lists the files and directories in a directory (one level; directories end with /). path \
must be an absolute path; ignore takes glob patterns of names to leave out. Prefer Glob and \
Grep when you know what you are looking for."""

LS_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "path": {
            "type": "string",
            "description": "The absolute path to the directory to list (must be absolute)",
        },
        "ignore": {
            "type": "array",
            "items": {"type": "string"},
            "description": "List of glob patterns to ignore",
        },
    },
    "required": ["path"],
    "additionalProperties": False,
}

TODOWRITE_DESCRIPTION = """\
Creates and updates a structured task list for this session: it tracks progress on \
multi-step work and shows the user where you are.

- Use it for tasks of three or more steps, or when the user gives several things to do.
- Each call replaces the whole list. Keep exactly one task in_progress while working; mark a \
task completed as soon as it is done, not in batches.
- content says what to do ("Run the tests"); activeForm says it as it happens ("Running the \
tests")."""

TODOWRITE_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "todos": {
            "type": "array",
            "description": "The updated todo list",
            "items": {
                "type": "object",
                "properties": {
                    "content": {"type": "string", "minLength": 1},
                    "status": {
                        "type": "string",
                        "enum": ["pending", "in_progress", "completed"],
                    },
                    "activeForm": {"type": "string", "minLength": 1},
                },
                "required": ["content", "status", "activeForm"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["todos"],
    "additionalProperties": False,
}

MORE_SPECS: dict[str, ToolSpec] = {
    "MultiEdit": ToolSpec("MultiEdit", MULTIEDIT_DESCRIPTION, MULTIEDIT_SCHEMA),
    "LS": ToolSpec("LS", LS_DESCRIPTION, LS_SCHEMA),
    "TodoWrite": ToolSpec("TodoWrite", TODOWRITE_DESCRIPTION, TODOWRITE_SCHEMA),
}

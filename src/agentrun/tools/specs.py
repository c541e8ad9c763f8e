"""What the model is told about each of the six tools: name, description and input schema.

Kept as data, apart from the implementations, so that a session can offer all six tools (and
``agentrun tools`` can print them) without importing a tool's code before its first call: Bash
alone pulls in the shell, and a one-turn run should not pay for it. The limits the texts promise
live here too and the implementations import them, so a text cannot drift from the behaviour.
"""

from __future__ import annotations

from agentrun.core.types import JSON, ToolSpec
from agentrun.core.vocab import READ_ONLY_TOOLS, WEB_TOOLS
from agentrun.tools.morespecs import MORE_SPECS
from agentrun.tools.nbspecs import NOTEBOOK_SPECS, TASK_SPECS
from agentrun.tools.webspecs import WEB_SPECS

DEFAULT_TIMEOUT_MS = 120_000
"""A Bash call's timeout when the model gives none."""
MAX_TIMEOUT_MS = 600_000
"""The longest timeout a Bash call may ask for."""
MAX_OUTPUT_CHARS = 30_000
"""The most characters of output the model sees from one command (marker included)."""

# Read


READ_DESCRIPTION = """\
Reads a file from the local filesystem and returns its lines, numbered.

- file_path should be an absolute path; a relative path is taken from the session's working \
directory (a `cd` in Bash does not change that).
- By default up to 2000 lines are returned from the start of the file. For long files, pass \
offset (the 1-based line to start at) and limit (how many lines) to read a part.
- Each line is shown as its line number, a tab, then the text; lines longer than 2000 \
characters are cut.
- Files over 256 KB cannot be read whole, and one read returns at most about 25,000 tokens: \
read a part with offset and limit, or search with Grep.
- Images (PNG, JPEG, GIF, WebP) are returned as images you can see. Other binary files are refused.
- A Jupyter notebook (.ipynb) is shown cell by cell: each cell's id (which NotebookEdit \
takes), type, source and outputs (images included). With offset or limit you get its raw JSON.
- Reading a directory fails; use Glob or Bash `ls` to list one.
- Read a file before you change it with Write or Edit: they refuse files not read in this session.
- Several Reads in one response run in parallel; batch them when you need many files."""

READ_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "file_path": {"type": "string", "description": "The absolute path of the file to read"},
        "offset": {
            "type": "number",
            "description": "The line number to start reading from (1-based). Only give it for "
            "files too large to read at once",
        },
        "limit": {
            "type": "number",
            "description": "How many lines to read. Only give it for files too large to read "
            "at once",
        },
    },
    "required": ["file_path"],
    "additionalProperties": False,
}

# Write


WRITE_DESCRIPTION = """\
Writes a file to the local filesystem, creating it (and its parent directories) or replacing it.

- file_path should be an absolute path; a relative path is taken from the session's working \
directory (a `cd` in Bash does not change that).
- To replace an existing file you must first Read it whole in this session, and it must not \
have changed since; otherwise the write is refused.
- Prefer Edit for changing part of an existing file: it sends only the change.
- The file keeps its line endings (CRLF stays CRLF), encoding and permissions.
- Do not create documentation or README files unless asked to."""

WRITE_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "file_path": {
            "type": "string",
            "description": "The absolute path of the file to write",
        },
        "content": {"type": "string", "description": "The content to write to the file"},
    },
    "required": ["file_path", "content"],
    "additionalProperties": False,
}

# Edit


EDIT_DESCRIPTION = """\
Performs an exact string replacement in a file.

- You must Read the file in this session before editing it; an edit of a file that changed on \
disk since that read is refused.
- old_string must match the file exactly, including indentation (tabs or spaces) and trailing \
whitespace. When copying from Read output, leave out the line-number prefix (number and tab).
- The edit fails if old_string occurs more than once: add surrounding lines to make it unique, \
or set replace_all to true to replace every occurrence (useful for renaming).
- An empty old_string creates a new file containing new_string.
- Line endings (CRLF), encoding and permissions of the file are kept."""

EDIT_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "file_path": {"type": "string", "description": "The absolute path of the file to modify"},
        "old_string": {"type": "string", "description": "The text to replace"},
        "new_string": {
            "type": "string",
            "description": "The text to replace it with (must be different from old_string)",
        },
        "replace_all": {
            "type": "boolean",
            "default": False,
            "description": "Replace all occurrences of old_string (default false)",
        },
    },
    "required": ["file_path", "old_string", "new_string"],
    "additionalProperties": False,
}

# Bash


BASH_DESCRIPTION = f"""\
Runs a bash command and returns its output (stdout and stderr together, in the order written).

- Each call starts a fresh shell, but the working directory carries over: a `cd` sticks for \
later calls, as long as it stays inside the workspace (otherwise it is reset to the workspace \
root). Exported variables and shell functions do not carry over.
- `timeout` is in milliseconds: default {DEFAULT_TIMEOUT_MS:,} (2 minutes), at most \
{MAX_TIMEOUT_MS:,} (10 minutes). A command still running then is killed with every process it \
started.
- Output longer than {MAX_OUTPUT_CHARS:,} characters is cut in the middle (its beginning and \
end are kept); pipe long output through `head`, `tail` or `grep`.
- A non-zero exit makes the result an error that starts with the exit code.
- Commands read no input (stdin is empty): never start anything interactive; pass flags like \
`-y` or `--no-edit` instead.
- For a server, a watcher or a long build, set `run_in_background: true`: the call returns at \
once with a job id and a log file holding the job's output; read it later with Read or with \
`tail`/`cat` in Bash. A process started with `&` in an ordinary call is killed when that call \
ends; background jobs are killed when the session ends.
- To read, search, find or change files, prefer the Read, Grep, Glob, Edit and Write tools \
over `cat`, `grep`, `find`, `sed` or `echo >`.
- Quote paths that contain spaces. Chain dependent commands with `&&`.
"""

BASH_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "command": {"type": "string", "description": "The bash command to run."},
        "timeout": {
            "type": "number",
            "description": f"Optional timeout in milliseconds (at most {MAX_TIMEOUT_MS}).",
        },
        "description": {
            "type": "string",
            "description": "A short description, in 5-10 words, of what the command does.",
        },
        "run_in_background": {
            "type": "boolean",
            "description": "Set to true to start the command in the background and return "
            "at once; its output goes to a log file you can read later.",
        },
    },
    "required": ["command"],
    "additionalProperties": False,
}

# Glob


GLOB_DESCRIPTION = """\
Finds files by name with a glob pattern, in a directory tree of any size.
- Patterns like "**/*.py", "src/**/*.{ts,tsx}" or "*.md" (a pattern without "/" matches \
file names at any depth).
- Returns matching file paths, most recently modified first, at most 100; a final line says \
when there were more. Paths inside the working directory are relative to it (whatever "path" \
is); others are absolute.
- An absolute pattern ("/repo/src/*.py") searches its own directory.
- Hidden files are included and .gitignore is not applied; version-control folders are skipped.
- For searching file contents use Grep. To run several searches, call this tool several times \
in one response."""

GLOB_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "pattern": {
            "type": "string",
            "description": "The glob pattern to match file paths against.",
        },
        "path": {
            "type": "string",
            "description": "The directory to search in (default: the working directory). "
            'Leave it out for the default; do not pass "undefined" or "null".',
        },
    },
    "required": ["pattern"],
    "additionalProperties": False,
}

# Grep


GREP_DESCRIPTION = """\
Searches file contents with a regular expression (ripgrep).
- Full regex syntax (ripgrep/Rust flavour): "log.*Error", "def \\w+\\(". Escape literal \
braces and parentheses: "interface\\{\\}".
- Narrow the files with "glob" (e.g. "*.py", "*.{ts,tsx}") or "type" (e.g. "py", "rust").
- output_mode: "files_with_matches" (default; paths, newest modified first), "content" \
(matching lines as path:line:text, with -A/-B/-C context, files in path order), or "count" \
(matching lines per file, then a total). Matching lines over 500 characters are cut.
- Paths inside the working directory are shown relative to it; others are absolute.
- head_limit (default 250; 0 for no limit) and offset page through long results.
- Patterns match within one line unless multiline is true.
- Hidden files are searched; .gitignore is respected; version-control folders are skipped.
- Use this instead of running grep or rg through Bash."""

GREP_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "pattern": {
            "type": "string",
            "description": "The regular expression to search file contents for.",
        },
        "path": {
            "type": "string",
            "description": "The file or directory to search (default: the working directory).",
        },
        "glob": {
            "type": "string",
            "description": 'Only search files whose names match this glob (e.g. "*.js", '
            '"*.{ts,tsx}"); several may be given separated by spaces or commas.',
        },
        "output_mode": {
            "type": "string",
            "enum": ["content", "files_with_matches", "count"],
            "description": '"content" shows matching lines, "files_with_matches" (default) '
            'shows file paths, "count" shows the number of matching lines per file.',
        },
        "-B": {
            "type": "number",
            "minimum": 0,
            "description": 'Lines of context before each match (output_mode "content" only).',
        },
        "-A": {
            "type": "number",
            "minimum": 0,
            "description": 'Lines of context after each match (output_mode "content" only).',
        },
        "-C": {
            "type": "number",
            "minimum": 0,
            "description": "Lines of context before and after each match "
            '(output_mode "content" only).',
        },
        "-n": {
            "type": "boolean",
            "description": 'Show line numbers (output_mode "content" only; default true).',
        },
        "-i": {"type": "boolean", "description": "Case-insensitive search."},
        "type": {
            "type": "string",
            "description": 'Only search files of this ripgrep type (e.g. "py", "js", "rust"); '
            "more efficient than glob for standard file types.",
        },
        "head_limit": {
            "type": "number",
            "minimum": 0,
            "description": "Show at most this many entries (lines, files or count lines); "
            "default 250, 0 for no limit.",
        },
        "offset": {
            "type": "number",
            "minimum": 0,
            "description": "Skip this many entries before applying head_limit (default 0).",
        },
        "multiline": {
            "type": "boolean",
            "description": "Let patterns span lines and let . match newlines (default false).",
        },
    },
    "required": ["pattern"],
    "additionalProperties": False,
}

TOOL_SPECS: dict[str, ToolSpec] = {
    "Read": ToolSpec("Read", READ_DESCRIPTION, READ_SCHEMA),
    "Write": ToolSpec("Write", WRITE_DESCRIPTION, WRITE_SCHEMA),
    "Edit": ToolSpec("Edit", EDIT_DESCRIPTION, EDIT_SCHEMA),
    "Bash": ToolSpec("Bash", BASH_DESCRIPTION, BASH_SCHEMA),
    "Glob": ToolSpec("Glob", GLOB_DESCRIPTION, GLOB_SCHEMA),
    "Grep": ToolSpec("Grep", GREP_DESCRIPTION, GREP_SCHEMA),
    **MORE_SPECS,
    **NOTEBOOK_SPECS,
    **WEB_SPECS,
    **TASK_SPECS,
}
"""The tools in canonical order: the six, then MultiEdit, LS, TodoWrite, then NotebookEdit,
BashOutput, KillShell, then WebFetch, WebSearch."""

READ_ONLY = READ_ONLY_TOOLS | WEB_TOOLS
"""The tools that change nothing here: several in one turn run concurrently (the web tools
too, though the gate asks for them)."""

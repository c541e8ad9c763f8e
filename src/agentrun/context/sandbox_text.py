"""What the model is told about its sandbox, in a few lines of the ``<env>`` block, so it picks
what works the first time (model-facing text: snapshot-tested, CHANGELOG on change).

Measured on first runs: without these lines a model spent turns on ``git commit`` (``.git`` is
read-only), ``pip install`` (no network) and ``git init``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

PROTECTED = ".git (at any depth), .gitmodules, .claude/, .agentrun/, .mcp.json"


def sandbox_lines(
    mode: str,
    *,
    writable: Sequence[Path],
    allow_network: bool = False,
    read_only_roots: Sequence[Path] = (),
) -> list[str]:
    """The ``<env>`` lines for a session in sandbox ``mode`` writing under ``writable``;
    ``read_only_roots``: workspace roots kept read-only because they hold the home directory."""
    if mode == "danger-full-access":
        return ["Sandbox: none (danger-full-access): commands run with the user's full rights."]
    if mode == "read-only":
        lines = [
            "Sandbox: read-only. Nothing can be written: not the workspace, not /tmp; "
            "read, search and run read-only commands, and describe the changes instead."
        ]
    else:
        roots = ", ".join(str(p) for p in writable)
        lines = [
            f"Sandbox: workspace-write. Files can be written only under {roots} and /tmp "
            "(private to this session, gone when it ends); everything else is read-only."
            if writable
            else "Sandbox: workspace-write, but the workspace is read-only: files can be "
            "written only under /tmp (private to this session, gone when it ends).",
            f"Protected, read-only even inside the workspace: {PROTECTED}. git status, diff, "
            "log and show work; git commit, add, init, stash, checkout -b and merge fail: "
            "leave committing to the user and say what to commit.",
        ]
    if read_only_roots and mode == "workspace-write":
        held = ", ".join(str(p) for p in read_only_roots)
        lines.append(
            f"{held} contains the user's home directory, so it is read-only (nothing there can "
            "be created or changed, by Bash or the file tools): make changes in a project "
            "directory, or tell the user what to change."
        )
    if allow_network:
        lines.append("Network: allowed.")
    else:
        lines.append(
            "Network: none. pip/npm/cargo install, git fetch/pull/push and curl fail: use what "
            "is installed (python -m pytest, the project's own scripts) or tell the user what "
            "to install."
        )
    return lines


def bash_description(base: str, lines: Sequence[str], *, spill_chars: int) -> str:
    """The Bash tool's description for a session: ``base`` plus its sandbox ``lines`` (the
    ``<env>`` ones), so the rules sit next to the tool they govern."""
    told = [f"- {line}" for line in lines]
    if spill_chars:
        told.append(
            f"- Output past {spill_chars:,} characters is saved whole to a file: you get its "
            "beginning and the path, to Read or Grep."
        )
    return base.rstrip("\n") + "\n\nThis session's sandbox:\n" + "\n".join(told) + "\n"

"""What crosses the socket between the runtime and the jail's file server (both sides import it).

Requests and replies are :mod:`agentrun.jail.wire` frames; a reply is ``{"ok": ...}`` or
``{"error": ...}``, where an error is a :class:`PathDenied` (its model-facing text made inside the
jail by the same code as ever) or a bare errno. Stats and the session's policy travel as plain
JSON and are rebuilt here, so both sides agree on one encoding.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agentrun.jail.fileerrors import PathDenied
from agentrun.jail.policy import SandboxPolicy

WRITTEN = b"w"
"""The runtime's word, on a ``write`` request's socket, that the lent temp file is written."""

# os.stat_result's fields past the 10 of its tuple form, in CPython's order on Linux.
_HIDDEN_STAT = (
    "st_atime",
    "st_mtime",
    "st_ctime",
    "st_atime_ns",
    "st_mtime_ns",
    "st_ctime_ns",
    "st_blksize",
    "st_blocks",
    "st_rdev",
)


def stat_to_json(st: os.stat_result | None) -> list[Any] | None:
    if st is None:
        return None
    return [*tuple(st), *(getattr(st, name) for name in _HIDDEN_STAT)]


def stat_from_json(data: list[Any] | None) -> os.stat_result | None:
    if data is None:
        return None
    return os.stat_result(data)


def error_to_json(err: OSError) -> dict[str, Any]:
    if isinstance(err, PathDenied):
        path = None if err.path is None else str(err.path)
        return {"denied": err.message, "errno": err.errno, "path": path}
    return {"errno": err.errno or 0, "filename": err.filename}


def error_from_json(data: dict[str, Any]) -> OSError:
    code = int(data.get("errno") or 0)
    if "denied" in data:
        return PathDenied(str(data["denied"]), code=code, path=data.get("path"))
    filename = data.get("filename")
    return OSError(code, os.strerror(code), *([filename] if filename is not None else []))


def policy_to_json(policy: SandboxPolicy) -> dict[str, Any]:
    paths = ("writable_roots", "read_deny", "protected", "hidden", "roots", "unprotected", "homes")
    out: dict[str, Any] = {name: [str(p) for p in getattr(policy, name)] for name in paths}
    out.update(
        mode=policy.mode, workspace=str(policy.workspace), allow_network=policy.allow_network
    )
    return out


def policy_from_json(data: dict[str, Any]) -> SandboxPolicy:
    def paths(name: str) -> tuple[Path, ...]:
        return tuple(Path(p) for p in data[name])

    return SandboxPolicy(
        mode=data["mode"],
        workspace=Path(data["workspace"]),
        writable_roots=paths("writable_roots"),
        read_deny=paths("read_deny"),
        allow_network=bool(data["allow_network"]),
        protected=paths("protected"),
        hidden=paths("hidden"),
        roots=paths("roots"),
        unprotected=paths("unprotected"),
        homes=paths("homes"),
    )

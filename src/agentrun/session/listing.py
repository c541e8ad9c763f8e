"""The saved sessions as ``agentrun sessions`` lists them, and finding one by an ID prefix.

Every ``*.jsonl`` under the sessions directory is listed: a readable one with its summary (a
damaged line only costs that line, see :mod:`agentrun.session.transcript`), one that cannot be
read or holds no transcript as unreadable, with the reason; never as a row of blanks.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrun.core.errors import SessionError
from agentrun.core.home import agentrun_home
from agentrun.core.pricing import cost_usd
from agentrun.core.types import Usage
from agentrun.session.transcript import content_text, count_turns, read_transcript

__all__ = ["SessionInfo", "list_sessions", "resolve_session_id", "summarize"]


@dataclass(frozen=True)
class SessionInfo:
    """One saved session as ``agentrun sessions`` lists it."""

    session_id: str
    cwd: str
    agent: str
    model: str
    first_prompt: str
    turns: int
    cost_usd: float | None
    last_activity: float
    """Unix time of the last entry written."""
    path: Path
    usage: Usage = field(default_factory=Usage)
    problem: str | None = None
    """Why the file cannot be used as a session (unreadable, no transcript in it); else None."""
    warnings: tuple[str, ...] = ()
    """The damaged lines skipped (``path:line: what``)."""


def list_sessions(root: Path | str | None = None) -> list[SessionInfo]:
    """Every session file under ``root`` (default: the sessions directory), most recently
    active first; the ones that cannot be used carry a :attr:`SessionInfo.problem`."""
    base = Path(root) if root is not None else agentrun_home() / "sessions"
    try:
        paths = sorted(base.glob("*.jsonl")) if base.is_dir() else []
    except OSError:
        paths = []
    out = [_info(path) for path in paths if not path.name.startswith(".")]
    return sorted(out, key=lambda s: s.last_activity, reverse=True)


def _info(path: Path) -> SessionInfo:
    try:
        transcript = read_transcript(path)
    except OSError as e:
        return _unusable(path, f"unreadable: {e.strerror or e}")
    if not any(e.get("type") in ("session", "message") for e in transcript.entries):
        return _unusable(path, "unreadable: no agentrun transcript in it")
    info = summarize(path, transcript.entries)
    return _replace(info, warnings=tuple(transcript.problems))


def _replace(info: SessionInfo, **changes: Any) -> SessionInfo:
    from dataclasses import replace

    return replace(info, **changes)


def _unusable(path: Path, problem: str) -> SessionInfo:
    return SessionInfo(
        session_id=path.stem,
        cwd="",
        agent="",
        model="",
        first_prompt="",
        turns=0,
        cost_usd=None,
        last_activity=_mtime(path),
        path=path,
        problem=problem,
    )


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return time.time()


def summarize(path: Path, entries: list[dict[str, Any]]) -> SessionInfo:
    header = next((e for e in entries if e.get("type") == "session"), {})
    first_prompt = ""
    usage = Usage()
    cost: float | None = 0.0
    for entry in entries:
        if entry.get("type") != "message":
            continue
        message = entry["message"]
        if message["role"] == "user" and not first_prompt:
            first_prompt = content_text(message["content"])
        elif message["role"] == "assistant":
            try:
                used = Usage.from_dict(entry.get("usage"))
            except (TypeError, ValueError, AttributeError):
                used = Usage()
            usage += used
            price = cost_usd(str(entry.get("model", "")), used)
            cost = None if cost is None or price is None else cost + price
    return SessionInfo(
        session_id=path.stem,
        cwd=str(header.get("cwd", "")),
        agent=str(header.get("agent", "")),
        model=str(header.get("model", "")),
        first_prompt=first_prompt,
        turns=count_turns(entries),
        cost_usd=None if cost is None else round(cost, 10),
        last_activity=_mtime(path),
        path=path,
        usage=usage,
    )


def resolve_session_id(given: str, root: Path | str | None = None) -> str:
    """The session ``given`` names: its whole ID, or a prefix only one saved session has.
    Raises :class:`SessionError` naming the candidates when the prefix is ambiguous."""
    base = Path(root) if root is not None else agentrun_home() / "sessions"
    if not given or "/" in given or given.startswith(".") or os.sep in given:
        raise SessionError(f"not a session id: {given!r}")
    if (base / f"{given}.jsonl").exists():
        return given
    try:
        names = sorted(p.stem for p in base.glob(f"{_glob_escape(given)}*.jsonl"))
    except OSError:
        names = []
    if len(names) == 1:
        return names[0]
    if not names:
        raise SessionError(
            f"no session {given!r} in {base} (`agentrun sessions` lists the saved ones)"
        )
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    raise SessionError(
        f"session prefix {given!r} is ambiguous: {len(names)} sessions start with it "
        f"({shown}); give more of the ID"
    )


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)

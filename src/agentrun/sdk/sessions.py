"""The SDK's ``list_sessions`` and ``get_session_messages``, over agentrun's own transcripts
(the sessions directory under ``AGENTRUN_HOME``), not the Claude CLI's project files.

agentrun's transcript entries carry no per-message UUIDs: each message gets a stable one derived
from the session ID and its position, so two reads agree.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from agentrun.core.errors import SessionError
from agentrun.sdk._types_sessions import SDKSessionInfo, SessionMessage

__all__ = ["get_session_messages", "list_sessions"]


def list_sessions(
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    include_worktrees: bool = True,
) -> list[SDKSessionInfo]:
    """Saved sessions, most recently active first; with ``directory``, only the ones started
    there. Transcripts that cannot be read are left out. ``include_worktrees`` is accepted for
    the SDK's signature; agentrun records one working directory per session."""
    from agentrun.session.listing import list_sessions as saved

    target = str(Path(directory).resolve()) if directory is not None else None
    out: list[SDKSessionInfo] = []
    for info in saved():
        if info.problem is not None or (target is not None and info.cwd != target):
            continue
        try:
            size: int | None = info.path.stat().st_size
        except OSError:
            size = None
        out.append(
            SDKSessionInfo(
                session_id=info.session_id,
                summary=info.first_prompt,
                last_modified=int(info.last_activity * 1000),
                file_size=size,
                first_prompt=info.first_prompt or None,
                cwd=info.cwd or None,
            )
        )
    out = out[offset:]
    return out if limit is None else out[:limit]


def get_session_messages(
    session_id: str,
    directory: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SessionMessage]:
    """The user and assistant messages of a saved session in order (``message`` is the
    Messages API dict); an unknown session, or one started outside ``directory``, gives []."""
    from agentrun.session.store import FileSessionStore

    store = FileSessionStore()
    try:
        entries = store.load(store.resolve(session_id))
    except SessionError:
        return []
    header = next((e for e in entries if e.get("type") == "session"), {})
    if directory is not None and header.get("cwd") != str(Path(directory).resolve()):
        return []
    sid = str(header.get("session_id") or session_id)
    out: list[SessionMessage] = []
    for entry in entries:
        message = entry.get("message")
        if entry.get("type") != "message" or not isinstance(message, dict):
            continue
        role = message.get("role")
        if role not in ("user", "assistant"):
            continue
        stable = uuid.uuid5(uuid.NAMESPACE_URL, f"agentrun-session:{sid}:{len(out)}")
        out.append(SessionMessage(type=role, uuid=str(stable), session_id=sid, message=message))
    out = out[offset:]
    return out if limit is None else out[:limit]

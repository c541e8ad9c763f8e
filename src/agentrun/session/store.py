"""Sessions: one append-only JSONL transcript per session, and the rebuild used to resume.

``$AGENTRUN_HOME/sessions/<session_id>.jsonl`` (default ``~/.agentrun``). Each line is one entry,
written and flushed to the OS before :meth:`FileSessionStore.append` returns (so a killed runtime
loses nothing), and fsynced by ``append(..., sync=True)`` or :meth:`FileSessionStore.sync` (so an
OS crash loses nothing either). The loop syncs once per turn, before every model call and at the
end of a run: one fsync covers every entry written since the last. Entry types::

    {"type": "session", "session_id", "cwd", "agent", "model", "created", "version"}   first line
    {"type": "message", "message": {"role", "content"}, ...}   every message, as appended
    {"type": "result", "subtype", "num_turns", "total_cost_usd", "usage", ...}        end of a run

Resume rebuilds the message list exactly as the loop held it (same merge rule), then repairs a
session left mid-turn: every tool_use without a tool_result gets an "interrupted" result, so the
next request is valid. A damaged line is skipped with a warning
(:mod:`agentrun.session.transcript`), and the repair also drops what lost its other half with
it: a tool_result whose tool_use is gone.

Secrets are replaced before anything is written, by the rule recordings use too
(:func:`agentrun.session.redact.redact`): the API key variables' values wherever they appear,
anything shaped like a key (one given to ``AnthropicModel(api_key=...)``, say, that a tool then
printed), credentials in headers and URLs.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from agentrun.core.errors import SessionError
from agentrun.core.home import agentrun_home, ensure_state_dir, state_dir_error
from agentrun.core.lazy import lazy_names
from agentrun.core.loop import append_message
from agentrun.core.types import Message, ToolResult
from agentrun.core.vocab import INTERRUPTED_SESSION
from agentrun.session.redact import env_secrets, redact

if TYPE_CHECKING:
    from agentrun.session.listing import SessionInfo, list_sessions, resolve_session_id
    from agentrun.session.transcript import content_text, count_turns

__all__ = [
    "FileSessionStore",
    "SessionInfo",
    "content_text",
    "count_turns",
    "list_sessions",
    "new_session_id",
    "rebuild_messages",
    "repair",
    "resolve_session_id",
    "sessions_dir",
]


# Reading, listing and finding sessions live in their own modules, imported when first used: a
# new session (most runs) never reads a transcript.
_LAZY = {
    "SessionInfo": "agentrun.session.listing",
    "list_sessions": "agentrun.session.listing",
    "resolve_session_id": "agentrun.session.listing",
    "content_text": "agentrun.session.transcript",
    "count_turns": "agentrun.session.transcript",
}


_lookup = lazy_names(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _lookup(name)


SESSION_FORMAT = 1
"""The ``version`` a transcript's ``session`` entry carries."""
INTERRUPTED_RESULT = INTERRUPTED_SESSION


def _drop_torn_tail(fd: int) -> None:
    """Cut a last line left unfinished by a crash mid-write: appending after it would glue the
    next entry onto it and make the file unreadable from there on."""
    end = os.fstat(fd).st_size
    if end == 0 or os.pread(fd, 1, end - 1) == b"\n":
        return
    while end > 0:  # back, a chunk at a time, to the newline that ends the last whole line
        start = max(0, end - (1 << 20))
        cut = os.pread(fd, end - start, start).rfind(b"\n")
        if cut >= 0:
            os.ftruncate(fd, start + cut + 1)
            return
        end = start
    os.ftruncate(fd, 0)


def new_session_id() -> str:
    """A random (version 4) UUID, as text. Made here because importing :mod:`uuid` (it pulls in
    :mod:`platform`) costs ~3 ms of every start."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def sessions_dir() -> Path:
    return agentrun_home() / "sessions"


class FileSessionStore:
    """The default :class:`agentrun.core.protocols.SessionStore`: JSONL files under ``root``."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else sessions_dir()
        self._files: dict[str, IO[str]] = {}
        # Files created by this store whose directory entry is not synced yet: it is, right
        # after their first file sync (one journal commit then covers both on most file
        # systems, where syncing the directory at creation cost one of its own).
        self._new: set[str] = set()
        self._lock = threading.Lock()

    def path(self, session_id: str) -> Path:
        if not session_id or "/" in session_id or session_id.startswith("."):
            raise SessionError(f"not a session id: {session_id!r}")
        return self.root / f"{session_id}.jsonl"

    def exists(self, session_id: str) -> bool:
        return self.path(session_id).is_file()

    def resolve(self, given: str) -> str:
        """The session ``given`` names: its whole ID, or a prefix only one session has."""
        from agentrun.session.listing import resolve_session_id

        return resolve_session_id(given, self.root)

    def append(self, session_id: str, entry: Mapping[str, Any], *, sync: bool = True) -> None:
        clean = redact(dict(entry), secrets=env_secrets())
        line = json.dumps(clean, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            handle = self._files.get(session_id) or self._open(session_id)
            try:
                handle.write(line + "\n")
                handle.flush()
                if sync:
                    self._sync(session_id, handle)
            except OSError as e:  # a full disk, say: the user's to fix, not agentrun's bug
                raise state_dir_error(self.root, e) from e

    def check_writable(self) -> None:
        """Raise ConfigError now, before any model call, if transcripts cannot be written."""
        ensure_state_dir(self.root)

    def claim(self, session_id: str) -> None:
        """Hold the session's transcript for this run (resuming it): refused while another
        run holds it, since two runs appending to one conversation interleave their turns."""
        with self._lock:
            if session_id not in self._files:
                self._open(session_id)

    def _open(self, session_id: str) -> IO[str]:
        # Transcripts hold code and command output: readable by their owner only.
        ensure_state_dir(self.root)
        path = self.path(session_id)
        created = not path.exists()
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise state_dir_error(self.root, e) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SessionError(
                f"session {session_id} is in use by another agentrun run; wait for it to end "
                "or start a new session"
            ) from None
        _drop_torn_tail(fd)
        handle = self._files[session_id] = os.fdopen(fd, "a", encoding="utf-8")
        if created:
            self._new.add(session_id)  # its name is synced with its first entries (_sync)
        return handle

    def _sync(self, session_id: str, handle: IO[str]) -> None:
        _sync_file(handle.fileno())
        if session_id in self._new:
            _sync_directory(self.root)  # so the new file's name survives an OS crash too
            self._new.discard(session_id)

    def sync(self, session_id: str) -> None:
        """Make every entry appended so far durable (one fsync covers them all)."""
        with self._lock:
            handle = self._files.get(session_id)
            if handle is not None:
                try:
                    handle.flush()
                    self._sync(session_id, handle)
                except OSError as e:
                    raise state_dir_error(self.root, e) from e

    def load(self, session_id: str) -> list[dict[str, Any]]:
        """Every intact entry; each damaged line skipped is logged as a warning (file:line)."""
        from agentrun.session.transcript import read_transcript

        path = self.path(session_id)
        try:
            transcript = read_transcript(path)
        except FileNotFoundError:
            raise SessionError(f"no session {session_id!r} (looked for {path})") from None
        except OSError as e:
            raise SessionError(f"cannot read session {path}: {e.strerror or e}") from e
        if transcript.problems:
            import logging  # only for a damaged transcript: a run never pays for it otherwise

            log = logging.getLogger(__name__)
            for problem in transcript.problems:
                log.warning("%s", problem)
        return transcript.entries

    def latest_for_cwd(self, cwd: Path | str) -> str | None:
        """The most recently active session started in ``cwd``, for ``--continue``."""
        from agentrun.session.listing import list_sessions

        target = str(Path(cwd).resolve())
        for info in list_sessions(self.root):
            if info.cwd == target and info.problem is None:
                return info.session_id
        return None

    def close(self) -> None:
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()
            self._new.clear()


def _sync_file(fd: int) -> None:
    # fdatasync: the appended bytes and the new length (what reading them back needs) reach
    # the disk like with fsync, without also waiting on timestamps nobody reads after a crash.
    os.fdatasync(fd)


def _sync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot sync a directory; the file's own fsync still holds
    finally:
        os.close(fd)


def rebuild_messages(entries: list[dict[str, Any]]) -> list[Message]:
    """The conversation as the loop held it, with unanswered tool calls given a result."""
    messages: list[Message] = []
    for entry in entries:
        if entry.get("type") == "message":
            append_message(messages, entry["message"])
        elif entry.get("type") == "compact_boundary" and isinstance(entry.get("messages"), list):
            messages = list(entry["messages"])  # resume from the compacted history
    return repair(messages)


LOST_START = "[The start of this conversation could not be read back from its transcript.]"


def _drop_orphan_results(messages: list[Message]) -> list[Message]:
    """Drop each tool_result that does not answer a tool_use of the assistant message just
    before it (that message was on a damaged line); a user message left empty goes too."""
    out: list[Message] = []
    asked: set[str] = set()  # the tool_use ids of the last run of assistant messages
    previous = "user"
    for message in messages:
        content = message["content"]
        if message["role"] == "assistant":
            blocks = content if isinstance(content, list) else []
            ids = {str(b.get("id")) for b in blocks if b.get("type") == "tool_use"}
            asked = asked | ids if previous == "assistant" else ids
        elif isinstance(content, list):
            kept = [
                b
                for b in content
                if b.get("type") != "tool_result" or b.get("tool_use_id") in asked
            ]
            if not kept:
                continue
            message = {"role": "user", "content": kept}
        previous = message["role"]
        out.append(message)
    return out


def repair(messages: list[Message]) -> list[Message]:
    """Give every tool_use that has no tool_result an interrupted one (a crash mid-turn), and
    drop empty assistant messages (the API can answer with no content, but rejects an empty
    message anywhere but last), merging the user messages around them."""
    kept: list[Message] = []
    for message in _drop_orphan_results(messages):
        if message["role"] != "assistant" or message["content"]:
            append_message(kept, message)
    if kept and kept[0]["role"] != "user":  # the first user message was on a damaged line
        kept.insert(0, {"role": "user", "content": [{"type": "text", "text": LOST_START}]})
    messages = kept
    answered = {
        b.get("tool_use_id")
        for m in messages
        if m["role"] == "user" and isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_result"
    }
    out: list[Message] = []
    for index, message in enumerate(messages):
        out.append(message)
        if message["role"] != "assistant" or not isinstance(message["content"], list):
            continue
        missing = [
            b["id"]
            for b in message["content"]
            if b.get("type") == "tool_use" and b.get("id") not in answered
        ]
        if missing:
            blocks = [ToolResult(INTERRUPTED_RESULT, is_error=True).to_block(i) for i in missing]
            following = messages[index + 1] if index + 1 < len(messages) else None
            if following is not None and following["role"] == "user":
                # tool_results must come first in the user message that follows
                rest = following["content"]
                rest = [{"type": "text", "text": rest}] if isinstance(rest, str) else rest
                messages[index + 1] = {"role": "user", "content": [*blocks, *rest]}
            else:
                out.append({"role": "user", "content": blocks})
    return out

"""``agentrun sessions``: the saved sessions, most recently active first; ``show ID``, ``rm ID``.

A plain table (id, last activity, turns, cost, agent, cwd, first prompt) or, with ``--json``, one
JSON list. ``--cwd DIR`` keeps only the sessions started in DIR (what ``--continue`` would pick
from); ``--limit N`` shows the N most recent. Plain text on purpose: it is piped into other tools.
A file that cannot be used is listed as unreadable with the reason; damaged lines skipped in a
usable one are warned about on stderr. ``show`` renders a transcript, ``rm`` deletes one; both
take an ID or a prefix only one session has. :func:`pick_session` is ``--resume``'s picker.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path

from agentrun.core.errors import ConfigError, SessionError
from agentrun.session.listing import SessionInfo, list_sessions, resolve_session_id


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--cwd", metavar="DIR", help="only sessions started in DIR")
    parser.add_argument("--limit", type=int, metavar="N", help="only the N most recent")
    actions = parser.add_subparsers(dest="action", metavar="{show,rm}")
    show = actions.add_parser("show", help="print a session's transcript")
    show.add_argument("session_id", metavar="ID", help="a session ID or a unique prefix of one")
    remove = actions.add_parser("rm", help="delete a saved session")
    remove.add_argument("session_id", metavar="ID", help="a session ID or a unique prefix of one")


def run(args: argparse.Namespace) -> int:
    if args.action == "show":
        return _show(args.session_id)
    if args.action == "rm":
        return _remove(args.session_id)
    sessions = list_sessions()
    if args.cwd:
        target = str(Path(args.cwd).resolve())
        sessions = [s for s in sessions if s.cwd == target]
    if args.limit is not None:
        sessions = sessions[: max(0, args.limit)]
    for s in sessions:
        for warning in s.warnings:
            print(f"agentrun: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps([_as_dict(s) for s in sessions], indent=2, ensure_ascii=False))
        return 0
    if not sessions:
        print("No saved sessions.")
        return 0
    print(f"{'SESSION':36}  {'LAST ACTIVITY':16}  {'TURNS':>5}  {'COST':>8}  AGENT / CWD / PROMPT")
    for s in sessions:
        sid, when = _plain(s.session_id), _when(s.last_activity)
        if s.problem is not None:
            print(f"{sid:36}  {when:16}  {'-':>5}  {'-':>8}  {_plain(s.problem)}")
            continue
        print(
            f"{sid:36}  {when:16}  {s.turns:>5}  {_cost(s.cost_usd):>8}"
            f"  {_plain(s.agent)} · {_plain(s.cwd)} · {_short(s.first_prompt)}"
        )
    return 0


def _find(given: str) -> SessionInfo:
    try:
        session_id = resolve_session_id(given)
    except SessionError as e:
        raise ConfigError(str(e)) from e
    found = [s for s in list_sessions() if s.session_id == session_id]
    if not found:
        raise ConfigError(f"no session {given!r}")
    return found[0]


def _show(given: str) -> int:
    from rich.console import Console

    from agentrun.cli.transcript_view import render_messages
    from agentrun.session.store import FileSessionStore, rebuild_messages

    info = _find(given)
    if info.problem is not None:
        raise ConfigError(f"session {info.session_id}: {info.problem}")
    for warning in info.warnings:
        print(f"agentrun: warning: {warning}", file=sys.stderr)
    entries = FileSessionStore(info.path.parent).load(info.session_id)
    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    console.print(
        f"session {_plain(info.session_id)} · {_when(info.last_activity)} · {_plain(info.cwd)} · "
        f"{_plain(info.agent)} · {_turns(info.turns)} · {_cost(info.cost_usd)}",
        markup=False,
        style="dim",
    )
    render_messages(console, rebuild_messages(entries), cwd=Path(info.cwd) if info.cwd else None)
    return 0


def _remove(given: str) -> int:
    import fcntl
    import os

    info = _find(given)
    try:
        # Not while a run appends to it (it holds the lock): its turns would go to a file
        # no longer in the directory.
        fd = os.open(info.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        fd = -1  # not a file we can open (a directory, a dangling link): nobody appends to it
    try:
        if fd >= 0:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        info.path.unlink() if not info.path.is_dir() else info.path.rmdir()
    except BlockingIOError:
        raise ConfigError(f"session {info.session_id} is in use by a running agentrun") from None
    except OSError as e:
        raise ConfigError(f"cannot remove {info.path}: {e.strerror or e}") from e
    finally:
        if fd >= 0:
            os.close(fd)
    print(f"Removed session {_plain(info.session_id)} ({_plain(str(info.path))})")
    return 0


def pick_session(
    *, read: Callable[[str], str] = input, write: Callable[[str], object] = print
) -> str | None:
    """``--resume`` with no ID, in a terminal: the saved sessions, most recent first (when,
    where, first prompt, turns, cost), and the one whose number is typed. None: none chosen."""
    sessions = [s for s in list_sessions() if s.problem is None][:20]
    if not sessions:
        raise ConfigError("no saved sessions to resume")
    write("Resume which session? (most recent first)")
    for number, s in enumerate(sessions, 1):
        write(
            f"{number:>3}. {_when(s.last_activity)}  {_plain(s.cwd)}  "
            f"{_short(s.first_prompt, 50)!r}  {_turns(s.turns)}  {_cost(s.cost_usd)}"
        )
    while True:
        try:
            answer = read("Number (Enter for 1, q to cancel): ").strip()
        except EOFError:
            return None
        if answer.lower() in ("q", "quit"):
            return None
        choice = int(answer) if answer.isdigit() else 1 if not answer else 0
        if 1 <= choice <= len(sessions):
            return sessions[choice - 1].session_id
        write(f"Type a number from 1 to {len(sessions)}, or q.")


def _as_dict(s: SessionInfo) -> dict[str, object]:
    out: dict[str, object] = {
        "session_id": s.session_id,
        "cwd": s.cwd,
        "agent": s.agent,
        "model": s.model,
        "first_prompt": s.first_prompt,
        "turns": s.turns,
        "total_cost_usd": s.cost_usd,
        "last_activity": dt.datetime.fromtimestamp(s.last_activity, dt.UTC).isoformat(),
    }
    if s.problem is not None:
        out["problem"] = s.problem
    return out


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _turns(n: int) -> str:
    return f"{n} turn{'s' * (n != 1)}"


def _cost(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def _short(text: str, width: int = 60) -> str:
    line = _plain(" ".join(text.split()))
    return line if len(line) <= width else line[: width - 1] + "…"


def _plain(text: str) -> str:
    """``text`` with control characters (a terminal escape in a prompt or a file name) shown as
    U+FFFD instead of sent to the terminal."""
    return "".join(c if c.isprintable() or c == " " else "\ufffd" for c in text)

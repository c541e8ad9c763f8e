"""``agentrun sessions``: the saved sessions, most recently active first.

A plain table (id, last activity, turns, cost, agent, cwd, first prompt) or, with ``--json``, one
JSON list. ``--cwd DIR`` keeps only the sessions started in DIR (what ``--continue`` would pick
from); ``--limit N`` shows the N most recent. Plain text on purpose: it is piped into other tools.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from agentrun.session import SessionInfo, list_sessions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--cwd", metavar="DIR", help="only sessions started in DIR")
    parser.add_argument("--limit", type=int, metavar="N", help="only the N most recent")


def run(args: argparse.Namespace) -> int:
    sessions = list_sessions()
    if args.cwd:
        target = str(Path(args.cwd).resolve())
        sessions = [s for s in sessions if s.cwd == target]
    if args.limit is not None:
        sessions = sessions[: max(0, args.limit)]
    if args.json:
        print(json.dumps([_as_dict(s) for s in sessions], indent=2, ensure_ascii=False))
        return 0
    if not sessions:
        print("No saved sessions.")
        return 0
    print(f"{'SESSION':36}  {'LAST ACTIVITY':16}  {'TURNS':>5}  {'COST':>8}  AGENT / CWD / PROMPT")
    for s in sessions:
        print(
            f"{s.session_id:36}  {_when(s.last_activity):16}  {s.turns:>5}  {_cost(s.cost_usd):>8}"
            f"  {s.agent} · {s.cwd} · {_short(s.first_prompt)}"
        )
    return 0


def _as_dict(s: SessionInfo) -> dict[str, object]:
    return {
        "session_id": s.session_id,
        "cwd": s.cwd,
        "agent": s.agent,
        "model": s.model,
        "first_prompt": s.first_prompt,
        "turns": s.turns,
        "total_cost_usd": s.cost_usd,
        "last_activity": dt.datetime.fromtimestamp(s.last_activity, dt.UTC).isoformat(),
    }


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _cost(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def _short(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"

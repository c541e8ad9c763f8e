"""The results file: one JSON line per task, appended as each task ends, read back to resume."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agentrun.batch.runner import FINISHED, STATUS_FAILED


class ResultsFile:
    """Append-only JSONL; each line is flushed and synced before the next task is counted done,
    so a batch killed at any point has recorded every task that ended."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def finished(self, *, retry_failed: bool = False) -> set[str]:
        """Ids a rerun skips: tasks that ran to their end (failures too, unless retried)."""
        done: dict[str, str] = {}
        for line in self.lines():
            done[str(line.get("id"))] = str(line.get("status"))
        skip = set(FINISHED) - ({STATUS_FAILED} if retry_failed else set())
        return {task_id for task_id, status in done.items() if status in skip}

    def lines(self) -> list[dict[str, Any]]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out = []
        for raw in data.splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue  # a line torn by a kill mid-write: that task counts as not finished
            if isinstance(line, dict):
                out.append(line)
        return out

    def append(self, line: dict[str, Any]) -> None:
        data = (json.dumps(line, ensure_ascii=True) + "\n").encode("ascii")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            # A torn last line from a killed batch would glue onto this one: start a new line.
            if os.lseek(fd, 0, os.SEEK_END) > 0 and not self._ends_with_newline():
                data = b"\n" + data
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

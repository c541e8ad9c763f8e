"""What the session has read: the memory behind Write's and Edit's "read it first" rules.

Claude Code refuses to overwrite a file the model has not seen, or one that changed on disk since
the model saw it; both rules need the path, modification time and size of the last read, and
whether that read covered the whole file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReadRecord:
    """One remembered read. ``path`` is real (symlinks resolved); ``whole`` = every line seen."""

    path: Path
    mtime_ns: int
    size: int
    whole: bool


class ReadRecords:
    """Thread-safe map from real path to its latest :class:`ReadRecord` (Reads run concurrently)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[Path, ReadRecord] = {}

    def record(self, path: Path, mtime_ns: int, size: int, whole: bool) -> ReadRecord:
        """Remember a read (or a write, which shows the model the whole new content)."""
        rec = ReadRecord(path=path, mtime_ns=mtime_ns, size=size, whole=whole)
        with self._lock:
            self._records[path] = rec
        return rec

    def get(self, path: Path) -> ReadRecord | None:
        with self._lock:
            return self._records.get(path)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

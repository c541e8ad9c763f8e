"""Environment variables set for a stretch of code and put back after it, by hand (not through
pytest's monkeypatch, whose undo a test must stay free to stack on top of ours)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def scoped_env(extra: Mapping[str, str]) -> Iterator[None]:
    """Set ``extra`` in ``os.environ``; afterwards each name has its old value again (or is
    unset, if it was unset before)."""
    saved = {name: os.environ.get(name) for name in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

"""The web tools' fixtures: the test site on 127.0.0.1 (see websites.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from websites import Site, serve


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as state:
        yield state

"""is_within: the text comparison agrees with pathlib's ``root in path.parents``."""

from __future__ import annotations

import itertools
from pathlib import Path, PurePosixPath

import pytest

from agentrun.core.pathutil import is_within

PATHS = [
    "/",
    "/a",
    "/a/b",
    "/a/bc",
    "/a/b/c",
    "/ab",
    "/a/b c/d",
    "/tmp/ws/.git",
    "/tmp/ws/.gitignore",
    "/a/../b",
    "/a/..",
    "rel",
    "rel/x",
    "relx",
    "//",
    "//a",
    "//a/b",
    "//etc/hostname",
    "/etc",
]


@pytest.mark.parametrize(("path", "root"), list(itertools.product(PATHS, PATHS)))
def test_agrees_with_pathlib(path: str, root: str) -> None:
    p, r = PurePosixPath(path), PurePosixPath(root)
    assert is_within(p, r) is (p == r or r in p.parents)


def test_the_classic_prefix_trap() -> None:
    assert not is_within(Path("/tmp/ws2/secret"), Path("/tmp/ws"))
    assert not is_within(Path("/tmp/ws/.gitignore"), Path("/tmp/ws/.git"))
    assert is_within(Path("/tmp/ws/.git/hooks/pre-commit"), Path("/tmp/ws/.git"))
    assert is_within(Path("/etc/shadow"), Path("/"))

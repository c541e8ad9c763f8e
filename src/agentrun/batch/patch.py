"""A task's change as a binary-safe patch with stats, taken on the host with bounded cost.

The checkout's files were written by the model, so this step (unconfined, outside the jail's
memory limit) treats them as hostile input:

- it never writes into the user's repository: staging uses a temporary index and a temporary
  object directory (the repository's objects reached as an alternate), both deleted after;
  a plain ``git add -A`` in a worktree would leave every blob the task wrote in the shared
  object store for good;
- a changed file over :data:`FILE_LIMIT` bytes, and any path beyond the first
  :data:`MAX_PATHS`, is left out of the patch (counted in ``skipped_files``);
- git writes the patch to a file, and only a patch up to :data:`PATCH_LIMIT` bytes is read
  back into the result (a larger one is omitted: ``patch`` is None, ``omitted_bytes`` says how
  big it was), so neither memory nor the results file grows with what the task wrote;
- each git call has a time limit (:data:`GIT_TIMEOUT_S`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from agentrun.runner.gitcmd import GIT_ENV, git_argv

FILE_LIMIT = 10 * 1024 * 1024
"""A changed file larger than this is not put in the patch (a build artefact, a dump)."""
MAX_PATHS = 10_000
"""At most this many changed paths go in the patch."""
PATCH_LIMIT = 20 * 1024 * 1024
"""A patch larger than this is not kept in the result line."""
GIT_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Patch:
    text: str | None
    """The patch (``git apply --binary`` reproduces it), or None when over the limit."""
    files: int
    insertions: int
    deletions: int
    binary_files: int
    skipped_files: int = 0
    omitted_bytes: int = 0

    def stats(self) -> dict[str, int]:
        out = {
            "files": self.files,
            "insertions": self.insertions,
            "deletions": self.deletions,
            "binary_files": self.binary_files,
        }
        # Only when something was left out, so the usual line stays as it always was.
        if self.skipped_files:
            out["skipped_files"] = self.skipped_files
        if self.omitted_bytes:
            out["omitted_bytes"] = self.omitted_bytes
        return out


def patch(checkout: Path) -> Patch:
    """Every change in the checkout against its base commit, new files included, binary-safe."""
    scratch = Path(tempfile.mkdtemp(prefix="agentrun-patch-"))
    try:
        return _patch(checkout, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _patch(checkout: Path, scratch: Path) -> Patch:
    common = _run(checkout, {}, "rev-parse", "--git-common-dir").decode().strip()
    objects = (checkout / common).resolve() / "objects"
    shared = {
        "GIT_OBJECT_DIRECTORY": str(scratch / "objects"),
        "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects),
        "GIT_LITERAL_PATHSPECS": "1",  # a file named "*" is that file, not every file
        "GIT_OPTIONAL_LOCKS": "0",  # status must not rewrite the checkout's own index
    }
    (scratch / "objects").mkdir()
    # status compares against the checkout's own index (its stat cache spares hashing every
    # tracked file); the staging below uses a scratch index.
    changed, skipped = _changed_paths(checkout, shared)
    env = shared | {"GIT_INDEX_FILE": str(scratch / "index")}
    _run(checkout, env, "read-tree", "HEAD")
    if changed:
        listing = scratch / "paths"
        listing.write_bytes(b"\0".join(changed) + b"\0")
        _run(
            checkout,
            env,
            "add",
            "-A",
            f"--pathspec-from-file={listing}",
            "--pathspec-file-nul",
        )
    out = scratch / "diff"
    with out.open("wb") as sink:
        # One git call for both: the stats, a blank line, then the patch. A numstat line is
        # never empty (a path with a newline is quoted), so the first blank line is the boundary.
        _run(
            checkout,
            env,
            "diff",
            "--cached",
            "--numstat",
            "--patch",
            "--binary",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "HEAD",
            stdout=sink,
        )
    return _read(out, skipped)


def _changed_paths(checkout: Path, env: dict[str, str]) -> tuple[list[bytes], int]:
    """The paths to stage (deleted ones too) and how many were left out."""
    raw = _run(
        checkout,
        env,
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--ignore-submodules=all",
    )
    kept: list[bytes] = []
    skipped = 0
    for entry in raw.split(b"\0"):
        if len(entry) < 4:
            continue
        path = entry[3:]
        try:
            size = os.lstat(checkout / os.fsdecode(path)).st_size
        except OSError:
            size = 0  # deleted: staging the deletion costs nothing
        if size > FILE_LIMIT or len(kept) >= MAX_PATHS:
            skipped += 1
        else:
            kept.append(path)
    return kept, skipped


def _read(out: Path, skipped: int) -> Patch:
    files = insertions = deletions = binary = 0
    with out.open("rb") as f:
        for line in f:  # the numstat lines, up to the blank line
            if line in (b"\n", b""):
                break
            parts = line.rstrip(b"\n").split(b"\t", 2)
            if len(parts) != 3:
                continue
            files += 1
            if parts[0] == b"-":
                binary += 1
            else:
                insertions += int(parts[0])
                deletions += int(parts[1])
        start = f.tell()
        size = out.stat().st_size - start
        if size > PATCH_LIMIT:
            return Patch(None, files, insertions, deletions, binary, skipped, size)
        raw = f.read()
    # --binary makes the patch ASCII (base85 for binary files); a text file's own bytes that
    # are not UTF-8 survive as surrogate escapes and are written back as the same bytes.
    text = raw.decode("utf-8", "surrogateescape")
    return Patch(text, files, insertions, deletions, binary, skipped)


def _run(
    checkout: Path,
    env: dict[str, str],
    *args: str,
    stdout: int | IO[bytes] = subprocess.PIPE,
) -> bytes:
    merged = {**os.environ, **GIT_ENV, **env}
    done = subprocess.run(
        git_argv(*args),
        cwd=checkout,
        env=merged,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=GIT_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[:500]
        raise OSError(f"git {args[0]} failed: {message}")
    return done.stdout or b""

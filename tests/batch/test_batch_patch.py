"""The patch step runs on the host over files a model wrote: it must not grow the user's
repository, the host's memory or the results file with them (real git, real worktrees)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from batchkit import apply_patch, make_repo, read_results, script, write_tasks

import agentrun
from agentrun.batch import patch as patching
from agentrun.batch import worktree

MB = 1024 * 1024


def _objects(repo: Path) -> dict[str, str]:
    """`git count-objects -v` of the user's repository (loose and packed)."""
    done = subprocess.run(
        ["git", "-C", str(repo), "count-objects", "-v"], capture_output=True, text=True, check=True
    )
    return dict(line.split(": ", 1) for line in done.stdout.splitlines())


def _checkout(tmp_path: Path) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "repo", {"app.py": "X = 1\n", "README": "r\n"})
    checkout = worktree.create(tmp_path / "wt", "t1", repo=str(repo), ref="HEAD", workspace=None)
    return repo, checkout


def _patch_in_child(checkout: Path) -> dict[str, object]:
    """Take the patch in a fresh interpreter and report its peak memory and git's (the largest
    of the git processes it ran)."""
    program = (
        "import json, resource, sys\n"
        "from pathlib import Path\n"
        "from agentrun.batch.patch import patch\n"
        "p = patch(Path(sys.argv[1]))\n"
        # VmHWM, not RUSAGE_SELF: Linux carries ru_maxrss across exec, so a child of a big
        # pytest process would report pytest's peak as its own.
        "status = Path('/proc/self/status').read_text().split('VmHWM:')[1]\n"
        "own = int(status.split()[0])\n"
        "git = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps({'own_kb': own, 'git_kb': git, 'stats': p.stats(), 'text': p.text}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(checkout)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_big_files_are_left_out_and_nothing_lands_in_the_users_repository(
    tmp_path: Path,
) -> None:
    repo, checkout = _checkout(tmp_path)
    before = _objects(repo)
    for n in range(3):  # three files over the per-file limit, of bytes that don't compress
        (checkout / f"dump{n}.bin").write_bytes(os.urandom(patching.FILE_LIMIT + MB))
    (checkout / "app.py").write_text("X = 2\n")
    (checkout / "notes.txt").write_text("kept\n")

    got = _patch_in_child(checkout)

    assert got["stats"] == {
        "files": 2,
        "insertions": 2,
        "deletions": 1,
        "binary_files": 0,
        "skipped_files": 3,
    }
    # 33 MB of random bytes held as a base85 patch would take well over 100 MB here; left out,
    # neither this process nor git comes near that.
    assert int(str(got["own_kb"])) < 80 * 1024, got["own_kb"]
    assert int(str(got["git_kb"])) < 80 * 1024, got["git_kb"]
    assert _objects(repo) == before  # no blob of the task's in the user's object store
    clone = tmp_path / "clone"
    apply_patch(repo, str(got["text"]), clone)
    assert (clone / "app.py").read_text() == "X = 2\n"
    assert (clone / "notes.txt").read_text() == "kept\n"
    assert not (clone / "dump0.bin").exists()


def test_a_patch_over_the_limit_is_omitted_with_its_size(tmp_path: Path) -> None:
    repo, checkout = _checkout(tmp_path)
    before = _objects(repo)
    count = patching.PATCH_LIMIT // (8 * MB) + 1  # each under the file limit, together over
    for n in range(count):
        (checkout / f"part{n}.bin").write_bytes(os.urandom(8 * MB))

    got = _patch_in_child(checkout)

    stats = got["stats"]
    assert isinstance(stats, dict)
    assert got["text"] is None
    assert stats["files"] == count and stats["binary_files"] == count
    assert stats["omitted_bytes"] > patching.PATCH_LIMIT
    # The patch stays in git's output file: this process never holds it (git itself holds one
    # file's diff at a time, which the per-file limit bounds).
    assert int(str(got["own_kb"])) < 80 * 1024, got["own_kb"]
    assert _objects(repo) == before


def test_odd_names_and_deletions_still_make_an_exact_patch(tmp_path: Path) -> None:
    repo, checkout = _checkout(tmp_path)
    (checkout / "README").unlink()
    (checkout / "*").write_text("a star\n")  # a pathspec would match every file
    (checkout / "new\nline.txt").write_text("newline in the name\n")
    (checkout / ":(exclude)x").write_text("magic-looking\n")

    change = patching.patch(checkout)

    assert change.stats() == {"files": 4, "insertions": 3, "deletions": 1, "binary_files": 0}
    clone = tmp_path / "clone"
    assert change.text is not None
    apply_patch(repo, change.text, clone)
    assert not (clone / "README").exists()
    assert (clone / "*").read_text() == "a star\n"
    assert (clone / "new\nline.txt").read_text() == "newline in the name\n"
    assert (clone / ":(exclude)x").read_text() == "magic-looking\n"


def test_a_batch_task_writing_a_dump_records_a_small_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"app.py": "X = 1\n"})
    before = _objects(repo)
    size = patching.FILE_LIMIT + MB
    turns = [
        {
            "tool_calls": [
                {
                    "name": "Bash",
                    "input": {
                        "command": f"head -c {size} /dev/urandom > dump.bin && echo Y > y.txt"
                    },
                }
            ]
        },
        {"text": "done"},
    ]
    task = {
        "id": "dump",
        "prompt": "go",
        "repo": str(repo),
        "model": script(tmp_path / "s.json", turns),
        "permission_mode": "bypassPermissions",
    }
    out = tmp_path / "results.jsonl"
    list(agentrun.batch(write_tasks(tmp_path / "tasks.jsonl", [task]), workers=1, out=out))

    (line,) = read_results(out)
    assert line["status"] == "success", line
    assert line["patch_stats"] == {
        "files": 1,
        "insertions": 1,
        "deletions": 0,
        "binary_files": 0,
        "skipped_files": 1,
    }
    assert out.stat().st_size < 64 * 1024
    assert _objects(repo) == before

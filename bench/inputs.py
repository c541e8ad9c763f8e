"""Benchmark inputs, built once into a cache directory outside the repository.

The large tree is the Linux kernel source from Debian's ``linux-source-6.1`` package (~78,000
files): real code, real directory shapes, big enough that per-call overhead and rg's own work can
be told apart. It is fetched with ``apt-get download`` (no root, nothing installed system-wide) and
unpacked once. ``--quick`` uses a small generated tree instead, so CI can prove the harness runs.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

CACHE_ENV = "AGENTRUN_BENCH_CACHE"
KERNEL_PACKAGE = "linux-source-6.1"


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        path = Path(override)
    elif os.access("/var/cache", os.W_OK):
        path = Path("/var/cache/agentrun-bench")
    else:
        path = Path.home() / ".cache" / "agentrun-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def kernel_tree(log: bool = True) -> Path:
    """The unpacked kernel source; downloaded and unpacked on first use (~1 min)."""
    root = cache_dir()
    tree = root / KERNEL_PACKAGE
    if (tree / "Makefile").is_file():
        return tree
    debs = sorted(root.glob(f"{KERNEL_PACKAGE}_*.deb"))
    if not debs:
        if log:
            print(f"bench: downloading {KERNEL_PACKAGE} into {root} ...", flush=True)
        subprocess.run(["apt-get", "download", KERNEL_PACKAGE], cwd=root, check=True)
        debs = sorted(root.glob(f"{KERNEL_PACKAGE}_*.deb"))
    if log:
        print(f"bench: unpacking {debs[-1].name} ...", flush=True)
    staging = root / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    # The .deb holds a .tar.xz of the source; stream both layers instead of writing 140 MB twice.
    script = (
        f"dpkg-deb --fsys-tarfile {debs[-1]} "
        f"| tar -x -O ./usr/src/{KERNEL_PACKAGE}.tar.xz | tar -xJ -C {staging}"
    )
    subprocess.run(["bash", "-o", "pipefail", "-c", script], check=True)
    (staging / KERNEL_PACKAGE).rename(tree)
    shutil.rmtree(staging, ignore_errors=True)
    return tree


def small_tree() -> Path:
    """A generated tree of ~2,000 C-like files, for ``--quick``."""
    tree = cache_dir() / "small-tree"
    marker = tree / ".complete"
    if marker.exists():
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    rng = random.Random(7)
    words = ["alloc", "buffer", "device", "error", "mutex", "queue", "kernel", "struct", "return"]
    for d in range(40):
        sub = tree / f"dir{d:02d}" / "sub"
        sub.mkdir(parents=True)
        for f in range(50):
            lines = [
                f"static int {rng.choice(words)}_{i}(void) {{ return {rng.choice(words)}_{i}; }}"
                for i in range(120)
            ]
            (sub / f"file{f:02d}.{'c' if f % 3 else 'h'}").write_text("\n".join(lines) + "\n")
    marker.write_text("ok\n")
    return tree


def numbered_file(lines: int, width: int = 36) -> Path:
    """A text file of ``lines`` lines, for Read."""
    path = cache_dir() / f"lines-{lines}.txt"
    if not path.exists():
        body = "".join(f"line {i:06d} " + "x" * (width - 12) + "\n" for i in range(1, lines + 1))
        path.write_text(body)
    return path


def megabyte_file(workdir: Path) -> Path:
    """A 1 MB source-like file with exactly one occurrence of ``UNIQUE_MARKER``."""
    path = workdir / "big.py"
    chunk = "def handler_{n}(request):\n    return respond(request, status=200)\n\n"
    parts: list[str] = []
    size = 0
    n = 0
    while size < 1_000_000:
        piece = chunk.format(n=n)
        parts.append(piece)
        size += len(piece)
        n += 1
    parts.insert(len(parts) // 2, "UNIQUE_MARKER = 1\n")
    path.write_text("".join(parts))
    return path

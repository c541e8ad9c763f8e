"""Workspaces for agents to work in: copies of a directory, and the bundled demo service."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

# Build and tool caches: regenerated on demand, and noise in a fresh workspace.
IGNORED = ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".benchmarks")


def copy_workspace(source: Path, dest: Path) -> Path:
    """Copy the tree at ``source`` into ``dest`` (created if needed; may already exist)."""
    if not source.is_dir():
        raise NotADirectoryError(f"not a directory: {source}")
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*IGNORED), dirs_exist_ok=True)
    return dest


def bundled_sandbox(package: Path | None = None) -> Path:
    """The demo workspace: ``sandbox/`` of a source checkout, else the copy installed with the
    package (``agentrun/_data/sandbox``). ``package`` is the ``agentrun`` package directory
    (default: the one imported)."""
    if package is None:
        package = Path(str(resources.files("agentrun")))
    root = package.parent.parent
    checkout = root / "sandbox"
    # A checkout is recognised by its pyproject next to src/; an installed wheel has neither.
    if (root / "pyproject.toml").is_file() and (checkout / "shop").is_dir():
        return checkout
    installed = package / "_data" / "sandbox"
    if installed.is_dir():
        return installed
    raise FileNotFoundError(f"the demo workspace is in neither {checkout} nor {installed}")

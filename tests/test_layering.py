"""The layers of ``docs/architecture.md`` hold: imports point down, found by reading every module's
source (every import statement, also those inside functions and under ``TYPE_CHECKING``)."""

from __future__ import annotations

import ast
import sys
import warnings
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
TESTS = Path(__file__).resolve().parent
BENCH = TESTS.parent / "bench"

# The old paths that only forward (with a warning) to the new ones: nothing of ours imports them.
SHIMS = {
    "agentrun.api": "agentrun.runner.api",
    "agentrun.loop": "agentrun.core.loop",
    "agentrun.types": "agentrun.core.types",
    "agentrun.errors": "agentrun.core.errors",
    "agentrun.events": "agentrun.core.events",
    "agentrun.protocols": "agentrun.core.protocols",
    "agentrun.runtime": "agentrun.runner.runtime",
}
# Packages whose old module names still resolve through a package ``__getattr__``.
PACKAGE_SHIMS = {
    "agentrun.session": ("agentrun.session.store", "FileSessionStore"),
    "agentrun.agentfile": ("agentrun.agentfile.agentfile", "load_agent"),
    "agentrun.cli": ("agentrun.cli.app", "build_parser"),
    "agentrun.sandbox": ("agentrun.jail", "open_sandbox"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, as written (``from a import b`` counts as ``a`` and
    ``a.b``: b may be a submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def source_modules() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted((SRC / "agentrun").rglob("*.py"))}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def layer(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else name


def is_agentrun(name: str) -> bool:
    return within(name, "agentrun")


def violations(modules: dict[str, set[str]]) -> set[str]:
    found: set[str] = set()
    stdlib = sys.stdlib_module_names
    for mod, imported in modules.items():
        if mod in SHIMS or within(mod, "agentrun.sandbox") or mod == "agentrun._moved":
            continue
        # ``from a.b import c`` is a.b and a.b.c: named by its first three parts, reported once.
        for name in sorted({".".join(n.split(".")[:3]) for n in imported}):
            top = name.split(".")[0]
            ours = is_agentrun(name)
            if ours and (name in SHIMS or within(name, "agentrun.sandbox")):
                found.add(f"{mod} imports the deprecated path {name}")
            if within(mod, "agentrun.core") and not (
                top in stdlib or within(name, "agentrun.core") or name == "agentrun"
            ):
                found.add(f"{mod} (core) imports {name}")
            if within(mod, "agentrun.jail") and not (
                top in stdlib
                or within(name, "agentrun.core")
                or within(name, "agentrun.jail")
                or name == "agentrun"
            ):
                found.add(f"{mod} (jail) imports {name}")
            if within(name, "agentrun.cli") and not (
                within(mod, "agentrun.cli") or mod == "agentrun.__main__"
            ):
                found.add(f"{mod} imports {name} (only the cli uses the cli)")
            if within(mod, "agentrun.models") or within(mod, "agentrun.tools"):
                for above in ("agentrun.testing", "agentrun.runner", "agentrun.cli"):
                    if within(name, above):
                        found.add(f"{mod} imports {name} (above it)")
            # The SDK face sits above runner/: nothing in the runtime may depend on it.
            if within(name, "agentrun.sdk") and not within(mod, "agentrun.sdk"):
                found.add(f"{mod} imports {name} (the sdk is a face above the runtime)")
            if within(name, "agentrun.testing") and not within(mod, "agentrun.testing"):
                found.add(f"{mod} imports {name} (only tests use testing)")
            if top == "anthropic" and mod != "agentrun.models.anthropic":
                found.add(f"{mod} imports anthropic (only models/anthropic.py does)")
    return found


# Known breaks of the layering, each to be removed by moving code, not by growing this list.
KNOWN: set[str] = set()


def test_imports_point_down() -> None:
    found = violations(source_modules())
    assert sorted(found - KNOWN) == []
    assert sorted(KNOWN - found) == [], "a known break is fixed: take it off KNOWN"


@pytest.mark.parametrize(
    "planted, expected",
    [
        ("agentrun.core.types", "from agentrun.tools.registry import ToolRegistry"),
        ("agentrun.jail.paths", "from agentrun.permissions.gate import decide"),
        ("agentrun.session.store", "from agentrun.cli.render import Renderer"),
        ("agentrun.models.function", "import agentrun.testing"),
        ("agentrun.tools.read", "from agentrun.runner.api import run"),
        ("agentrun.permissions.gate", "from agentrun.testing import guard"),
        ("agentrun.tools.read", "import anthropic"),
        ("agentrun.runner.api", "from agentrun.loop import run_turn"),
        ("agentrun.runner.runtime", "from agentrun.sdk.types import HookMatcher"),
        ("agentrun.sdk.client", "from agentrun.testing import ScriptedModel"),
    ],
)
def test_a_planted_wrong_import_is_caught(planted: str, expected: str) -> None:
    modules = source_modules()
    modules[planted] = modules[planted] | imports_of_text(expected)
    assert any(v.startswith(planted + " ") for v in violations(modules))


def imports_of_text(text: str) -> set[str]:
    path = TESTS / "_planted.py"
    try:
        path.write_text(text)
        return imports_of(path)
    finally:
        path.unlink()


def test_tests_and_bench_use_the_new_paths() -> None:
    old = set(SHIMS) | {"agentrun.sandbox"}
    found = []
    for path in sorted([*TESTS.rglob("*.py"), *BENCH.rglob("*.py")]):
        if path.name == "test_layering.py":
            continue
        for name in imports_of(path):
            if any(within(name, o) for o in old):
                found.append(f"{path.relative_to(TESTS.parent)} imports {name}")
    assert found == []


@pytest.mark.parametrize("old, new", sorted(SHIMS.items()))
def test_each_old_module_forwards_with_a_warning(old: str, new: str) -> None:
    import importlib

    shim = importlib.import_module(old)
    target = importlib.import_module(new)
    name = next(n for n in vars(target) if not n.startswith("_") and n[0].isupper())
    with pytest.warns(DeprecationWarning, match=f"use {new}.{name}"):
        assert getattr(shim, name) is getattr(target, name)
    with pytest.raises(AttributeError, match=old):
        _ = shim.no_such_name


@pytest.mark.parametrize("old, target", sorted(PACKAGE_SHIMS.items()))
def test_each_old_package_name_forwards_with_a_warning(old: str, target: tuple[str, str]) -> None:
    import importlib

    new, name = target
    package = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=name):
        assert getattr(package, name) is getattr(importlib.import_module(new), name)


def test_a_submodule_of_a_package_shim_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from agentrun.cli import app, entry
        from agentrun.session import store

    assert callable(entry)
    assert store.__name__ == "agentrun.session.store"
    assert app.__name__ == "agentrun.cli.app"


def test_the_public_run_stays_a_function_after_the_runner_is_imported() -> None:
    import agentrun
    import agentrun.runner.api

    assert callable(agentrun.run)
    assert agentrun.run is agentrun.runner.api.run

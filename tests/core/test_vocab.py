"""The vocabulary is written once, in ``agentrun.core.vocab``: no second copy of a list of modes
or tools, of the default agent, or of a model-facing text anywhere else in the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from agentrun.core import vocab

SRC = Path(__file__).resolve().parents[2] / "src" / "agentrun"

SETS = {
    "PERMISSION_MODES": frozenset(vocab.PERMISSION_MODES),
    "SANDBOX_MODES": frozenset(vocab.SANDBOX_MODES),
    "READ_ONLY_TOOLS": vocab.READ_ONLY_TOOLS,
    "DEFAULT_TOOLS": frozenset(vocab.DEFAULT_TOOLS),
}
TEXTS = {
    "DEFAULT_AGENT": vocab.DEFAULT_AGENT,
    "INTERRUPTED_STOPPED": vocab.INTERRUPTED_STOPPED,
    "INTERRUPTED_NOT_RUN": vocab.INTERRUPTED_NOT_RUN,
    "INTERRUPTED_SESSION": vocab.INTERRUPTED_SESSION,
}
# Not a copy: the modes ranked by how much they let through, which the vocabulary does not say.
ALLOWED = {("permissions/stricter.py", "PERMISSION_MODES")}


def copies(source: str) -> set[str]:
    """The vocabulary names ``source`` writes out again."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            strings = {
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
            found.update(name for name, members in SETS.items() if members <= strings)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(name for name, text in TEXTS.items() if node.value == text)
    return found


def test_no_second_copy_in_the_package() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        if where == "core/vocab.py":
            continue
        found += [
            f"{where}: {name}" for name in copies(path.read_text()) if (where, name) not in ALLOWED
        ]
    assert found == []


@pytest.mark.parametrize(
    "planted, name",
    [
        ('MODES = ("workspace-write", "read-only", "danger-full-access")', "SANDBOX_MODES"),
        (
            'RO = frozenset({"Read", "Glob", "Grep", "LS", "TodoWrite", "BashOutput", '
            '"TaskOutput", "X"})',
            "READ_ONLY_TOOLS",
        ),
        (
            'Mode = Literal["default", "acceptEdits", "plan", "dontAsk", "bypassPermissions"]',
            "PERMISSION_MODES",
        ),
        ('agent = "backend-specialist"', "DEFAULT_AGENT"),
        (f"TEXT = {vocab.INTERRUPTED_NOT_RUN!r}", "INTERRUPTED_NOT_RUN"),
    ],
)
def test_a_planted_copy_is_found(planted: str, name: str) -> None:
    assert copies(planted) == {name}


def test_the_ranked_modes_are_the_modes() -> None:
    from agentrun.permissions.stricter import MODE_STRICTNESS

    assert sorted(MODE_STRICTNESS) == sorted(vocab.PERMISSION_MODES)


def test_the_tools_offered_are_the_vocabulary() -> None:
    from agentrun.tools.specs import TOOL_SPECS

    assert tuple(TOOL_SPECS) == vocab.BUILTIN_TOOLS
    assert frozenset(vocab.BUILTIN_TOOLS) > vocab.READ_ONLY_TOOLS

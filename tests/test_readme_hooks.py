"""README's Hooks section, run: its settings, guard, formatter and offline test are written
into a project exactly as printed and the test runs under pytest, so the section stays true."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentrun.hooks.config import parse_hooks

pytest_plugins = ("pytester",)

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def hooks_section() -> list[tuple[str, str]]:
    start = README.index("\n## Hooks\n")
    end = README.index("\n## ", start + 1)
    return FENCE.findall(README[start:end])


def test_the_hooks_examples_run_as_printed(pytester: pytest.Pytester) -> None:
    fences = hooks_section()
    [settings] = [body for kind, body in fences if kind == "json"]
    parse_hooks(json.loads(settings)["hooks"], "README")  # valid as configuration
    files = {body.splitlines()[0][2:]: body for kind, body in fences if kind in ("bash", "python")}
    assert sorted(files) == [
        ".claude/hooks/format.py",
        ".claude/hooks/guard.sh",
        "tests/test_guard.py",
    ]
    app = pytester.path / "app"
    (app / "src").mkdir(parents=True)
    (app / ".claude" / "hooks").mkdir(parents=True)
    (app / ".claude" / "settings.json").write_text(settings)
    for path, content in files.items():
        target = (app if path.startswith(".claude") else pytester.path) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests/test_guard.py")
    result.assert_outcomes(passed=1)

"""Deny rules that name paths keep those files out of Grep and Glob results, not only out of
Read: a search of the whole workspace must not show what ``Read(./.env)`` forbids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrun.cli.app import main
from agentrun.jail.paths import Workspace
from agentrun.jail.policy import SandboxPolicy
from agentrun.permissions import PermissionPolicy
from agentrun.permissions.rules import Rule
from agentrun.tools.base import ToolContext
from agentrun.tools.glob import GlobTool
from agentrun.tools.grep import GrepTool
from agentrun.tools.records import ReadRecords

FILES = {
    "app.py": "import os\nTOKEN = os.environ['TOKEN']\nprint(TOKEN)\n",
    ".env": "TOKEN=abc123-live\n",
    "secrets/key.pem": "TOKEN pem body\n",
    "notes/todo.txt": "rotate the TOKEN\n",
    "weird:1-2.txt": "x\nTOKEN here\n",
}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def context(ws: Path, *deny: str) -> ToolContext:
    rules = PermissionPolicy(
        "default", deny=[Rule.parse(r) for r in deny], cwd=ws, home=ws.parent / "home"
    )
    return ToolContext(
        workspace=Workspace(SandboxPolicy.create(ws)),
        reads=ReadRecords(),
        strict=True,
        search_filter=rules.search_filter,
    )


def grep(ctx: ToolContext, **input: object) -> str:
    result = GrepTool().run({"pattern": "TOKEN", **input}, ctx)
    assert not result.is_error, result.content
    return str(result.content)


DENY = ("Read(./.env)", "Read(./secrets/**)")


def test_files_with_matches_leaves_denied_files_out(ws: Path) -> None:
    out = grep(context(ws, *DENY))
    assert sorted(out.splitlines()[1:]) == ["app.py", "notes/todo.txt", "weird:1-2.txt"]
    assert out.startswith("Found 3 files\n")
    everything = grep(context(ws))
    assert ".env" in everything and "secrets/key.pem" in everything  # the rules did it


@pytest.mark.parametrize("numbers", [True, False])
def test_content_lines_keep_rgs_form(ws: Path, numbers: bool) -> None:
    filtered = grep(context(ws, *DENY), output_mode="content", **{"-n": numbers})
    plain = grep(context(ws), output_mode="content", **{"-n": numbers})
    hidden = (".env", "secrets/")
    assert filtered.splitlines() == [ln for ln in plain.splitlines() if not ln.startswith(hidden)]
    assert "abc123" not in filtered and "pem body" not in filtered
    expected = "weird:1-2.txt:2:TOKEN here" if numbers else "weird:1-2.txt:TOKEN here"
    assert expected in filtered.splitlines()


def test_context_lines_and_separators(ws: Path) -> None:
    out = grep(context(ws, *DENY), output_mode="content", **{"-C": 1})
    assert out.splitlines() == [
        "app.py-1-import os",
        "app.py:2:TOKEN = os.environ['TOKEN']",
        "app.py:3:print(TOKEN)",
        "--",
        "notes/todo.txt:1:rotate the TOKEN",
        "--",
        "weird:1-2.txt-1-x",
        "weird:1-2.txt:2:TOKEN here",
    ]


def test_count_and_head_limit_count_only_what_is_shown(ws: Path) -> None:
    ctx = context(ws, *DENY)
    counts = grep(ctx, output_mode="count")
    assert counts.splitlines()[:3] == ["app.py:2", "notes/todo.txt:1", "weird:1-2.txt:1"]
    assert "Found 4 total occurrences across 3 files." in counts
    first = grep(ctx, output_mode="content", head_limit=2)
    assert first.splitlines()[:2] == [
        "app.py:2:TOKEN = os.environ['TOKEN']",
        "app.py:3:print(TOKEN)",
    ]
    assert "offset=2" in first


def test_glob_leaves_denied_files_out(ws: Path) -> None:
    result = GlobTool().run({"pattern": "**/*"}, context(ws, *DENY))
    assert sorted(str(result.content).splitlines()) == ["app.py", "notes/todo.txt", "weird:1-2.txt"]


def test_a_rule_for_one_tool_filters_only_that_tool(ws: Path) -> None:
    ctx = context(ws, "Grep(**/*.txt)")
    assert sorted(grep(ctx).splitlines()[1:]) == [".env", "app.py", "secrets/key.pem"]
    globbed = str(GlobTool().run({"pattern": "**/*.txt"}, ctx).content)
    assert "notes/todo.txt" in globbed.splitlines()


def test_no_path_rules_no_filter(ws: Path) -> None:
    rules = PermissionPolicy(
        "default", deny=[Rule.parse("Bash(rm:*)"), Rule.parse("Write")], cwd=ws, home=ws
    )
    assert rules.search_filter("Grep") is None


def test_through_the_cli(ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "agentrun-home"))
    script = tmp_path / "script.json"
    call = {"name": "Grep", "input": {"pattern": "TOKEN", "output_mode": "content"}}
    script.write_text(json.dumps({"turns": [{"tool_calls": [call]}, {"text": "Done."}]}))
    argv = ["--cwd", str(ws), "-p", "find the token", "--model", f"script:{script}"]
    argv += ["--output-format", "stream-json", "--disallowedTools", "Read(./.env)"]
    assert main(argv) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [result] = next(e for e in events if e["type"] == "user")["message"]["content"]
    assert "app.py:2:TOKEN" in result["content"]
    assert "abc123" not in result["content"]
    assert not [ln for ln in result["content"].splitlines() if ln.startswith(".env")]
    assert "secrets/key.pem:1:TOKEN pem body" in result["content"]  # no rule for it


MORE = {
    "b.txt": "x\nTOKEN\ny\n",
    "crlf.txt": "one\r\nTOKEN\r\ntwo\r\n",
    "gaps.txt": "TOKEN\na\nb\nc\nd\nTOKEN\n",
    "12-3:odd.txt": "1\nTOKEN 45:x\n6-y\n",
}


@pytest.fixture
def many(ws: Path) -> Path:
    for name, text in MORE.items():
        (ws / name).write_bytes(text.encode())
    return ws


@pytest.mark.parametrize("mode", ["content", "count", "files_with_matches"])
@pytest.mark.parametrize("numbers", [True, False])
@pytest.mark.parametrize("context_lines", [None, 1])
@pytest.mark.parametrize("multiline", [False, True])
def test_a_filter_that_hides_nothing_changes_nothing(
    many: Path, mode: str, numbers: bool, context_lines: int | None, multiline: bool
) -> None:
    # The filtered path parses rg's --null output and rebuilds its usual form: it must give
    # exactly what the plain path gives, whatever the flags.
    args: dict[str, object] = {"output_mode": mode, "-n": numbers, "multiline": multiline}
    if context_lines is not None:
        args["-C"] = context_lines
    if multiline:
        args["pattern"] = "TOKEN\\n?[a-z]*"
    plain = grep(context(many), **args)
    assert grep(context(many, "Read(./nothing-here)"), **args) == plain


def test_paging_with_offset_adds_up_to_the_whole(many: Path) -> None:
    ctx = context(many, *DENY)
    whole = grep(ctx, output_mode="content", **{"-C": 1}, head_limit=0).splitlines()
    assert "--" in whole and not any(ln.startswith((".env", "secrets/")) for ln in whole)
    pages: list[str] = []
    offset = 0
    while True:
        page = grep(ctx, output_mode="content", **{"-C": 1}, head_limit=3, offset=offset)
        lines = page.splitlines()
        body = [ln for ln in lines if not ln.startswith("[Showing")]
        pages += body
        if len(body) == len(lines):
            break
        offset += 3
    assert pages == whole


def test_a_newline_in_a_hidden_name_does_not_split_it(ws: Path) -> None:
    (ws / "secrets" / "x\ny.txt").write_text("TOKEN=live-secret-2\n")
    ctx = context(ws, *DENY)
    for mode in ("content", "count", "files_with_matches"):
        out = grep(ctx, output_mode=mode)
        assert "live-secret" not in out and "y.txt" not in out, (mode, out)
    globbed = str(GlobTool().run({"pattern": "**/*"}, ctx).content)
    assert "y.txt" not in globbed and "secrets" not in globbed

"""The PyYAML-free reading of plain ``key: text`` frontmatter agrees with PyYAML exactly.

Whenever the fast path answers, its mapping and key lines must be what the YAML loader gives;
anything it is not sure of must fall back (answer None). Checked on crafted edge cases, on the
shipped agents and on the shared corpus of real agent files when it is present.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentrun.agentfile.agentfile import builtin_agents_dir
from agentrun.agentfile.agentyaml import _plain_mapping, normalise, split_frontmatter
from agentrun.agentfile.yamlload import load
from agentrun.core.errors import AgentFileError

CORPUS = Path(
    os.environ.get(
        "AGENTRUN_CORPUS", Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    )
)

TAKEN = [
    "name: a\ndescription: Does things, well (mostly).\ntools: Read, Write",
    "name: x\n\nmodel: inherit   ",
    "name: it's fine\ndescription: Text in ünïcode — with a dash",
    "name: yesterday\ncolor: onyx",
]
LEFT_TO_YAML = [
    "",
    "name: yes",
    "name: No",
    "name: on",
    "name: NULL",
    "y: a",
    "name: 12",
    "name: .inf",
    "name: a: b",
    "name: a # comment",
    "name: a\nname: b",
    "name: 'quoted'",
    'name: "quoted"',
    "name: [a, b]",
    "name: &anchor a",
    "name: !tag a",
    "name: |\n  block",
    "name:",
    "  name: indented",
    "name: a\n  continued",
    "# comment\nname: a",
    "name:\ta",
    "name: a\u2028b",
    "name: ~",
]


@pytest.mark.parametrize("text", TAKEN)
def test_plain_frontmatter_is_read_like_yaml(text: str) -> None:
    plain = _plain_mapping(text)
    assert plain is not None
    data, key_lines, dups = load(text)
    assert plain == (data, key_lines)
    assert dups == []


@pytest.mark.parametrize("text", LEFT_TO_YAML)
def test_anything_else_is_left_to_yaml(text: str) -> None:
    assert _plain_mapping(text) is None


def _frontmatters(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        try:
            split = split_frontmatter(normalise(path.read_text(encoding="utf-8")), path)
        except (AgentFileError, UnicodeDecodeError):
            continue
        found.append(split.frontmatter)
    return found


def test_the_shipped_agents_take_the_fast_path() -> None:
    texts = _frontmatters(sorted(builtin_agents_dir().glob("*.md")))
    assert texts
    for text in texts:
        plain = _plain_mapping(text)
        assert plain is not None
        data, key_lines, _ = load(text)
        assert plain == (data, key_lines)


@pytest.mark.skipif(not (CORPUS / "agents").is_dir(), reason=f"no agent corpus at {CORPUS}")
def test_the_fast_path_agrees_with_yaml_on_every_corpus_file() -> None:
    taken = 0
    for text in _frontmatters(sorted((CORPUS / "agents").rglob("*.md"))):
        plain = _plain_mapping(text)
        if plain is None:
            continue
        taken += 1
        data, key_lines, dups = load(text)
        assert plain == (data, key_lines), text
        assert dups == []
    assert taken > 0


def test_interactive_start_does_not_import_yaml(tmp_path: Path) -> None:
    """Loading the default agent (what every start does) leaves PyYAML unimported."""
    code = (
        "import sys\n"
        "from agentrun.agentfile.agentfile import resolve_agent\n"
        "from agentrun.core.vocab import DEFAULT_AGENT\n"
        f"resolve_agent(DEFAULT_AGENT, cwd={str(tmp_path)!r})\n"
        "print('yaml' in sys.modules)\n"
    )
    env = dict(os.environ, HOME=str(tmp_path), AGENTRUN_HOME=str(tmp_path / ".agentrun"))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"

"""What an independent attack on the gate found (round 2), each closed: lines the parser read
differently from bash, allowed commands that evaluate code, "always" grants wider than what the
user saw, options before a denied subcommand, and hard links past a Read deny rule."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from agentrun.core.types import ToolCall
from agentrun.permissions import Gate
from agentrun.permissions.bashview import view_bash
from bashdiff import agree, bash_runs, generate, parser_runs
from wskit import new_ws


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return new_ws(tmp_path)


def gate(ws: Path, mode: str = "default", **kw: object) -> Gate:
    kw.setdefault("writable_roots", [ws])
    return Gate.load(mode, cwd=ws, home=ws.parent / "home", **kw)  # type: ignore[arg-type]


def bash(g: Gate, command: str) -> str:
    return g.decide(ToolCall("t", "Bash", {"command": command})).behavior


# -- 1. lines the parser read differently from bash ---------------------------------------------
MISREAD = [
    pytest.param("echo `echo \\' ; touch pwned ; echo \\'`", id="backtick-escaped-quote"),
    pytest.param("echo \"`echo \\' ; touch pwned ; echo \\'`\"", id="dq-backtick-escaped-quote"),
    pytest.param("cat <<A; echo '\n'; rm v1\nA\n' #'", id="heredoc-after-quote-newline"),
    pytest.param('cat <<A; echo "\n"; touch pwned\nA\n" #"', id="heredoc-after-dquote-newline"),
    pytest.param("cat <<A '\n'; touch pwned; id > who.txt\nA\ncat ' #'", id="heredoc-quoted-arg"),
    pytest.param("cat <<'A B'\nA\nA B\ntouch pwned #'", id="heredoc-delimiter-with-space"),
    pytest.param('cat <<"A" \\\nA\ntouch pwned', id="heredoc-continuation"),
]


@pytest.mark.parametrize("command", MISREAD)
def test_a_line_read_differently_from_bash_is_unknowable(ws: Path, command: str) -> None:
    assert view_bash(command).unknown is not None
    # under a deny rule: denied; under allow rules: asked; dontAsk: denied
    assert bash(gate(ws, disallowed=["Bash(rm:*)"]), command) == "deny"
    assert bash(gate(ws, allowed=["Bash(echo:*)", "Bash(cat:*)"]), command) == "ask"
    assert bash(gate(ws, "dontAsk", allowed=["Bash(echo:*)", "Bash(cat:*)"]), command) == "deny"


@pytest.mark.parametrize(
    "command",
    [
        "cat <<'EOF'\nhello\nEOF",
        "git commit -m \"$(cat <<'EOF'\nsubject\n\nbody\nEOF\n)\"",
        "echo `date`",
        "if true; then echo a; fi",
        "{ echo a; } > out.txt",
        "for f in a b; do echo $f; done",
        "echo ${HOME:-x} $((1 + 2))",
        'echo "${arr[@]}" ${a[0]}',
        "read -r line",
        'export FOO="$BAR"',
    ],
)
def test_common_lines_stay_known(command: str) -> None:
    assert view_bash(command).unknown is None


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_differential_fuzz_every_disagreement_with_bash_is_unknowable(tmp_path: Path) -> None:
    """Generated lines mixing quotes, escapes, backticks, heredocs, substitutions and newlines
    run in real bash, whose external commands are recorded instead of run (empty PATH and a
    command_not_found_handle): where the parser's commands differ, the gate must say the line
    cannot be known. Before the fix, 5000 lines of seed 1 gave 130 disagreements."""
    rng = random.Random(20261206)
    known = 0
    for _ in range(3000):
        line = generate(rng)
        ours = parser_runs(line)
        if ours is None:
            continue
        known += 1
        theirs = bash_runs(line, tmp_path)
        assert theirs is not None and agree(ours, theirs), (line, ours, theirs)
    assert known > 100  # the generator also makes lines the parser vouches for


# -- 2. allowed commands that evaluate code -----------------------------------------------------
CODE = [
    "printf -v 'a[$(touch pwned)]' x",
    "test -v 'a[$(touch pwned)]'",
    "[[ 'a[$(rm v1)]' -eq 1 ]]; ls",
    "[[ $x -eq 1 ]]",
    "echo $((x))",
    "echo ${s:x}",
    "echo ${a[x]}",
    "echo ${!x}",
    "((x))",
    "let x=1",
    "unset 'a[$(touch pwned)]'",
    "read 'a[`id`]'",
    'test -v "$v"',
    'unset "$v"',
    'printf -v "$n" x',
    "arr[i]=1 ls",
    "local -i n=$v",
    "sed -f script.sed f",
    "awk -f prog.awk f",
    "git ls-remote --upload-pack='touch pwned; false' .",
    "git fetch --upload-pack='touch pwned' .",
    "git push --receive-pack='touch pwned' . HEAD",
    "git grep -O'touch pwned' -e hello",
    "git grep --open-files-in-pager='touch pwned' hello",
    "git grep -iO'touch pwned' hello",
    "git rebase -x 'touch pwned' HEAD~1",
    "git rebase --exec='touch pwned' HEAD~1",
    "git clone -u 'touch pwned' src dst",
    "git clone --config core.fsmonitor='touch pwned' src dst",
    "git bisect run touch pwned",
    "git submodule foreach touch pwned",
    "git filter-branch --tree-filter 'touch pwned'",
    "git difftool --extcmd='touch pwned'",
    "git send-email --to-cmd='touch pwned'",
    "git --config-env=core.pager=X log",
    "git config core.pager 'touch pwned'",
    "GIT_PAGER='touch pwned' git log",
    "git --weird-option log",
    "tar -cf x.tar --to-command='touch pwned' f",
    "tar -cf x.tar --checkpoint=1 --checkpoint-action=exec='touch pwned' f",
    "rsync -e 'touch pwned' a b:c",
    "awk 'BEGIN { system(\"touch pwned\") }'",
    "awk '{ print | \"sh\" }' f",
    "sed 's/x/touch pwned/e' f",
    "sed '1e touch pwned' f",
    "sed 'w out' f",
]


@pytest.mark.parametrize("command", CODE)
def test_commands_that_evaluate_code_are_unknowable(ws: Path, command: str) -> None:
    assert view_bash(command).unknown is not None, command
    allowed = ["Bash(printf:*)", "Bash(test:*)", "Bash(git:*)", "Bash(ls:*)", "Bash(echo:*)"]
    allowed += ["Bash(tar:*)", "Bash(rsync:*)", "Bash(awk:*)", "Bash(sed:*)", "Bash([[:*)"]
    assert bash(gate(ws, "dontAsk", allowed=allowed), command) == "deny"
    assert bash(gate(ws, disallowed=["Bash(touch:*)"]), command) == "deny"


@pytest.mark.parametrize(
    "command",
    ["git log --oneline", "git -C sub status", "git config user.name", "git push -u origin x"],
)
def test_plain_git_stays_known(command: str) -> None:
    assert view_bash(command).unknown is None


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_subscript_evaluation_really_runs_code(tmp_path: Path) -> None:
    """The premise of the arithmetic rules, on this machine's bash."""
    import subprocess

    for n, line in enumerate(["printf -v 'a[$(touch p0)]' x", "x='a[$(touch p1)]'; : $((x))"]):
        subprocess.run(["bash", "-c", line], cwd=tmp_path, check=False, capture_output=True)
        assert (tmp_path / f"p{n}").exists()


# -- 3. "always" covers only what the user saw --------------------------------------------------
def test_always_on_a_glob_line_does_not_become_a_wildcard(ws: Path) -> None:
    g = gate(ws)
    # (`rm *.tmp` is asked every time now: files it removes are writes the text does not name)
    call = ToolCall("t", "Bash", {"command": "wc *.tmp"})
    assert g.decide(call).behavior == "ask"
    g.answer(call, always=True)
    assert bash(g, "wc *.tmp") == "allow"
    assert bash(g, "wc -l src .tmp") == "ask"
    assert bash(g, "wc x.tmp") == "ask"
    assert "Bash(wc *.tmp)" not in g.remembered  # would read as a wildcard elsewhere


def test_always_on_an_edit_in_a_globbed_directory_is_that_directory(ws: Path) -> None:
    (ws / "a*").mkdir()
    (ws / "ab").mkdir()
    g = gate(ws)
    call = ToolCall("t", "Write", {"file_path": str(ws / "a*" / "f.txt"), "content": "x"})
    assert g.decide(call).behavior == "ask"
    g.answer(call, always=True)
    write = ToolCall("t", "Write", {"file_path": str(ws / "a*" / "g.txt"), "content": "x"})
    assert g.decide(write).behavior == "allow"
    other = ToolCall("t", "Write", {"file_path": str(ws / "ab" / "f.txt"), "content": "x"})
    assert g.decide(other).behavior == "ask"


# -- 4. options before a denied subcommand ------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        "git -C w push origin HEAD",
        "git --no-pager -C w push origin HEAD",
        "git -C w --git-dir=w/.git push",
        "git --work-tree w --namespace n push",
        "npm --silent publish",
        "npm --registry x publish",
    ],
)
def test_deny_rule_sees_through_options_before_the_subcommand(ws: Path, command: str) -> None:
    g = gate(ws, disallowed=["Bash(git push:*)", "Bash(npm publish:*)"])
    assert bash(g, command) == "deny"


def test_deny_rule_on_a_subcommand_leaves_others_alone(ws: Path) -> None:
    g = gate(ws, disallowed=["Bash(git push:*)"], allowed=["Bash(git:*)"])
    assert bash(g, "git -C w status") == "allow"
    assert bash(g, "git -C w log") == "allow"


# -- 5. hard links past a Read deny rule --------------------------------------------------------
def test_hard_link_to_a_denied_file_is_not_read_or_searched(ws: Path) -> None:
    (ws / "secrets").mkdir()
    (ws / "secrets" / "key").write_text("TOPSECRET\n")
    os.link(ws / "secrets" / "key", ws / "hk")
    (ws / "plain.txt").write_text("hello\n")
    g = gate(ws, disallowed=["Read(./secrets/**)"])
    refused = g.check_resolved("Read", "read", ws / "hk")
    assert refused is not None and "hard link" in refused
    assert g.check_resolved("Read", "read", ws / "plain.txt") is None
    hidden = g.search_filter("Grep")
    assert hidden is not None and hidden(ws / "hk") and not hidden(ws / "plain.txt")
    # without a Read deny rule a linked file is read as usual
    assert gate(ws).check_resolved("Read", "read", ws / "hk") is None

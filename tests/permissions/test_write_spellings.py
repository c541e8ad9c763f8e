"""Spellings of a write that a read-looking allow rule must not cover (found by an attacker
running ``-p`` in the default mode): reopening a descriptor through its path
(``3<f >/proc/self/fd/3``), a quoted ``'<'`` taken for a redirection so the next word was
dropped, sed scripts whose ``w``/``e`` the old pattern missed, and options that run a program
(``sort --compress-program``) or write a file (``pytest --junitxml``). Each write is also run
for real, to prove the file the gate names is the file the command changes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from agentrun.core.types import ToolCall
from agentrun.permissions import Gate
from agentrun.permissions.bashview import view_bash

# (allow rule, command): each writes README.md when run
WRITES_README = [
    ("Bash(echo:*)", "echo x 3<README.md >/proc/self/fd/3"),
    ("Bash(echo:*)", "echo x 3<README.md >/dev/fd/3"),
    ("Bash(echo:*)", "echo x 1<README.md >/dev/stdout"),
    ("Bash(echo:*)", "echo x 0<README.md >/dev/stdin"),
    ("Bash(echo:*)", "echo x 3<README.md >/proc/thread-self/fd/3"),
    ("Bash(echo:*)", "echo x 3<README.md >/dev/./fd/3"),
    ("Bash(echo:*)", "echo x 3<README.md 4</dev/fd/3 >/dev/fd/4"),
    ("Bash(git log:*)", "git log --output=/dev/fd/3 3<README.md"),
    ("Bash(sort:*)", "sort -o /dev/stdout data.txt 1<README.md"),
    ("Bash(git log:*)", "git log --grep '<' --output=README.md"),
    ("Bash(sort:*)", "sort -t '<' -o README.md data.txt"),
    ("Bash(sort:*)", "sort -t '>' -o README.md data.txt"),
    ("Bash(sed -n:*)", "sed -n 's/o/P/p' '<' -i README.md"),
    ("Bash(find:*)", "find . -name '<' -fprint README.md"),
    ("Bash(sed -n:*)", "sed -n 1wREADME.md data.txt"),
    ("Bash(sed -n:*)", "sed -n '1!w README.md' data.txt"),
    ("Bash(sed -n:*)", r"sed -n '\%a%w README.md' data.txt"),
    ("Bash(sed -n:*)", "sed -n 's|a|b|w README.md' data.txt"),
    ("Bash(sed -n:*)", "sed -n '/a/{s/a/b/;w README.md\n}' data.txt"),
    ("Bash(sed -n:*)", "sed -n --expression=1wREADME.md data.txt"),
    ("Bash(sed -n:*)", "sed -n 's/a/b/ w README.md' data.txt"),
    ("Bash(sed -n:*)", "sed -n '0,/a/w README.md' data.txt"),
    ("Bash(sed -n:*)", "sed -n -e p -e 1wREADME.md data.txt"),
    ("Bash(sed:*)", "sed --i s/orig/P/ README.md"),
    ("Bash(sed:*)", "sed --in-p s/orig/P/ README.md"),
    ("Bash(sed -n:*)", "sed -n 1wREADME.md -- --sandbox"),
    ("Bash(python -m json.tool:*)", "python3 -m json.tool data.json README.md"),
]
# (allow rule, command): writes or runs what the rule does not cover, not run here
OTHER = [
    ("Bash(echo:*)", "echo x >/dev/fd/7"),
    # a background job's descriptor (`sleep 99 1<README.md &` in an earlier call)
    ("Bash(echo:*)", "echo x >/proc/1/fd/1"),
    ("Bash(echo:*)", "echo x >/proc/1/task/1/fd/1"),
    ("Bash(echo:*)", "echo x 3<README.md 4<&3 >/dev/fd/4"),
    ("Bash(find:*)", "find src ! -name '<' -delete"),
    ("Bash(sed -n:*)", "sed -n 1eCMD data.txt"),
    ("Bash(sed -n:*)", "sed -n 's|a|touch x|e' data.txt"),
    ("Bash(sed -n:*)", "sed -n -f script.sed data.txt"),
    ("Bash(sed -n:*)", "sed -n --file=script.sed data.txt"),
    ("Bash(sort:*)", "sort --compress-program=./x data.txt"),
    ("Bash(sort:*)", "sort --compress=./x data.txt"),
    ("Bash(sort:*)", "sort --compress-prog ./x data.txt"),
    ("Bash(rg:*)", "rg --pre ./x foo"),
    ("Bash(rg:*)", "rg --pre=./x foo"),
    ("Bash(rg:*)", "RIPGREP_CONFIG_PATH=opts rg foo"),
    ("Bash(tar:*)", "TAR_OPTIONS=--to-command=./x tar -xf a.tar"),
    ("Bash(man:*)", "man -P ./x ls"),
    ("Bash(less:*)", "less -k keys README.md"),
    ("Bash(less:*)", "LESSOPEN='|./x %s' less README.md"),
    ("Bash(sdiff:*)", "sdiff --diff-program=./x a b"),
    ("Bash(pandoc:*)", "pandoc --lua-filter=x.lua README.md"),
    ("Bash(npm run lint:*)", "npm run lint --node-options=--require=./x.js"),
    ("Bash(npm run lint:*)", "npm run lint --script-shell=./x"),
    ("Bash(npm run lint:*)", "NODE_OPTIONS=--require=./x.js npm run lint"),
    ("Bash(npx:*)", "npx -c ./x"),
    ("Bash(pytest:*)", "pytest -p evil"),
    ("Bash(python -m pytest:*)", "python -m pytest -p evil"),
    ("Bash(pytest:*)", "pytest --junitxml=README.md"),
    ("Bash(pytest:*)", "pytest --junit-xml README.md"),
    ("Bash(pytest:*)", "pytest --debug=README.md"),
    ("Bash(pytest:*)", "pytest --debug"),
    ("Bash(pytest:*)", "pytest --basetemp=src"),
    ("Bash(pytest:*)", "pytest -o cache_dir=src"),
    ("Bash(pytest:*)", "pytest --result-log=README.md"),
    ("Bash(pytest:*)", "pytest --log-file=README.md"),
    ("Bash(pytest:*)", "pytest --cov-report=xml:README.md"),
    ("Bash(python -m pytest:*)", "python -m pytest --junitxml=README.md"),
    ("Bash(sort:*)", "LC_ALL=C sort -o README.md data.txt"),
    ("Bash(sort:*)", "TMPDIR=src sort data.txt"),
    ("Bash(sort:*)", "LC_ALL=/tmp/x sort data.txt"),
]
# (allow rule, command): reads that the rule must keep allowing
READS = [
    ("Bash(grep:*)", "grep '>' README.md"),
    ("Bash(grep:*)", "grep '<' README.md"),
    ("Bash(git log:*)", "git log --grep '>' --oneline"),
    ("Bash(echo:*)", "echo hi >/dev/stdout"),
    ("Bash(echo:*)", "echo hi 2>/dev/stderr"),
    ("Bash(cat:*)", "cat <README.md >/dev/stdout"),
    ("Bash(sed -n:*)", "sed -n '/error/p' README.md"),
    ("Bash(sed -n:*)", "sed -n '1,/end/p' README.md"),
    ("Bash(sed -n:*)", "sed -n 's/a/we/p' README.md"),
    ("Bash(sed -n:*)", "sed -n --sandbox 1wREADME.md data.txt"),
    ("Bash(awk:*)", "awk '{print ($1 > 5)}' data.txt"),
    ("Bash(python -m pytest:*)", "python -m pytest -c setup.cfg"),
    ("Bash(python -m pytest:*)", "python -m pytest -p no:cacheprovider -q"),
    ("Bash(sort:*)", "sort -k1 data.txt"),
    ("Bash(sort:*)", "LC_ALL=C sort data.txt"),
    ("Bash(sort:*)", "LC_ALL=C LANG=C.UTF-8 sort data.txt"),
]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    work = tmp_path / "ws"
    (work / "src").mkdir(parents=True)
    (work / "README.md").write_text("orig readme\n")
    (work / "data.txt").write_text("b\na\nc\n")
    (work / "data.json").write_text('{"a": 1}\n')
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path / "home")}
    ident = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True)
    return work


def decide(ws: Path, mode: str, rule: str, command: str) -> str:
    gate = Gate.load(mode, cwd=ws, home=ws.parent / "home", writable_roots=[ws], allowed=[rule])
    return gate.decide(ToolCall("t", "Bash", {"command": command})).behavior


@pytest.mark.parametrize(("rule", "command"), WRITES_README + OTHER)
def test_a_read_looking_rule_does_not_cover_it(ws: Path, rule: str, command: str) -> None:
    assert decide(ws, "default", rule, command) == "ask"
    assert decide(ws, "dontAsk", rule, command) == "deny"


@pytest.mark.parametrize(("rule", "command"), READS)
def test_reads_stay_allowed(ws: Path, rule: str, command: str) -> None:
    assert decide(ws, "default", rule, command) == "allow"


@pytest.mark.parametrize(("rule", "command"), WRITES_README)
def test_the_file_judged_is_the_file_written(ws: Path, rule: str, command: str) -> None:
    view = view_bash(command)
    named = [*view.targets, *(p for p, _ in view.file_writes)]
    assert "README.md" in named or view.unknown is not None, view
    env = {**os.environ, "HOME": str(ws.parent / "home"), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["bash", "-c", command], cwd=ws, env=env, capture_output=True, timeout=60)
    assert (ws / "README.md").read_text() != "orig readme\n"

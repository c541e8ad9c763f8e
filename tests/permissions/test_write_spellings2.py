"""More ways past a read-looking allow rule (found by an attacker running ``-p`` in the default
mode): ``find -exec`` starting an interpreter that reads its code from stdin or a script the
line names, awk programs read from a file (``-W exec``), make told what to run on its command
line (``--eval``, ``-f``, ``SHELL=``), npm reading a configuration file the line names, and
pytest plugin options that write files (``--benchmark-json``). Each is asked in the default
mode and denied under dontAsk; the ordinary read-only forms stay allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrun.core.types import ToolCall
from agentrun.permissions import Gate

_NODE_IMPORT = (
    "node-options=--import=data:text/javascript,"
    "process.getBuiltinModule(`fs`).writeFileSync(`README.md`,`pwned`)"
)
# (allow rules, command): the attacker's commands, each wrote README.md (or .envrc) when run
ATTACKS = [
    (
        ["Bash(echo:*)", "Bash(find:*)"],
        """echo 'require("fs").writeFileSync("README.md","pwned\\n")' """
        """| find . -maxdepth 0 -exec node \\;""",
    ),
    (
        ["Bash(find:*)"],
        "find . -maxdepth 0 -exec python3 /dev/stdin \\; <<< x",
    ),
    (
        ["Bash(find:*)"],
        """find . -maxdepth 0 -exec perl \\; <<< 'open(F,">README.md");print F "pwned\\n"'""",
    ),
    (["Bash(find:*)"], "find . -maxdepth 0 -exec bash /dev/stdin \\; <<< 'echo pwned > README.md'"),
    (["Bash(awk:*)"], """awk -W exec /dev/stdin <<< 'BEGIN{system("echo pwned > README.md")}'"""),
    (["Bash(awk:*)"], """awk -W exec /dev/stdin <<< 'BEGIN{print "pwned" > "README.md"}'"""),
    (
        ["Bash(awk:*)", "Bash(echo:*)"],
        """echo 'BEGIN{print "pwned" > "README.md"}' | awk -W exec /dev/stdin""",
    ),
    (["Bash(awk:*)"], """awk -We /dev/stdin <<< 'BEGIN{system("echo pwned > README.md")}'"""),
    (
        ["Bash(awk:*)", "Bash(echo:*)"],
        """echo 'BEGIN{system("echo pwned > README.md; id > src/a.py")}' """
        """| awk -W exec /dev/stdin""",
    ),
    (["Bash(make test:*)"], "make test --eval='test: ; echo pwned > README.md'"),
    (["Bash(make test:*)"], "make test -f /dev/stdin <<< $'test:\\n\\techo pwned > README.md'"),
    (
        ["Bash(make test:*)"],
        """make test SHELL=/bin/sh .SHELLFLAGS='-c "echo pwned > README.md; :"' -f /dev/null""",
    ),
    (
        ["Bash(python -m pytest:*)"],
        """python -m pytest -q --doctest-glob='*' /dev/stdin """
        """<<< '>>> _ = open("README.md","w").write("pwned")'""",
    ),
    (
        ["Bash(python -m pytest:*)"],
        """python -m pytest -p no:agentrun -q --doctest-glob='*' /proc/self/fd/0 """
        """<<< '>>> _ = open("README.md","w").write("pwned")'""",
    ),
    (
        ["Bash(npm run lint:*)"],
        "npm run lint --userconfig=/dev/stdin <<< 'script-shell=/usr/bin/perl'",
    ),
    (["Bash(npm run lint:*)"], f"npm run lint --userconfig=/dev/stdin <<< '{_NODE_IMPORT}'"),
    (["Bash(npm run lint:*)"], f"npm run lint --globalconfig=/dev/stdin <<< '{_NODE_IMPORT}'"),
    (["Bash(python -m pytest:*)"], "python -m pytest -p no:agentrun -q --benchmark-json=README.md"),
    (["Bash(python -m pytest:*)"], "python -m pytest -p no:agentrun -q --benchmark-json .envrc"),
    (
        ["Bash(python -m pytest:*)"],
        "python -m pytest -p no:agentrun -q --benchmark-histogram=src/h",
    ),
]
# (allow rules, command): other spellings of the same classes
VARIANTS = [
    (["Bash(find:*)"], "find . -exec sh \\; <<< 'echo pwned > README.md'"),
    (["Bash(find:*)"], "find . -exec sh -s \\; <<< 'echo pwned > README.md'"),
    (["Bash(find:*)"], "find . -execdir ruby - \\; <<< 'x'"),
    (["Bash(find:*)"], "find . -ok lua /dev/fd/0 \\; <<< 'x'"),
    (["Bash(find:*)"], "find . -exec php \\; <<< 'x'"),
    (["Bash(find:*)"], "find . -exec bash script.sh \\;"),
    (["Bash(find:*)"], "find . -exec node x.js \\;"),
    (["Bash(find:*)"], "find . -exec zsh /proc/self/fd/0 \\; <<< 'x'"),
    (["Bash(find:*)"], "find . -exec perl5.36 \\; <<< 'x'"),
    (["Bash(find:*)"], "find . -exec /usr/bin/python3.12 - \\; <<< 'x'"),
    (["Bash(find:*)"], "find . -exec ed \\; <<< 'x'"),
    (["Bash(find:*)"], "find . -exec python3 -m code \\; <<< 'x'"),
    (["Bash(find:*)"], "find . -exec node -e 'x' \\;"),
    (["Bash(make test:*)"], "make test 'X != touch README.md'"),
    (["Bash(rg:*)"], "rg --hostname-bin=./x --hyperlink-format=default orig"),
    (["Bash(node --no-warnings:*)"], "node --no-warnings /dev/stdin <<< 'x'"),
    (["Bash(perl -w:*)"], "perl -w <<< 'x'"),
    (["Bash(bash -n:*)"], "bash -n /dev/stdin <<< 'x'"),
    (["Bash(awk:*)"], "awk -Wexec /dev/stdin <<< 'x'"),
    (["Bash(awk:*)"], "awk -Wv,exec=/dev/stdin <<< 'x'"),
    (["Bash(awk:*)"], "awk --exec=/dev/stdin <<< 'x'"),
    (["Bash(gawk:*)"], "gawk -E /dev/stdin <<< 'x'"),
    (["Bash(gawk:*)"], "gawk -i inplace '{print}' README.md"),
    (["Bash(gawk:*)"], "gawk --include=x '{print}' README.md"),
    (["Bash(gawk:*)"], "gawk -l ./evil '{print}' README.md"),
    (["Bash(gawk:*)"], "gawk --load=./evil '{print}' README.md"),
    (["Bash(make test:*)"], "make test -E 'test: ; echo pwned > README.md'"),
    (["Bash(make test:*)"], "make test --file=/dev/stdin <<< 'x'"),
    (["Bash(make test:*)"], "make test --makefile=other.mk"),
    (["Bash(make test:*)"], "make test -C /tmp"),
    (["Bash(make test:*)"], "make test --directory=/tmp"),
    (["Bash(make test:*)"], "make test CC='sh -c x'"),
    (["Bash(make test:*)"], "make test MAKEFLAGS=--eval=x"),
    (["Bash(make test:*)"], "MAKEFLAGS=--eval=x make test"),
    (["Bash(make test:*)"], "MAKEFILES=/dev/stdin make test <<< 'x'"),
    (["Bash(gmake test:*)"], "gmake test --eval=x"),
    (["Bash(npm run lint:*)"], "npm run lint --prefix=sub"),
    (["Bash(npm run lint:*)"], "npm run lint --userconfig sub/rc"),
    (["Bash(pnpm lint:*)"], "pnpm --config.node-options=x lint"),
    (["Bash(npm run lint:*)"], "Npm_Config_Userconfig=/dev/stdin npm run lint <<< 'x'"),
    (["Bash(npm run lint:*)"], "npm run lint -- -o README.md"),
    (["Bash(npm run lint:*)"], "npm run lint -- --fix"),
    (["Bash(yarn lint:*)"], "yarn lint --fix"),
    (["Bash(pnpm lint:*)"], "pnpm lint -- --fix"),
    (["Bash(pytest:*)"], "pytest --benchmark-json=README.md"),
    (["Bash(py.test:*)"], "py.test --some-plugin-out README.md"),
    (["Bash(pytest:*)"], "pytest -q /dev/stdin <<< 'x'"),
    (["Bash(pytest:*)"], "pytest -q @/dev/stdin <<< '--benchmark-json=README.md'"),
]
# (allow rules, command): reads that the rules must keep allowing
READS = [
    (["Bash(find:*)"], "find . -name x -exec grep -l y {} +"),
    (["Bash(find:*)"], "find . -name '*.py' -exec wc -l {} \\;"),
    (["Bash(awk:*)"], "awk '{print $1}' README.md"),
    (["Bash(awk:*)"], "awk -W version"),
    (["Bash(awk:*)"], "awk -F: -v n=1 '{print $n}' README.md"),
    (["Bash(make test:*)"], "make test"),
    (["Bash(make test:*)"], "make test -j4 -k"),
    (["Bash(npm run lint:*)"], "npm run lint"),
    (["Bash(python -m pytest:*)"], "python -m pytest -q -x tests"),
    (["Bash(python -m pytest:*)"], "python -m pytest -p no:cacheprovider -q tests/a.py -k foo"),
    (["Bash(pytest:*)"], "pytest -vv --tb=short --maxfail 2 -m 'not slow' -rA tests"),
]


def decide(tmp_path: Path, mode: str, rules: list[str], command: str) -> str:
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "ws").mkdir(exist_ok=True)
    gate = Gate.load(
        mode,
        cwd=tmp_path / "ws",
        home=tmp_path / "home",
        writable_roots=[tmp_path / "ws"],
        allowed=rules,
    )
    return gate.decide(ToolCall("t", "Bash", {"command": command})).behavior


@pytest.mark.parametrize(("rules", "command"), ATTACKS + VARIANTS)
def test_a_read_looking_rule_does_not_cover_it(
    tmp_path: Path, rules: list[str], command: str
) -> None:
    assert decide(tmp_path, "default", rules, command) == "ask"
    assert decide(tmp_path, "dontAsk", rules, command) == "deny"


@pytest.mark.parametrize(("rules", "command"), READS)
def test_reads_stay_allowed(tmp_path: Path, rules: list[str], command: str) -> None:
    assert decide(tmp_path, "default", rules, command) == "allow"

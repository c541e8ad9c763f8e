"""A differential oracle for the Bash line parser: what real bash runs for a line, recorded
without running any real program, next to what the permission layer says the line runs.

Bash runs with an empty ``PATH`` and a ``command_not_found_handle`` (from ``BASH_ENV``) that
appends each command's words to a log, so every external command a line would run is recorded
instead of run. Lines are generated only from names that are not builtins."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

from agentrun.permissions.bashrun import UnverifiableError, commands_run

_READS = re.compile(r"\d*<>?")
_HEREDOC = re.compile(r"\d*<<-?\S+")
_DUP = re.compile(r"\d*(?:>|<|&>)&[\d-]*")
_REDIRECT = re.compile(r"\d*(?:<<<|&>>|&>|>>|>\||<>|>|<)")
NAMES = ("aa", "bb", "cc", "dd")
_HANDLER = r"""enable -n [ test echo true false
command_not_found_handle() {
  local r; printf -v r '%s\037' "$@"; printf '%s\036' "$r" >> "$RECORD_LOG"; return 0
}
"""
# Pieces a generated line is built from: quotes, escapes, backticks, substitutions, heredocs,
# separators and newlines, in the combinations that fooled the parser before.
_PIECES = (
    *NAMES,
    *NAMES,
    "x",
    "y z",
    " ",
    " ",
    "; ",
    " && ",
    " | ",
    "\n",
    "\n",
    "'",
    '"',
    "`",
    "\\",
    "\\'",
    '\\"',
    "$(",
    ")",
    "<<A",
    "<<'A'",
    '<<"A"',
    "<<-A",
    "<<'A B'",
    "\nA\n",
    "A",
    "A B",
    "#",
    "{ ",
    " }",
    "(",
    "$((",
    "))",
    "${x}",
    "$x",
    "[",
    "]",
)


def generate(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(2, 14)))


def bash_runs(line: str, tmp: Path) -> list[tuple[str, ...]] | None:
    """The commands bash runs for ``line`` (sorted), or None if bash did not finish."""
    env_file = tmp / "handler.sh"
    if not env_file.exists():
        env_file.write_text(_HANDLER)
    log = tmp / "record.log"
    log.write_bytes(b"")
    env = {
        "PATH": str(tmp / "no-such-dir"),
        "BASH_ENV": str(env_file),
        "RECORD_LOG": str(log),
        "HOME": str(tmp),
        "LC_ALL": "C",
    }
    try:
        subprocess.run(
            ["/bin/bash", "-c", line],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    records = log.read_bytes().decode("utf-8", "replace").split("\036")
    return sorted(tuple(r.split("\037")[:-1]) for r in records if r)


def parser_runs(line: str) -> list[tuple[str, ...]] | None:
    """What the permission layer says ``line`` runs (names only where a word holds a
    substitution), sorted; None when it says that cannot be known."""
    try:
        runs = commands_run(line)
    except UnverifiableError:
        return None
    return sorted(runs)


def _name(words: tuple[str, ...]) -> str | None:
    """The command name of a parsed command: its first word that is neither a redirection
    nor a redirection's target; None for a line of redirections alone (runs nothing)."""
    i = 0
    while i < len(words):
        word = words[i]
        if _HEREDOC.fullmatch(word) or _DUP.fullmatch(word):
            i += 1
        elif _REDIRECT.fullmatch(word):
            i += 2
        else:
            return word
    return None


def agree(ours: list[tuple[str, ...]], theirs: list[tuple[str, ...]]) -> bool:
    """Same commands: same names, and the same words where ours has no substitution or
    redirection in it. A command reading a file (`aa < x`: none exists) is not run by bash,
    and `[[` is a keyword, not a command: those are left out of both."""
    if sorted(w[0] for w in ours) == sorted(w[0] for w in theirs if w):
        # the same names (a quoted word that looks like a redirection, `'<<A'`, is a name)
        plain = [w for w in ours if not any(c in x for x in w for c in "$`<>")]
        return all(w in theirs for w in plain)
    skipped = {"[["}
    for words in ours:
        if any(_READS.fullmatch(x) for x in words):
            skipped.update(words)
    named = [(n, w) for w in ours if (n := _name(w)) is not None and n not in skipped]
    theirs = [w for w in theirs if w and w[0] not in skipped]
    ours_names, their_names = sorted(n for n, _ in named), sorted(w[0] for w in theirs)
    if len(skipped) > 1:
        # a failed redirection also fails `&&` chains after it: bash may run fewer commands,
        # never others
        rest = list(ours_names)
        for n in their_names:
            if n not in rest:
                return False
            rest.remove(n)
    elif ours_names != their_names:
        return False
    literal = [
        w for n, w in named if n in their_names and not any(c in x for x in w for c in "$`<>")
    ]
    return all(w in theirs for w in literal)


if __name__ == "__main__":  # python tests/bashdiff.py N SEED: print disagreements
    import sys
    import tempfile

    count, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    bad = known = 0
    with tempfile.TemporaryDirectory() as d:
        for _ in range(count):
            line = generate(rng)
            ours = parser_runs(line)
            if ours is None:
                known += 1
                continue
            theirs = bash_runs(line, Path(d))
            if theirs is None or not agree(ours, theirs):
                bad += 1
                print(repr(line), ours, theirs)
    print(f"{count} lines, {known} unknowable, {bad} disagreements", file=sys.stderr)

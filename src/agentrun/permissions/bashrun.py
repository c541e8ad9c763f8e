"""What a Bash line really runs, for deny and ask rules: every simple command, through wrappers
(``env``, ``sudo``, ``timeout 5``, ``xargs``), ``NAME=value`` assignments, path-qualified names,
and the payloads of ``sh -c``, ``eval``, ``env -S``, ``watch``, ``su -c`` and ``find -exec``.

A line whose commands cannot all be known from its text (``curl ... | sh``, ``bash -c "$CMD"``,
``$(echo rm) x``) raises :class:`UnverifiableError`: such a line is asked or denied, never
allowed by a rule.
"""

from __future__ import annotations

import re

from agentrun.permissions.codeinputs import code_input
from agentrun.permissions.gitrules import git_refusal
from agentrun.permissions.runopts import code_option, pytest_plugin, python_module
from agentrun.permissions.sedscript import read_sed
from agentrun.permissions.shellparse import ShellParseError, split_commands
from agentrun.permissions.shellwords import is_redirection

__all__ = ["UnverifiableError", "bash_unverifiable", "command_variants", "commands_run"]


def bash_unverifiable(command: str) -> str | None:
    """Why deny and ask rules cannot be checked against ``command``, or None when they can.

    It cannot be checked when it runs code the text does not show: a line the parser cannot
    vouch for, a shell reading its commands from stdin (``curl ... | sh``, ``bash <<EOF``), a
    ``sh -c`` / ``eval`` payload built at run time (``bash -c "$CMD"``), or a command named by
    an expansion (``$(echo rm) x``). A literal payload is checked like the line itself:
    ``bash -c 'rm -rf x'`` runs ``rm``.
    """
    try:
        commands_run(command, 0)
    except UnverifiableError as e:
        return str(e)
    return None


class UnverifiableError(Exception):
    """A line runs code its text does not show; the message says how."""


_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "fish", "rbash"})
_SHELL_OPTS_WITH_ARG = frozenset({"--rcfile", "--init-file"})
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_MAX_NESTING = 4
_REDIRECTION = re.compile(r"\d*(?:<<<|&>>|&>|>>|>\||<>|>|<)")


def commands_run(command: str, depth: int = 0) -> list[tuple[str, ...]]:
    """The word lists of every command ``command`` runs, wrappers and payloads unwrapped;
    raises :class:`UnverifiableError` when some of them cannot be known from the text."""
    if depth > _MAX_NESTING:
        raise UnverifiableError("shell payloads nest too deeply")
    try:
        parts = split_commands(command)
    except ShellParseError as e:
        raise UnverifiableError(f"it could not be parsed ({e})") from e
    out: list[tuple[str, ...]] = []
    for part in parts:
        out.extend(_words_run(part.words, depth))
    return out


def _words_run(words: tuple[str, ...], depth: int) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for variant in command_variants(words):
        out.append(variant)
        name = variant[0]
        if not _ASSIGNMENT.fullmatch(name) and ("$" in name or "`" in name):
            raise UnverifiableError(f"the command name {name!r} is only known at run time")
        _refuse_opaque(variant)
        base = name.rsplit("/", 1)[-1]
        if base == "find":
            for i, word in enumerate(variant):
                if word in _FIND_EXEC:
                    rest = variant[i + 1 :]
                    end = next((j for j, w in enumerate(rest) if w in (";", "+")), len(rest))
                    if rest[:end]:
                        _refuse_exec_payload(rest[:end])
                        out.extend(_words_run(rest[:end], depth + 1))
        payload = _payload(base, _without_redirections(variant[1:]))
        if payload is not None:
            out.extend(commands_run(payload, depth + 1))
    return out


def _refuse_exec_payload(words: tuple[str, ...]) -> None:
    """A ``find -exec`` payload starting an interpreter: the code it runs (stdin, a script the
    line names) is not covered by a rule for ``find``."""
    for variant in command_variants(words):
        plain = _without_redirections(variant)
        if plain and (why := code_input(plain[0].rsplit("/", 1)[-1], plain[1:], True)):
            raise UnverifiableError(why)


def _payload(name: str, args: tuple[str, ...]) -> str | None:
    """The command text ``name args`` hands to a shell, or None if it runs no shell code."""
    if name == "env":  # env -S 'rm -rf x' splits the string into a command
        flag = next((i for i, a in enumerate(args) if a in ("-S", "--split-string")), None)
        return " ".join(args[flag + 1 :]) or None if flag is not None else None
    if name == "eval":
        return " ".join(args) or None
    if name == "watch":  # watch [-n SECS] [options] COMMAND...: run through `sh -c`
        i = 0
        while i < len(args) and args[i].startswith("-"):
            i += 2 if args[i] in ("-n", "--interval", "-q", "--equexit") else 1
        return " ".join(args[i:]) or None
    if name == "su":
        flag = next((i for i, a in enumerate(args) if a in ("-c", "--command")), None)
        if flag is None:
            raise UnverifiableError("su starts a shell whose commands are not in the text")
        return args[flag + 1] if flag + 1 < len(args) else None
    if name not in _SHELLS:
        return None
    i, command_flag, from_stdin = 0, False, False
    while i < len(args):
        arg = args[i]
        if arg in ("-", "--"):
            i += 1
            break
        if arg in _SHELL_OPTS_WITH_ARG:
            i += 2
        elif arg.startswith("--"):
            i += 1
        elif arg[:1] in "-+" and len(arg) > 1:
            letters = arg[1:]
            command_flag |= arg[0] == "-" and "c" in letters
            from_stdin |= arg[0] == "-" and "s" in letters
            i += 2 if ("o" in letters or "O" in letters) else 1  # -o pipefail, -eo pipefail
        else:
            break
    operands = args[i:]
    if command_flag:
        return operands[0] if operands else None
    if from_stdin or not operands:
        raise UnverifiableError(f"{name} reads its commands from stdin")
    return None  # a script file: a program like any other


def _without_redirections(words: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif not is_redirection(word):
            out.append(word)  # a quoted `'>'` is an argument, not a redirection
        elif word.lstrip("0123456789").startswith("<<") and not word.endswith("<<<"):
            pass  # a heredoc: its body was cut out of the line, no target word follows
        elif _REDIRECTION.fullmatch(word):
            skip = True  # the target (file or string) is the next word
        # else 2>&1, >&2, <&-: no target word follows
    return tuple(out)


# Commands that run their arguments as another command, with the options they take before it
# (those in the value take an argument). `env rm x` or `sudo -u me rm x` still runs `rm`.
_WRAPPERS: dict[str, frozenset[str]] = {
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-U", "-r", "-t", "-D"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset({"-a"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "setsid": frozenset(),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "xargs": frozenset({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--delimiter"}),
    "doas": frozenset({"-u", "-C"}),
    "busybox": frozenset(),
    "unbuffer": frozenset(),
    "chrt": frozenset(),
    "taskset": frozenset(),
}
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", flags=re.S)

# Commands that run other commands named in their arguments, options or environment: what they
# run depends on option parsing we would have to get exactly right (`timeout --foreground 5 rm`,
# `flock -x . rm`, `prlimit --nofile=1 rm`), so a line using one is not vouched for.
_RUNS_ARGUMENTS = frozenset(
    {
        *_WRAPPERS,
        *("flock", "prlimit", "chroot", "nsenter", "unshare", "setpriv", "runuser", "su", "sg"),
        *("systemd-run", "script", "parallel", "strace", "ltrace", "valgrind", "fakeroot"),
        *("firejail", "bwrap", "proot", "capsh", "newgrp", "catchsegv", "run-parts", "expect"),
        *("ssh", "with-lock-ex", "chpst", "softlimit", "setuidgid", "daemonize"),
        "start-stop-daemon",
    }
)
# Builtins that change what a later word means or run a string as code: aliases, shell
# options, function tables, sourced files, traps, history re-execution, the command hash.
_SHELL_STATE = frozenset(
    {
        *("alias", "unalias", "shopt", "enable", "source", ".", "trap", "hash", "fc"),
        *("declare", "typeset", "bind", "complete", "compgen", "mapfile", "readarray"),
        *("coproc", "function", "caller"),
    }
)
# Variables whose value the shell runs or reads code from.
_CODE_VARIABLES = re.compile(
    r"(?:BASH_ENV|ENV|PS4|PROMPT_COMMAND|BASH_ALIASES|BASH_CMDS|SHELLOPTS|BASHOPTS|BASH_FUNC_\w*"
    r"|GIT_\w*|EDITOR|VISUAL|PAGER|LD_PRELOAD|LD_LIBRARY_PATH|PATH|NODE_OPTIONS|(?i:npm_config_)\w*"
    r"|YARN_\w*|PNPM_\w*|MAKEFLAGS|GNUMAKEFLAGS|MFLAGS|MAKEFILES|MAKELEVEL|LESSOPEN|LESSCLOSE"
    r"|LESSKEY\w*|MANPAGER|MANOPT|BROWSER|PYTEST_ADDOPTS"
    r"|PYTEST_PLUGINS|RIPGREP_CONFIG_PATH|TAR_OPTIONS)(?:\[.*\])?\+?=",
    flags=re.S,
)
# `[[ $n -eq 1 ]]` evaluates `$n`'s value as arithmetic.
_ARITH_TESTS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
# An array subscript holding a substitution or expansion: `a[$(rm x)]`, ``a[`id`]``, `a[${x}]`.
_EVALUATED_SUBSCRIPT = re.compile(r"\[[^\]]*(?:\$\(|`|\$\{)", flags=re.S)
_GLOB_CHARS = frozenset("*?[]{}")


def _refuse_opaque(words: tuple[str, ...]) -> None:
    """Raise :class:`UnverifiableError` when ``words`` runs something its text does not name."""
    i = 0
    while i < len(words) and _ASSIGNMENT.fullmatch(words[i]):
        if _CODE_VARIABLES.match(words[i]):
            raise UnverifiableError(f"the assignment {words[i]!r} makes the shell run other code")
        i += 1
    for word in words:
        if _EVALUATED_SUBSCRIPT.search(word):
            # `printf -v 'a[$(rm x)]'`, `test -v`, `unset`, `read`, `[[ ... -eq ]]`: bash
            # evaluates an array subscript as arithmetic, which runs the substitution
            raise UnverifiableError(f"the word {word!r} may be evaluated as arithmetic")
    for word in words[:i]:
        if _ARRAY_ASSIGNMENT.match(word) and not _LITERAL_SUBSCRIPT.match(word):
            raise UnverifiableError(f"the subscript in {word!r} is evaluated as arithmetic")
    if i == len(words):
        return
    name = words[i]
    _refuse_named_variables(name.rsplit("/", 1)[-1], words[i + 1 :])
    if _GLOB_CHARS & set(name) and name not in ("[", "[["):
        raise UnverifiableError(
            f"the command name {name!r} is expanded by the shell (braces or a glob) at run time"
        )
    base = name.rsplit("/", 1)[-1]
    if base in _SHELL_STATE:
        raise UnverifiableError(f"{base} changes what later commands run")
    if base in ("export", "local", "readonly") and any(
        _CODE_VARIABLES.match(w) or w.startswith("-f") for w in words[i + 1 :]
    ):
        raise UnverifiableError(f"{base} sets a variable or function that runs other code")
    if base == "set" and any(w.startswith(("-", "+")) and ("x" in w or "T" in w) for w in words):
        raise UnverifiableError("set -x / -T runs code from PS4 or traps")
    if base in _RUNS_ARGUMENTS:
        raise UnverifiableError(f"{base} runs a command given in its arguments")
    if base == "let" or (
        base == "[[" and any(w in _ARITH_TESTS for w in words) and not _integers_only(words)
    ):
        raise UnverifiableError(f"{base} evaluates variables as arithmetic, which may run code")
    if base == "git" and (why := git_refusal(words[i + 1 :])) is not None:
        raise UnverifiableError(why)
    _refuse_code_options(base, words[i + 1 :])


def _integers_only(words: tuple[str, ...]) -> bool:
    return all(w in _ARITH_TESTS or w in ("[[", "]]") or w.isdigit() for w in words)


# Builtins that take a variable's name, which may carry a subscript bash evaluates as
# arithmetic (`test -v "$v"` with v='a[$(rm x)]' set by an earlier call runs `rm`).
_NAME_TAKERS = frozenset({"unset", "read", "wait", "mapfile", "readarray", "getopts"})
_ASSIGNERS = frozenset({"local", "export", "readonly"})
_ARRAY_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[")
_LITERAL_SUBSCRIPT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[(?:[0-9]+|[@*])\](?:\+?=|$)")


def _refuse_named_variables(name: str, args: tuple[str, ...]) -> None:
    def dynamic(word: str) -> bool:
        return (
            "$" in word
            or "`" in word
            or ("[" in word and not _LITERAL_SUBSCRIPT.match(word.split("=", 1)[0] + "="))
        )

    names: tuple[str, ...] = ()
    if name in _NAME_TAKERS:
        names = tuple(a for a in args if not a.startswith("-"))
    elif name in ("printf", "test", "[", "[[") and any(a in ("-v", "-R") for a in args):
        names = args
    elif name in _ASSIGNERS:
        if any(a.startswith("-") and ("i" in a or "a" in a or "A" in a) for a in args):
            raise UnverifiableError(f"{name} with integer or array attributes evaluates values")
        names = tuple(a.split("=", 1)[0] for a in args if not a.startswith("-"))
    for word in names:
        if dynamic(word):
            raise UnverifiableError(f"{name} may evaluate the name {word!r} as arithmetic")


# Other programs whose options or scripts name a command they run: deny rules cannot see it.
# awk program text that runs a command: `system(...)`, `print | "cmd"`, `"cmd" | getline`.
_AWK_RUNS = re.compile(r"system\s*\(|\|")


def _refuse_code_options(name: str, args: tuple[str, ...]) -> None:
    if (module := python_module(name, args)) is not None:  # `python -m pytest -p x`
        _refuse_code_options(*module)
    if (why := code_input(name, _without_redirections(args))) is not None:
        raise UnverifiableError(why)
    if name in ("npm", "npx", "yarn", "pnpm", "pnpx") and any(
        w.startswith("--config.") for w in args
    ):
        raise UnverifiableError(f"'{name} --config.KEY' sets configuration that may run code")
    if (word := code_option(name, args)) is not None:
        raise UnverifiableError(f"'{name} {word}' makes {name} run a command")
    if name in ("pytest", "py.test") and (word := pytest_plugin(args)) is not None:
        raise UnverifiableError(f"'pytest {word}' loads a plugin: code the line names")
    if name in ("awk", "gawk", "mawk", "nawk") and any(
        w in ("-f", "--file") or w.startswith(("--file=", "-f")) for w in args
    ):
        raise UnverifiableError(f"the {name} program is read from a file")
    if name in ("awk", "gawk", "mawk", "nawk") and any(_AWK_RUNS.search(w) for w in args):
        raise UnverifiableError(f"the {name} program may run a command (system, pipes)")
    if name == "sed":
        # sed's `e` command and `s///e` flag run shell code; `--sandbox` (an option, not a
        # file name after `--`) makes sed refuse them
        call = read_sed(args)
        if call.from_file and not call.sandbox:
            raise UnverifiableError("the sed program is read from a file")
        if (call.runs or call.unsure or call.writes) and not call.sandbox:
            raise UnverifiableError("the sed script may run a command (e) or write a file (w)")


def command_variants(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """``words`` and the commands it would really run, for deny rules: without leading
    ``NAME=value`` assignments, through wrappers (``env``, ``sudo``, ``timeout 5``, ``xargs``,
    ...) and with a path-qualified command named by its basename (``/bin/rm`` -> ``rm``)."""
    out = [words]
    rest = words
    while rest:
        i = 0
        while i < len(rest) and _ASSIGNMENT.fullmatch(rest[i]):
            i += 1
        if i < len(rest) and "/" in rest[i]:
            out.append((rest[i].rsplit("/", 1)[1], *rest[i + 1 :]))
        name = rest[i].rsplit("/", 1)[-1] if i < len(rest) else ""
        if name not in _WRAPPERS:
            if i:
                out.append(rest[i:])
            break
        i += 1
        takes_arg = _WRAPPERS[name]
        while i < len(rest) and (rest[i].startswith("-") or _ASSIGNMENT.fullmatch(rest[i])):
            i += 2 if rest[i] in takes_arg else 1
        if name == "timeout" and i < len(rest):
            i += 1  # the duration
        rest = rest[i:]
        if rest:
            out.append(rest)
    return list(dict.fromkeys(v for v in out if v))

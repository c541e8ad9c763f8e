"""Programs told on the line where to read the code they run: an interpreter reading stdin or a
descriptor (``find -exec node \\;``, ``perl /dev/stdin``), awk's program file (``-W exec``,
``-f``, ``-i``, ``-l``), make's makefiles, directory and variable overrides (``--eval``,
``-f``, ``SHELL=``), npm's configuration files (``--userconfig``), and pytest options that are
not pytest's own read-only ones (a plugin's ``--benchmark-json F`` writes F). A rule for the
program does not cover code or writes the text does not show."""

from __future__ import annotations

import re

__all__ = ["code_input", "script_args_write"]

_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)?)?|pypy\d*(?:\.\d+)?")
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "fish", "rbash"})
# interpreter -> (short options giving code on the line, short options taking a value)
_INTERPRETERS: dict[str, tuple[str, str]] = {
    "python": ("c", "mWXQ"),
    "perl": ("eE", "IMmx"),
    "ruby": ("e", "IrCEFK"),
    "node": ("ep", "r"),
    "nodejs": ("ep", "r"),
    "bun": ("ep", "r"),
    "deno": ("", ""),
    "php": ("rR", "cdfzBE"),
    "lua": ("e", "l"),
    "luajit": ("e", "l"),
    # others that read commands from stdin and can write files or run programs: in a
    # `find -exec` payload, with or without a script operand, they are not covered
    **dict.fromkeys(("tclsh", "wish", "irb", "jshell", "racket", "guile", "sbcl"), ("", "")),
    **dict.fromkeys(("ghci", "R", "Rscript", "julia", "swipl", "pwsh", "osascript"), ("", "")),
    **dict.fromkeys(("ed", "ex", "vi", "vim", "nvim", "emacs", "gdb", "sqlite3"), ("", "")),
    **dict.fromkeys(("dc", "m4", "jjs", "scala", "kotlin", "elixir", "erl"), ("", "")),
}
# `python3.12`, `perl5.36`, `lua5.4`, `php8.2`: the interpreter without its version
_VERSIONED = re.compile(r"(?<=[a-z])\d[\d.]*$")
_LONG_VALUES = frozenset({"--require", "--import", "--loader", "--eval", "--print", "--rcfile"})
_ONLY_PRINTS = frozenset({"--version", "--help"})
# a path that is the program's own stdin or a descriptor it inherited
_STDIN_PATH = re.compile(r"-|/dev/stdin|/dev/fd/\d+|/proc/(?:self|thread-self|\d+)/fd/\d+")


def code_input(name: str, args: tuple[str, ...], in_exec: bool = False) -> str | None:
    """Why ``name args`` runs code (or a makefile, a configuration) the line does not show, or
    None. ``in_exec``: it is a ``find -exec`` payload, where a script it names is not covered
    by a rule for ``find``."""
    key = "python" if _PYTHON.fullmatch(name) else _VERSIONED.sub("", name)
    if key in _INTERPRETERS or key in _SHELLS:
        # (run directly under a rule naming it, an interpreter reading stdin is an opaque
        # write: see script_args_write)
        return _interpreter(name, key, args, True) if in_exec else None
    if name in ("awk", "gawk", "mawk", "nawk"):
        return _awk(name, args)
    if name in ("make", "gmake", "bmake", "pmake"):
        return _make(name, args)
    return None


def _interpreter(name: str, key: str, args: tuple[str, ...], in_exec: bool) -> str | None:
    code, valued = _INTERPRETERS.get(key, ("c", "oO"))
    if any(w in _ONLY_PRINTS or (key not in _SHELLS and w in ("-v", "-V", "-h")) for w in args):
        return None  # prints its version or help and exits
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            break
        if word == "-" or not word.startswith(("-", "+")):
            i -= 1
            break
        if word.startswith("--"):
            i += 1 if word in _LONG_VALUES else 0
            if word.split("=", 1)[0] in ("--eval", "--print"):
                return None  # code on the line: judged as an opaque write elsewhere
            continue
        for k, letter in enumerate(word[1:], start=1):
            if key == "python" and letter == "m":
                # a module (`-m code`, `-m pdb F` read stdin or a file): judged by its name,
                # which a rule for `find` does not give
                return f"find runs {name} -m, code the rule does not name" if in_exec else None
            if letter in code and word[0] == "-":
                if key in _SHELLS:
                    return None  # `sh -c CODE`: the payload is checked like the line
                return f"{name} -{letter} runs code given on the line" if in_exec else None
            if letter in valued:
                i += 0 if word[k + 1 :] else 1
                break
            if key in _SHELLS and letter == "s" and word[0] == "-":
                return f"{name} reads its commands from stdin"
    operand = args[i] if i < len(args) else None
    if operand is None:
        return f"{name} reads the code it runs from stdin"
    if _STDIN_PATH.fullmatch(operand):
        return f"{name} reads the code it runs from {operand}"
    if in_exec:
        return f"find runs {name} on the script {operand}, code the line does not show"
    return None


_AWK_CODE_LONG = ("--exec", "--file", "--include", "--load")
# gawk's own libraries (`-i inplace` edits the files it reads); any other name may be a file
# in the current directory, which gawk searches first
_AWK_LIBRARIES = frozenset({"inplace", "inplace.awk", "ordchr", "readdir", "filefuncs", "time"})


def _awk(name: str, args: tuple[str, ...]) -> str | None:
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            break
        if word.startswith("--"):
            given = word.split("=", 1)[0]
            value = word.split("=", 1)[1] if "=" in word else args[i] if i < len(args) else ""
            library = given.startswith(("--i", "--l")) and value in _AWK_LIBRARIES
            if len(given) > 2 and any(o.startswith(given) for o in _AWK_CODE_LONG) and not library:
                return f"'{name} {word}' reads code from a file"
            continue
        if not word.startswith("-") or word == "-":
            continue
        for k, letter in enumerate(word[1:], start=1):
            rest = word[k + 1 :]
            value = rest or (args[i] if i < len(args) else "")
            if letter in "il" and value in _AWK_LIBRARIES:
                i += 0 if rest else 1  # gawk's own library (an opaque write, judged elsewhere)
                break
            if letter == "W":
                if not (value and "version".startswith(value)):  # `-W version` only prints
                    return f"'{name} -W {value}' may read code from a file"
                i += 0 if rest else 1
                break
            if letter in "fEil":
                return f"'{name} -{letter}' reads code from a file"
            if letter in "Fv":
                i += 0 if rest else 1
                break
    return None


_MAKE_CODE_LONG = (
    "--eval",
    "--file",
    "--makefile",
    "--directory",
    "--include-dir",
    "--environment-overrides",
)


def _make(name: str, args: tuple[str, ...]) -> str | None:
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            continue
        if word.startswith("--"):
            given = word.split("=", 1)[0]
            if len(given) > 2 and any(o.startswith(given) for o in _MAKE_CODE_LONG):
                return f"'{name} {word}' changes the recipes {name} runs"
            continue
        if not word.startswith("-"):
            if "=" in word:  # `X=y`, `X = y`, `X!=cmd` (run by the shell as make starts)
                return f"the override {word!r} may change the commands {name}'s recipes run"
            continue
        for k, letter in enumerate(word[1:], start=1):
            rest = word[k + 1 :]
            if letter in "EfCIe":
                return f"'{name} -{letter}' changes the recipes {name} runs"
            if letter in "oW":
                i += 0 if rest else 1
                break
            if letter in "jlO":
                break
    return None


# pytest's own options that neither write files nor load code; any other option may be a
# plugin's (`--benchmark-json F` writes F)
_PYTEST_FLAGS = frozenset(
    {
        *("--lf", "--last-failed", "--ff", "--failed-first", "--nf", "--new-first", "--sw"),
        *("--stepwise", "--sw-skip", "--stepwise-skip", "--co", "--collect-only", "--no-header"),
        *("--no-summary", "--disable-warnings", "--disable-pytest-warnings", "--showlocals"),
        *("--strict-markers", "--strict-config", "--strict", "--runxfail", "--setup-show"),
        *("--setup-plan", "--setup-only", "--fixtures", "--funcargs", "--fixtures-per-test"),
        *("--markers", "--version", "--help", "--quiet", "--verbose", "--exitfirst"),
        *("--full-trace", "--no-showlocals", "--cache-show", "--cache-clear", "--trace-config"),
        *("--pyargs", "--keep-duplicates", "--continue-on-collection-errors", "--pdb"),
    }
)
_PYTEST_VALUED = frozenset(
    {
        *("--tb", "--maxfail", "--durations", "--durations-min", "--import-mode"),
        *("--deselect", "--ignore", "--ignore-glob", "--capture", "--color"),
        *("--code-highlight", "--config-file", "--rootdir", "--confcutdir", "--timeout"),
        *("--numprocesses", "--show-capture", "--log-level", "--log-cli-level"),
    }
)
# (the writing options pytest's own table names, judged as named writes there)
_PYTEST_WRITES = ("--junitxml", "--junit-xml", "--basetemp", "--debug", "--log-file")
_PYTEST_SHORT_FLAGS = "qvxslhV"
_PYTEST_SHORT_VALUES = "kmrWncp"


def script_args_write(name: str, args: tuple[str, ...]) -> str | None:
    """Why ``name args`` may write files the text does not name: a pytest option outside
    pytest's own read-only ones, a test file read from stdin, or words handed on to an npm /
    yarn / pnpm script (``npm run lint -- --fix``, ``-o F``), or code an interpreter reads from
    stdin or a descriptor (``perl <<< CODE``, ``node /dev/stdin``)."""
    key = "python" if _PYTHON.fullmatch(name) else _VERSIONED.sub("", name)
    if key in _INTERPRETERS or key in _SHELLS:
        return _interpreter(name, key, args, False)
    if name in ("pytest", "py.test"):
        return _pytest(args)
    if name in ("npm", "yarn", "pnpm"):
        return _script_words(name, args)
    return None


_NPM_SCRIPTS = frozenset({"test", "t", "tst", "start", "stop", "restart"})
_RUN = frozenset({"run", "run-script", "rum", "urn"})
# yarn's and pnpm's own commands (any other first word names a script)
_MANAGER_COMMANDS = frozenset(
    {
        *("install", "i", "add", "remove", "rm", "why", "list", "ls", "info", "outdated"),
        *("audit", "config", "licenses", "bin", "help", "init", "link", "unlink", "pack"),
        *("publish", "upgrade", "up", "update", "version", "versions", "import", "exec", "dlx"),
    }
)


def _script_words(name: str, args: tuple[str, ...]) -> str | None:
    if "--" in args[:-1]:
        return f"the words after '--' go to the {name} script, which may write files"
    if not args or args[0].startswith("-"):
        return None
    if args[0] in _RUN:
        after = args[2:]
    elif (name == "npm" and args[0] in _NPM_SCRIPTS) or (
        name != "npm" and args[0] not in _MANAGER_COMMANDS
    ):
        after = args[1:]
    else:
        return None
    # npm takes `--opt` words as its own configuration; yarn and pnpm pass them on
    given = [w for w in after if name != "npm" or not w.startswith("-")]
    if given:
        return f"{given[0]!r} goes to the {name} script, which may write files"
    return None


def _pytest(args: tuple[str, ...]) -> str | None:
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            rest = args[i:]
            return next(
                (f"pytest reads tests from {w}" for w in rest if _STDIN_PATH.fullmatch(w)), None
            )
        if word.startswith("--"):
            given = word.split("=", 1)[0]
            if given in _PYTEST_VALUED:
                value = word.split("=", 1)[1] if "=" in word else args[i] if i < len(args) else ""
                if given == "--config-file" and _STDIN_PATH.fullmatch(value):
                    return f"pytest reads its configuration from {value}"
                i += 0 if "=" in word else 1
            elif given.startswith(_PYTEST_WRITES):
                i += 0 if "=" in word or given.startswith("--debug") else 1
            elif given not in _PYTEST_FLAGS or "=" in word:
                return f"pytest option {word!r} is not one of pytest's own read-only options"
            continue
        if not word.startswith("-") or word == "-":
            if _STDIN_PATH.fullmatch(word):
                return f"pytest reads tests from {word}"
            if word.startswith("@"):  # an argument file: options the line does not show
                return f"pytest reads more options from {word[1:]!r}"
            continue
        for k, letter in enumerate(word[1:], start=1):
            if letter in _PYTEST_SHORT_VALUES:
                value = word[k + 1 :] or (args[i] if i < len(args) else "")
                if letter == "c" and _STDIN_PATH.fullmatch(value):
                    return f"pytest reads its configuration from {value}"
                i += 0 if word[k + 1 :] else 1
                break
            if letter not in _PYTEST_SHORT_FLAGS:
                return f"pytest option {word!r} is not one of pytest's own read-only options"
    return None

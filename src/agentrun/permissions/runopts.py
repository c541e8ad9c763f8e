"""Options that make a program run another program or load code named on the line
(``sort --compress-program=sh``, ``rg --pre=CMD``, ``npm run x --node-options=--require=y``):
a rule for the program does not cover what it starts, so such a line is not known from its
text. Long options match any prefix (GNU getopt accepts unambiguous abbreviations, and an
ambiguous one is refused by the program anyway); short ones match anywhere in a cluster."""

from __future__ import annotations

import re

__all__ = ["code_option", "pytest_plugin", "python_module"]

_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)?)?|pypy\d*")

# (configuration files and directories whose .npmrc or package.json may set the others)
_NPM = (
    *("--node-options", "--script-shell", "--require", "--import", "--loader", "--call", "-c"),
    *("--userconfig", "--globalconfig", "--prefix", "-C", "--cwd", "--dir", "--use-yarnrc"),
    *("--onload-script", "--init-module", "--shell", "--rc-filename"),
)

CODE_OPTIONS: dict[str, tuple[str, ...]] = {
    "tar": (
        "--to-command",
        "--checkpoint-action",
        "--use-compress-program",
        "-I",
        "--info-script",
        "-F",
        "--new-volume-script",
        "--rsh-command",
        "--rmt-command",
    ),
    "rsync": ("-e", "--rsh", "--rsync-path"),
    "scp": ("-S", "-o", "-F"),
    "sftp": ("-S", "-o", "-D", "-F"),
    "ssh": ("-o", "-F"),
    "zip": ("-TT", "--unzip-command"),
    # a lesskey file may set LESSOPEN (an input preprocessor less runs)
    "less": ("+!", "-k", "--lesskey-file", "--lesskey-src", "--lesskey-content"),
    "sdiff": ("--diff-program",),
    "diff3": ("--diff-program",),
    "pandoc": ("--filter", "-F", "--lua-filter", "-L"),
    "sort": ("--compress-program",),
    "rg": ("--pre", "--pre-glob", "--hostname-bin"),
    "man": ("-P", "--pager", "-H", "--html"),
    **{tool: _NPM for tool in ("npm", "npx", "yarn", "pnpm", "pnpx")},
}


def code_option(name: str, args: tuple[str, ...]) -> str | None:
    """The word of ``args`` that makes ``name`` run a program the line does not run, or None."""
    wanted = CODE_OPTIONS.get(name, ())
    for word in args:
        for opt in wanted:
            if _matches(word, opt):
                return word
    return None


def _matches(word: str, opt: str) -> bool:
    if opt.startswith("--"):
        given = word.split("=", 1)[0]
        return len(given) > 2 and given.startswith("--") and opt.startswith(given)
    if opt.startswith("+") or len(opt) > 2:  # `+!`, zip's `-TT`
        return word.startswith(opt)
    return word[:1] == "-" and word[1:2] != "-" and opt[1] in word[1:]


def pytest_plugin(args: tuple[str, ...]) -> str | None:
    """A ``-p NAME`` that makes pytest import a plugin module (``-p no:NAME`` disables one)."""
    for i, word in enumerate(args):
        if word == "-p":
            value = args[i + 1] if i + 1 < len(args) else ""
        elif word.startswith("-p") and word[1:2] != "-":
            value = word[2:]
        else:
            continue
        if not value.startswith("no:"):
            return word if word != "-p" else f"-p {value}"
    return None


def python_module(name: str, args: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """``(module, its args)`` for ``python [options] -m module args``, else None: python's own
    options end there, the rest belong to the module."""
    if not _PYTHON.fullmatch(name):
        return None
    for i, word in enumerate(args):
        if word == "-m" and i + 1 < len(args):
            return args[i + 1], args[i + 2 :]
        if word.startswith("-m") and len(word) > 2:
            return word[2:], args[i + 1 :]
        if not word.startswith("-") or word in ("-", "-c") or word.startswith("-c"):
            return None  # a script, stdin or `-c CODE`: no module
    return None

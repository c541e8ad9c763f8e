"""What git runs besides itself: options and subcommands that name a command (``--upload-pack``,
``grep -O``, ``rebase -x``, ``bisect run``), configuration that names one (``-c``,
``git config core.pager``), aliases; and where its subcommand is behind global options."""

from __future__ import annotations

__all__ = ["git_refusal", "git_subcommand"]

# git subcommands that run no command taken from configuration by name (an alias can be any
# other word, defined in a config file the text does not show).
_GIT_BUILTINS = frozenset(
    {
        "add",
        "am",
        "apply",
        "archive",
        "bisect",
        "blame",
        "branch",
        "bundle",
        "checkout",
        "cherry",
        "cherry-pick",
        "clean",
        "clone",
        "commit",
        "config",
        "describe",
        "diff",
        "fetch",
        "format-patch",
        "fsck",
        "gc",
        "grep",
        "help",
        "init",
        "log",
        "ls-files",
        "ls-remote",
        "ls-tree",
        "merge",
        "merge-base",
        "mv",
        "notes",
        "pull",
        "push",
        "range-diff",
        "rebase",
        "reflog",
        "remote",
        "reset",
        "restore",
        "rev-list",
        "rev-parse",
        "revert",
        "rm",
        "shortlog",
        "show",
        "show-ref",
        "stash",
        "status",
        "submodule",
        "switch",
        "tag",
        "worktree",
        "version",
        "cat-file",
        "diff-tree",
        "diff-files",
        "diff-index",
        "for-each-ref",
        "hash-object",
        "name-rev",
        "count-objects",
        "var",
        "whatchanged",
    }
)
_GIT_OPTS_WITH_ARG = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"}
)
# git's global options without an argument (or with it after `=`).
_GIT_GLOBAL_FLAGS = frozenset(
    {
        *("-p", "--paginate", "-P", "--no-pager", "--no-replace-objects", "--bare"),
        *("--literal-pathspecs", "--glob-pathspecs", "--noglob-pathspecs", "--icase-pathspecs"),
        *("--no-optional-locks", "--no-advice", "--git-dir", "--work-tree", "--namespace"),
        *("--exec-path", "--config-env", "--super-prefix", "--list-cmds", "--attr-source"),
        *("-v", "--version", "-h", "--help", "--html-path", "--man-path", "--info-path"),
    }
)
# Per subcommand, options that name a command git runs (`git grep -O'rm x'`).
_GIT_RUNS: dict[str, frozenset[str]] = {
    "grep": frozenset({"-O", "--open-files-in-pager"}),
    "rebase": frozenset({"-x", "--exec"}),
    "clone": frozenset({"-u", "-c"}),
}
_GIT_SHORT_RUNS = {"grep": "O", "rebase": "x", "clone": "uc"}


def git_refusal(args: tuple[str, ...]) -> str | None:
    """Why ``git args`` may run a command its text does not show, or None."""
    j = git_subcommand(args)
    if j is None:
        return "git's options cannot be read with confidence"
    for opt in args[:j]:
        if opt in ("-c", "--exec-path", "--config-env") or opt.startswith(
            ("--exec-path=", "--config-env=", "-c")
        ):
            return f"git {opt} can make git run any command"
    if j == len(args):
        return None
    sub, rest = args[j], args[j + 1 :]
    if sub not in _GIT_BUILTINS:
        return f"'git {sub}' may be an alias for any command"
    for word in rest:
        opt = word.split("=", 1)[0]
        short = word[1:] if word.startswith("-") and not word.startswith("--") else ""
        if (
            opt in _GIT_RUNS.get(sub, ())
            or opt in ("--upload-pack", "--receive-pack", "--exec", "--config", "--template")
            or any(letter in short for letter in _GIT_SHORT_RUNS.get(sub, ""))
        ):
            return f"'git {sub} {word}' can make git run any command"
    if (sub, rest[:1]) in (("bisect", ("run",)), ("submodule", ("foreach",))) or (
        sub == "submodule" and "foreach" in rest
    ):
        return f"'git {sub} {' '.join(rest[:1])}' runs a command"
    if sub == "config" and not _git_config_reads(rest):
        return "git config may set a command git runs later (a pager, hooks)"
    return None


def git_subcommand(args: tuple[str, ...]) -> int | None:
    """Where git's subcommand is in ``args`` (its global options skipped, with their
    arguments), ``len(args)`` if none; None if an option is one whose arguments we do not
    know (then the subcommand cannot be found with confidence)."""
    j = 0
    while j < len(args) and args[j].startswith("-"):
        opt = args[j]
        if opt in _GIT_OPTS_WITH_ARG:
            j += 2
        elif opt.split("=", 1)[0] in _GIT_GLOBAL_FLAGS or opt.startswith("-c"):
            j += 1
        else:
            return None
    return min(j, len(args))


def _git_config_reads(args: tuple[str, ...]) -> bool:
    """``git config`` that only reads: one name, or a --get/--list form."""
    reads = {"--get", "--get-all", "--get-regexp", "--list", "-l", "get", "list"}
    if any(a in reads for a in args):
        return not any(a in ("set", "--add", "--replace-all", "--edit", "-e") for a in args)
    names = [a for a in args if not a.startswith("-")]
    return len(names) <= 1 and not any(a in ("--edit", "-e") for a in args)

"""The files git writes where its options or operands say: ``--output`` of every command that
shows a diff (``log``, ``diff``, ``show``, ``format-patch``, ...), ``format-patch -o DIR``,
``archive -o F``, ``bundle create F``, the destination of ``clone``, ``init``, ``worktree add``,
relative to ``-C DIR``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.permissions.gitrules import git_subcommand
from agentrun.permissions.optscan import OptionSpec, find_values, operands

if TYPE_CHECKING:
    from agentrun.permissions.cmdwrites import Writes

__all__ = ["git_writes"]

# git takes any unambiguous prefix of a long option (`--outp=F`); every command that reads
# diff options takes `--output`, so it is looked for whatever the command.
_OUTPUT = OptionSpec(long=("output", "output-directory"))
_SHORT_OUTPUT = dict.fromkeys(
    ("archive", "bugreport", "diagnose", "format-patch", "index-pack", "mailsplit"), "o"
)
_INTO = frozenset({"bugreport", "diagnose", "format-patch", "mailsplit"})  # -o names a directory
# Options of one subcommand naming a file it writes.
_MORE = {
    "fast-export": ("export-marks",),
    "fast-import": ("export-marks", "export-pack-edges"),
    "credential-store": ("file",),
    "daemon": ("pid-file",),
    "checkout-index": ("prefix",),
}
_CLONE = OptionSpec(
    long=("separate-git-dir",),
    short_args="bojuc",
    long_args=("branch", "origin", "depth", "reference", "reference-if-able", "jobs", "filter"),
)


def git_writes(args: tuple[str, ...]) -> Writes:
    from agentrun.permissions.cmdwrites import Writes

    out = Writes()
    j = git_subcommand(args)
    if j is None or j == len(args):
        return out
    sub, rest = args[j], args[j + 1 :]
    spec = OptionSpec(long=(*_OUTPUT.long, *_MORE.get(sub, ())), short=_SHORT_OUTPUT.get(sub, ""))
    for opt, value in find_values(rest, spec):
        if value is None:
            continue
        into = opt in ("--output-directory", "-o") and sub in _INTO
        (out.dirs if into else out.files).append((value, f"git {sub} {opt}"))
    if sub == "format-patch" and not out.dirs and "--stdout" not in rest:
        out.dirs.append((".", "git format-patch"))
    files = operands(rest, _CLONE if sub == "clone" else OptionSpec())
    if sub == "bundle" and files[:1] == ["create"] and len(files) > 1:
        out.files.append((files[1], "git bundle create"))
    elif sub == "clone":
        out.dirs += [(v, "git clone") for _, v in find_values(rest, _CLONE) if v is not None]
        out.dirs.append((files[-1] if len(files) > 1 else ".", "git clone"))
    elif sub in ("mv", "rm"):  # the work tree's files it moves or removes
        out.files += [(f, f"git {sub}") for f in files]
        if sub == "mv" and len(files) > 1:  # into a directory under the sources' names
            dest = files[-1].rstrip("/")
            out.files += [
                (f"{dest}/{f.rstrip('/').rsplit('/', 1)[-1]}", "git mv") for f in files[:-1]
            ]
    elif sub == "merge-file" and files:
        out.files.append((files[0], "git merge-file"))
    elif sub == "init" and files:
        out.dirs.append((files[-1], "git init"))
    elif sub == "worktree" and files[:1] == ["add"] and len(files) > 1:
        out.dirs.append((files[1], "git worktree add"))
    return _under_git_dirs(args[:j], out)


def _under_git_dirs(options: tuple[str, ...], out: Writes) -> Writes:
    """Paths relative to ``-C DIR`` (each one relative to the one before); with
    ``--git-dir`` / ``--work-tree`` where git resolves them is not followed: opaque."""
    if not (out.files or out.dirs):
        return out
    base = ""
    for i, word in enumerate(options):
        if word == "-C" and i + 1 < len(options):
            step = options[i + 1]
            base = step if step.startswith("/") else f"{base}{step}"
            base = base.rstrip("/") + "/"
        elif word.startswith(("--git-dir", "--work-tree")):
            out.opaque.append(f"git {word} changes where the paths it writes are")
    if base:
        out.files = [(p if p.startswith("/") else base + p, how) for p, how in out.files]
        out.dirs = [(p if p.startswith("/") else base + p, how) for p, how in out.dirs]
    return out

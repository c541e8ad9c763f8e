"""The files pytest and ``python -m json.tool`` write through their options and operands:
``--junitxml=F``, ``--debug[=F]``, ``--basetemp=D`` (emptied first), ``-o cache_dir=D``,
``--log-file=F``, ``--cov-report=xml:F``... (``-c FILE`` only reads a configuration)."""

from __future__ import annotations

from agentrun.permissions.optscan import OptionSpec, find_values, operands

__all__ = ["module_writes"]

_PYTEST = OptionSpec(
    long=(
        "junitxml",
        "junit-xml",
        "basetemp",
        "result-log",
        "resultlog",
        "log-file",
        "report-log",
        "rootdir",
        "override-ini",
        "cov-report",
    ),
    short="o",
    short_args="ckmpWr",
    long_args=("confcutdir", "deselect", "ignore", "ignore-glob", "maxfail", "tb", "durations"),
    long_flags=("debug",),
)
_DIRS = frozenset({"--basetemp", "--rootdir"})
_INI_DIRS = ("cache_dir", "junit_", "log_file", "cache-dir")


def module_writes(
    module: str, args: tuple[str, ...]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(files, dirs)`` that ``python -m module args`` (or the ``module`` program) writes."""
    files: list[tuple[str, str]] = []
    dirs: list[tuple[str, str]] = []
    if module == "json.tool":
        rest = operands(args, OptionSpec(long_args=("indent",)))
        files += [(rest[1], "python -m json.tool")] if len(rest) > 1 else []
        return files, dirs
    if module not in ("pytest", "py.test"):
        return files, dirs
    for opt, value in find_values(args, _PYTEST):
        how = f"pytest {opt}"
        if opt == "--debug":
            # `--debug [FILE]`: the value is optional, so a following word may be it
            at = next(i for i, w in enumerate(args) if w.startswith("--deb"))
            word, nxt = args[at], args[at + 1 : at + 2]
            if "=" in word:
                files.append((word.split("=", 1)[1], how))
            else:
                files.append(("pytestdebug.log", how))
                files += [(n, how) for n in nxt if not n.startswith("-")]
        elif value is None:
            continue
        elif opt in _DIRS:
            dirs.append((value, how))
        elif opt in ("-o", "--override-ini"):
            key, _, path = value.partition("=")
            if path and key.startswith(_INI_DIRS):
                dirs.append((path, f"pytest -o {key}"))
        elif opt == "--cov-report":
            kind, _, path = value.partition(":")
            if path:
                (dirs if kind in ("html", "annotate") else files).append((path, how))
            elif kind in ("html", "xml", "json", "lcov", "annotate"):
                dirs.append((".", how))  # coverage's default names in the current directory
        else:
            files.append((value, how))
    return files, dirs

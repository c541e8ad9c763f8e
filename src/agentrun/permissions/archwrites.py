"""What archivers and downloaders write: ``tar`` creating an archive (``-cf F``) or extracting
into a directory (``-x -C D``), ``unzip -d D``, ``curl -o F`` / ``-O``, ``wget -O F`` / ``-P D``,
and ``pip`` / ``npm`` options naming where they install or log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.permissions.optscan import OptionSpec, find_values

if TYPE_CHECKING:
    from agentrun.permissions.cmdwrites import Writes

__all__ = ["archive_writes"]

_TAR = OptionSpec(
    short="fCg",
    long=("file", "directory", "listed-incremental", "index-file"),
    flags="cruAxdtOP",
    long_flags=(
        *("create", "append", "update", "concatenate", "catenate", "delete", "extract", "get"),
        *("to-stdout", "absolute-names", "remove-files", "list", "diff", "compare"),
    ),
    short_args="bHKLNTVXI",
    long_args=("exclude", "transform", "xform", "format", "owner", "group", "mode", "newer"),
)
# tar's old style: `tar xzf a.tar`; the letters taking a value take the next words in order.
_TAR_OLD_ARGS = "fCgbHKLNTVXI"
_CREATES = frozenset({"-c", "-r", "-u", "-A", "--create", "--append", "--update", "--delete"})
_CREATES |= {"--concatenate", "--catenate"}
_EXTRACTS = frozenset({"-x", "--extract", "--get"})

_UNZIP = OptionSpec(short="d", flags="ltpcvzZ", short_args="xP")
_CURL = OptionSpec(
    short="oDc",
    long=(
        *("output", "dump-header", "cookie-jar", "trace", "trace-ascii", "stderr"),
        *("etag-save", "hsts", "alt-svc", "libcurl", "output-dir", "config"),
    ),
    flags="OJK",
    long_flags=("remote-name", "remote-name-all", "remote-header-name"),
    short_args="AbCdeEFHmPQrTuUwxXyYzt",
)
_WGET = OptionSpec(
    short="OoaP",
    long=(
        *("output-document", "output-file", "append-output", "directory-prefix"),
        *("save-cookies", "config", "execute", "warc-file"),
    ),
    flags="e",
    long_flags=("spider",),
    short_args="AiBtTwQRDIXUln",
)
_PIP = OptionSpec(
    short="tdw",
    long=(
        *("target", "prefix", "root", "log", "report", "dest", "wheel-dir", "src"),
        *("cache-dir", "log-file"),
    ),
    short_args="rceiv",
    long_args=("requirement", "constraint", "editable", "index-url", "extra-index-url"),
)
_NPM = OptionSpec(long=("prefix", "cache", "userconfig", "globalconfig", "logs-dir"), short="C")


def archive_writes(name: str, args: tuple[str, ...]) -> Writes:
    from agentrun.permissions.cmdwrites import Writes

    out = Writes()
    if name in ("tar", "bsdtar", "gtar"):
        _tar(name, args, out)
    elif name == "unzip":
        given = find_values(args, _UNZIP)
        if not any(v is None for _, v in given):  # -l, -t, -p... only read
            into = [v for _, v in given if v is not None] or ["."]
            out.dirs += [(d, "unzip") for d in into]
    elif name == "curl":
        _downloader(name, args, _CURL, out)
    elif name == "wget":
        _downloader(name, args, _WGET, out)
    elif name in ("pip", "pip3", "uv", "npm", "pnpm", "yarn", "npx"):
        spec = _NPM if name in ("npm", "pnpm", "yarn", "npx") else _PIP
        out.dirs += [(v, f"{name} {o}") for o, v in find_values(args, spec) if v is not None]
    return out


def _tar(name: str, args: tuple[str, ...], out: Writes) -> None:
    if args and not args[0].startswith("-"):  # old style: `tar xzf a.tar -C d`
        letters, values = args[0], list(args[1:])
        args = tuple(
            w
            for letter in letters
            for w in (
                (f"-{letter}",) + ((values.pop(0),) if letter in _TAR_OLD_ARGS and values else ())
            )
        ) + tuple(values)
    given = find_values(args, _TAR)
    opts = {o for o, _ in given}
    base = ""
    archive: list[str] = []
    for opt, value in given:
        if value is None:
            continue
        if opt in ("-C", "--directory"):
            base = value if value.startswith("/") else base + value
            base = base.rstrip("/") + "/"
        elif opt in ("-f", "--file"):
            archive.append(value)
        else:  # a snapshot or index file tar writes
            out.files.append((value, f"{name} {opt}"))
    if opts & {"--remove-files"}:
        out.opaque.append(f"{name} --remove-files removes the files it archives")
    if opts & _CREATES:
        out.files += [(a, f"{name} (the archive it writes)") for a in archive if a != "-"]
    if opts & _EXTRACTS and not opts & {"-O", "--to-stdout"}:
        if opts & {"-P", "--absolute-names"}:
            out.opaque.append(f"{name} -P extracts to the absolute paths its archive holds")
        out.dirs.append((base or ".", f"{name} extracting"))


def _downloader(name: str, args: tuple[str, ...], spec: OptionSpec, out: Writes) -> None:
    given = find_values(args, spec)
    into = [v for o, v in given if o in ("-P", "--directory-prefix", "--output-dir") and v]
    named = False
    if name == "curl" and any("%output{" in w for w in args):  # `-w '%output{F}'`
        out.opaque.append("curl -w %output{...} writes a file")
    for opt, value in given:
        if opt in ("-K", "--config", "-e", "--execute"):
            out.opaque.append(f"{name} {opt} reads options (and files to write) from elsewhere")
        elif value is not None and opt not in ("-P", "--directory-prefix", "--output-dir"):
            out.files.append((value, f"{name} {opt}"))
            named |= opt in ("-o", "--output", "-O", "--output-document")
    remote = any(
        o in ("-O", "-J", "--remote-name", "--remote-name-all") for o, v in given if v is None
    )
    if name == "curl" and remote:
        out.dirs += [(d, f"{name} -O") for d in into or ["."]]
    if name == "wget" and not named and not any(o == "--spider" for o, _ in given):
        out.dirs += [(d, name) for d in into or ["."]]

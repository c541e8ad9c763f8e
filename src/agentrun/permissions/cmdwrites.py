"""The files a command writes through its options and operands, not through redirections:
``git log --output=F``, ``sort -o F``, ``tee F``, ``sed -i F``, ``cp A F``, ``dd of=F``,
``tar -xf A -C D``, ``curl -o F``... The gate judges each like a redirection to that file.

Three kinds of answer: a file written (``files``), a directory written into under names the
text does not give (``dirs``: ``tar -x``, ``unzip -d D``, ``curl -O``), and writes that cannot be
known from the text at all (``opaque``: code given on the line — ``python -c``, ``perl -e``, an
``awk`` program printing to a file —, ``find -delete``, ``patch``, ``rsync``, ``split``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentrun.permissions.gitwrites import git_writes
from agentrun.permissions.optscan import OptionSpec, find_values, operands
from agentrun.permissions.pywrites import module_writes
from agentrun.permissions.runopts import python_module
from agentrun.permissions.sedscript import read_sed

__all__ = ["Writes", "command_writes"]


@dataclass
class Writes:
    files: list[tuple[str, str]] = field(default_factory=list)
    """``(path, what writes it)`` for each file written, as written on the line."""
    dirs: list[tuple[str, str]] = field(default_factory=list)
    """``(directory, what writes into it)``: files below it, names unknown."""
    opaque: list[str] = field(default_factory=list)
    """Why the command may write files its text does not name."""

    def extend(self, other: Writes) -> None:
        self.files += other.files
        self.dirs += other.dirs
        self.opaque += other.opaque


# Programs with an option naming a file they write (``-o F`` / ``--output=F``).
_OUTPUT_OPTIONS: dict[str, OptionSpec] = {
    "sort": OptionSpec(
        short="oT",
        long=("output", "temporary-directory"),
        short_args="kStS",
        long_args=("key", "field-separator", "buffer-size", "parallel", "files0-from"),
    ),
    "shuf": OptionSpec(short="o", long=("output", "random-source"), short_args="ni"),
    "iconv": OptionSpec(short="o", long=("output",), short_args="ft"),
    "sdiff": OptionSpec(short="o", long=("output",), short_args="Iw"),
    "tree": OptionSpec(short="o", short_args="LPIH"),
    "pandoc": OptionSpec(short="o", long=("output",)),
    "xmllint": OptionSpec(long=("output",)),
    # less copies what it shows into a log file (`-o F`, `-O F`, `--log-file=F`)
    "less": OptionSpec(short="oO", long=("log-file", "LOG-FILE"), short_args="bhjkpPtTxyz#"),
    "gpg": OptionSpec(short="o", long=("output",), short_args="urf"),
    "ssh-keygen": OptionSpec(short="f", short_args="bCNtZaIOnVzEmPsDh"),
    **{
        cc: OptionSpec(short="o", short_args="IDLUlWxuBbVAeFGT")
        for cc in ("cc", "gcc", "g++", "c++", "clang", "clang++", "ld", "as", "tcc")
    },
}
_COMPILERS = frozenset({"cc", "gcc", "g++", "c++", "clang", "clang++", "ld", "as", "tcc"})
# Programs whose long options take one dash (``openssl req -out F -keyout K``).
_ONE_DASH_OUTPUT = {"openssl": ("-out", "-keyout", "-certout", "-sigout")}
# ... whose ``--output`` takes something else than a file.
_OUTPUT_NOT_A_FILE = frozenset({"df", "ps", "lsblk", "findmnt", "journalctl", "ip", "nmcli"})
# Programs writing every operand (creating, changing or removing it), with the short and long
# options that take a value (so the value is not taken for a file).
_WRITES_OPERANDS: dict[str, OptionSpec] = {
    "tee": OptionSpec(),
    "sponge": OptionSpec(),
    "touch": OptionSpec(short_args="drt", long_args=("date", "reference")),
    "truncate": OptionSpec(short_args="sr", long_args=("size", "reference")),
    "mkdir": OptionSpec(short_args="m", long_args=("mode",)),
    "rm": OptionSpec(),
    "rmdir": OptionSpec(),
    "unlink": OptionSpec(),
    "shred": OptionSpec(short_args="ns", long_args=("iterations", "size", "random-source")),
    "mkfifo": OptionSpec(short_args="m", long_args=("mode",)),
    "chmod": OptionSpec(long_args=("reference",)),
    "chown": OptionSpec(long_args=("reference", "from")),
    "chgrp": OptionSpec(long_args=("reference",)),
    "chattr": OptionSpec(short_args="vp"),
    "setfacl": OptionSpec(short_args="mMxX", long_args=("modify", "remove", "set", "set-file")),
}
_MODE_FIRST = frozenset({"chmod", "chown", "chgrp"})
# Copy-like programs: the last operand (or ``-t DIR``) is written; ``mv`` also removes sources.
_COPIERS: dict[str, OptionSpec] = {
    name: OptionSpec(
        short="t",
        long=("target-directory",),
        short_args="S" + extra,
        long_args=("suffix", "backup", "reflink", "sparse", "preserve", "context", "mode"),
    )
    for name, extra in (("cp", ""), ("mv", ""), ("ln", ""), ("install", "mogg"))
}
# Interpreters: code given on the line (or on stdin) may write any file.
_INLINE_CODE: dict[str, tuple[str, tuple[str, ...]]] = {
    "python": ("c", ()),
    "perl": ("eEi", ()),
    "ruby": ("ei", ()),
    "node": ("ep", ("eval", "print")),
    "nodejs": ("ep", ("eval", "print")),
    "bun": ("ep", ("eval", "print")),
    "php": ("r", ()),
    "lua": ("e", ()),
    "Rscript": ("e", ()),
    "osascript": ("e", ()),
}
_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)?)?|pypy\d*")
# Programs whose writes depend on what they read or find: any may be anywhere.
_OPAQUE = {
    "patch": "patch writes the files its input names",
    "rsync": "rsync writes files its source holds",
    "split": "split writes files named by a prefix and a suffix it makes",
    "csplit": "csplit writes files named by a prefix and a suffix it makes",
    "mktemp": "mktemp creates a file under a name it makes",
    "zip": "zip writes an archive and may remove or move files",
    "yq": "yq may edit files in place",
    "gzip": "gzip replaces the files it compresses",
    "gunzip": "gunzip replaces the files it decompresses",
    "bzip2": "bzip2 replaces the files it compresses",
    "bunzip2": "bunzip2 replaces the files it decompresses",
    "xz": "xz replaces the files it compresses",
    "unxz": "unxz replaces the files it decompresses",
    "zstd": "zstd writes the files it compresses",
    "unzstd": "unzstd writes the files it decompresses",
    "lz4": "lz4 writes the files it compresses",
    "7z": "7z writes archives and the files in them",
    "cpio": "cpio writes the files its archive holds",
    "scp": "scp writes its destination, which may be here",
    "sftp": "sftp writes the files its commands say",
    **{e: f"{e} writes the files its commands say" for e in ("ed", "ex", "vi", "vim", "nvim")},
    **{e: f"{e} writes the files its commands say" for e in ("emacs", "nano", "red")},
}
# gzip & co. only read with one of these.
_READS_ONLY = {
    **dict.fromkeys(("gzip", "gunzip", "xz", "unxz", "zstd", "unzstd", "lz4"), "clt"),
    **dict.fromkeys(("bzip2", "bunzip2"), "ct"),
}
_READS_ONLY_LONG = frozenset({"--stdout", "--to-stdout", "--list", "--test"})
_AWKS = frozenset({"awk", "gawk", "mawk", "nawk"})
# An awk program printing to a file, or loading code that may (``@load "inplace"``).
_AWK_WRITES = re.compile(r"@load|@include|\bfflush\b")
_AWK_PRINT = re.compile(r"\bprintf?\b")
_AWK_WRITE_OPTIONS = OptionSpec(
    flags="iloOpdDE",
    long_flags=("include", "load", "pretty-print", "profile", "dump-variables", "debug", "exec"),
    short_args="vFf",
)


# A word whose value the shell makes at run time: an expansion, a substitution, ANSI-C
# quoting, or braces (`--{output,x}=f` is `--output=f --x=f`). In the arguments of a program
# that writes files, it may be any option.
_DYNAMIC = re.compile(r"[$`]|\{[^{}]*(?:,|\.\.)[^{}]*\}")


_AWK_FIELD = re.compile(r"\$(?:\d+|[A-Za-z_]\w*)")


def writes_files(name: str) -> bool:
    """Whether ``name`` is a program this module knows to write files through its arguments."""
    return (
        name in _KNOWN
        or name in _OUTPUT_OPTIONS
        or name in _WRITES_OPERANDS
        or name in _COPIERS
        or name in _OPAQUE
        or name in _INLINE_CODE
        or bool(_PYTHON.fullmatch(name))
    )


_KNOWN = frozenset(
    {
        "git",
        "sed",
        "dd",
        "uniq",
        "xxd",
        "find",
        *_AWKS,
        "tar",
        "bsdtar",
        "gtar",
        "unzip",
        "curl",
        "wget",
        "pytest",
        "py.test",
    }
    | {"pip", "pip3", "uv", "npm", "pnpm", "yarn", "npx", "openssl"}
)


def command_writes(words: tuple[str, ...]) -> Writes:
    """What ``words`` (one simple command, redirections removed, wrappers already unwrapped)
    writes besides its redirections."""
    out = Writes()
    if not words:
        return out
    name, args = words[0].rsplit("/", 1)[-1], words[1:]
    # (an awk program's `$1` / `$NF` are its fields, not the shell's)
    seen = [_AWK_FIELD.sub("", w) if name in _AWKS else w for w in args]
    dynamic = next((w for w in seen if _DYNAMIC.search(w)), None)
    if dynamic is not None and writes_files(name):
        out.opaque.append(f"{name}'s argument {dynamic!r} is only known at run time")
    if name == "git":
        out.extend(git_writes(args))
        return out
    module = python_module(name, args) or ((name, args) if name in ("pytest", "py.test") else None)
    if module is not None:
        module_files, module_dirs = module_writes(*module)
        out.files += module_files
        out.dirs += module_dirs
    if name in _OUTPUT_OPTIONS:
        for opt, value in find_values(args, _OUTPUT_OPTIONS[name]):
            if value is not None:
                kind = out.dirs if opt in ("-T", "--temporary-directory") else out.files
                kind.append((value, f"{name} {opt}"))
        if name in _COMPILERS and not out.files and not {"-E", "-fsyntax-only"} & set(args):
            out.dirs.append((".", f"{name} (a.out or .o files)"))
    elif name not in _OUTPUT_NOT_A_FILE:
        _generic_output(name, args, out)
    for i, word in enumerate(args[:-1]):
        if word in _ONE_DASH_OUTPUT.get(name, ()):
            out.files.append((args[i + 1], f"{name} {word}"))
    if name in _WRITES_OPERANDS:
        files = operands(args, _WRITES_OPERANDS[name])
        if name in _MODE_FIRST and not any(w.startswith("--reference") for w in args):
            files = files[1:]  # the mode or owner
        out.files += [(w, name) for w in files if w != "-" and w[:1] not in "+="]
    elif name in _COPIERS:
        _copier(name, args, out)
    elif name == "sed":
        _sed(args, out)
    elif name == "dd":
        out.files += [(w[3:], "dd of=") for w in args if w.startswith("of=")]
    elif name == "xxd":  # xxd [options] [infile [outfile]]
        spec = OptionSpec(short_args="cglosnR", long_args=("cols", "groupsize", "len", "seek"))
        files = operands(args, spec)
        out.files += [(files[1], "xxd")] if len(files) > 1 else []
    elif name == "uniq":
        files = operands(
            args,
            OptionSpec(short_args="fsw", long_args=("skip-fields", "skip-chars", "check-chars")),
        )
        out.files += [(files[1], "uniq")] if len(files) > 1 else []
    elif name == "find":
        _find(args, out)
    elif name in _AWKS:
        _awk(name, args, out)
    elif name in _OPAQUE:
        reads = _READS_ONLY.get(name, "")
        if not reads or not any(
            w in _READS_ONLY_LONG or (w[:1] == "-" and w[1:2] != "-" and set(w[1:]) & set(reads))
            for w in args
        ):
            out.opaque.append(_OPAQUE[name])
    else:
        from agentrun.permissions.archwrites import archive_writes

        out.extend(archive_writes(name, args))
        _inline_code(name, args, out)
    return out


def _generic_output(name: str, args: tuple[str, ...], out: Writes) -> None:
    """``--output=F`` / ``--out F`` / ``--outfile F`` / ``--log-file F`` of any program."""
    spec = OptionSpec(long=("output", "output-file", "outfile", "out-file", "log-file", "logfile"))
    # `--o` / `--ou` abbreviate too many other options of programs we do not know
    words = tuple("--?" if w[:2] == "--" and len(w.split("=")[0]) < 5 else w for w in args)
    for opt, value in find_values(words, spec):
        if value is not None:
            out.files.append((value, f"{name} {opt}"))


def _copier(name: str, args: tuple[str, ...], out: Writes) -> None:
    spec = _COPIERS[name]
    into = [v for _, v in find_values(args, spec) if v is not None]  # -t DIR
    files = operands(args, spec)
    if name == "install" and any(w == "--directory" or _short_has(w, "d") for w in args):
        out.files += [(f, "install -d") for f in files]
        return
    sources = files if into else files[:-1]
    if not into and len(files) >= 2:
        dest = files[-1]
        # the destination is a file, or a directory the sources go into under their names
        out.files.append((dest, name))
        if not any(w == "--no-target-directory" or _short_has(w, "T") for w in args):
            out.files += [(dest.rstrip("/") + "/" + _base(f), name) for f in sources]
        into_tree = [dest]
    elif not into and len(files) == 1 and name == "ln":
        out.files.append((_base(files[0]), "ln"))  # `ln -s /a/b` makes ./b
        into_tree = []
    else:
        into_tree = into
    out.dirs += [(d, f"{name} -t") for d in into]
    if name == "mv":
        out.files += [(f, "mv (removes its sources)") for f in sources]
    recursive = name == "mv" or any(
        w in ("--recursive", "--archive")
        or _short_has(w, "r")
        or _short_has(w, "R")
        or _short_has(w, "a")
        for w in args
    )
    if recursive:
        # a tree's files land under the destination with names the line does not show
        out.dirs += [(d, name) for d in into_tree if (d, f"{name} -t") not in out.dirs]


def _short_has(word: str, letter: str) -> bool:
    return word[:1] == "-" and word[1:2] != "-" and letter in word[1:]


def _base(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _sed(args: tuple[str, ...], out: Writes) -> None:
    call = read_sed(args)
    out.files += [(f, "sed w") for f in call.writes if not call.sandbox]
    if call.unsure and not call.sandbox:
        out.opaque.append("the sed script may write files it does not name (w)")
    if call.in_place is None:
        return
    if "/" in call.in_place or "*" in call.in_place:
        out.opaque.append(f"sed -i{call.in_place} writes its backups under names it makes")
        return
    if call.from_file and not call.operands:
        out.opaque.append("sed -i edits files it does not name")
    for f in call.operands:
        if f != "-":
            out.files.append((f, "sed -i"))
            if call.in_place:
                out.files.append((f + call.in_place, "sed -i (its backup)"))


def _find(args: tuple[str, ...], out: Writes) -> None:
    for i, word in enumerate(args):
        if word in ("-fprint", "-fprint0", "-fprintf", "-fls") and i + 1 < len(args):
            out.files.append((args[i + 1], f"find {word}"))
        elif word == "-delete":
            out.opaque.append("find -delete removes the files it finds")


def _awk(name: str, args: tuple[str, ...], out: Writes) -> None:
    if find_values(args, _AWK_WRITE_OPTIONS):
        out.opaque.append(f"{name}'s options make it write files or load code that may")
    elif any(_AWK_WRITES.search(w) or _awk_prints_to_file(w) for w in args):
        out.opaque.append(f"the {name} program may print to a file")


def _awk_prints_to_file(program: str) -> bool:
    """Whether a ``print``/``printf`` statement redirects (``print > "f"``): a ``>`` outside
    parentheses and strings before the statement ends (``print ($1 > 5)`` compares)."""
    for m in _AWK_PRINT.finditer(program):
        depth, j, n = 0, m.end(), len(program)
        # (a newline may continue the statement: `print $1, \` or after a comma)
        while j < n and (depth or program[j] not in ";}"):
            c = program[j]
            if c == '"':  # a string literal, with backslash escapes
                j += 1
                while j < n and program[j] != '"':
                    j += 2 if program[j] == "\\" else 1
            elif c == "(":
                depth += 1
            elif c == ")":
                depth = max(depth - 1, 0)
            elif c == ">" and not depth:
                return True
            j += 1
    return False


def _inline_code(name: str, args: tuple[str, ...], out: Writes) -> None:
    key = "python" if _PYTHON.fullmatch(name) else name
    if key not in _INLINE_CODE:
        return
    letters, longs = _INLINE_CODE[key]
    if key == "python" and (module := python_module(name, args)) is not None:
        # `python -m pytest -c setup.cfg`: the words after the module are the module's
        args = args[: len(args) - len(module[1])]
    given = find_values(args, OptionSpec(flags=letters, long_flags=longs))
    if given:
        out.opaque.append(
            f"{name} {given[0][0]} runs code given on the line (or edits files in place), "
            "which may write any file"
        )
    elif key == "python" and not _script_operand(args):
        out.opaque.append(f"{name} runs code from stdin, which may write any file")


def _script_operand(args: tuple[str, ...]) -> bool:
    """Whether python's arguments name a script or a module (else it reads stdin)."""
    rest = operands(args, OptionSpec(short_args="mWXQ", long_args=("check-hash-based-pycs",)))
    module = any(w == "-m" or (w[:1] == "-" and w[1:2] != "-" and "m" in w) for w in args)
    return module or bool(rest and rest[0] != "-")

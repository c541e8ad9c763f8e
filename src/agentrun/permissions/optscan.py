"""Reading a command's options the way getopt does, for the files they name: ``--opt=val``,
``--opt val``, abbreviated long options (GNU getopt and git accept any unambiguous prefix:
``--outp=f``), short options alone (``-o f``), with their value attached (``-of``) or inside a
cluster (``-rof``), and ``--`` ending the options.

Where the reading could be wrong it errs towards finding a write: an option it does not know
is not given a value, so a later word is still looked at as an option."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OptionSpec", "find_values", "operands"]


@dataclass(frozen=True)
class OptionSpec:
    """The options of one program that matter for what it writes."""

    short: str = ""
    """Short options whose value we want (``o`` for ``-o FILE``)."""
    long: tuple[str, ...] = ()
    """Long options whose value we want, without ``--`` (``output``)."""
    short_args: str = ""
    """Other short options that take a value (the rest of a cluster is that value)."""
    long_args: tuple[str, ...] = ()
    """Other long options that take a value (the next word is it, unless ``=`` is used)."""
    flags: str = ""
    """Short options without a value that we want to know were given (``O`` of curl)."""
    long_flags: tuple[str, ...] = ()
    """Long options without a value that we want to know were given."""


def _long_name(word: str, names: tuple[str, ...]) -> str | None:
    """The option of ``names`` that ``--word`` spells, abbreviations included."""
    name = word[2:].split("=", 1)[0]
    if not name:
        return None
    exact = next((n for n in names if n == name), None)
    return exact or next((n for n in names if n.startswith(name)), None)


def find_values(args: tuple[str, ...], spec: OptionSpec) -> list[tuple[str, str | None]]:
    """Each wanted option given in ``args``, as ``(option, value)`` in order; flags have the
    value None. Options are ``-x`` / ``--name`` as written in ``spec``."""
    found: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        word = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        i += 1
        if word == "--":
            break
        if word.startswith("--"):
            if (name := _long_name(word, spec.long)) is not None:
                if "=" in word:
                    found.append((f"--{name}", word.split("=", 1)[1]))
                elif nxt is not None:
                    found.append((f"--{name}", nxt))
                    i += 1
            elif (name := _long_name(word, spec.long_flags)) is not None:
                found.append((f"--{name}", None))
            elif "=" not in word and _long_name(word, spec.long_args) is not None:
                i += 1
            continue
        if not word.startswith("-") or word == "-":
            continue
        for k, letter in enumerate(word[1:], start=1):
            rest = word[k + 1 :]
            if letter in spec.short:
                if rest:
                    found.append((f"-{letter}", rest))
                elif nxt is not None:
                    found.append((f"-{letter}", nxt))
                    i += 1
                break
            if letter in spec.flags:
                found.append((f"-{letter}", None))
            if letter in spec.short_args:
                i += 0 if rest else 1
                break
    return found


def operands(args: tuple[str, ...], spec: OptionSpec) -> list[str]:
    """The words of ``args`` that are not options nor their values (``-`` is an operand)."""
    out: list[str] = []
    i = 0
    takes = OptionSpec(
        short_args=spec.short + spec.short_args, long_args=spec.long + spec.long_args
    )
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            out.extend(args[i:])
            break
        if word.startswith("--"):
            if "=" not in word and _long_name(word, takes.long_args) is not None:
                i += 1
            continue
        if not word.startswith("-") or word == "-":
            out.append(word)
            continue
        for k, letter in enumerate(word[1:], start=1):
            if letter in takes.short_args:
                i += 0 if word[k + 1 :] else 1
                break
    return out

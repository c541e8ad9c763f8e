"""Frontmatter of agent files: find the ``---`` block, parse its YAML, repair what people write.

Two jobs, both line-based so every error can name a line of the *file*:

- :func:`split_frontmatter` strips a BOM, normalises CRLF/CR, and finds the block that opens on
  the first non-blank line and closes at the next line of three or more dashes. It never splits
  on later ``---`` lines, so horizontal rules and table separators in the body survive. With
  ``strict=False`` it also recovers the two misplaced forms seen in real files (a block inside a
  ```` ```yaml ```` fence under a heading, and an indented block) with a warning.
- :func:`parse_frontmatter` runs ``yaml.safe_load`` semantics through a loader that reports
  duplicate keys; when strict YAML fails it retries once with a line-based repair of the kind
  Claude Code applies (values that are really free text get quoted) and says so in a warning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import AgentFileError

if TYPE_CHECKING:
    import yaml

_DASHES = re.compile(r"-{3,}")
_FENCE = re.compile(r"(```+|~~~+)\s*(ya?ml)?\s*")
_KEY = re.compile(r"([A-Za-z_][\w.-]*)\s*:(?:\s|$)")
# Keys that always start a new entry, even inside an unclosed <example> in a broken description.
_OFFICIAL_KEYS = {"name", "description", "tools", "disallowedTools", "disallowed_tools", "model"}
_OFFICIAL_KEYS |= {"color", "permissionMode", "maxTurns", "skills", "memory", "effort", "hooks"}
_OPEN_TAG = re.compile(r"<([A-Za-z][\w-]*)[^<>/]*>")
_CLOSE_TAG = re.compile(r"</([A-Za-z][\w-]*)\s*>")
_FIX_HINT = "quote the value or use a block scalar (`key: |` then indented lines)"


@dataclass(frozen=True)
class Split:
    """A file cut into frontmatter and body. Line numbers are 1-based lines of the file."""

    frontmatter: str
    body: str
    open_line: int  # the opening `---`
    first_line: int  # the first frontmatter line (open_line + 1)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parsed:
    """The frontmatter mapping, the file line of each top-level key, and any warnings."""

    data: dict[Any, Any]
    key_lines: dict[str, int]
    warnings: tuple[str, ...]


def normalise(text: str) -> str:
    """Drop a UTF-8 BOM and turn CRLF / lone CR line ends into LF."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_frontmatter(text: str, path: Path | None, *, strict: bool = False) -> Split:
    """Cut normalised ``text`` into frontmatter and body; raise AgentFileError if there is none."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        raise AgentFileError("the file is empty; expected '---' frontmatter on line 1", path=path)
    if lines[start].rstrip() == "---":
        return _cut(lines, start, path, indent="")
    misplaced = _find_misplaced(lines, start)
    if misplaced is None:
        later = next((i for i in range(start + 1, len(lines)) if lines[i].rstrip() == "---"), None)
        if later is not None and later + 1 < len(lines) and _KEY.match(lines[later + 1]):
            raise AgentFileError(
                f"frontmatter must start on line 1, but the '---' block opens on line {later + 1}",
                path=path,
                line=later + 1,
            )
        raise AgentFileError(
            "no frontmatter: an agent file must start with a '---' line, then `name:` and"
            " `description:`, then '---'",
            path=path,
            line=start + 1,
        )
    open_index, kind, indent = misplaced
    where = f"frontmatter must start on line 1, but it opens on line {open_index + 1} {kind}"
    if strict:
        raise AgentFileError(where, path=path, line=open_index + 1)
    split = _cut(lines, open_index, path, indent=indent, fenced=kind.startswith("(inside"))
    warning = f"{_at(path, open_index + 1)}{where}; loaded it anyway (Claude Code ignores it)"
    return Split(split.frontmatter, split.body, split.open_line, split.first_line, (warning,))


def _find_misplaced(lines: list[str], start: int) -> tuple[int, str, str] | None:
    """Locate an indented block, or a ```yaml fence holding the block after headings/blanks."""
    first = lines[start]
    if first.strip() == "---":
        indent = first[: len(first) - len(first.lstrip())]
        return start, "(indented)", indent
    for i in range(start, min(len(lines), start + 12)):
        line = lines[i]
        if _FENCE.fullmatch(line.strip()):
            nxt = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            if nxt is not None and lines[nxt].strip() == "---":
                return nxt, f"(inside a code fence on line {i + 1})", ""
            return None
        if line.strip() and not line.lstrip().startswith("#"):
            return None
    return None


def _cut(
    lines: list[str], open_index: int, path: Path | None, *, indent: str, fenced: bool = False
) -> Split:
    close = next(
        (
            j
            for j in range(open_index + 1, len(lines))
            if _DASHES.fullmatch(lines[j].strip() if indent else lines[j].rstrip())
        ),
        None,
    )
    if close is None:
        raise AgentFileError(
            f"the frontmatter opened on line {open_index + 1} is never closed by a '---' line",
            path=path,
            line=open_index + 1,
        )
    block = lines[open_index + 1 : close]
    if indent:
        block = [line.removeprefix(indent) for line in block]
    rest = lines[close + 1 :]
    if fenced:
        after = next((k for k, line in enumerate(rest) if line.strip()), None)
        if after is not None and _FENCE.fullmatch(rest[after].strip()):
            rest = rest[after + 1 :]
    body = "\n".join(rest)
    if indent:
        import textwrap  # ~1 ms, for the rare indented file only

        body = textwrap.dedent(body)
    return Split("\n".join(block), body.strip(), open_index + 1, open_index + 2)


def _at(path: Path | None, line: int) -> str:
    return f"{path}:{line}: " if path is not None else f"line {line}: "


_PLAIN_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*): +([A-Za-z][^:#\[\]{}\"`|>&*!%@\t]*)")
# Words YAML 1.1 reads as booleans or null rather than text (as keys too), in any case.
_NOT_TEXT = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


def _plain_mapping(text: str) -> tuple[dict[Any, Any], dict[str, int]] | None:
    """The mapping of frontmatter made only of one-line ``key: text`` entries, read without
    PyYAML (importing it is a large share of start-up), or None for anything else.

    Only lines whose YAML meaning is beyond doubt are taken: a key and a plain value that starts
    with a letter (so never a number, date, anchor, tag or flow value) and holds no ``:`` or
    ``#`` (never a nested key or a comment) and is not a boolean or null word. Blank lines are
    allowed; any other line, a duplicate key or an empty block falls back to the YAML parser.
    """
    data: dict[Any, Any] = {}
    key_lines: dict[str, int] = {}
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        match = _PLAIN_LINE.fullmatch(line.rstrip(" "))
        if match is None:
            return None
        key, value = match.group(1), match.group(2)
        if key in data or key.lower() in _NOT_TEXT or value.lower() in _NOT_TEXT:
            return None
        if not value.isprintable():  # YAML line breaks such as U+2028 are not printable
            return None
        data[key] = value
        key_lines[key] = index
    return (data, key_lines) if data else None


def parse_frontmatter(split: Split, path: Path | None) -> Parsed:
    """Parse the frontmatter strictly, else repair it line by line (with a warning), else raise."""
    plain = _plain_mapping(split.frontmatter)
    if plain is not None:
        data, key_lines = plain
        return Parsed(data, {k: split.first_line + v for k, v in key_lines.items()}, ())
    import yaml  # ~15-50 ms: only frontmatter that is more than plain `key: text` lines

    from agentrun.agentfile.yamlload import load as _load

    warnings: list[str] = []
    line_map: list[int] | None = None
    try:
        data, key_lines, dups = _load(split.frontmatter)
    except yaml.YAMLError as error:
        first_bad = split.first_line + _mark_line(error)
        repaired, line_map, fixes = _repair(split.frontmatter, split.first_line, path)
        try:
            data, key_lines, dups = _load(repaired)
        except yaml.YAMLError as again:
            line = line_map[min(_mark_line(again), len(line_map) - 1)]
            raise _unrepairable(again, line, split, path) from again
        problem = getattr(error, "problem", None) or "invalid YAML"
        warnings.append(
            f"{_at(path, first_bad)}frontmatter is not valid YAML ({problem}); read it leniently"
            f" ({'; '.join(fixes) or 'as written'}) — to fix, {_FIX_HINT}"
        )

    def file_line(line0: int) -> int:
        if line_map is not None:
            return line_map[min(line0, len(line_map) - 1)]
        return split.first_line + line0

    for key, line0 in dups:
        warnings.append(f"{_at(path, file_line(line0))}duplicate key {key!r}; the last one wins")
    if not isinstance(data, dict):
        got = "nothing" if data is None else f"a {type(data).__name__}"
        raise AgentFileError(
            f"frontmatter must be a mapping of `key: value` lines, got {got}",
            path=path,
            line=split.open_line,
        )
    return Parsed(data, {k: file_line(v) for k, v in key_lines.items()}, tuple(warnings))


def _mark_line(error: yaml.YAMLError) -> int:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return int(mark.line) if mark is not None else 0


def _unrepairable(
    error: yaml.YAMLError, line: int, split: Split, path: Path | None
) -> AgentFileError:
    lines = split.frontmatter.split("\n")
    index = line - split.first_line
    quoted = lines[index].strip() if 0 <= index < len(lines) else ""
    problem = getattr(error, "problem", None) or "invalid YAML"
    return AgentFileError(
        f"invalid YAML in frontmatter ({problem}) at {quoted!r}; {_FIX_HINT}",
        path=path,
        line=line,
    )


def _repair(text: str, first_line: int, path: Path | None) -> tuple[str, list[int], list[str]]:
    """Rewrite broken entries as quoted text. Returns the YAML, its line map, what was fixed.

    An entry is a column-0 ``key:`` line plus the lines after it up to the next entry. Column-0
    lines that are not ``key:`` lines, or that sit inside an unclosed ``<example>``-style tag,
    continue the previous entry (the "unindented continuation" people write). Entries that
    parse on their own are kept verbatim; a broken entry whose value is free text becomes one
    JSON-quoted line (JSON strings are valid YAML). Broken lists, mappings and flow values
    are not guessed at: they raise.
    """
    import yaml

    from agentrun.agentfile.yamlload import LibYamlLoader as _LibYamlLoader

    raw = text.split("\n")
    lines = [_detab(line) for line in raw]
    entries: list[tuple[int, re.Match[str], list[str]]] = []  # (key line index, key, lines)
    prefix: list[str] = []
    depth = 0
    for index, line in enumerate(lines):
        match = _KEY.match(line)
        if match is not None and (depth <= 0 or match.group(1) in _OFFICIAL_KEYS):
            entries.append((index, match, [line]))
            depth = 0
        elif entries:
            entries[-1][2].append(line)
        elif line.strip() and not line.lstrip().startswith("#"):
            raise _located_yaml_error(line, first_line + index, path)
        else:
            prefix.append(line)
        depth += len(_OPEN_TAG.findall(line)) - len(_CLOSE_TAG.findall(line))
    out: list[str] = list(prefix)
    line_map = [first_line + i for i in range(len(prefix))]
    repaired: list[str] = []
    for index, key, entry in entries:
        chunk = "\n".join(entry)
        try:
            ok = isinstance(yaml.load(chunk, Loader=_LibYamlLoader), dict)
        except yaml.YAMLError:
            ok = False
        if ok:
            out.extend(entry)
            line_map.extend(first_line + index + k for k in range(len(entry)))
            continue
        inline = entry[0][key.end() :].strip()
        if inline.startswith(("[", "{", "|", ">")) or (
            not inline and entry[1:2] and entry[1].startswith((" ", "-"))
        ):
            raise _located_yaml_error(entry[0], first_line + index, path)
        value = "\n".join([inline, *(line.rstrip() for line in entry[1:])]).strip()
        out.append(f"{key.group(1)}: {json.dumps(value, ensure_ascii=False)}")
        line_map.append(first_line + index)
        repaired.append(key.group(1))
    fixes = [f"quoted the `{key}` value as text" for key in repaired]
    if lines != raw:
        fixes.insert(0, "read tab indentation as spaces")
    return "\n".join(out), line_map, fixes


def _detab(line: str) -> str:
    """Tabs cannot indent YAML; read each leading tab as two spaces."""
    stripped = line.lstrip("\t ")
    lead = line[: len(line) - len(stripped)]
    return lead.replace("\t", "  ") + stripped if "\t" in lead else line


def _located_yaml_error(line: str, number: int, path: Path | None) -> AgentFileError:
    return AgentFileError(
        f"invalid YAML in frontmatter that cannot be repaired at {line.strip()!r}; {_FIX_HINT}",
        path=path,
        line=number,
    )

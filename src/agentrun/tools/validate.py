"""Checking a tool call's input against the tool's JSON schema, before the tool runs.

Only the schema keywords our six tools use are understood: ``type`` (one name or a list),
``properties``, ``required``, ``additionalProperties``, ``enum``, ``minimum``/``maximum``
(and the exclusive forms), ``minLength``/``maxLength`` and ``items``. Every problem becomes one
sentence naming the parameter, so the model can fix its call in one retry.

A parameter not in the schema is refused unless the schema sets ``additionalProperties`` true:
a silently ignored parameter would leave the model believing it had effect. Near-miss names
(:data:`NEAR_MISS_NAMES`: ``path`` for ``file_path``, ``old_str``/``new_str`` for
``old_string``/``new_string``) are refused like any other unknown name, as Claude Code refuses
them (``InputValidationError``), with the right name suggested: a test scripted with the wrong
name must fail here as it would against Claude Code.

Deliberate leniencies, because models make these slips and Claude Code accepts them:

- ``null`` for an optional parameter means "not given";
- numbers and booleans sent as strings (``"10"``, ``"true"``) and whole floats (``10.0``) for
  integers are converted. A real mismatch (``"ten"``, ``true`` for a number) is still an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentrun.core.types import JSON

NEAR_MISS_NAMES: Mapping[str, str] = {
    "path": "file_path",
    "old_str": "old_string",
    "new_str": "new_string",
}

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}
_INT_TEXT = re.compile(r"[+-]?\d+")
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Validation:
    """The outcome of :func:`validate_input`: the (normalised) input, or the problems found."""

    input: JSON
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    def message(self, tool_name: str) -> str:
        """The error text for the model (headed like Claude Code's)."""
        problems = "\n".join(f"- {e}" for e in self.errors)
        return (
            f"InputValidationError: {tool_name} failed due to the following issues:\n"
            f"{problems}\nFix the call and try again."
        )


class _MismatchError(Exception):
    """Internal: a value does not fit its schema (the message is model-facing)."""


def validate_input(schema: JSON, data: Mapping[str, Any] | Any) -> Validation:
    """Check ``data`` against an object ``schema``; never raises for bad input."""
    if not isinstance(data, Mapping):
        got = "null" if data is None else f"{_kind(data)} {_show(data)}"
        return Validation(
            input={}, errors=(f"The input must be a JSON object of named parameters; got {got}.",)
        )
    properties: Mapping[str, JSON] = schema.get("properties") or {}
    required = [str(name) for name in schema.get("required") or ()]
    allow_extra = bool(schema.get("additionalProperties", False))
    errors: list[str] = []
    bad: set[str] = set()
    given = dict(data)

    out: JSON = {}
    for name, value in given.items():
        prop = properties.get(name)
        if prop is None:
            if allow_extra:
                out[name] = value
            else:
                valid = ", ".join(properties) or "none"
                near = NEAR_MISS_NAMES.get(name)
                hint = f' Did you mean "{near}"?' if near in properties else ""
                errors.append(
                    f'Unexpected parameter "{name}".{hint} This tool takes only these '
                    f"parameters: {valid}."
                )
            continue
        if value is None:  # null means "not given"; a required one is then reported missing
            continue
        try:
            out[name] = _check(value, prop, name)
        except _MismatchError as e:
            errors.append(str(e))
            bad.add(name)

    for name in required:
        if name not in out and name not in bad:
            kind = _type_word(properties.get(name, {}))
            errors.append(f'Missing required parameter "{name}"{kind}.')
    return Validation(input=out, errors=tuple(errors))


def item_problem(where: str, item: Any, keys: tuple[str, ...], needs: str) -> str | None:
    """Why ``item`` (one entry of a list parameter, called ``where`` in the text) is not an
    object with only ``keys``, worded for the model (``needs``: the keys it must have); None when
    it is. For the lists a schema's ``items`` does not describe in full."""
    if not isinstance(item, dict):
        return f"{where} must be an object with {needs}."
    extra = sorted(set(item) - set(keys))
    if extra:
        return f"{where} has unexpected parameter(s) {', '.join(extra)}."
    return None


def _type_word(prop: JSON) -> str:
    types = _types(prop)
    return f" ({' or '.join(_TYPE_WORDS.get(t, t) for t in types)})" if types else ""


def _types(prop: JSON) -> list[str]:
    raw = prop.get("type")
    if raw is None:
        return []
    return [str(raw)] if isinstance(raw, str) else [str(t) for t in raw]


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _check(value: Any, prop: JSON, name: str) -> Any:
    types = _types(prop)
    if types:
        value = _coerce(value, types, name)
    enum = prop.get("enum")
    if enum is not None and value not in enum:
        options = ", ".join(_show(v) for v in enum)
        raise _MismatchError(f'Parameter "{name}" must be one of {options}; got {_show(value)}.')
    if isinstance(value, int | float) and not isinstance(value, bool):
        _check_range(value, prop, name)
    if isinstance(value, str):
        if "minLength" in prop and len(value) < prop["minLength"]:
            raise _MismatchError(
                f'Parameter "{name}" must be at least {prop["minLength"]} characters long.'
            )
        if "maxLength" in prop and len(value) > prop["maxLength"]:
            raise _MismatchError(
                f'Parameter "{name}" must be at most {prop["maxLength"]} characters long.'
            )
    items = prop.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        value = [_check(item, items, f"{name}[{i}]") for i, item in enumerate(value)]
    return value


def _check_range(value: float, prop: JSON, name: str) -> None:
    if "minimum" in prop and value < prop["minimum"]:
        raise _MismatchError(f'Parameter "{name}" must be at least {prop["minimum"]}; got {value}.')
    if "maximum" in prop and value > prop["maximum"]:
        raise _MismatchError(f'Parameter "{name}" must be at most {prop["maximum"]}; got {value}.')
    if "exclusiveMinimum" in prop and value <= prop["exclusiveMinimum"]:
        raise _MismatchError(
            f'Parameter "{name}" must be greater than {prop["exclusiveMinimum"]}; got {value}.'
        )
    if "exclusiveMaximum" in prop and value >= prop["exclusiveMaximum"]:
        raise _MismatchError(
            f'Parameter "{name}" must be less than {prop["exclusiveMaximum"]}; got {value}.'
        )


def _coerce(value: Any, types: list[str], name: str) -> Any:
    kind = _kind(value)
    if kind in types or (kind == "integer" and "number" in types):
        return value
    if "integer" in types:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
            return int(value.strip())
    if "number" in types and isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        return float(value.strip())
    if "boolean" in types and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    raise _MismatchError(f'Parameter "{name}" must be {wanted}; got {kind} {_show(value)}.')

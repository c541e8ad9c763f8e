"""A tool's ``input_schema`` as the JSON Schema its server lists, as the Claude Agent SDK
builds it: a JSON Schema dict is kept; a dict of name -> Python type, or a TypedDict, becomes an
object schema (``Annotated[T, "text"]`` gives a parameter its description)."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints, is_typeddict


def input_schema(declared: Any) -> dict[str, Any]:
    """The JSON Schema for a tool declared with ``declared`` (see the module docstring)."""
    if isinstance(declared, dict):
        if isinstance(declared.get("type"), str) and "properties" in declared:
            return declared
        properties = {str(name): type_schema(kind) for name, kind in declared.items()}
        # Every name given in the dict form is required, as in the Claude Agent SDK.
        return {"type": "object", "properties": properties, "required": list(properties)}
    if is_typeddict(declared):
        return typeddict_schema(declared)
    return {"type": "object", "properties": {}}


def typeddict_schema(cls: Any) -> dict[str, Any]:
    hints = get_type_hints(cls, include_extras=True)
    properties = {name: type_schema(kind) for name, kind in hints.items()}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = getattr(cls, "__required_keys__", set(properties))
    if required:
        schema["required"] = sorted(required)
    return schema


_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def type_schema(kind: Any) -> dict[str, Any]:
    """One Python annotation as JSON Schema (an unknown type is a string, as in the SDK)."""
    origin = get_origin(kind)
    # NotRequired / Required / ReadOnly only say whether a TypedDict key must be there.
    if getattr(origin, "_name", None) in ("NotRequired", "Required", "ReadOnly"):
        return type_schema(get_args(kind)[0])
    if origin is Annotated:
        inner, *meta = get_args(kind)
        schema = type_schema(inner)
        text = next((m for m in meta if isinstance(m, str)), None)
        if text is not None:
            schema["description"] = text
        return schema
    if kind in _SCALARS:
        return {"type": _SCALARS[kind]}
    if origin is Union or isinstance(kind, types.UnionType):
        options = [a for a in get_args(kind) if a is not type(None)]
        if len(options) == 1:
            return type_schema(options[0])
        return {"anyOf": [type_schema(a) for a in options]}
    if origin is list or kind is list:
        items = get_args(kind)
        return {"type": "array", "items": type_schema(items[0])} if items else {"type": "array"}
    if origin is dict or kind is dict:
        return {"type": "object"}
    if is_typeddict(kind):
        return typeddict_schema(kind)
    return {"type": "string"}

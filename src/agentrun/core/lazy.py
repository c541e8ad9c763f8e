"""Public names imported on first use (PEP 562): a package's ``__getattr__`` looks a name up in
a table of its home modules, so importing the package does not import what the names need."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any] | None = None
) -> Callable[[str], Any]:
    """The lookup for ``package``'s ``__getattr__``: ``name`` from the module ``homes[name]``
    (a full module name). With ``namespace`` (the package's ``globals()``) each name is kept
    there once found, so the next use is a plain attribute."""

    def lookup(name: str) -> Any:
        module = homes.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        if namespace is not None:
            namespace[name] = value
        return value

    return lookup

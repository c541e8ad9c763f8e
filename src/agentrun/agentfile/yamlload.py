"""The PyYAML side of frontmatter parsing, imported only when a file needs it (PyYAML costs
tens of milliseconds of start-up, and the shipped agent's plain frontmatter is read without it).

:func:`load` has ``yaml.safe_load`` semantics and also reports duplicate keys and the line of
each top-level key.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor

try:
    from yaml import CSafeLoader as LibYamlLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as LibYamlLoader  # type: ignore[assignment]

__all__ = ["LibYamlLoader", "load"]


class _DuplicateKeys(SafeConstructor):
    """Records duplicate mapping keys (PyYAML silently keeps the last one)."""

    duplicates: list[tuple[str, int]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # unhashable key: PyYAML itself reports it below
                continue
            if duplicate:
                self.duplicates.append((str(key), key_node.start_mark.line))
        return super().construct_mapping(node, deep=deep)


class _PyLoader(_DuplicateKeys, yaml.SafeLoader):
    pass


class _FastLoader(_DuplicateKeys, LibYamlLoader):
    pass


def load(text: str) -> tuple[Any, dict[str, int], list[tuple[str, int]]]:
    """Parse one YAML document; return data, 0-based line of each top-level key, duplicates.

    libyaml parses ~10x faster; on a failure the pure-Python parser runs again so the error
    wording and position are the same on every machine.
    """
    try:
        return _load_with(_FastLoader, text)
    except yaml.YAMLError:
        return _load_with(_PyLoader, text)


def _load_with(
    loader_class: type[_PyLoader | _FastLoader], text: str
) -> tuple[Any, dict[str, int], list[tuple[str, int]]]:
    loader = loader_class(text)
    loader.duplicates = []
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        key_lines: dict[str, int] = {}
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                key_lines.setdefault(str(key_node.value), key_node.start_mark.line)
        return data, key_lines, loader.duplicates
    finally:
        loader.dispose()

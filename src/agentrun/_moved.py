"""The old module paths of agentrun 0.x, kept for one release: each name still resolves, with a
:class:`DeprecationWarning` that names its new home (the layers are in ``docs/architecture.md``).

Nothing inside agentrun imports the old paths (``tests/test_layering.py`` checks that).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from pathlib import Path


def forwarder(old: str, new: str, package_dir: str | None = None) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``old`` that hands out ``new``'s names with a warning.

    For a package (``package_dir`` given), a name that is one of its submodules is left to the
    import system: ``from agentrun.session import store`` must not warn nor import the old names.
    """

    def __getattr__(name: str) -> object:  # noqa: N807 (it becomes a module __getattr__)
        missing = AttributeError(f"module {old!r} has no attribute {name!r}")
        if name.startswith("__"):
            raise missing
        if package_dir is not None:
            here = Path(package_dir)
            if (here / f"{name}.py").exists() or (here / name / "__init__.py").exists():
                raise missing
        try:
            value = getattr(importlib.import_module(new), name)
        except AttributeError:
            raise missing from None
        warnings.warn(
            f"{old}.{name} is deprecated: use {new}.{name} (the old path goes in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__

"""The package surface: version, __all__, lazy imports, entry points."""

from __future__ import annotations

import subprocess
import sys

import agentrun


def test_version_matches_metadata() -> None:
    from importlib.metadata import version

    assert agentrun.__version__ == version("agentrun")


def test_all_names_resolve() -> None:
    for name in agentrun.__all__:
        assert getattr(agentrun, name) is not None, name


def test_import_has_no_heavy_side_effects() -> None:
    code = "import sys, agentrun; print('anthropic' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    assert out.stderr == ""


def test_python_dash_m_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "agentrun", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"agentrun {agentrun.__version__}"


def test_console_script_version() -> None:
    out = subprocess.run(["agentrun", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"agentrun {agentrun.__version__}"

"""``agentrun hooks``: the hooks a run in this directory would have, each with its file."""

from __future__ import annotations

import argparse
from pathlib import Path

from agentrun.cli.termsafe import safe
from agentrun.core.errors import ConfigError
from agentrun.hooks import load_hook_config, read_settings_arg
from agentrun.hooks.config import describe


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cwd", metavar="DIR", default=".", help="the workspace (default: .)")
    parser.add_argument("--settings", metavar="FILE|JSON", help="one more settings layer")


def run(args: argparse.Namespace) -> int:
    """Print the list; a malformed ``hooks`` block is a configuration error (exit 2)."""
    cwd = Path(args.cwd).expanduser().resolve()
    if not cwd.is_dir():
        raise ConfigError(f"--cwd {args.cwd}: not a directory")
    extra = [read_settings_arg(args.settings)] if args.settings else []
    config = load_hook_config(cwd, extra=extra)
    for line in [*config.warnings, *describe(config)]:
        print(safe(line))
    return 0

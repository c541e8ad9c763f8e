"""Confinement for a session: path checks for the file tools, a kernel-enforced jail for Bash.

:func:`open_sandbox` picks the implementation for a policy's mode; modules are imported only
when needed (importing this package has no side effects and stays cheap).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentrun.core.protocols import Sandbox
    from agentrun.jail.policy import SandboxPolicy

__all__ = ["open_sandbox"]


def open_sandbox(policy: SandboxPolicy, *, tmp_dir: Path, sealed: Sequence[Path] = ()) -> Sandbox:
    """The sandbox for ``policy``: no confinement for ``danger-full-access`` (an explicit
    opt-out), otherwise the session jail, which refuses to spawn if a layer it needs is missing.
    ``sealed``: directories in ``tmp_dir`` the jail shows read-only (the runtime writes them)."""
    if not policy.confined:
        from agentrun.jail.unconfined import UnconfinedSandbox

        return UnconfinedSandbox(policy, tmp_dir=tmp_dir)
    from agentrun.jail.jail import JailSandbox

    return JailSandbox(policy, tmp_dir=tmp_dir, sealed=sealed)

"""Which confinement layers a sandbox mode needs, and which a session can claim before its jail
has started (the jail starts at the first Bash call; the run's init event is printed long before).
"""

from __future__ import annotations

import os

REPORT_ORDER = (
    "mountns",
    "pidns",
    "constructed-root",
    "netns",
    "userns",
    "caps",
    "no_new_privs",
    "landlock",
    "landlock_scopes",
    "seccomp",
    "socket_allowlist",
    "cgroup",
    "rlimits",
    "git-protected",
)
"""The order a started jail reports its layers in (see the jail's start and
:mod:`agentrun.jail.init`); claims made before the start use it too."""


OPTIONAL = ("landlock_scopes",)
"""Layers a confined mode applies and claims whenever the kernel has them, without requiring
them: with a network and a PID namespace, Landlock's scopes add nothing a host process can feel
(the host's abstract sockets live in its network namespace, its pids are not visible)."""


def required_layers(mode: str, *, allow_network: bool) -> tuple[str, ...]:
    """What a sandbox ``mode`` cannot run without, on this machine and for this user."""
    if mode == "danger-full-access":
        return ()
    layers = ["landlock", "seccomp", "socket_allowlist", "mountns", "pidns", "caps"]
    layers += ["no_new_privs", "rlimits"]
    # Outside the write roots nothing is writable or reachable (host sockets absent), and git's
    # execution surface in the write roots stays read-only: see rootfs and gitwatch.
    layers += ["constructed-root", "git-protected"]
    if allow_network:
        # The jail shares the host's network namespace, so its abstract unix sockets.
        layers.append("landlock_scopes")
    else:
        layers.append("netns")
    if os.geteuid() == 0:
        layers.append("cgroup")  # root ignores RLIMIT_NPROC: only a cgroup bounds a fork bomb
    else:
        layers.append("userns")  # the only way an unprivileged user gets the namespaces
    return tuple(layers)


def promised_layers(mode: str, *, allow_network: bool) -> tuple[str, ...]:
    """The layers a not-yet-started jail for ``mode`` will enforce: those it needs, and the
    :data:`OPTIONAL` ones, that the probe found available here. A needed layer that is missing makes every spawn refuse, so
    it is not claimed; a claimed one that then fails to come up refuses too (fail closed)."""
    from agentrun.jail.probe import probe

    required = required_layers(mode, allow_network=allow_network)
    if not required:
        return ()  # danger-full-access claims nothing: no need to probe
    available = probe()
    wanted = (*required, *OPTIONAL)
    return tuple(layer for layer in REPORT_ORDER if layer in wanted and available.get(layer))

"""What to do instead, added to a failed Bash command's result when the sandbox refused it: a
write to a read-only place (``.git``, outside the write roots) or a network call without a
network. Worded for the model (model-facing text: snapshot-tested, CHANGELOG on change); a few
short lines at most.

Seen on first runs: told only "Read-only file system" or a failed name lookup, a model spent
turns on ``git commit``, ``pip install`` and ``git init``, which the sandbox forbids."""

from __future__ import annotations

import re

GIT_READ_ONLY = (
    "Sandbox: .git is read-only in this session, so git commit, add, stash, init, fetch and "
    "branch changes fail. Leave the changes in the working tree and tell the user what to commit."
)
READ_ONLY = (
    "Sandbox: commands may write only under the workspace and /tmp. Write there instead, or "
    "tell the user what to change elsewhere."
)
NOTHING_WRITABLE = (
    "Sandbox: read-only mode, nothing can be written. Describe the change for the user instead."
)
NO_NETWORK = (
    "Sandbox: no network. Installs, downloads and git fetch/pull/push cannot work: use what is "
    "installed (e.g. python -m pytest), or tell the user what to install or fetch."
)

_EROFS = re.compile(r"^.*Read-only file system.*$", re.MULTILINE)
_NETWORK = re.compile(
    r"Could not resolve host|Temporary failure in name resolution|Name or service not known"
    r"|EAI_AGAIN|getaddrinfo ENOTFOUND|Network is unreachable|Failed to establish a new connection"
    r"|Could not resolve proxy|unable to access '(?:https?|git)://"
    # pip offline: what it says once its retries are spent (with a network: an unknown name)
    r"|No matching distribution found"
)


def sandbox_hints(output: str, *, mode: str, no_network: bool) -> list[str]:
    """The notes for one command's ``output`` in a sandbox of ``mode`` (``no_network``: the
    jail has no network namespace with a way out)."""
    if mode == "danger-full-access":
        return []
    hints: list[str] = []
    refused = _EROFS.findall(output)
    if refused:
        if any("/.git" in line or ".git/" in line for line in refused):
            hints.append(GIT_READ_ONLY)
        elif mode == "read-only":
            hints.append(NOTHING_WRITABLE)
        else:
            hints.append(READ_ONLY)
    if no_network and _NETWORK.search(output):
        hints.append(NO_NETWORK)
    return hints

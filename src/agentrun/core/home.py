"""Where agentrun keeps its own state: transcripts, settings, caches.

Its own module because nearly everything needs the answer at start-up, while the sandbox policy
that also hides this directory is only worked out at the first tool call. A state directory that
cannot be used (read-only, full, someone else's) is a configuration error: a plain message and
exit code 2, before any model call, never an internal error.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from agentrun.core.errors import ConfigError


def agentrun_home() -> Path:
    """agentrun's own state (sessions, settings): ``$AGENTRUN_HOME``, else ``~/.agentrun``."""
    env = os.environ.get("AGENTRUN_HOME")
    return Path(env).expanduser() if env else Path.home() / ".agentrun"


def ensure_state_dir(path: Path) -> Path:
    """Make ``path`` (mode 0700) if needed and check that this user can write there; raises
    :class:`ConfigError` saying what is wrong and what to do."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = path.stat()
    except OSError as e:
        raise state_dir_error(path, e) from e
    if info.st_uid != os.geteuid():
        raise ConfigError(
            f"agentrun's state directory {path} belongs to uid {info.st_uid}, not to you "
            f"(uid {os.geteuid()}); fix its ownership or set AGENTRUN_HOME to a directory of yours"
        )
    if not os.access(path, os.W_OK | os.X_OK):
        # access() also answers EROFS for a read-only filesystem, for root too
        reason = "is on a read-only filesystem" if _read_only(path) else "is not writable"
        raise ConfigError(
            f"agentrun's state directory {path} {reason}; make it writable or set AGENTRUN_HOME "
            "to a writable directory"
        )
    return path


def state_dir_error(path: Path, error: OSError) -> ConfigError:
    """The configuration error for an OSError met writing under a state directory."""
    what = {
        errno.ENOSPC: "its filesystem is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "it is on a read-only filesystem",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }.get(error.errno or 0, error.strerror or str(error))
    return ConfigError(
        f"cannot write agentrun's state under {path}: {what}; free it up or set AGENTRUN_HOME "
        "to another directory"
    )


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False

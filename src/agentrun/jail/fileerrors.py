"""Model-facing file errors: one exception, and the one place mapping OSError to stable text.

The text never comes from ``os.strerror`` (which differs between platforms and libcs): a model
learns the wording, and tests snapshot it.
"""

from __future__ import annotations

import errno
from pathlib import Path

_ERRNO_TEXT = {
    errno.ENOENT: "does not exist",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "a component of the path is not a directory",
    errno.ELOOP: "the path goes through a symbolic link, which is not allowed here",
    errno.EXDEV: "the path leads outside the allowed directories",
    errno.ENAMETOOLONG: "the path is too long",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EFBIG: "the file is too large",
    errno.EEXIST: "already exists",
    errno.EMFILE: "too many open files",
    errno.EBUSY: "the file is busy",
    errno.ETXTBSY: "the file is busy (a running program)",
    errno.EINVAL: "invalid path",
}


class PathDenied(OSError):  # noqa: N818 (the agreed name other modules import)
    """A file operation refused or failed; ``str(e)`` is the message for the model.

    ``errno`` says why (``ENOENT`` lets Read suggest similar names); ``path`` is the path the
    model gave, resolved.
    """

    def __init__(self, message: str, *, code: int = errno.EACCES, path: Path | str | None = None):
        super().__init__(code, message)
        self.message = message
        self.path = None if path is None else Path(path)

    def __str__(self) -> str:
        return self.message


def os_error_reason(err: OSError) -> str:
    """``"ENOSPC: no space left on the device"``: the errno's name and our stable wording."""
    code = err.errno or 0
    name = errno.errorcode.get(code, str(code))
    reason = _ERRNO_TEXT.get(code)
    return f"{name}: {reason}" if reason else name


def describe_os_error(err: OSError, path: Path | str, *, action: str = "access") -> str:
    """Stable, platform-independent model-facing text for an OSError (the one place for it)."""
    if isinstance(err, PathDenied):
        return err.message
    code = err.errno or 0
    reason = _ERRNO_TEXT.get(code) or f"error {errno.errorcode.get(code, code)}"
    if code == errno.ENOENT:
        return f"File does not exist: {path}"
    return f"Cannot {action} {path}: {reason}."


def denied(err: OSError, path: Path | str, *, action: str = "access") -> PathDenied:
    if isinstance(err, PathDenied):
        return err
    code = err.errno or errno.EIO
    return PathDenied(describe_os_error(err, path, action=action), code=code, path=path)

"""Opening files that come from outside: ask what a path is before reading a byte of it.

A path a person picks, drops, pastes or types can be anything: a named pipe that blocks the
reader forever, a link to ``/dev/zero`` that never ends, a 6 GB sparse file, a folder, a
symlink loop, a name too long for the file system. Every reader in ConvLab goes through
``check_file`` or ``read_file``: they stat first, refuse anything that is not a regular file
of a sane size, and turn operating-system errors into sentences that name the file and the
reason (never ``OSError(36, ...)``).

Reads check the handle they actually opened too, and never read past the size they saw, so
a file that grows while it is read cannot flood memory.
"""

from __future__ import annotations

import errno
import os
import stat

from convlab.errors import ConvlabError

KB = 1024
MB = 1024 * KB
GB = 1024 * MB
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation

_REASONS = {
    errno.ENOENT: "file not found",
    errno.EACCES: "permission denied (cannot read the file)",
    errno.EPERM: "permission denied (cannot read the file)",
    errno.ENAMETOOLONG: "the name is too long for the file system",
    errno.ELOOP: "the path goes round in a loop of symbolic links",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.EIO: "input/output error while reading (a failing disk or a disconnected drive?)",
    errno.ENXIO: "no such device or address",
    errno.ENODEV: "no such device",
    errno.EMFILE: "too many files are open",
    errno.ENFILE: "too many files are open",
    errno.EROFS: "the disk is read-only",
    errno.ENOSPC: "no space left on the disk",
    errno.EAGAIN: "would have to wait for data (not a regular file?)",
    errno.EINVAL: "the name is not valid here",
}


def describe_os_error(error: OSError) -> str:
    """What went wrong, as words a person can act on (no errno numbers, no class names)."""
    if error.errno in _REASONS:
        return _REASONS[error.errno]
    if error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]
    return "cannot be read"


def format_size(size: int) -> str:
    """``12 bytes``, ``3.4 MB``, ``6.0 GB``: sizes as people read them."""
    if size < KB:
        return f"{size} bytes"
    for unit, factor in (("GB", GB), ("MB", MB), ("kB", KB)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"  # pragma: no cover (the loop always returns)


def _kind_of(mode: int) -> str | None:
    """Why a stat mode is not a readable file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a file; ConvLab does not read from pipes"
    if stat.S_ISCHR(mode):
        return "is a device (a character device such as /dev/zero), not a file"
    if stat.S_ISBLK(mode):
        return "is a disk device, not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    return "is not a regular file"


def _refuse_size(size: int, max_bytes: int | None, label: str, error: type[ConvlabError]):
    if max_bytes is not None and size > max_bytes:
        raise error(
            f"{label}: {format_size(size)} is too large (the limit is {format_size(max_bytes)})"
        )


def check_file(
    path: str | os.PathLike[str],
    label: str,
    *,
    max_bytes: int | None,
    error: type[ConvlabError] = ConvlabError,
    allow_empty: bool = False,
) -> int:
    """The size of ``path`` if it is a regular file within ``max_bytes``; else ``error``.

    Only stats (following links, which is how a link to a device is caught): safe on pipes,
    devices and loops. ``label`` starts every message, e.g. ``"Image '/tmp/x.png'"``.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise error(f"{label}: the link points to a file that does not exist") from None
        raise error(f"{label}: {describe_os_error(exc)}") from None
    except ValueError:  # an embedded NUL character
        raise error(f"{label}: the name is not valid here") from None
    reason = _kind_of(info.st_mode)
    if reason:
        raise error(f"{label}: {reason}")
    _refuse_size(info.st_size, max_bytes, label, error)
    if info.st_size == 0 and not allow_empty:
        raise error(f"{label}: the file is empty (0 bytes)")
    return info.st_size


def read_file(
    path: str | os.PathLike[str],
    label: str,
    *,
    max_bytes: int | None,
    limit: int | None = None,
    error: type[ConvlabError] = ConvlabError,
    allow_empty: bool = False,
) -> bytes:
    """The bytes of ``path`` (at most ``limit`` of them), read only once it is known to be a
    regular file of at most ``max_bytes``. Every refusal is ``error`` naming the file."""
    check_file(path, label, max_bytes=max_bytes, error=error, allow_empty=allow_empty)
    try:
        # non-blocking: a path swapped for a named pipe after the check must not hang here
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _BINARY)
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())  # what was opened, not what was there before
            reason = _kind_of(info.st_mode)
            if reason:
                raise error(f"{label}: {reason}")
            _refuse_size(info.st_size, max_bytes, label, error)
            data = handle.read(info.st_size if limit is None else min(limit, info.st_size))
    except OSError as exc:
        raise error(f"{label}: {describe_os_error(exc)}") from None
    if not data and not allow_empty:
        raise error(f"{label}: the file is empty (0 bytes)")
    return data

"""Reading a ``.npz`` archive that came from outside, without trusting it.

``np.load`` trusts the file: it opens a named pipe and waits for it forever, and it
decompresses whatever an array's header declares, so a few kilobytes of zeros can declare
gigabytes. ``read_npz`` stats the path first (``convlab.files.check_file``: no pipes, devices
or oversized files), opens it without blocking, then reads every array's header (the shape
and type NumPy writes before the data) and adds up what the arrays would take in memory
before decompressing a byte of them. Object arrays (pickles) are refused: loading a file
never runs code from it.
"""

from __future__ import annotations

import math
import os
import stat
import zipfile
from typing import IO

import numpy as np

from convlab.errors import ConvlabError
from convlab.files import check_file, describe_os_error, format_size

#: more arrays than any ConvLab file holds: a sign the archive is not one of ours
MAX_MEMBERS = 1000


def read_npz(
    path: str | os.PathLike[str],
    label: str,
    *,
    max_bytes: int,
    error: type[ConvlabError] = ConvlabError,
) -> dict[str, np.ndarray]:
    """Every array of the archive at ``path``, by name, if the file is at most ``max_bytes``
    and its arrays together declare at most ``max_bytes``; else ``error`` naming ``label``."""
    check_file(path, label, max_bytes=max_bytes, error=error)
    try:
        # O_NONBLOCK: a path swapped for a pipe since the check cannot block the open
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"{label}: {describe_os_error(exc)}") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise error(f"{label}: is not a regular file")
        try:
            with zipfile.ZipFile(handle) as archive:
                members = _checked_members(archive, label, max_bytes, error)
                return {name: _read_array(archive, member) for name, member in members.items()}
        except ConvlabError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
            raise error(f"{label}: not a NumPy archive (.npz) or damaged ({exc})") from None
        except NotImplementedError as exc:  # a compression method zipfile does not know
            raise error(f"{label}: not a NumPy archive (.npz) ({exc})") from None
        except OSError as exc:
            raise error(f"{label}: {describe_os_error(exc)}") from None
        except MemoryError:
            raise error(f"{label}: not enough memory to read it") from None


def _checked_members(
    archive: zipfile.ZipFile, label: str, max_bytes: int, error: type[ConvlabError]
) -> dict[str, zipfile.ZipInfo]:
    """The archive's arrays by name, once every header is read and the total is known."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise error(f"{label}: holds {len(members):,} entries, not a ConvLab file")
    total = 0
    named = {}
    for member in members:
        if not member.filename.endswith(".npy"):
            raise error(f"{label}: not a NumPy archive ({member.filename!r} is not an array)")
        with archive.open(member) as stream:
            shape, dtype = _header(stream)
        if dtype.hasobject:
            raise error(f"{label}: holds Python objects (pickles), which ConvLab never loads")
        total += math.prod(shape) * dtype.itemsize
        if total > max_bytes:
            raise error(
                f"{label}: its arrays would take {format_size(total)} or more in memory "
                f"(the limit is {format_size(max_bytes)})"
            )
        named[member.filename[: -len(".npy")]] = member
    return named


def _header(stream: IO[bytes]) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and type from an ``.npy`` header (the data after it is not read)."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"unknown .npy format version {version}")
    return shape, dtype


def _read_array(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> np.ndarray:
    with archive.open(member) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)

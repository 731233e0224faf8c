"""PNG and .npy files written a strip of rows at a time, so that no file of a large picture
needs the whole picture (or its encoded bytes) in memory.

OpenCV encodes a PNG from a whole image into one buffer; these write to an open file as the
rows come. ``PngStream`` is the format's plain form: an IHDR chunk, the rows filtered with
"Up" (each byte minus the one above, which a photo's smooth rows compress well) and deflated
by one zlib stream into IDAT chunks as zlib hands out its output, then IEND. ``NpyStream``
writes numpy's header for the whole array and then each strip's bytes: the file ``np.save``
would write.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # gray, RGB, RGBA (8 bits a sample)
_UP = 2  # PNG filter type "Up"
_DEFLATE_PIECE = 256 << 10
"""Bytes handed to zlib at a time. zlib works without the GIL, but Python joins each call's
output into one bytes object with the GIL held: a whole strip's output (megabytes) kept the
window waiting for hundreds of milliseconds on a busy machine; a piece's takes microseconds."""


class PngStream:
    """A PNG of ``height`` rows of ``width`` gray, RGB or RGBA pixels, written in order."""

    def __init__(self, handle: BinaryIO, width: int, height: int, channels: int) -> None:
        if channels not in _COLOUR_TYPES:
            raise ValueError(f"a PNG row holds 1, 3 or 4 channels, not {channels}")
        if not (0 < width < 2**31 and 0 < height < 2**31):
            raise ValueError(f"a PNG is at most 2^31 - 1 pixels a side, not {width}x{height}")
        self._handle = handle
        self._row_bytes = width * channels
        self._height = height
        self._written = 0
        self._above = np.zeros((1, self._row_bytes), dtype=np.uint8)
        # Z_RLE: on "Up"-filtered photos as small as zlib's default strategy (and OpenCV's
        # PNGs), at any level, and several times faster
        self._deflate = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
        handle.write(PNG_SIGNATURE)
        header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPES[channels], 0, 0, 0)
        self._chunk(b"IHDR", header)

    def write(self, rows: np.ndarray) -> None:
        """The next rows: uint8, (n, width) for gray or (n, width, channels)."""
        rows = np.ascontiguousarray(rows, dtype=np.uint8).reshape(len(rows), -1)
        if rows.shape[1] != self._row_bytes or self._written + len(rows) > self._height:
            raise ValueError("rows do not fit the PNG's size")
        if not len(rows):
            return
        filtered = np.empty((len(rows), self._row_bytes + 1), dtype=np.uint8)
        filtered[:, 0] = _UP
        np.subtract(rows[:1], self._above, out=filtered[:1, 1:])  # uint8: modulo 256
        np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])
        self._above = rows[-1:].copy()
        self._written += len(rows)
        data = memoryview(filtered).cast("B")
        for start in range(0, len(data), _DEFLATE_PIECE):
            self._chunk(b"IDAT", self._deflate.compress(data[start : start + _DEFLATE_PIECE]))

    def close(self) -> None:
        """End the file (after the last row)."""
        if self._written != self._height:
            raise ValueError(f"the PNG has {self._written} of its {self._height} rows")
        self._chunk(b"IDAT", self._deflate.flush())
        self._chunk(b"IEND", b"")

    def _chunk(self, kind: bytes, data: bytes) -> None:
        if kind == b"IDAT" and not data:
            return
        self._handle.write(struct.pack(">I", len(data)) + kind)
        self._handle.write(data)
        self._handle.write(struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


class NpyStream:
    """A .npy file of a C-ordered array of ``shape``, written a block of rows at a time."""

    def __init__(self, handle: BinaryIO, shape: tuple[int, ...], dtype=np.float32) -> None:
        self._handle = handle
        self._dtype = np.dtype(dtype)
        self._shape = tuple(int(n) for n in shape)
        self._written = 0
        header = {
            "descr": np.lib.format.dtype_to_descr(self._dtype),
            "fortran_order": False,
            "shape": self._shape,
        }
        np.lib.format.write_array_header_1_0(handle, header)

    def write(self, rows: np.ndarray) -> None:
        """The next rows: shape (n, *shape[1:])."""
        rows = np.ascontiguousarray(rows, dtype=self._dtype)
        if rows.shape[1:] != self._shape[1:] or self._written + len(rows) > self._shape[0]:
            raise ValueError(f"rows of shape {rows.shape} do not fit an array of {self._shape}")
        self._handle.write(rows.data)
        self._written += len(rows)

    def close(self) -> None:
        if self._written != self._shape[0]:
            raise ValueError(f"the array has {self._written} of its {self._shape[0]} rows")

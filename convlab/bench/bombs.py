"""Small files that declare huge images (decompression bombs), for the hostile bench and tests.

Each starts from a tiny image OpenCV encodes and rewrites the size in its header, so the
file stays a few hundred bytes while a decoder would allocate width x height pixels.
"""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np


def _encode(extension: str, image: np.ndarray | None = None, params=()) -> bytes:
    if image is None:
        image = np.full((16, 16, 3), 128, np.uint8)
    ok, encoded = cv2.imencode(extension, image, list(params))
    assert ok, extension
    return encoded.tobytes()


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png(width: int, height: int, rows: int = 8) -> bytes:
    """A grey PNG declaring width x height, with zlib data for the first ``rows`` rows."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * ((width + 1) * min(rows, height)), 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int, *, progressive: bool = False) -> bytes:
    params = (cv2.IMWRITE_JPEG_PROGRESSIVE, 1) if progressive else ()
    data = bytearray(_encode(".jpg", params=params))
    marker = b"\xff\xc2" if progressive else b"\xff\xc0"
    at = data.index(marker)
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def tiff(width: int, height: int) -> bytes:
    data = bytearray(_encode(".tiff"))
    endian = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack_from(endian + "I", data, 4)
    (count,) = struct.unpack_from(endian + "H", data, offset)
    for index in range(count):
        entry = offset + 2 + 12 * index
        (tag,) = struct.unpack_from(endian + "H", data, entry)
        if tag in (256, 257):
            value = width if tag == 256 else height
            struct.pack_into(endian + "HHII", data, entry, tag, 4, 1, value)
    return bytes(data)


def gif(width: int, height: int) -> bytes:
    data = bytearray(_encode(".gif"))
    struct.pack_into("<HH", data, 6, width, height)
    return bytes(data)


def webp(width: int, height: int) -> bytes:
    """A lossless WebP (VP8L) declaring width x height (at most 16384 each)."""
    data = bytearray(_encode(".webp", params=(cv2.IMWRITE_WEBP_QUALITY, 101)))
    assert data[12:16] == b"VP8L"
    (bits,) = struct.unpack_from("<I", data, 21)
    bits = (bits & ~0x0FFFFFFF) | (width - 1) | ((height - 1) << 14)
    struct.pack_into("<I", data, 21, bits)
    return bytes(data)


def bmp(width: int, height: int) -> bytes:
    data = bytearray(_encode(".bmp"))
    struct.pack_into("<ii", data, 18, width, height)
    return bytes(data)


def pnm(width: int, height: int) -> bytes:
    return f"P5\n# a comment\n{width} {height}\n255\n".encode() + b"\0" * 64


def hdr(width: int, height: int) -> bytes:
    return b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n" + f"-Y {height} +X {width}\n".encode()


def sun_raster(width: int, height: int) -> bytes:
    data = bytearray(_encode(".sr"))
    struct.pack_into(">II", data, 4, width, height)
    return bytes(data)


def jpeg2000(width: int, height: int) -> bytes:
    data = bytearray(_encode(".jp2", np.full((64, 64, 3), 9, np.uint8)))
    at = data.index(b"ihdr")
    struct.pack_into(">II", data, at + 4, height, width)
    return bytes(data)


def avif(width: int, height: int) -> bytes:
    data = bytearray(_encode(".avif"))
    at = data.index(b"ispe")
    struct.pack_into(">II", data, at + 8, width, height)
    return bytes(data)


#: (file suffix, maker) for every still-image format ConvLab decodes
BOMBS = {
    "png": (".png", png),
    "jpeg_progressive": (".jpg", lambda w, h: jpeg(w, h, progressive=True)),
    "tiff": (".tif", tiff),
    "gif": (".gif", gif),
    "webp": (".webp", webp),
    "bmp": (".bmp", bmp),
    "pnm": (".pgm", pnm),
    "hdr": (".hdr", hdr),
    "sun_raster": (".ras", sun_raster),
    "jpeg2000": (".jp2", jpeg2000),
    "avif": (".avif", avif),
}

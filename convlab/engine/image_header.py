"""An image's size, read from its header before anything is decoded.

A PNG of a few hundred bytes can declare 30000 x 30000 pixels and decode to 2.7 GB; a JPEG
of 629 bytes can do the same. Asking the header first lets ConvLab refuse such a file with
the numbers, or decode it reduced, before a single pixel is allocated.

``read_header`` knows every format ``image_files.sniff_format`` admits (the only ones that
are ever decoded). Where a format can hold several sizes (a GIF's frames, an AVIF's items)
the largest is taken, so the estimate never falls short of what the decoder allocates.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageHeader:
    """What a decoder will allocate: ``width`` x ``height`` x ``channels`` samples of
    ``bytes_per_sample`` each (channels as OpenCV's IMREAD_UNCHANGED returns them)."""

    width: int
    height: int
    channels: int = 4
    bytes_per_sample: int = 1
    progressive: bool = False
    """A progressive JPEG: libjpeg keeps every DCT coefficient of the whole image in memory."""
    components: float = 3.0
    """JPEG: colour components per pixel after chroma subsampling (4:2:0 -> 1.5)."""

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def decoded_bytes(self) -> int:
        """Memory of the decoded array (IMREAD_UNCHANGED), in bytes."""
        return self.pixels * self.channels * self.bytes_per_sample

    @property
    def coefficient_bytes(self) -> int:
        """A progressive JPEG's coefficient buffer: 2 bytes per component sample."""
        return int(self.pixels * self.components * 2) if self.progressive else 0


class HeaderError(ValueError):
    """The header is damaged or cut short: its size cannot be known."""


def read_header(data: bytes, fmt: str) -> ImageHeader:
    """The header of ``data`` in format ``fmt`` (a name from ``sniff_format``)."""
    reader = _READERS.get(fmt)
    if reader is None:
        raise HeaderError(f"no header reader for {fmt}")
    try:
        header = reader(data)
    except (struct.error, IndexError, ValueError) as error:
        raise HeaderError(str(error) or "damaged header") from None
    if header.width <= 0 or header.height <= 0:
        raise HeaderError(f"the header declares {header.width}x{header.height} pixels")
    return header


def _unpack(fmt: str, data: bytes, offset: int) -> tuple:
    return struct.unpack_from(fmt, data, offset)


# ----------------------------------------------------------------------------- PNG
def _png(data: bytes) -> ImageHeader:
    if data[12:16] != b"IHDR":
        raise HeaderError("the PNG does not start with its IHDR chunk")
    width, height, depth, color_type = _unpack(">IIBB", data, 16)
    channels = {0: 1, 2: 3, 3: 4, 4: 4, 6: 4}.get(color_type, 4)
    return ImageHeader(width, height, channels, 2 if depth == 16 else 1)


# ----------------------------------------------------------------------------- JPEG
_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}


def _jpeg(data: bytes) -> ImageHeader:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise HeaderError("the JPEG's markers are damaged")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        (length,) = _unpack(">H", data, position + 2)
        if marker in _SOF_MARKERS:
            precision, height, width, count = _unpack(">BHHB", data, position + 4)
            factors = [data[position + 11 + 3 * i] for i in range(count)]
            h_max = max(f >> 4 for f in factors) or 1
            v_max = max(f & 15 for f in factors) or 1
            components = sum((f >> 4) * (f & 15) for f in factors) / (h_max * v_max)
            return ImageHeader(
                width,
                height,
                channels=3 if count >= 3 else 1,
                bytes_per_sample=2 if precision > 8 else 1,
                progressive=marker in _PROGRESSIVE,
                components=max(components, 1.0),
            )
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            break
        position += 2 + length
    raise HeaderError("the JPEG has no frame header (SOF) before its image data")


# ----------------------------------------------------------------------------- GIF
def _gif(data: bytes) -> ImageHeader:
    width, height, flags = _unpack("<HHB", data, 6)
    position = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    while position < len(data):  # the first frame may be larger than the logical screen
        block = data[position]
        if block == 0x2C:
            left, top, frame_w, frame_h = _unpack("<HHHH", data, position + 1)
            width, height = max(width, left + frame_w), max(height, top + frame_h)
            break
        if block != 0x21:
            break
        position += 2
        while position < len(data) and data[position]:
            position += data[position] + 1
        position += 1
    return ImageHeader(width, height, 4)


# ----------------------------------------------------------------------------- BMP
def _bmp(data: bytes) -> ImageHeader:
    (info_size,) = _unpack("<I", data, 14)
    if info_size == 12:
        width, height, _, bits = _unpack("<HHHH", data, 18)
    else:
        width, height, _, bits = _unpack("<iiHH", data, 18)
    return ImageHeader(abs(width), abs(height), 4 if bits == 32 else 3)


# ----------------------------------------------------------------------------- TIFF
_TIFF_TYPES = {1: ("B", 1), 3: ("H", 2), 4: ("I", 4), 16: ("Q", 8)}


def _tiff(data: bytes) -> ImageHeader:
    endian = "<" if data[:2] == b"II" else ">"
    (version,) = _unpack(endian + "H", data, 2)
    big = version == 43
    if big:
        (offset,) = _unpack(endian + "Q", data, 8)
        (count,) = _unpack(endian + "Q", data, offset)
        entry_size, first, value_at = 20, offset + 8, 12
    else:
        (offset,) = _unpack(endian + "I", data, 4)
        (count,) = _unpack(endian + "H", data, offset)
        entry_size, first, value_at = 12, offset + 2, 8
    if count > 4096:
        raise HeaderError(f"the TIFF directory claims {count} entries")
    tags: dict[int, int] = {}
    for index in range(count):
        entry = first + entry_size * index
        tag, kind = _unpack(endian + "HH", data, entry)
        if kind in _TIFF_TYPES and tag in (256, 257, 258, 277):
            code, size = _TIFF_TYPES[kind]
            (n_values,) = _unpack(endian + ("Q" if big else "I"), data, entry + 4)
            inline = n_values * size <= (8 if big else 4)
            if inline:
                where = entry + value_at
            else:
                (where,) = _unpack(endian + ("Q" if big else "I"), data, entry + value_at)
            (value,) = _unpack(endian + code, data, where)
            tags[tag] = int(value)
    if 256 not in tags or 257 not in tags:
        raise HeaderError("the TIFF's first directory has no width or height")
    bits = tags.get(258, 8)
    channels = tags.get(277, 1)
    return ImageHeader(tags[256], tags[257], max(1, min(channels, 4)), max(1, (bits + 7) // 8))


# ----------------------------------------------------------------------------- WebP
def _webp(data: bytes) -> ImageHeader:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return ImageHeader(width, height, 4)
    if chunk == b"VP8L":
        (bits,) = _unpack("<I", data, 21)
        return ImageHeader((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, 4)
    if chunk == b"VP8 ":
        width, height = _unpack("<HH", data, 26)
        return ImageHeader(width & 0x3FFF, height & 0x3FFF, 3)
    raise HeaderError("the WebP has no image chunk")


# ----------------------------------------------------------------------------- PNM family
_TOKEN = re.compile(rb"(?:\s|#[^\n]*\n?)*(\S+)")


def _pnm(data: bytes) -> ImageHeader:
    magic = data[:2]
    if magic == b"P7":
        fields = dict(re.findall(rb"^(WIDTH|HEIGHT|DEPTH|MAXVAL)\s+(\d+)", data[:4096], re.M))
        width, height = int(fields[b"WIDTH"]), int(fields[b"HEIGHT"])
        depth, maxval = int(fields.get(b"DEPTH", 4)), int(fields.get(b"MAXVAL", 255))
        return ImageHeader(width, height, min(depth, 4), 2 if maxval > 255 else 1)
    tokens, position = [], 2
    wanted = 2 if magic in (b"P1", b"P4") else 3
    while len(tokens) < wanted:
        match = _TOKEN.match(data, position)
        if match is None:
            raise HeaderError("the PNM header is cut short")
        tokens.append(match.group(1))
        position = match.end()
    width, height = int(tokens[0]), int(tokens[1])
    if magic in (b"PF", b"Pf"):
        return ImageHeader(width, height, 3 if magic == b"PF" else 1, 4)
    channels = 3 if magic in (b"P3", b"P6") else 1
    wide = wanted == 3 and int(tokens[2]) > 255
    return ImageHeader(width, height, channels, 2 if wide else 1)


# ----------------------------------------------------------------------------- Radiance HDR
_HDR_SIZE = re.compile(rb"\n\s*([-+][XY])\s+(\d+)\s+([-+][XY])\s+(\d+)")


def _hdr(data: bytes) -> ImageHeader:
    match = _HDR_SIZE.search(data[:65536])
    if match is None:
        raise HeaderError("the HDR header has no resolution line")
    first, second = int(match.group(2)), int(match.group(4))
    rows, cols = (first, second) if match.group(1).endswith(b"Y") else (second, first)
    return ImageHeader(cols, rows, 3, 4)


# ----------------------------------------------------------------------------- Sun raster
def _sun(data: bytes) -> ImageHeader:
    width, height, depth = _unpack(">III", data, 4)
    return ImageHeader(width, height, 4 if depth == 32 else 3)


# ----------------------------------------------------------------------------- JPEG 2000
def _jpeg2000(data: bytes) -> ImageHeader:
    if data.startswith(b"\xff\x4f\xff\x51"):  # a bare codestream: SIZ follows SOC
        _, _, x_size, y_size, x_origin, y_origin = _unpack(">HHIIII", data, 4)
        (count,) = _unpack(">H", data, 40)
        return ImageHeader(x_size - x_origin, y_size - y_origin, min(count, 4), 2)
    ihdr = data.find(b"ihdr", 0, 65536)
    if ihdr < 0:
        raise HeaderError("the JPEG 2000 file has no image header (ihdr)")
    height, width, count = _unpack(">IIH", data, ihdr + 4)
    return ImageHeader(width, height, min(count, 4), 2)


# ----------------------------------------------------------------------------- AVIF
def _avif(data: bytes) -> ImageHeader:
    sizes = [
        _unpack(">II", data, match.start() + 8)
        for match in re.finditer(rb"ispe", data[:1_000_000])
        if match.start() + 16 <= len(data)
    ]
    if not sizes:
        raise HeaderError("the AVIF has no image size property (ispe)")
    width, height = max(sizes, key=lambda size: size[0] * size[1])
    return ImageHeader(width, height, 4, 2)


_READERS = {
    "PNG": _png,
    "JPEG": _jpeg,
    "GIF": _gif,
    "BMP": _bmp,
    "TIFF": _tiff,
    "WebP": _webp,
    "PNM": _pnm,
    "HDR": _hdr,
    "Sun raster": _sun,
    "JPEG 2000": _jpeg2000,
    "AVIF": _avif,
}

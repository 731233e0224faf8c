"""Reading still images from disk into HxWx3 uint8 RGB, whatever people throw at it.

Files arrive in every shape: 16-bit and float TIFFs, RGBA and grey+alpha PNGs, CMYK JPEGs,
animated GIFs, phone photos whose pixels are stored sideways with an EXIF orientation tag,
paths with spaces and accents, files that are empty, truncated, renamed or not images at all.
Everything readable becomes the same thing (RGB, 8 bits per channel, upright, opaque) so the
rest of the engine has one input type; everything else raises ``SourceError`` naming the file
and saying why, in words a person can act on.

Decoding goes through ``np.fromfile``-style byte reads and ``cv2.imdecode`` rather than
``cv2.imread``, because ``cv2.imread`` cannot open non-ASCII paths on Windows and reports
every failure as the same silent ``None``.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from convlab.engine.image_header import HeaderError, read_header
from convlab.errors import SourceError
from convlab.files import MB, read_file

# Leading bytes of the formats OpenCV can decode, to tell "not an image" from "broken image".
_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"#?RADIANCE", "HDR"),
    (b"#?RGBE", "HDR"),
    (b"\x59\xa6\x6a\x95", "Sun raster"),
)
_PNM_MAGIC = (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6", b"P7", b"PF", b"Pf")
_VIDEO_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM video"),
    (0, b"\x00\x00\x01\xba", "MPEG video"),
    (0, b"FLV", "Flash video"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "Windows Media video"),
)

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".dib", ".tif", ".tiff", ".webp",
        ".gif", ".pbm", ".pgm", ".ppm", ".pnm", ".pxm", ".pfm", ".hdr", ".pic", ".sr", ".ras",
        ".jp2", ".j2k", ".avif",
    }
)  # fmt: skip

MAX_IMAGE_FILE_BYTES = 512 * MB
"""Larger files are refused before reading: an uncompressed 100 MP photo is 300 MB."""
MAX_IMAGE_PIXELS = 100_000_000
"""Images that declare more pixels are decoded reduced (JPEG) or refused with the numbers."""
MAX_DECODE_BYTES = 640 * MB
"""Largest array a decoder may allocate (deeper images are decoded as 8-bit colour)."""

DEFAULT_PREVIEW_PIXELS = 2_000_000
"""Live processing works on at most this many pixels (about 1920x1040); export uses all."""

_BACKGROUNDS = {"white": 255, "black": 0}


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image plus what a person should be told about how it was read."""

    image: np.ndarray
    """HxWx3 uint8 RGB, C-contiguous."""
    path: Path
    format: str
    warnings: tuple[str, ...] = ()


def sniff_format(head: bytes) -> str | None:
    """The image format named by a file's first bytes, or None if it is not a known image."""
    for signature, name in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "AVIF"
    if head[:2] in _PNM_MAGIC and len(head) > 2 and head[2:3].isspace():
        return "PNM"
    return None


def sniff_video(head: bytes) -> str | None:
    """A video container named by a file's first bytes, or None."""
    for offset, signature, name in _VIDEO_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "AVI video"
    if head[4:8] == b"ftyp" and head[8:12] not in (b"avif", b"avis"):
        return "MP4/QuickTime video"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "MPEG-TS video"
    return None


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * len(text)


def read_head(path: Path, what: str = "File", size: int = 512) -> bytes:
    """The first bytes of a file (to tell images from videos), or a SourceError saying why
    the file cannot be read at all (missing, a folder, a pipe, a device, empty...)."""
    return read_file(path, f"{what} '{path}'", max_bytes=None, limit=size, error=SourceError)


def read_bytes(path: Path, what: str = "Image") -> bytes:
    """The file's bytes, or a SourceError that says why a person cannot open it."""
    return read_file(path, f"{what} '{path}'", max_bytes=MAX_IMAGE_FILE_BYTES, error=SourceError)


def _exif_orientation(exif: bytes) -> int:
    """The EXIF Orientation tag (1..8) from a TIFF-structured EXIF block; 1 when absent."""
    if exif.startswith(b"Exif\x00\x00"):
        exif = exif[6:]
    if len(exif) < 8 or exif[:2] not in (b"II", b"MM"):
        return 1
    endian = "<" if exif[:2] == b"II" else ">"
    (ifd_offset,) = struct.unpack(endian + "I", exif[4:8])
    if ifd_offset + 2 > len(exif):
        return 1
    (count,) = struct.unpack(endian + "H", exif[ifd_offset : ifd_offset + 2])
    for index in range(count):
        entry = ifd_offset + 2 + 12 * index
        if entry + 12 > len(exif):
            break
        tag, kind = struct.unpack(endian + "HH", exif[entry : entry + 4])
        if tag == 0x0112 and kind == 3:  # Orientation, SHORT
            (value,) = struct.unpack(endian + "H", exif[entry + 8 : entry + 10])
            return value if 1 <= value <= 8 else 1
    return 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn pixels stored in EXIF orientation 1..8 upright (what a camera meant to show)."""
    if orientation == 2:
        return cv2.flip(image, 1)
    if orientation == 3:
        return cv2.rotate(image, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(image, 0)
    if orientation == 5:
        return cv2.transpose(image)
    if orientation == 6:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(image), -1)
    if orientation == 8:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


def _decode(buffer: np.ndarray, flag: int = cv2.IMREAD_UNCHANGED) -> tuple[np.ndarray | None, int]:
    """Decode with ``flag``, plus the EXIF orientation still to apply.

    IMREAD_UNCHANGED is the only mode that keeps 16-bit depth and alpha, and it is also the
    one mode where OpenCV ignores EXIF orientation, so the tag is read and applied here. The
    reduced and 8-bit modes turn the picture upright themselves.
    """
    try:
        if flag != cv2.IMREAD_UNCHANGED:
            return cv2.imdecode(buffer, flag), 1
        image, kinds, blocks = cv2.imdecodeWithMetadata(buffer, cv2.IMREAD_UNCHANGED)
    except cv2.error:
        return None, 1
    orientation = 1
    for kind, block in zip(kinds, blocks):
        if kind == cv2.IMAGE_METADATA_EXIF:
            orientation = _exif_orientation(np.asarray(block, dtype=np.uint8).tobytes())
    return image, orientation


_REDUCED_COLOR = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                  8: cv2.IMREAD_REDUCED_COLOR_8}  # fmt: skip


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:,.0f} MP" if pixels >= 10**6 else f"{pixels / 1e6:.1f} MP"


def decode_plan(
    data: bytes, fmt: str, label: str, warnings: list[str], max_pixels: int = MAX_IMAGE_PIXELS
) -> int:
    """The OpenCV flag to decode ``data`` with, decided from its header alone.

    Within the budgets: IMREAD_UNCHANGED (depth and alpha kept). Deeper than the memory
    budget: 8-bit colour. More pixels than ``max_pixels``: a JPEG is decoded at 1/2, 1/4 or
    1/8 size by libjpeg itself (it never holds the full size); anything else is refused with
    the numbers, before a pixel is allocated.
    """
    try:
        header = read_header(data, fmt)
    except HeaderError as error:
        raise SourceError(f"{label}: {_bad_header_reason(data, fmt, str(error))}") from None
    size = f"{header.width}x{header.height} pixels ({_megapixels(header.pixels)})"
    limit = f"ConvLab opens images of up to {_megapixels(max_pixels)}"
    if header.coefficient_bytes > MAX_DECODE_BYTES:
        need = header.coefficient_bytes / 1e9
        raise SourceError(
            f"{label}: progressive JPEG of {size} would need {need:.1f} GB to decode "
            f"(at any size); {limit} and {MAX_DECODE_BYTES / 1e9:.1f} GB of decoding memory"
        )
    if header.pixels > max_pixels:
        factor = next((f for f in (2, 4, 8) if header.pixels <= max_pixels * f * f), None)
        if fmt != "JPEG" or factor is None or header.progressive:
            raise SourceError(f"{label}: {size} is too large; {limit}")
        width, height = -(-header.width // factor), -(-header.height // factor)
        warnings.append(f"very large image ({size}): decoded at 1/{factor} size ({width}x{height})")
        return _REDUCED_COLOR[factor]
    if header.decoded_bytes > MAX_DECODE_BYTES:
        warnings.append(
            f"deep image ({size}, {header.decoded_bytes / 1e9:.1f} GB at full depth): "
            "decoded as 8-bit colour, without transparency"
        )
        return cv2.IMREAD_COLOR
    return cv2.IMREAD_UNCHANGED


def _bad_header_reason(data: bytes, fmt: str, why: str) -> str:
    if fmt == "JPEG" and _jpeg_is_truncated(data):
        return "truncated JPEG (the file ends before the image data)"
    if fmt == "PNG" and _png_is_truncated(data):
        return "truncated PNG (the file ends before the image data)"
    return f"damaged or unsupported {fmt} data ({why}; the image size cannot be read)"


def _jpeg_is_truncated(data: bytes) -> bool:
    return not data.rstrip(b"\x00").endswith(b"\xff\xd9")


def _png_is_truncated(data: bytes) -> bool:
    return b"IEND" not in data[-32:]


def _scale_unsigned16(color: np.ndarray, warnings: list[str]) -> np.ndarray:
    """16-bit -> 8-bit. Full-range data divides by 257; data that only uses its low bits
    (12-bit camera or microscope frames in a 16-bit container) is stretched by its bit depth,
    or it would show as black."""
    peak = int(color.max()) if color.size else 0
    bits = 16
    if peak < 4096:
        bits = max(8, math.ceil(math.log2(peak + 1))) if peak > 0 else 8
        warnings.append(
            f"16-bit image uses only {bits} bits (largest value {peak}); "
            f"its {bits}-bit range is shown as 0-255"
        )
    return cv2.convertScaleAbs(color, alpha=255.0 / (2**bits - 1))


def _scale_float(color: np.ndarray, warnings: list[str]) -> np.ndarray:
    """Float -> 8-bit: [0, 1] is the convention; anything else is stretched from its range."""
    work = color
    finite_low, finite_high = float(np.min(work)), float(np.max(work))
    if not (math.isfinite(finite_low) and math.isfinite(finite_high)):
        finite = work[np.isfinite(work)]
        finite_low = float(finite.min()) if finite.size else 0.0
        finite_high = float(finite.max()) if finite.size else 0.0
        work = np.nan_to_num(work, nan=finite_low, posinf=finite_high, neginf=finite_low)
        warnings.append("float image contains NaN or infinite values; shown at the range ends")
    if finite_low >= 0.0 and finite_high <= 1.0:
        return cv2.convertScaleAbs(work, alpha=255.0)
    return _stretch(work, finite_low, finite_high, "float", warnings)


def _stretch(
    color: np.ndarray, low: float, high: float, kind: str, warnings: list[str]
) -> np.ndarray:
    warnings.append(f"{kind} image with values from {low:g} to {high:g}; stretched to 0-255")
    if high <= low:
        return np.zeros(color.shape, dtype=np.uint8)
    alpha = 255.0 / (high - low)
    return cv2.convertScaleAbs(color.astype(np.float32), alpha=alpha, beta=-low * alpha)


def _to_8bit(color: np.ndarray, warnings: list[str]) -> np.ndarray:
    if color.dtype == np.uint8:
        return color
    if color.dtype == np.uint16:
        return _scale_unsigned16(color, warnings)
    if color.dtype in (np.float16, np.float32, np.float64):
        return _scale_float(color.astype(np.float32, copy=False), warnings)
    low, high = float(color.min()), float(color.max())
    return _stretch(color, low, high, str(color.dtype), warnings)


def _alpha_to_8bit(alpha: np.ndarray) -> np.ndarray:
    """Alpha always spans its type's full range (0..65535, 0..1), never a data range."""
    if alpha.dtype == np.uint8:
        return alpha
    if alpha.dtype == np.uint16:
        return cv2.convertScaleAbs(alpha, alpha=255.0 / 65535.0)
    if alpha.dtype.kind == "f":
        return cv2.convertScaleAbs(np.clip(np.nan_to_num(alpha.astype(np.float32)), 0, 1), 255.0)
    return cv2.convertScaleAbs(alpha.astype(np.float32))


def flatten_alpha(rgb: np.ndarray, alpha: np.ndarray, background: int) -> np.ndarray:
    """Composite uint8 RGB over black (0) or white (255): round((c*a + bg*(255-a)) / 255).

    Over black that is c*a/255; over white it is 255 - (255-c)*a/255. Each is one OpenCV
    multiply with rounding (never a tie: 255 is odd): well under a second for 24 MP, and no
    float temporaries.
    """
    if background not in (0, 255):
        raise ValueError(f"background level {background}: only 0 (black) or 255 (white)")
    if int(alpha.min()) == 255:
        return rgb
    alpha3 = cv2.merge([alpha, alpha, alpha])
    if background == 0:
        return cv2.multiply(rgb, alpha3, scale=1.0 / 255.0)
    covered = cv2.multiply(cv2.bitwise_not(rgb), alpha3, scale=1.0 / 255.0)
    return cv2.bitwise_not(covered)


def _to_rgb8(decoded: np.ndarray, background: int, warnings: list[str]) -> np.ndarray:
    """Any decoded array (gray, BGR, BGRA, any depth) -> upright HxWx3 uint8 RGB."""
    if decoded.ndim == 3 and decoded.shape[2] == 1:
        decoded = decoded[:, :, 0]
    if decoded.ndim == 2:
        gray = _to_8bit(decoded, warnings)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    channels = decoded.shape[2]
    if channels == 2:  # gray + alpha (OpenCV usually expands this to BGRA itself)
        gray = _to_8bit(np.ascontiguousarray(decoded[:, :, 0]), warnings)
        rgb = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
        return flatten_alpha(rgb, _alpha_to_8bit(decoded[:, :, 1]), background)
    if channels > 4:
        warnings.append(f"image has {channels} channels; showing the first three as colour")
        decoded = decoded[:, :, :3]
        channels = 3
    bgr = _to_8bit(np.ascontiguousarray(decoded[:, :, :3]), warnings)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB, dst=bgr)  # in place: no second 300 MB at 100 MP
    if channels == 4:
        rgb = flatten_alpha(rgb, _alpha_to_8bit(decoded[:, :, 3]), background)
    return rgb


def _not_an_image_reason(data: bytes, path: Path) -> str:
    head = data[:512]
    video = sniff_video(head)
    if video:
        return f"is a {video}, not a still image (open it as a video)"
    if _looks_like_text(head):
        return "contains text, not image data"
    extension = path.suffix.lower()
    if extension in IMAGE_EXTENSIONS:
        return f"is not a {extension[1:].upper()} image despite its extension (unknown content)"
    return "is not an image in a format ConvLab can read (PNG, JPEG, BMP, TIFF, WebP, GIF, ...)"


def _background_level(background: str) -> int:
    if background not in _BACKGROUNDS:
        raise SourceError(
            f"Background {background!r}: unknown; choose one of {', '.join(_BACKGROUNDS)}"
        )
    return _BACKGROUNDS[background]


def decode_image(data: bytes, path: Path, *, background: str = "white") -> LoadedImage:
    """Decode an image file's bytes (``path`` is only for messages and the result).

    The header is read first (``decode_plan``): an image that would not fit the pixel or
    memory budget is decoded reduced or refused before anything is allocated.
    """
    level = _background_level(background)
    label = f"Image '{path}'"
    fmt = sniff_format(data[:64])
    if fmt is None:
        raise SourceError(f"{label}: {_not_an_image_reason(data, path)}")
    warnings: list[str] = []
    flag = decode_plan(data, fmt, label, warnings)
    decoded, orientation = _decode(np.frombuffer(data, dtype=np.uint8), flag)
    if decoded is None or decoded.size == 0:
        decoded, orientation = _decode_damaged(data, fmt, label, warnings, flag)
    image = _to_rgb8(decoded, level, warnings)
    del decoded
    image = apply_orientation(image, orientation)
    return LoadedImage(np.ascontiguousarray(image), path, fmt, tuple(warnings))


def _decode_damaged(
    data: bytes, fmt: str, label: str, warnings: list[str], flag: int = cv2.IMREAD_UNCHANGED
) -> tuple[np.ndarray, int]:
    """Second chance for a file OpenCV refused: salvage a truncated JPEG, else explain."""
    if fmt == "JPEG" and _jpeg_is_truncated(data):
        # libjpeg decodes what is there when the stream ends cleanly; the missing rows come
        # out grey. A partial photo is more useful than an error, with a warning.
        patched = np.frombuffer(data + b"\xff\xd9", dtype=np.uint8)
        decoded, orientation = _decode(patched, flag)
        if decoded is not None and decoded.size:
            warnings.append("the JPEG file is truncated; the missing part is shown grey")
            return decoded, orientation
        raise SourceError(f"{label}: truncated JPEG (the file ends before the image data)")
    if fmt == "PNG" and _png_is_truncated(data):
        raise SourceError(f"{label}: truncated PNG (the file ends before the image data)")
    raise SourceError(f"{label}: damaged or unsupported {fmt} data (OpenCV could not decode it)")


def read_image(path: str | os.PathLike[str], *, background: str = "white") -> LoadedImage:
    """Load an image file with the warnings a person should see (truncation, bit depth...)."""
    file_path = Path(path)
    return decode_image(read_bytes(file_path), file_path, background=background)


def load_image(path: str | os.PathLike[str], *, background: str = "white") -> np.ndarray:
    """Load an image file as upright HxWx3 uint8 RGB; transparency is flattened on
    ``background`` ("white" or "black"). Raises SourceError naming the file and the reason."""
    return read_image(path, background=background).image


def preview_size(
    shape: tuple[int, ...], max_pixels: int = DEFAULT_PREVIEW_PIXELS
) -> tuple[int, int]:
    """(height, width) no larger than ``max_pixels`` with the same aspect ratio."""
    height, width = int(shape[0]), int(shape[1])
    if max_pixels <= 0:
        raise SourceError(f"Preview size {max_pixels}: must be a positive number of pixels")
    if height * width <= max_pixels:
        return height, width
    scale = math.sqrt(max_pixels / (height * width))
    return max(1, int(height * scale)), max(1, int(width * scale))


def reduce_for_preview(
    image: np.ndarray, max_pixels: int = DEFAULT_PREVIEW_PIXELS
) -> tuple[np.ndarray, float]:
    """(preview, scale): the image shrunk (area averaging) to at most ``max_pixels`` so it
    can be filtered live; ``scale`` = preview width / original width (1.0: unchanged, the
    same array). Export at full resolution by filtering the original."""
    height, width = preview_size(image.shape, max_pixels)
    if (height, width) == image.shape[:2]:
        return image, 1.0
    reduced = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(reduced), width / image.shape[1]

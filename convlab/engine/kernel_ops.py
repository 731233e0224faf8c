"""The kernel editor's edits as plain functions on numpy arrays and ``Kernel`` values.

Everything the grid and its tools do to a kernel — reading a typed cell, stepping a weight,
resizing around the centre, normalizing, copy/paste as text, saving to JSON — lives here
without Qt, so tests can check the arithmetic directly and the widgets stay thin.
Every refusal is a ``KernelError`` whose message names the cell, the file or the value.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from convlab.engine.kernels import MAX_KERNEL_SIZE, Kernel, full_precision
from convlab.engine.sizes import whole_number
from convlab.errors import KernelError
from convlab.files import read_file

EDITOR_MAX_SIDE = 15
"""Largest size the size controls offer: 15 x 15 cells still fit a dock side by side."""

WEIGHT_LIMIT = 1e6
"""Largest |weight| a cell accepts: beyond it every output saturates and float32 loses digits."""

EFFECTIVE_LIMIT = 1e12
"""Largest |weight / divisor|: a 31 x 31 sum of such weights times 255 stays far inside
float32, so the output is never inf or NaN (a tiny divisor would otherwise overflow it)."""

MAX_PASTE_CHARS = 100_000
"""Pasted text longer than this cannot be a kernel the engine accepts; refuse before parsing."""

MAX_KERNEL_FILE_BYTES = 1_000_000
"""A 31 x 31 kernel in JSON is ~25 kB; anything much larger is not a kernel file."""

EXACT_DIGITS = 4
"""A weight with this many significant digits or fewer is always shown exactly."""

HONEST_ERROR = 0.01
"""A rounded weight in a cell may differ from the weight by at most this fraction of it."""

MAX_DENOMINATOR = 10_000
"""Largest common denominator the "integers / divisor" view writes under the grid."""

TEXT_FORMATS = {"numpy": "NumPy literal", "csv": "CSV", "text": "Whitespace-separated"}

_FRACTION = re.compile(r"^\s*([-+]?[^/\s]+)\s*/\s*([-+]?[^/\s]+)\s*$")
_SETTINGS_COMMENT = re.compile(
    r"#\s*divisor\s*=\s*(?P<divisor>\S+)\s+offset\s*=\s*(?P<offset>\S+)", re.IGNORECASE
)


# ----------------------------------------------------------------------------- one cell
def parse_cell_value(value: Any, where: str = "cell") -> float:
    """A typed or scrubbed weight as a float, or KernelError saying why it is refused.

    Accepts numbers and text such as ``-2``, ``0.25``, ``1e-3`` and fractions ``1/16``;
    refuses empty text, NaN, infinities and anything beyond ``WEIGHT_LIMIT``.
    """
    if isinstance(value, bool):
        raise KernelError(f"{where}: {value!r} is not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        shown = repr(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u2212", "-")  # the typographic minus sign
        shown = repr(value)
        if not text:
            raise KernelError(f"{where}: empty; type a number (the previous weight stays)")
        number = _parse_number_text(text, where)
    else:
        raise KernelError(f"{where}: {type(value).__name__} is not a number")
    if not math.isfinite(number):
        raise KernelError(f"{where}: {shown} is not a finite number; the previous weight stays")
    if abs(number) > WEIGHT_LIMIT:
        raise KernelError(
            f"{where}: {shown} is too large; weights must lie between "
            f"-{WEIGHT_LIMIT:g} and {WEIGHT_LIMIT:g}"
        )
    return number


def check_kernel_range(kernel: Kernel, where: str) -> Kernel:
    """``kernel`` if its weights are what a cell would accept and its divisor does not blow
    them up past ``EFFECTIVE_LIMIT``; otherwise KernelError saying which and by how much.

    Kernels from outside the grid (pasted text, files) go through the same limits as typed
    cells, so the engine only ever sees weights whose sums fit in float32.
    """
    largest = float(np.abs(kernel.weights).max()) if kernel.weights.size else 0.0
    if largest > WEIGHT_LIMIT:
        raise KernelError(
            f"{where}: a weight of {largest:g} is too large; weights must lie between "
            f"-{WEIGHT_LIMIT:g} and {WEIGHT_LIMIT:g}"
        )
    if not math.isfinite(kernel.offset) or abs(kernel.offset) > WEIGHT_LIMIT:
        raise KernelError(
            f"{where}: offset {kernel.offset:g} is too large (limit {WEIGHT_LIMIT:g})"
        )
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        effective = largest / abs(kernel.divisor) if kernel.divisor else math.inf
    if not math.isfinite(effective) or effective > EFFECTIVE_LIMIT:
        smallest = largest / EFFECTIVE_LIMIT
        raise KernelError(
            f"{where}: divisor {kernel.divisor:g} would make the largest weight {effective:g}, "
            f"past the limit of {EFFECTIVE_LIMIT:g}; use a divisor of at least {smallest:g} "
            "in size"
        )
    return kernel


def _parse_number_text(text: str, where: str) -> float:
    fraction = _FRACTION.match(text)
    try:
        if fraction:
            numerator, denominator = float(fraction.group(1)), float(fraction.group(2))
            if denominator == 0.0:
                raise KernelError(f"{where}: {text!r} divides by zero")
            return numerator / denominator
        return float(text)
    except (ValueError, OverflowError):
        raise KernelError(f"{where}: {text!r} is not a number") from None


def format_weight(value: float, digits: int = 4) -> str:
    """Compact cell text: up to ``digits`` significant digits, no trailing zeros, no ``-0``."""
    if value == 0.0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:  # 1e-05 -> 1e-5, 1.5e+06 -> 1.5e6: narrower cells
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def weight_texts(value: float) -> list[str]:
    """Every honest way to write a weight in a cell, most precise first.

    A weight with at most EXACT_DIGITS significant digits (-0.25, 0.0625, 0.125) has one
    text, itself: no digit of it may be dropped. Others start at EXACT_DIGITS digits and add
    shorter roundings while each stays within HONEST_ERROR of the value (1/3: 0.3333, 0.333,
    0.33), never one that moves it further (no 0.3 for 1/3, no .062 for 0.0625).
    """
    value = float(value)
    first = format_weight(value, EXACT_DIGITS)
    texts = [first]
    if value == 0.0 or float(first) == value:
        return texts
    for digits in range(EXACT_DIGITS - 1, 0, -1):
        text = format_weight(value, digits)
        if abs(float(text) - value) > HONEST_ERROR * abs(value):
            break
        if text != texts[-1]:
            texts.append(text)
    return texts


def without_leading_zero(text: str) -> str:
    """.25 for 0.25 and -.5 for -0.5: the same value in one character less."""
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def common_denominator(weights: np.ndarray, limit: int = MAX_DENOMINATOR) -> int | None:
    """The smallest n for which every weight times n is a whole number (16 for the 3x3
    Gaussian's 0.0625, 0.125, 0.25), or None when there is none up to ``limit``.

    Found exactly: each weight must equal its fraction to float precision, so a Gaussian
    of exp() values, whose weights have no small denominator, gets None rather than an
    approximation.
    """
    denominator = 1
    for value in np.unique(np.asarray(weights, dtype=np.float64)):
        if not math.isfinite(value):
            return None
        fraction = Fraction(float(value)).limit_denominator(limit)
        if abs(float(fraction) - value) > 1e-12 * max(1.0, abs(value)):
            return None
        denominator = math.lcm(denominator, fraction.denominator)
        if denominator > limit:
            return None
    return denominator


def step_size(weights: np.ndarray) -> float:
    """How much one +/- press or wheel notch changes a weight, matched to the kernel's scale.

    Integer kernels (Sobel, Laplacian, [1 2 1]) step by 1; fractional ones by a tenth of the
    decade of their largest weight, so a Gaussian with weights near 0.1 steps by 0.01.
    """
    array = np.asarray(weights, dtype=np.float64)
    largest = float(np.max(np.abs(array))) if array.size else 0.0
    if largest == 0.0 or (np.all(array == np.round(array)) and largest >= 1.0):
        return 1.0
    return 10.0 ** (math.floor(math.log10(largest)) - 1)


def stepped(value: float, step: float, steps: float) -> float:
    """``value + steps * step`` without float noise such as 0.30000000000000004."""
    result = value + steps * step
    decimals = max(0, -math.floor(math.log10(step)) + 6)
    return float(np.clip(round(result, decimals), -WEIGHT_LIMIT, WEIGHT_LIMIT))


# ----------------------------------------------------------------------------- whole kernel
def resized(weights: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Grow (zeros around) or crop the weights to rows x cols, keeping the anchor cell fixed.

    The size controls offer 1..15 (1..n for a kernel that arrived larger, n <= 31).
    The anchor is the cell the engine's "same" padding centres on each pixel, index
    (k - 1) // 2 along each axis, so a 3x3 kernel grown to 5x5 acts exactly as before.
    """
    for side, what in ((rows, "rows"), (cols, "columns")):
        whole_number(side, f"kernel {what}", minimum=1, maximum=MAX_KERNEL_SIZE, error=KernelError)
    old = np.asarray(weights, dtype=np.float64)
    new = np.zeros((rows, cols), dtype=np.float64)
    shift_r = (rows - 1) // 2 - (old.shape[0] - 1) // 2
    shift_c = (cols - 1) // 2 - (old.shape[1] - 1) // 2
    src_r = slice(max(0, -shift_r), min(old.shape[0], rows - shift_r))
    src_c = slice(max(0, -shift_c), min(old.shape[1], cols - shift_c))
    dst_r = slice(src_r.start + shift_r, src_r.stop + shift_r)
    dst_c = slice(src_c.start + shift_c, src_c.stop + shift_c)
    new[dst_r, dst_c] = old[src_r, src_c]
    return new


def resize_remembering(
    kernel: Kernel, memory: Kernel | None, rows: int, cols: int, name: str = "custom"
) -> tuple[Kernel, Kernel | None]:
    """``kernel`` at rows x cols, and the kernel to remember for the next resize.

    Shrinking keeps the larger kernel in ``memory``, so growing again within a session gives
    back the weights the shrink cut off instead of zeros. The memory holds only while the
    kernel is still exactly the memory cut down (weights, divisor and offset): any other
    edit ends it, and growing then pads with zeros. Growing back to the remembered size
    returns the remembered kernel itself, name included.
    """
    if memory is not None and not _is_cut_from(kernel, memory):
        memory = None
    source = memory if memory is not None else kernel
    weights = resized(source.weights, rows, cols)
    if source.shape == (rows, cols):
        return source, None
    resized_kernel = kernel.replace(weights=weights, name=name)
    larger = source.shape[0] > rows or source.shape[1] > cols
    return resized_kernel, source if larger else None


def _is_cut_from(kernel: Kernel, larger: Kernel) -> bool:
    """``kernel`` is ``larger`` resized to its shape, with the same divisor and offset."""
    if (kernel.divisor, kernel.offset) != (larger.divisor, larger.offset):
        return False
    cut = resized(larger.weights, *kernel.shape)
    return bool(np.array_equal(cut, kernel.weights))


def normalized(kernel: Kernel) -> Kernel:
    """Brightness-keeping version of ``kernel``: divisor = sum, or offset 128 if zero-sum.

    An all-zero kernel has neither a sum nor a sign to show, so it is refused with a message
    instead of producing a kernel that divides by zero.
    """
    if not np.any(kernel.weights):
        raise KernelError("Normalize: the kernel is all zeros; there is nothing to scale")
    return kernel.normalized()


def randomized(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Random weights in [-1, 1] with two decimals: readable in the grid, and fun to watch."""
    return np.round(rng.uniform(-1.0, 1.0, size=shape), 2)


# ----------------------------------------------------------------------------- text
def kernel_to_clipboard(kernel: Kernel, fmt: str = "numpy") -> str:
    """The kernel as text in ``fmt``; a divisor or offset travels in a trailing comment."""
    if fmt not in TEXT_FORMATS:
        raise KernelError(f"unknown text format {fmt!r}; use one of {', '.join(TEXT_FORMATS)}")
    text = kernel.to_text(fmt)
    if kernel.divisor != 1.0 or kernel.offset != 0.0:
        text += (
            f"\n# divisor={full_precision(kernel.divisor)} offset={full_precision(kernel.offset)}"
        )
    return text


def kernel_from_clipboard(text: Any) -> Kernel:
    """Read pasted text (NumPy literal, CSV or whitespace rows) as a kernel named "pasted".

    Honours the ``# divisor=.. offset=..`` comment that ``kernel_to_clipboard`` writes.
    """
    if not isinstance(text, str) or not text.strip():
        raise KernelError("Paste: the clipboard holds no text to read as a kernel")
    if len(text) > MAX_PASTE_CHARS:
        raise KernelError(
            f"Paste: {len(text):,} characters is far more than a kernel of at most "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE} weights"
        )
    divisor, offset = 1.0, 0.0
    settings = _SETTINGS_COMMENT.search(text)
    if settings:
        divisor = parse_cell_value(settings.group("divisor"), "Paste: divisor")
        offset = parse_cell_value(settings.group("offset"), "Paste: offset")
    try:
        weights = Kernel.from_text(text).weights
        kernel = Kernel(weights, divisor, offset, "pasted")
    except KernelError as error:
        raise KernelError(f"Paste: {error}") from None
    return check_kernel_range(kernel, "Paste")


# ----------------------------------------------------------------------------- files
def save_kernel_file(kernel: Kernel, path: str | os.PathLike) -> None:
    """Write the kernel as JSON, atomically: a crash never leaves half a file behind."""
    target = Path(path)
    text = json.dumps(kernel.to_dict(), indent=2, ensure_ascii=False) + "\n"
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise KernelError(f"Save kernel to {target}: {error.strerror or error}") from None


def load_kernel_file(path: str | os.PathLike) -> Kernel:
    """Read a kernel JSON file; KernelError names the file and what is wrong with it."""
    source = Path(path)
    label = f"Load kernel {source}"
    raw = read_file(source, label, max_bytes=MAX_KERNEL_FILE_BYTES, error=KernelError)
    try:
        data = json.loads(raw)  # bytes: UTF-8 with or without a BOM, UTF-16 or UTF-32 (Windows)
    except UnicodeDecodeError:
        raise KernelError(f"{label}: not a text (JSON) file") from None
    except json.JSONDecodeError as error:
        raise KernelError(f"{label}: not valid JSON (line {error.lineno}: {error.msg})") from None
    except RecursionError:
        raise KernelError(f"{label}: its JSON is nested too deeply to be a kernel") from None
    except ValueError as error:  # e.g. a number of thousands of digits
        raise KernelError(f"{label}: not a kernel file ({error})") from None
    try:
        kernel = Kernel.from_dict(data)
    except KernelError as error:
        raise KernelError(f"Load kernel {source}: {error}") from None
    check_kernel_range(kernel, f"Load kernel {source}")
    return kernel if kernel.name else kernel.replace(name=source.stem)

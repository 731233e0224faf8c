"""Kernels: the immutable value object the whole app passes around, and generators.

A ``Kernel`` is frozen so that a pipeline snapshot handed to the filter worker can never change
under it; every edit makes a new one. What a kernel does (rank, separable factors, symmetry,
frequency response) is in ``kernel_analysis``; the named presets are in ``presets``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convlab.engine.sizes import whole_number
from convlab.errors import KernelError

MAX_KERNEL_SIZE = 31
"""Largest kernel side: 31 x 31 already covers a Gaussian of sigma 5, and stays interactive."""

ZERO_SUM_TOLERANCE = 1e-9
"""A sum below this fraction of the weights' total magnitude counts as zero (zero-mean kernels)."""

DISPLAY_OFFSET = 128.0
"""Mid-grey added to zero-sum kernels' output so that negative responses stay visible (GIMP)."""

TEXT_FORMATS = ("numpy", "csv", "text")


def sums_to_zero(weights: Any) -> bool:
    """The weights cancel, so a flat area gives 0: an edge, derivative or blob detector.
    An all-zero kernel does not count: it has no sign to show."""
    array = np.asarray(weights, dtype=np.float64)
    scale = float(np.abs(array).sum())
    return scale > 0.0 and abs(float(array.sum())) <= ZERO_SUM_TOLERANCE * scale


def _finite_number(value: Any, what: str) -> float:
    """Convert ``value`` to a finite float or raise a KernelError that names ``what``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise KernelError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise KernelError(f"{what} must be a finite number, got {number}")
    return number


def _json_number(value: Any, what: str) -> float:
    """A number read from a file: int or float only (``"1"`` and ``true`` are not weights)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise KernelError(f"{what} must be a number, got {type(value).__name__} {shown}")
    return float(value)


def _json_grid(weights: Any) -> list[list[float]]:
    """Weights read from a file, as rows of numbers, checked before any array is built:
    the size first (a 10000 x 10000 grid is refused at once), then every value's type."""
    if not isinstance(weights, list) or not all(isinstance(row, list) for row in weights):
        raise KernelError(
            "kernel weights must be a 2-D grid: a list of rows, each a list of numbers"
        )
    rows = len(weights)
    columns = max((len(row) for row in weights), default=0)
    if rows > MAX_KERNEL_SIZE or columns > MAX_KERNEL_SIZE:
        raise KernelError(
            f"kernel is {rows}x{columns}; the largest allowed is "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}"
        )
    return [
        [_json_number(value, f"kernel weight at row {r + 1}, column {c + 1}") for c, value in
         enumerate(row)]
        for r, row in enumerate(weights)
    ]  # fmt: skip


def _as_weights(weights: Any) -> np.ndarray:
    """Validate ``weights`` and return a private read-only float64 copy."""
    try:
        array = np.array(weights, dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        raise KernelError(
            "kernel weights must be a 2-D grid of numbers (rows of equal length)"
        ) from None
    if array.size == 0:
        raise KernelError(f"kernel weights are empty (shape {array.shape})")
    if array.ndim != 2:
        raise KernelError(f"kernel weights must be 2-D (rows x columns), got {array.ndim}-D")
    if array.shape[0] > MAX_KERNEL_SIZE or array.shape[1] > MAX_KERNEL_SIZE:
        raise KernelError(
            f"kernel is {array.shape[0]}x{array.shape[1]}; the largest allowed is "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise KernelError(
            f"kernel weight at row {row + 1}, column {col + 1} is {array[row, col]}; "
            "weights must be finite numbers"
        )
    array.setflags(write=False)
    return array


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line_name(name: str) -> str:
    """A name as one line of text: line breaks, tabs and runs of spaces become one space;
    control characters and the bidirectional overrides (which make text read backwards, so a
    name could pass for another) are dropped. Names come from files people share."""
    if name.isprintable() and "  " not in name and name.strip() == name:
        return name  # the common case, at no cost
    return _INVISIBLE.sub("", " ".join(name.split()))


@dataclass(frozen=True, eq=False)
class Kernel:
    """A convolution kernel: ``out = sum(weights * patch) / divisor + offset``.

    Keeping the divisor apart from the weights lets people type integer kernels the way
    textbooks print them (``[1 2 1; 2 4 2; 1 2 1] / 16``) and lets ``normalized`` keep them so.
    """

    weights: np.ndarray
    divisor: float = 1.0
    offset: float = 0.0
    name: str = ""
    _effective: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weights = _as_weights(self.weights)
        divisor = _finite_number(self.divisor, "kernel divisor")
        if divisor == 0.0:
            raise KernelError("kernel divisor must not be zero")
        offset = _finite_number(self.offset, "kernel offset")
        if not isinstance(self.name, str):
            raise KernelError(f"kernel name must be text, got {type(self.name).__name__}")
        effective = weights / divisor
        effective.setflags(write=False)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "divisor", divisor)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "name", one_line_name(self.name))
        object.__setattr__(self, "_effective", effective)

    # -- value semantics -------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Kernel):
            return NotImplemented
        return (
            self.weights.shape == other.weights.shape
            and bool(np.array_equal(self.weights, other.weights))
            and self.divisor == other.divisor
            and self.offset == other.offset
            and self.name == other.name
        )

    def __hash__(self) -> int:
        return hash(
            (self.weights.shape, self.weights.tobytes(), self.divisor, self.offset, self.name)
        )

    def __repr__(self) -> str:
        rows, cols = self.shape
        return (
            f"Kernel(name={self.name!r}, shape={rows}x{cols}, divisor={self.divisor:g}, "
            f"offset={self.offset:g})"
        )

    # -- derived values --------------------------------------------------------------------
    @property
    def effective(self) -> np.ndarray:
        """The weights actually applied: ``weights / divisor`` (read-only)."""
        return self._effective

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the weight grid."""
        return (int(self.weights.shape[0]), int(self.weights.shape[1]))

    # -- new kernels from this one ---------------------------------------------------------
    def with_weights(self, weights: Any) -> Kernel:
        """Same divisor, offset and name, new weights (what a grid edit produces)."""
        return Kernel(weights, self.divisor, self.offset, self.name)

    def replace(self, **changes: Any) -> Kernel:
        """A copy with some of ``weights``, ``divisor``, ``offset``, ``name`` changed."""
        unknown = set(changes) - {"weights", "divisor", "offset", "name"}
        if unknown:
            raise KernelError(f"unknown kernel field(s): {', '.join(sorted(unknown))}")
        values = {
            "weights": self.weights,
            "divisor": self.divisor,
            "offset": self.offset,
            "name": self.name,
            **changes,
        }
        return Kernel(**values)

    def flipped(self) -> Kernel:
        """Rotated by 180°: correlating with the flipped kernel is convolving with this one."""
        return self.with_weights(self.weights[::-1, ::-1])

    def transposed(self) -> Kernel:
        """Rows become columns (turns sobel_x into sobel_y)."""
        return self.with_weights(self.weights.T)

    def rotated90(self) -> Kernel:
        """Rotated 90° counter-clockwise, as ``np.rot90``."""
        return self.with_weights(np.rot90(self.weights))

    def normalized(self) -> Kernel:
        """Make the kernel keep overall brightness: divisor = sum of weights.

        A zero-sum kernel (edges, Laplacian) cannot be normalised that way; it keeps divisor 1
        and gets offset 128 instead, so that its signed response is visible on a grey background.
        """
        if sums_to_zero(self.weights):
            return Kernel(self.weights, 1.0, DISPLAY_OFFSET, self.name)
        return Kernel(self.weights, float(self.weights.sum()), 0.0, self.name)

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (plain lists and floats)."""
        return {
            "name": self.name,
            "weights": self.weights.tolist(),
            "divisor": self.divisor,
            "offset": self.offset,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Kernel:
        """Inverse of ``to_dict``; raises KernelError naming a missing or bad field."""
        if not isinstance(data, Mapping):
            raise KernelError(f"a kernel must be a JSON object, got {type(data).__name__}")
        if "weights" not in data:
            raise KernelError("kernel data has no 'weights' field")
        unknown = set(data) - {"name", "weights", "divisor", "offset"}
        if unknown:
            raise KernelError(f"kernel data has unknown field(s): {', '.join(sorted(unknown))}")
        for field_name in ("divisor", "offset"):
            if field_name in data:
                _json_number(data[field_name], f"kernel {field_name}")
        name = data.get("name", "")
        if not isinstance(name, str):
            raise KernelError(f"kernel name must be text, got {type(name).__name__}")
        return cls(
            _json_grid(data["weights"]),
            data.get("divisor", 1.0),
            data.get("offset", 0.0),
            name,
        )

    def to_text(self, fmt: str = "text") -> str:
        """The weights as text: ``numpy`` literal, ``csv`` rows, or whitespace ``text`` rows.

        Only the weights are written; ``from_text`` reads all three formats back exactly.
        """
        rows = [[full_precision(v) for v in row] for row in self.weights]
        if fmt == "numpy":
            return "[" + ",\n ".join("[" + ", ".join(row) + "]" for row in rows) + "]"
        if fmt == "csv":
            return "\n".join(",".join(row) for row in rows)
        if fmt == "text":
            width = max(len(v) for row in rows for v in row)
            return "\n".join(" ".join(v.rjust(width) for v in row) for row in rows)
        raise KernelError(f"unknown kernel text format {fmt!r}; use one of {TEXT_FORMATS}")

    @classmethod
    def from_text(cls, text: str, name: str = "") -> Kernel:
        """Parse weights pasted by a person: ``[[1,2],[3,4]]``, CSV, or whitespace rows.

        Also accepts ``np.array(...)`` around a literal, ``;`` as a row separator, ``#``
        comments and fractions such as ``1/16``.
        """
        return cls(parse_weights(text), name=name)


def full_precision(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (``1`` rather than ``1.0``)."""
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


_NUMPY_WRAPPER = re.compile(r"^\s*(?:(?:np|numpy)\s*\.\s*)?(?:array|asarray)\s*\((.*)\)\s*$", re.S)
_FIELD_SPLIT = re.compile(r"[,\s]+")


def _parse_field(token: str, row: int, col: int) -> float:
    """One number, possibly a fraction ``a/b``; KernelError with its position otherwise."""
    where = f"row {row}, column {col}"
    try:
        if "/" in token:
            numerator, denominator = token.split("/", 1)
            value = float(numerator) / float(denominator)
        else:
            value = float(token)
    except (ValueError, ZeroDivisionError):
        raise KernelError(f"cannot read {token!r} as a number ({where})") from None
    if not math.isfinite(value):
        raise KernelError(f"weight {token!r} at {where} is not a finite number")
    return value


def _check_rows(rows: list[list[float]]) -> list[list[float]]:
    if not rows or not rows[0]:
        raise KernelError("no kernel weights found in the text")
    for index, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise KernelError(
                f"row {index} has {len(row)} numbers but row 1 has {len(rows[0])}; "
                "every row must have the same length"
            )
    return rows


_INNER_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_DTYPE_ARGUMENT = re.compile(r",\s*dtype\s*=\s*[\w.]+\s*$")


def _parse_bracketed(text: str) -> list[list[float]]:
    """Rows from ``[[1, 2], [3, 4]]``, tuples, or numpy's printed form ``[[1. 2.]\n [3. 4.]]``."""
    example = "a list of rows such as [[1, 2], [3, 4]]"
    text = _DTYPE_ARGUMENT.sub("", text).replace("(", "[").replace(")", "]")
    if text.count("[") != text.count("]"):
        raise KernelError(f"unbalanced brackets: cannot read the text as {example}")
    leftover = _INNER_BRACKETS.sub("", text)
    if leftover.strip("[], \t\r\n"):
        stray = leftover.strip("[], \t\r\n")[:20]
        raise KernelError(f"unexpected {stray!r} outside the rows; write {example}")
    rows: list[list[float]] = []
    for r, body in enumerate(_INNER_BRACKETS.findall(text), start=1):
        tokens = [t for t in _FIELD_SPLIT.split(body.strip()) if t]
        rows.append([_parse_field(t, r, c) for c, t in enumerate(tokens, start=1)])
    return _check_rows(rows)


def parse_weights(text: str) -> list[list[float]]:
    """Rows of numbers from a numpy literal, CSV, or whitespace-separated text."""
    if not isinstance(text, str):
        raise KernelError(f"kernel text must be a string, got {type(text).__name__}")
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    body = "\n".join(lines).strip()
    wrapped = _NUMPY_WRAPPER.match(body)
    if wrapped:
        body = wrapped.group(1).strip()
    if body.startswith(("[", "(")):
        return _parse_bracketed(body)
    raw_rows = [row.strip() for row in re.split(r"[\n;]", body)]
    rows: list[list[float]] = []
    for r, raw in enumerate((row for row in raw_rows if row), start=1):
        tokens = [t for t in _FIELD_SPLIT.split(raw) if t]
        rows.append([_parse_field(t, r, c) for c, t in enumerate(tokens, start=1)])
    return _check_rows(rows)


# -- generators -----------------------------------------------------------------------------


def _check_radius(radius: Any) -> int:
    limit = (MAX_KERNEL_SIZE - 1) // 2
    return whole_number(radius, "radius", minimum=0, maximum=limit, error=KernelError)


def _check_positive(value: Any, what: str) -> float:
    number = _finite_number(value, what)
    if number <= 0:
        raise KernelError(f"{what} must be greater than zero, got {number:g}")
    return number


def gaussian_kernel(radius: int, sigma: float) -> Kernel:
    """A (2r+1) x (2r+1) Gaussian that sums to 1, so that blurring keeps brightness."""
    radius = _check_radius(radius)
    sigma = _check_positive(sigma, "sigma")
    axis = np.arange(-radius, radius + 1, dtype=np.float64)
    profile = np.exp(-(axis**2) / (2.0 * sigma**2))
    weights = np.outer(profile, profile)
    weights /= weights.sum()
    return Kernel(weights, name=f"Gaussian r={radius} σ={sigma:g}")


def log_kernel(radius: int, sigma: float) -> Kernel:
    """Laplacian of Gaussian, shifted to sum exactly to zero so flat areas give 0.

    Negative in the centre like the ``laplacian`` preset: a blob detector whose zero crossings
    mark edges (Marr-Hildreth).
    """
    radius = _check_radius(radius)
    sigma = _check_positive(sigma, "sigma")
    axis = np.arange(-radius, radius + 1, dtype=np.float64)
    yy, xx = np.meshgrid(axis, axis, indexing="ij")
    r2 = (xx**2 + yy**2) / (2.0 * sigma**2)
    weights = -(1.0 / (math.pi * sigma**4)) * (1.0 - r2) * np.exp(-r2)
    weights -= weights.mean()
    return Kernel(weights, name=f"LoG r={radius} σ={sigma:g}")


def gabor_kernel(
    size: int,
    sigma: float,
    theta: float,
    wavelength: float,
    phase: float = 0.0,
    aspect: float = 0.5,
) -> Kernel:
    """A Gabor filter: a Gaussian-windowed cosine, the edge/stripe detectors CNNs learn first.

    ``theta`` (radians) is the orientation of the stripes' normal, ``wavelength`` their period in
    pixels, ``phase`` shifts them (0: even/line detector, pi/2: odd/edge detector), ``aspect``
    squeezes the window along the stripes. The window-weighted DC part is removed so the kernel
    is zero-mean (flat areas give 0), and the kernel is scaled so that its positive weights sum
    to 1, which keeps responses in pixel units.
    """
    size = whole_number(size, "Gabor size", minimum=1, maximum=MAX_KERNEL_SIZE, error=KernelError)
    sigma = _check_positive(sigma, "sigma")
    wavelength = _check_positive(wavelength, "wavelength")
    aspect = _check_positive(aspect, "aspect")
    theta = _finite_number(theta, "theta")
    phase = _finite_number(phase, "phase")
    axis = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    yy, xx = np.meshgrid(axis, axis, indexing="ij")
    along = xx * math.cos(theta) + yy * math.sin(theta)
    across = -xx * math.sin(theta) + yy * math.cos(theta)
    envelope = np.exp(-(along**2 + (aspect * across) ** 2) / (2.0 * sigma**2))
    weights = envelope * np.cos(2.0 * math.pi * along / wavelength + phase)
    weights -= envelope * (weights.sum() / envelope.sum())
    positive = weights[weights > 0].sum()
    if positive > 0:
        weights /= positive
    return Kernel(weights, name=f"Gabor {size} θ={math.degrees(theta):.0f}° λ={wavelength:g}")

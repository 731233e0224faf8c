"""What a kernel does, in numbers: gain, symmetry, rank and separable factors, frequency response.

Both the UI (readouts, the kernel lab) and ``convolve`` (to pick a fast method: a separable
kernel runs as two 1-D passes) need these, so they live in the engine, on plain numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convlab.engine.kernels import Kernel, sums_to_zero
from convlab.engine.sizes import whole_number
from convlab.errors import KernelError

RANK_TOLERANCE = 1e-9
"""Singular values below this fraction of the largest one count as zero when finding the rank."""


@dataclass(frozen=True)
class KernelAnalysis:
    """What a kernel does, in numbers the UI can show next to the grid.

    ``total`` is the DC gain (how much a flat area's brightness is multiplied by). ``symmetric``
    means unchanged by a 180° rotation, which is exactly when convolution equals correlation;
    ``symmetries`` names every mirror/rotation the weights have. ``factors`` is (column, row)
    with ``outer(column, row) == effective`` when the kernel is separable.
    """

    total: float
    zero_mean: bool
    symmetric: bool
    symmetries: tuple[str, ...]
    rank: int
    separable: bool
    factors: tuple[np.ndarray, np.ndarray] | None
    singular_values: np.ndarray = field(repr=False)


def _symmetries(weights: np.ndarray) -> tuple[str, ...]:
    scale = float(np.abs(weights).max()) or 1.0
    tol = 1e-12 * scale

    def same(other: np.ndarray) -> bool:
        return other.shape == weights.shape and bool(np.allclose(weights, other, rtol=0, atol=tol))

    checks = [
        ("180° rotation", weights[::-1, ::-1]),
        ("left-right mirror", weights[:, ::-1]),
        ("up-down mirror", weights[::-1, :]),
        ("diagonal mirror", weights.T),
        ("90° rotation", np.rot90(weights)),
    ]
    found = [name for name, other in checks if same(other)]
    if not np.all(np.abs(weights) <= tol):
        found += [f"{name} (sign flips)" for name, other in checks[:3] if same(-other)]
    return tuple(found)


def separable_terms(
    weights: np.ndarray, tolerance: float = RANK_TOLERANCE
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The SVD as a sum of rank-1 terms: ``weights == sum(outer(col, row))``.

    Terms whose singular value is below ``tolerance`` times the largest are dropped; their
    contribution is below floating-point noise.
    """
    u, s, vt = np.linalg.svd(np.asarray(weights, dtype=np.float64))
    if s.size == 0 or s[0] == 0.0:
        return []
    terms = []
    for index in range(int(np.sum(s > tolerance * s[0]))):
        root = math.sqrt(s[index])
        column, row = u[:, index] * root, vt[index] * root
        if column[np.argmax(np.abs(column))] < 0:  # a readable sign: the column's peak > 0
            column, row = -column, -row
        terms.append((column, row))
    return terms


def analyze(kernel: Kernel | Any) -> KernelAnalysis:
    """Sum, zero-mean flag, symmetry, rank and separable factors of the effective weights.

    Separable factors are scaled for reading: the column sums to 1 when it can (a smoothing
    profile, e.g. Sobel = [.25 .5 .25]^T x [-4 0 4]), otherwise its largest entry is 1.
    """
    kernel = kernel if isinstance(kernel, Kernel) else Kernel(kernel)
    weights = kernel.effective
    total = float(weights.sum())
    zero_mean = sums_to_zero(weights) or not np.any(weights)
    singular_values = np.linalg.svd(weights, compute_uv=False)
    terms = separable_terms(weights)
    factors = None
    if len(terms) <= 1:
        rows, cols = kernel.shape
        column, row = terms[0] if terms else (np.zeros(rows), np.zeros(cols))
        column_sum = float(column.sum())
        peak = float(np.abs(column).max())
        if abs(column_sum) > 1e-9 * peak:
            column, row = column / column_sum, row * column_sum
        elif peak > 0:
            column, row = column / peak, row * peak
        column.setflags(write=False)
        row.setflags(write=False)
        factors = (column, row)
    symmetries = _symmetries(weights)
    return KernelAnalysis(
        total=total,
        zero_mean=zero_mean,
        symmetric="180° rotation" in symmetries,
        symmetries=symmetries,
        rank=len(terms),
        separable=len(terms) <= 1,
        factors=factors,
        singular_values=singular_values,
    )


def frequency_response(kernel: Kernel | Any, size: int = 64) -> np.ndarray:
    """|FFT| of the kernel zero-padded to ``size`` x ``size``, DC in the centre (float32).

    What the kernel passes (bright) and removes (dark) at each spatial frequency: a blur is
    bright in the middle, an edge detector dark there.
    """
    kernel = kernel if isinstance(kernel, Kernel) else Kernel(kernel)
    rows, cols = kernel.shape
    size = whole_number(
        size, "frequency response size", minimum=max(rows, cols), maximum=4096, error=KernelError
    )
    spectrum = np.fft.fft2(kernel.effective, s=(int(size), int(size)))
    return np.fft.fftshift(np.abs(spectrum)).astype(np.float32)


def gaussian_window_mass(radius: int, sigma: float) -> float:
    """Share of a 2-D Gaussian bell's volume inside its (2r+1) x (2r+1) kernel window.

    Each cell covers one pixel, so the window reaches r + 1/2 from the centre along each axis;
    the bell separates, so the share is the 1-D one squared: erf((r + 1/2) / (sigma sqrt 2))^2.
    A window of radius 5 keeps 87% of a sigma-3 bell: the kernel's weights are rescaled to
    sum to 1, which makes the cut-off tails' weight up by brightening the middle.
    """
    if sigma <= 0:
        raise KernelError(f"Gaussian sigma {sigma}: must be positive")
    one_axis = math.erf((whole_number(radius, "Gaussian radius") + 0.5) / (sigma * math.sqrt(2)))
    return one_axis * one_axis


def gaussian_window_note(radius: int, sigma: float, *, detail: bool = True) -> str:
    """How much of the bell the kernel's window keeps, e.g. "The 11×11 window keeps 87% of
    the bell's mass"; with ``detail``, what that does to the weights and which radius would
    keep (nearly) all of it."""
    side = 2 * radius + 1
    mass = gaussian_window_mass(radius, sigma)
    if mass >= 0.995:
        return f"The {side}×{side} window keeps all of the bell ({100 * mass:.1f}% of its mass)."
    note = f"The {side}×{side} window keeps {100 * mass:.0f}% of the bell's mass"
    if not detail:
        return note + "."
    note += f" (its weights are divided by {mass:.2f} to sum to 1)"
    wide_enough = math.ceil(3 * sigma)
    if radius < wide_enough:
        return f"{note}; a radius of {wide_enough} (3σ) would keep over 99%."
    return note + "."

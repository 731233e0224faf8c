"""A bank of kernels on one gray frame, sharing the work a kernel-by-kernel loop repeats.

``bank_responses(gray, kernels)`` equals ``[convolve(gray, k, border=border) for k in kernels]``
(same-size output, correlation, each kernel's own divisor and offset) and shares:

- one float32 copy of the frame and one padded copy, extended by the border rule as far as the
  largest kernel needs; each kernel reads its own window of it and pads nothing itself;
- for large kernels, one forward DFT of the padded frame: each such kernel then costs a
  spectrum product and an inverse transform, where OpenCV would transform the frame again;
- the cores: OpenCV filters a frame with one kernel on one thread, so the kernels run side by
  side (``run_side_by_side``: a task no pool thread has taken is done by the caller).

Each kernel takes whichever is predicted cheapest by the measured costs (``calibration``): a
method ``convolve`` knows, run on the float32 or on the uint8 frame (OpenCV's own DFT is faster
on uint8), or the shared transform when what it saves pays for the forward transform.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import cv2
import numpy as np

from convlab.engine import calibration, dispatch
from convlab.engine.calibration import CostTable
from convlab.engine.conv_methods import BORDER_CODES, run_side_by_side
from convlab.engine.convolve import convolve, make_job, padding_amounts
from convlab.engine.kernels import Kernel
from convlab.engine.tiled_dft import TiledSpectrum

Pads = tuple[tuple[int, int], tuple[int, int]]
SHARED_DFT = "shared_dft"
T = TypeVar("T")


@dataclass(frozen=True)
class BankPlan:
    """How each kernel is computed: (frame, method) with frame ``"float32"`` (its window of the
    shared padded float frame), ``"uint8"`` (the frame as given) or ``SHARED_DFT``."""

    steps: tuple[tuple[str, str], ...]
    predicted_ns: float  # wall time, the shared-transform jobs side by side
    cpu_ns: float = 0.0  # all of it on one thread (a busy machine)

    @property
    def shared_dft(self) -> bool:
        return any(frame == SHARED_DFT for frame, _ in self.steps)

    @property
    def needs_float(self) -> bool:
        return any(frame != "uint8" for frame, _ in self.steps)


def common_pads(kernels: Sequence[Kernel]) -> Pads:
    """The padding that serves every kernel: the most any of them needs on each side."""
    pads = [padding_amounts(kernel.shape, "same") for kernel in kernels]
    return (
        (max(p[0][0] for p in pads), max(p[0][1] for p in pads)),
        (max(p[1][0] for p in pads), max(p[1][1] for p in pads)),
    )


def window(padded: np.ndarray, kernel: Kernel, pads: Pads) -> np.ndarray:
    """The part of the shared padded frame that is ``kernel``'s own "same"-padded frame (a
    view: rows and columns the border rule gives the same values for any padding width)."""
    (top, bottom), (left, right) = pads
    (own_top, own_bottom), (own_left, own_right) = padding_amounts(kernel.shape, "same")
    rows, cols = padded.shape[0] - top - bottom, padded.shape[1] - left - right
    first_row, first_col = top - own_top, left - own_left
    return padded[
        first_row : first_row + rows + own_top + own_bottom,
        first_col : first_col + cols + own_left + own_right,
    ]


def plan_bank(
    shape: tuple[int, int],
    kernels: Sequence[Kernel],
    *,
    border: str = "reflect101",
    uint8_frame: bool = True,
    table: CostTable | None = None,
    threads: int | None = None,
) -> BankPlan:
    """The cheapest way to compute each kernel on an HxW gray frame, and the predicted wall time.

    OpenCV's own calls already spread one kernel over the cores (the table holds their wall
    time); a shared-transform kernel is one single-threaded job, so ``threads`` of them run at
    once (default: as many as the band pool runs side by side).
    """
    table = calibration.cost_table(wait=False) if table is None else table
    threads = side_by_side_threads() if threads is None else max(1, int(threads))
    pads = common_pads(kernels)
    (top, bottom), (left, right) = pads
    padded_shape = (shape[0] + top + bottom, shape[1] + left + right)
    padded_samples = padded_shape[0] * padded_shape[1]
    best = [_cheapest_filter(shape, kernel, pads, border, uint8_frame, table) for kernel in kernels]
    # Measured on a smaller frame than it runs on (see calibration), so it needs the margin too.
    dft_cost = (table.dft_correlate * padded_samples + 3 * table.call) * (1.0 + dispatch.MARGIN)
    forward = table.dft_forward * padded_samples * (1.0 + dispatch.MARGIN)
    # A kernel takes the transform when its job, sharing the cores with the other such jobs,
    # beats its best filter; once fewer share them, each costs more: decide again.
    spread = dft_cost / min(threads, max(len(kernels), 1))
    chosen = [i for i, (_, _, cost) in enumerate(best) if spread < cost]
    spread = dft_cost / min(threads, max(len(chosen), 1))
    chosen = [i for i in chosen if spread < best[i][2]]
    savings = sum(best[i][2] - spread for i in chosen)
    use_dft = bool(chosen) and savings > forward  # the shared transform must pay for itself
    steps: list[tuple[str, str]] = []
    total = cpu = forward if use_dft else 0.0
    for index, (frame, method, cost) in enumerate(best):
        if use_dft and index in chosen:
            steps.append((SHARED_DFT, SHARED_DFT))
            total, cpu = total + spread, cpu + dft_cost
        else:
            steps.append((frame, method))
            total, cpu = total + cost, cpu + cost
    if any(frame != "uint8" for frame, _ in steps):
        total += (table.to_float + table.pad) * padded_samples
        cpu += (table.to_float + table.pad) * padded_samples
    return BankPlan(tuple(steps), total, cpu)


def side_by_side_threads() -> int:
    """How many single-threaded jobs ``run_side_by_side`` runs at once: OpenCV's thread count
    (``cv2.setNumThreads(1)`` turns it off), at most one per CPU."""
    return max(1, min(cv2.getNumThreads(), os.cpu_count() or 1, 8))


def _cheapest_filter(
    shape: tuple[int, int],
    kernel: Kernel,
    pads: Pads,
    border: str,
    uint8_frame: bool,
    table: CostTable,
) -> tuple[str, str, float]:
    """(frame, method, predicted ns) of the cheapest way ``convolve`` knows for one kernel."""
    (top, bottom), (left, right) = pads
    float_frame = np.broadcast_to(np.float32(0), (shape[0] + top + bottom, shape[1] + left + right))
    job, _ = make_job(window(float_frame, kernel, pads), kernel, border, "valid", 1, 1,
                      "correlate", "per_channel")  # fmt: skip
    options = [("float32", *dispatch.ranked(job, table)[0])]
    if uint8_frame:
        byte_frame = np.broadcast_to(np.uint8(0), shape)
        job, _ = make_job(byte_frame, kernel, border, "same", 1, 1, "correlate", "per_channel")
        options.append(("uint8", *dispatch.ranked(job, table)[0]))
    return min(options, key=lambda option: option[2])


def bank_responses(
    gray: np.ndarray,
    kernels: Sequence[Kernel],
    *,
    border: str = "reflect101",
    plan: BankPlan | None = None,
) -> list[np.ndarray]:
    """Each kernel's float32 HxW response to the 2-D ``gray`` frame (uint8 or float32)."""
    return bank_map(gray, kernels, _response, border=border, plan=plan)


def _response(_index: int, response: np.ndarray) -> np.ndarray:
    return response


def bank_map(
    gray: np.ndarray,
    kernels: Sequence[Kernel],
    finish: Callable[[int, np.ndarray], T],
    *,
    border: str = "reflect101",
    plan: BankPlan | None = None,
) -> list[T]:
    """``finish(index, response)`` of each kernel's response, in order.

    ``finish`` runs in the job that computed the response, so what follows the convolution
    (stages, ranges, a thumbnail) is spread over the cores with it, while the map is still in
    the cache.
    """
    if not kernels:
        return []
    if gray.ndim != 2:
        raise ValueError(f"bank_responses needs a 2-D gray frame, got shape {gray.shape}")
    shape = (int(gray.shape[0]), int(gray.shape[1]))
    if plan is None:
        plan = plan_bank(shape, kernels, border=border, uint8_frame=gray.dtype == np.uint8)
    pads = common_pads(kernels)
    padded = _shared_padded(gray, pads, border) if plan.needs_float else None
    spectrum = None
    if plan.shared_dft:
        extent = tuple(max(k.shape[axis] for k, (frame, _) in zip(kernels, plan.steps)
                           if frame == SHARED_DFT) for axis in (0, 1))  # fmt: skip
        spectrum = TiledSpectrum(padded, extent, run=run_side_by_side)  # both cores

    def compute(index: int) -> T:
        kernel = kernels[index]
        frame, method = plan.steps[index]
        if frame == SHARED_DFT:
            response = _from_spectrum(spectrum, kernel, pads, shape)
        elif frame == "float32":
            response = convolve(
                window(padded, kernel, pads), kernel, padding="valid", method=method
            )
        else:
            response = convolve(gray, kernel, border=border, method=method)
        return finish(index, response)

    return run_side_by_side([functools.partial(compute, index) for index in range(len(kernels))])


def _shared_padded(gray: np.ndarray, pads: Pads, border: str) -> np.ndarray:
    (top, bottom), (left, right) = pads
    image = gray if gray.dtype == np.float32 else gray.astype(np.float32)
    if top == bottom == left == right == 0:
        return image
    return cv2.copyMakeBorder(image, top, bottom, left, right, BORDER_CODES[border], value=0)


def _from_spectrum(
    spectrum: TiledSpectrum, kernel: Kernel, pads: Pads, shape: tuple[int, int]
) -> np.ndarray:
    """A kernel's response from the shared tile spectra: only its own window is computed."""
    (top, _), (left, _) = pads
    (own_top, _), (own_left, _) = padding_amounts(kernel.shape, "same")
    window = (top - own_top, left - own_left, shape[0], shape[1])
    result = spectrum.correlate(np.asarray(kernel.effective, dtype=np.float32), window)
    if kernel.offset:
        result += np.float32(kernel.offset)
    return result

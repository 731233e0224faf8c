"""Which exact method ``convolve`` runs: the cheapest by the costs measured on this machine.

Every method computes the same sum (``conv_methods``), so the choice is only about speed. The
cost of a method is predicted from the ``CostTable`` of ``calibration`` (nanoseconds per sample
of each OpenCV primitive, measured with the OpenCV that is installed) times the samples it
touches. ``cv2.filter2D`` and ``cv2.sepFilter2D`` on the frame as given are what OpenCV alone
would do; any other method must be predicted ``MARGIN`` cheaper before it is chosen, so noise in
the calibration can cost a close call, never a clear one.
"""

from __future__ import annotations

import functools

import numpy as np

from convlab.engine import calibration
from convlab.engine.calibration import CostTable
from convlab.engine.conv_methods import (
    FLOAT_SUFFIX,
    Geometry,
    Job,
    anchor_fits,
    dilate,
    kernel_terms,
    row_chunks,
)

MARGIN = 0.15
BASELINES = ("filter2d", "separable")  # what OpenCV alone does with this frame and kernel


@functools.lru_cache(maxsize=512)
def _cost_cached(
    key: bytes,
    shape: tuple[int, int],
    geometry: Geometry,
    fits: bool,
    frame: tuple[str, int],
    table: CostTable,
) -> tuple[tuple[str, float], ...]:
    weights = np.frombuffer(key, dtype=np.float64).reshape(shape)
    rank = len(kernel_terms(weights))
    costs = method_costs(table, geometry, weights, rank, fits, *frame)
    return tuple(sorted(costs.items(), key=lambda item: item[1]))


def ranked(job: Job, table: CostTable | None = None) -> tuple[tuple[str, float], ...]:
    """(method, predicted ns) from cheapest to dearest, margins applied; cached per kernel and
    frame layout, as the worker repeats the same call on every frame."""
    if table is None:
        table = calibration.cost_table(wait=False)
    weights = np.ascontiguousarray(job.weights, dtype=np.float64)
    channels = job.image.shape[2] if job.image.ndim == 3 else 1
    return _cost_cached(
        weights.tobytes(),
        (int(weights.shape[0]), int(weights.shape[1])),
        job.geometry,
        anchor_fits(job),
        (job.image.dtype.name, int(channels)),
        table,
    )


def choose(job: Job, table: CostTable | None = None) -> str:
    """The method predicted cheapest for ``job``."""
    return ranked(job, table)[0][0]


def method_costs(
    table: CostTable,
    geometry: Geometry,
    weights: np.ndarray,
    rank: int,
    fits: bool,
    depth: str,
    channels: int,
) -> dict[str, float]:
    """Predicted nanoseconds of every applicable method, non-baselines with the margin added."""
    (top, bottom), (left, right) = geometry.pads
    height, width = geometry.in_size
    khe, kwe = geometry.kernel_size
    padded_rows, padded_cols = height + top + bottom, width + left + right
    padded = padded_rows * padded_cols * channels
    full_cols = (padded_cols - kwe + 1) * channels
    full = (padded_rows - khe + 1) * full_cols  # stride-1 output samples
    kept_rows = geometry.out_size[0]
    stride, dilation = geometry.stride, geometry.dilation
    subsample = table.subsample * full if stride > 1 else 0.0
    chunks = row_chunks(dilate(weights, dilation), stride) if stride * dilation > 1 else []
    costs: dict[str, float] = {}
    depths = [(depth, "", 0.0)]
    if depth != "float32":
        depths.append(("float32", FLOAT_SUFFIX, table.to_float * height * width * channels))
    for source, suffix, convert in depths:
        pad = 0.0 if fits else table.pad * padded
        result = table.output * full  # every pass below writes one fresh float32 frame
        one_pass = table.call + table.separable_cost(source, khe, kwe) * full + result
        costs["filter2d" + suffix] = (
            convert + pad + table.call + table.filter_cost(source, khe * kwe) * full + result
            + subsample
        )  # fmt: skip
        if rank <= 1:
            costs["separable" + suffix] = convert + pad + one_pass + subsample
        else:
            costs["multi_separable" + suffix] = (
                convert + pad + rank * one_pass + (rank - 1) * table.accumulate * full + subsample
            )
        if stride > 1 or dilation > 1:  # what it is for: rows not kept, or zero rows skipped
            strided_rows = kept_rows * full_cols  # the kept rows, every column
            costs["strided" + suffix] = (
                convert
                + table.pad * padded
                + sum(
                    table.call
                    + (table.filter_cost(source, block.shape[0] * kwe) + table.output)
                    * strided_rows
                    for _, block in chunks
                )
                + max(len(chunks) - 1, 0) * table.accumulate * strided_rows
                + (table.subsample * strided_rows if stride > 1 else 0.0)
            )
        if dilation > 1:
            kh, kw = weights.shape
            costs["dilated" + suffix] = (
                convert
                + table.pad * padded
                + table.phase_copy * (padded + full)
                + dilation * dilation * table.call
                + table.filter_cost(source, kh * kw) * full
                + result
                + subsample
            )
    if khe * kwe <= table.largest_filter():
        return _with_margins(costs)  # see calibration: our whole-frame DFT only beyond that
    plane = padded_rows * padded_cols
    interleave = table.phase_copy * full if channels > 1 else 0.0  # planes into HxWxC
    costs["dft"] = (
        table.pad * padded
        + channels * (table.dft_forward + table.dft_correlate) * plane
        + interleave
        + channels * 3 * table.call
        + subsample
    )
    return _with_margins(costs)


def _with_margins(costs: dict[str, float]) -> dict[str, float]:
    return {
        name: cost if name in BASELINES else cost * (1.0 + MARGIN) for name, cost in costs.items()
    }

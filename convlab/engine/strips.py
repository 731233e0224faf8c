"""``convolve`` in horizontal strips of output rows: the numbers of one call on the whole
image, bit for bit, with a strip's worth of memory.

A 100 MP photo's float32 output is 1.2 GB; exporting it whole needed that and its copies. A
strip of output rows ``first:stop`` reads only the input rows its windows cover, and runs the
method ``convolve`` picks for the whole image the way it runs there:

- where OpenCV's border handling pads the whole image (most settings), on a band of image rows
  a little taller than the strip, with the same anchor, so OpenCV chooses the same filter
  (a symmetric kernel's symmetric one) and adds the same products in the same order;
- where the whole image is padded as a copy (wrap, or padding wider than the kernel), on the
  strip's padded rows made by the border rule (the rule ``copyMakeBorder`` follows).

Columns are never cut, so each row is filtered in the same vector chunks. Where the method
is a DFT (OpenCV's own from 50 taps, ConvLab's tiled one, each phase of a dilated kernel),
strips start on a tile boundary, a tile ahead of their first row, and read whole tiles, so the
tiles and their rounding are the whole image's. (ConvLab's tiled DFT may size its tiles by
the plane it is given; it then agrees to float32 rounding. So does the strided method forced
onto a kernel 50 or more columns wide after dilation, which ``convolve`` never picks.)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from convlab.engine import dispatch
from convlab.engine.conv_methods import (
    BORDER_CODES,
    DIRECT_TAP_LIMIT,
    FLOAT_SUFFIX,
    METHOD_NAMES,
    Job,
    anchor_fits,
    run_method,
)
from convlab.engine.convolve import _prepare_image, make_job
from convlab.engine.kernels import Kernel
from convlab.engine.tiled_dft import tile_shape
from convlab.errors import KernelError

STRIP_BYTES = 32 << 20
"""About how many bytes of float32 stride-1 result one strip holds: small next to a 100 MP
frame (1.2 GB as float32 RGB), large enough that each OpenCV call still fills both cores."""

Prepare = Callable[[np.ndarray], np.ndarray]


def _dft_block_rows(extent: tuple[int, int]) -> int:
    """Output rows of one DFT tile for a kernel of this extent (OpenCV's crossCorr rule)."""
    return tile_shape(extent)[0] - extent[0] + 1


@dataclass(frozen=True)
class StripConvolution:
    """One convolve() call, computed strip by strip (``rows``)."""

    image: np.ndarray  # the source as given (H x W or H x W x C), never copied whole
    job: Job  # the whole image's job (its image a zero-cost probe): weights and geometry
    method: str  # what convolve would run on the whole image
    channels: str
    keep_axis: bool
    prepare: Prepare | None
    row_unit: int  # strips start at multiples of this many output rows (DFT tiles)
    anchored: bool  # the whole image is padded by OpenCV's border handling, not a copy

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the whole result (what ``convolve`` returns)."""
        rows, cols = self.job.geometry.out_size
        if self.job.image.ndim == 3:
            return (rows, cols, int(self.job.image.shape[2]))
        return (rows, cols, 1) if self.keep_axis else (rows, cols)

    def rows(self, first: int, stop: int) -> np.ndarray:
        """Output rows ``first:stop``, equal to ``convolve(...)[first:stop]``; ``first`` must
        be a multiple of ``row_unit`` (``strip_limits`` gives such strips)."""
        geometry = self.job.geometry
        if not 0 <= first < stop <= geometry.out_size[0] or first % self.row_unit:
            raise ValueError(f"rows {first}:{stop} are not a strip of this convolution")
        compute = self._from_image if self.anchored else self._from_padded
        result = compute(first, stop)[: stop - first]
        if self.keep_axis and result.ndim == 2:
            result = result[:, :, None]
        return np.ascontiguousarray(result, dtype=np.float32)

    def _span(self, first: int, stop: int) -> int:
        """Stride-1 rows from the strip's first kept row to its last, rounded up to whole DFT
        tiles: the last kept tile then reads real rows, as it does in the whole image."""
        block = self.row_unit * self.job.geometry.stride
        return -(-((stop - first - 1) * self.job.geometry.stride + 1) // block) * block

    def _from_image(self, first: int, stop: int) -> np.ndarray:
        """When OpenCV's border handling pads the whole image (``anchored``): the same call on
        a band of image rows, with a lead of rows (a whole tile for a DFT) above the strip.

        OpenCV pads the band's own edges, wrongly inside the image, but only the lead and the
        rows past the strip read them, and those are dropped; at the image's edges the band's
        edges are the image's. Rows are read with the same anchor as the whole image's, so a
        symmetric kernel gets the same symmetric filter, in the same order of additions.
        """
        geometry = self.job.geometry
        stride, extent, height = geometry.stride, geometry.kernel_size[0], geometry.in_size[0]
        (top, bottom), _ = geometry.pads
        end = min(height, first * stride + self._span(first, stop) + extent - 1 - top)
        # rows above the strip: its windows reach ``top`` rows up; a band ending at the
        # image's end also holds the rows OpenCV reflects there
        lead = -(-top // stride)
        if end == height:
            lead = max(lead, -(-(first * stride - (height - bottom - 1)) // stride))
        if self.row_unit > 1:  # whole DFT tiles
            lead = max(1, -(-lead // self.row_unit)) * self.row_unit
        lead = min(lead, first)
        begin = (first - lead) * stride  # image row = stride-1 output row, with the anchor
        band = replace(
            geometry,
            in_size=(end - begin, geometry.in_size[1]),
            out_size=((end - begin + top + bottom - extent) // stride + 1, geometry.out_size[1]),
        )
        prepared = self._prepared(self.image[begin:end])
        return run_method(self.method, replace(self.job, image=prepared, geometry=band))[lead:]

    def _from_padded(self, first: int, stop: int) -> np.ndarray:
        """When the whole image was padded as a copy (wrap, or padding past the kernel): the
        strip's padded rows, made here by the border rule, and padded columns."""
        geometry = self.job.geometry
        stride, extent = geometry.stride, geometry.kernel_size[0]
        (top, bottom), columns = geometry.pads
        start = first * stride
        end = min(geometry.in_size[0] + top + bottom, start + self._span(first, stop) + extent - 1)
        prepared = self._prepared(self._padded_rows(np.arange(start, end) - top))
        code = BORDER_CODES[self.job.border]
        prepared = cv2.copyMakeBorder(prepared, 0, 0, *columns, code, value=0)
        strip = replace(
            geometry,
            in_size=(end - start, int(prepared.shape[1])),
            pads=((0, 0), (0, 0)),
            out_size=((end - start - extent) // stride + 1, geometry.out_size[1]),
        )
        return run_method(self.method, replace(self.job, image=prepared, geometry=strip))

    def _prepared(self, source: np.ndarray) -> np.ndarray:
        if self.prepare is not None:
            source = self.prepare(source)
        return _prepare_image(source, self.channels)[0]

    def _padded_rows(self, indices: np.ndarray) -> np.ndarray:
        """Image rows ``indices`` (of the source, before ``prepare``); rows outside the image
        follow the border rule, zeros for "constant"."""
        height = self.image.shape[0]
        if indices[0] >= 0 and indices[-1] < height:
            return self.image[indices[0] : indices[-1] + 1]
        rows = np.empty((len(indices), *self.image.shape[1:]), dtype=self.image.dtype)
        code = BORDER_CODES[self.job.border]
        for place, index in enumerate(indices.tolist()):
            if not 0 <= index < height:
                index = cv2.borderInterpolate(index, height, code)
            rows[place] = 0 if index < 0 else self.image[index]
        return rows


def strip_convolution(
    image: np.ndarray,
    kernel: Kernel | Any,
    *,
    border: str = "reflect101",
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    mode: str = "correlate",
    channels: str = "per_channel",
    prepare: Prepare | None = None,
    method: str = "auto",
) -> StripConvolution:
    """``convolve(prepare(image), kernel, ...)`` set up to be computed strip by strip.

    ``prepare`` (optional) turns source rows into the rows convolve sees, pixel by pixel
    (e.g. RGB to gray); the arguments are checked as convolve checks them. ``method``
    forces one of convolve's methods (tests); "auto" is convolve's choice for the whole image.
    """
    first_row = image[:1] if prepare is None else prepare(image[:1])
    prepared_row, keep_axis = _prepare_image(first_row, channels)
    probe = np.broadcast_to(
        np.zeros((), dtype=prepared_row.dtype), (image.shape[0], *prepared_row.shape[1:])
    )
    job, _ = make_job(probe, kernel, border, padding, stride, dilation, mode, "per_channel")
    if method == "auto":
        method = dispatch.choose(job)
    elif method not in METHOD_NAMES:
        raise KernelError(f"method must be one of auto, {', '.join(METHOD_NAMES)}; got {method!r}")
    return StripConvolution(
        image=image,
        job=job,
        method=method,
        channels=channels,
        keep_axis=keep_axis,
        prepare=prepare,
        row_unit=_row_unit(job, method),
        anchored=anchor_fits(job),
    )


def _opencv_dft(job: Job, method: str) -> bool:
    """Does ``cv2.filter2D`` switch to its DFT for this method (at 50 taps for uint8 frames;
    later for float32 ones, where aligning its tiles costs nothing but strip size)?"""
    rows, cols = job.geometry.kernel_size
    return method.removesuffix(FLOAT_SUFFIX) == "filter2d" and rows * cols >= DIRECT_TAP_LIMIT


def _row_unit(job: Job, method: str) -> int:
    """Output rows a strip must start at a multiple of, so that a DFT method's tiles fall
    where they fall for the whole image (1 for direct methods: any row will do)."""
    geometry = job.geometry
    base = method.removesuffix(FLOAT_SUFFIX)
    extent = geometry.kernel_size
    compact = job.weights.shape
    if base == "dft" or _opencv_dft(job, method):
        rows = _dft_block_rows(extent)
    elif base == "dilated" and compact[0] * compact[1] >= DIRECT_TAP_LIMIT:
        rows = geometry.dilation * _dft_block_rows((int(compact[0]), int(compact[1])))
    else:
        return 1
    return rows // math.gcd(rows, geometry.stride)


def strip_limits(
    total: int, unit: int = 1, *, rows: int | None = None, row_bytes: int = 0
) -> list[tuple[int, int]]:
    """(first, stop) of consecutive strips covering ``total`` rows, each starting at a
    multiple of ``unit``: ``rows`` each (rounded to the unit), or as many as fit in
    ``STRIP_BYTES`` at ``row_bytes`` a row. A last strip shorter than a unit joins the one
    before it (a DFT tile of a short strip would be sized differently)."""
    if rows is None:
        rows = max(1, STRIP_BYTES // max(row_bytes, 1))
    step = max(unit, rows // unit * unit)
    edges = [*range(0, total, step), total]
    if len(edges) > 2 and edges[-1] - edges[-2] < unit:
        del edges[-2]
    return list(itertools.pairwise(edges))


def stride1_row_bytes(strips: StripConvolution) -> int:
    """Bytes of one output row's share of a strip's stride-1 float32 intermediate."""
    geometry = strips.job.geometry
    columns = geometry.in_size[1] + sum(geometry.pads[1])
    planes = strips.job.image.shape[2] if strips.job.image.ndim == 3 else 1
    return 4 * columns * planes * geometry.stride


def iterate(strips: StripConvolution, limits: list[tuple[int, int]]) -> Iterator[np.ndarray]:
    """The strips' results in order."""
    for first, stop in limits:
        yield strips.rows(first, stop)

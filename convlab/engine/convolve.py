"""``convolve``: the one exact definition of a convolution in ConvLab, computed the fastest way.

Definition (DESIGN.md)::

    out[i, j] = sum_uv K[u, v] * Xpad[i*stride + u*dilation, j*stride + v*dilation] / divisor
                + offset

where ``Xpad`` is the image extended by the border rule; ``padding="same"`` adds
``dilation*(kh-1)//2`` rows above and the rest of ``dilation*(kh-1)`` below (the PyTorch
convention, which decides where an even kernel sits), ``"valid"`` adds nothing, an int ``p`` adds
``p`` on every side.

Every method below computes exactly that sum; they differ only in speed, and the tests compare
each one against a plain loop:

``filter2d``
    ``cv2.filter2D`` with the anchor placed so that OpenCV's border handling *is* the padding
    (no copy); OpenCV itself switches to a tiled DFT for kernels of 50 taps and more.
``separable``
    a rank-1 kernel as one fused ``cv2.sepFilter2D`` pass: kh+kw taps instead of kh*kw.
``multi_separable``
    a rank-r kernel as the sum of r separable passes (SVD), when r*(kh+kw) beats kh*kw or the
    DFT (LoG, unsharp mask, difference of Gaussians).
``dft``
    one whole-image FFT per channel; wins only for very large (dilated) kernels.
``strided``
    computes only the output rows that are kept: kernel rows ``u, u+s, ...`` only ever meet
    padded rows ``i*s + u, ...``, a row-strided *view* that OpenCV filters without a copy.
    Blocks of rows stay under the DFT threshold, and the zero rows of a dilated kernel are
    skipped, so it also serves dilation. OpenCV filters these short views on one thread (it
    only parallelises large frames), so large frames are cut into bands of output rows that
    run side by side; without that, stride 2 at 1080p lost to OpenCV's own two-thread
    stride-1 pass.
``dilated``
    output pixels with the same (row, column) phase modulo the dilation only read input pixels
    of that phase, so each phase is the compact kernel run over a 1/d^2-sized sub-image.

The cheapest method is chosen per call from a small cost model measured by
``python -m convlab.bench engine``; ``method=`` forces one (the tests force every one).
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from convlab.engine.kernels import Kernel, separable_terms
from convlab.errors import ConvlabError, KernelError

BORDERS = ("reflect101", "reflect", "replicate", "constant", "wrap")
"""Border rules, named as in DESIGN.md; numpy's np.pad names: reflect, symmetric, edge,
constant (zeros), wrap."""

MODES = ("correlate", "convolve")
CHANNEL_MODES = ("per_channel", "gray")
METHODS = ("auto", "filter2d", "separable", "multi_separable", "dft", "strided", "dilated")

_CV_BORDER = {
    "reflect101": cv2.BORDER_REFLECT_101,
    "reflect": cv2.BORDER_REFLECT,
    "replicate": cv2.BORDER_REPLICATE,
    "constant": cv2.BORDER_CONSTANT,
    "wrap": cv2.BORDER_WRAP,
}

# The cost model, in units of "one 2-D tap over the whole input frame" (about 0.45 ms for a
# 1280x720 RGB frame on the 2-core machine), measured with ``python -m convlab.bench engine``
# and small timing runs of each primitive. Only the ranking matters: it picks the method.
# Threads are not modelled: OpenCV runs filter2D on two threads only for large frames, and
# the strided method's bands give it the same two threads, so both sides scale alike.
_DIRECT_TAP_LIMIT = 50  # cv2.filter2D switches to its tiled DFT from this many taps
_FILTER2D_DFT_COST = 80.0  # cv2.filter2D's own DFT ...
_FILTER2D_DFT_PER_SIDE = 1.0  # ... which grows a little with the kernel's rows + columns
_OWN_DFT_COST = 260.0  # our whole-image DFT: slower, but independent of the kernel size
_SEPARABLE_TAP = 0.5  # a 1-D tap in cv2.sepFilter2D costs about half a 2-D tap
_PASS_OVERHEAD = 2.0  # reading the frame and writing one float32 result
_ACCUMULATE = 1.0  # adding one float32 frame into another
_PAD_COPY = 0.5  # cv2.copyMakeBorder of the input
_SUBSAMPLE = 0.6  # picking every s-th pixel of a float32 result (cv2.resize, nearest)
_PHASE_SHUFFLE = 25.0  # the dilated method's de-interleaving copies and interleaving writes


def _choice(value: Any, allowed: Sequence[str], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise KernelError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise KernelError(f"{what} must be a whole number >= 1, got {value!r}")
    return int(value)


def as_kernel(kernel: Kernel | Any) -> Kernel:
    """A Kernel from a Kernel or a 2-D array of weights (validated by Kernel)."""
    return kernel if isinstance(kernel, Kernel) else Kernel(kernel)


def padding_amounts(
    kernel_shape: tuple[int, int], padding: str | int, dilation: int = 1
) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) rows/columns the border rule adds, per DESIGN.md."""
    dilation = _positive_int(dilation, "dilation")
    if isinstance(padding, str):
        _choice(padding, ("same", "valid"), "padding")
        if padding == "valid":
            return (0, 0), (0, 0)
        amounts = []
        for size in kernel_shape:
            total = dilation * (int(size) - 1)
            amounts.append((total // 2, total - total // 2))
        return amounts[0], amounts[1]
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise KernelError(
            f"padding must be 'same', 'valid' or a whole number >= 0, got {padding!r}"
        )
    return (int(padding), int(padding)), (int(padding), int(padding))


def output_shape(
    image_shape: Sequence[int],
    kernel_shape: Sequence[int],
    *,
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    channels: str = "per_channel",
) -> tuple[int, ...]:
    """The shape ``convolve`` will return, without computing anything (for the UI)."""
    if len(image_shape) not in (2, 3) or min(image_shape) < 1:
        raise ConvlabError(
            f"image must be HxW or HxWxC with no empty side, got shape {tuple(image_shape)}"
        )
    if len(kernel_shape) != 2 or min(kernel_shape) < 1:
        raise KernelError(f"kernel shape must be (rows, columns), got {tuple(kernel_shape)}")
    stride = _positive_int(stride, "stride")
    dilation = _positive_int(dilation, "dilation")
    _choice(channels, CHANNEL_MODES, "channels")
    pads = padding_amounts((int(kernel_shape[0]), int(kernel_shape[1])), padding, dilation)
    sizes = []
    for axis, name in ((0, "height"), (1, "width")):
        n, k = int(image_shape[axis]), int(kernel_shape[axis])
        span = dilation * (k - 1) + 1
        padded = n + pads[axis][0] + pads[axis][1]
        if padded < span:
            raise ConvlabError(
                f"the kernel covers {span} pixels ({k} taps, dilation {dilation}) but the padded "
                f"image {name} is only {padded} ({n} + padding {pads[axis][0]}+{pads[axis][1]}): "
                "no output pixel fits; use padding='same' or a smaller kernel"
            )
        sizes.append((padded - span) // stride + 1)
    if len(image_shape) == 3 and channels == "per_channel":
        return (sizes[0], sizes[1], int(image_shape[2]))
    return (sizes[0], sizes[1])


@dataclass(frozen=True)
class Geometry:
    """Everything about the sliding window that does not depend on pixel values."""

    in_size: tuple[int, int]  # (H, W)
    kernel_size: tuple[int, int]  # dilated extent (kh_e, kw_e)
    pads: tuple[tuple[int, int], tuple[int, int]]
    out_size: tuple[int, int]
    stride: int
    dilation: int


def _dilate(weights: np.ndarray, dilation: int) -> np.ndarray:
    """Insert ``dilation - 1`` zeros between taps (along both axes of a 2-D, or a 1-D array)."""
    if dilation == 1:
        return weights
    shape = tuple(dilation * (n - 1) + 1 for n in weights.shape)
    dilated = np.zeros(shape, dtype=weights.dtype)
    dilated[(slice(None, None, dilation),) * weights.ndim] = weights
    return dilated


@functools.lru_cache(maxsize=64)
def _terms_cached(key: bytes, shape: tuple[int, int]) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    weights = np.frombuffer(key, dtype=np.float64).reshape(shape)
    return tuple(separable_terms(weights, _FLOAT32_RANK_TOLERANCE))


_FLOAT32_RANK_TOLERANCE = 1e-7
"""SVD terms below this fraction of the largest are under float32 rounding of the output, so
convolve drops them: a Gaussian built in float32 (np.outer of float32 profiles) still counts
as rank 1 and gets the separable method."""


def _separable_terms(weights: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """SVD terms, cached: the worker calls convolve with the same kernel on every frame."""
    return _terms_cached(
        np.ascontiguousarray(weights, dtype=np.float64).tobytes(),
        (int(weights.shape[0]), int(weights.shape[1])),
    )


# -- cost model -----------------------------------------------------------------------------


def _filter2d_cost(rows: int, cols: int) -> float:
    """One cv2.filter2D pass over the frame: direct below 50 taps, its DFT from there on."""
    taps = rows * cols
    if taps < _DIRECT_TAP_LIMIT:
        return taps + _PASS_OVERHEAD
    return _FILTER2D_DFT_COST + _FILTER2D_DFT_PER_SIDE * (rows + cols)


def _costs(
    geometry: Geometry, weights: np.ndarray, rank: int, anchor_fits: bool
) -> dict[str, float]:
    """Estimated cost of every applicable method (see the unit above)."""
    kh, kw = weights.shape
    khe, kwe = geometry.kernel_size
    s = geometry.stride
    pad = 0.0 if anchor_fits else _PAD_COPY
    subsample = _SUBSAMPLE if s > 1 else 0.0
    # filter2d, separable and dft compute every stride-1 pixel, then keep every s-th one.
    costs = {
        "filter2d": _filter2d_cost(khe, kwe) + pad + subsample,
        "dft": _OWN_DFT_COST + _PAD_COPY + subsample,
        "dilated": _filter2d_cost(kh, kw) + _PHASE_SHUFFLE + _PAD_COPY + subsample,
    }
    one_term = _SEPARABLE_TAP * (khe + kwe) + _PASS_OVERHEAD
    if rank <= 1:
        costs["separable"] = one_term + pad + subsample
    else:
        costs["multi_separable"] = rank * one_term + (rank - 1) * _ACCUMULATE + pad + subsample
    chunks = _row_chunks(_dilate(weights, geometry.dilation), s)
    costs["strided"] = (
        sum(_filter2d_cost(block.shape[0], kwe) for _, block in chunks) / s
        + max(len(chunks) - 1, 0) * _ACCUMULATE / s
        + _PAD_COPY
        + _SUBSAMPLE
    )
    return costs


# -- image preparation ----------------------------------------------------------------------

_NATIVE_DEPTHS = (np.uint8, np.uint16, np.int16, np.float32)

# channels="gray" uses ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B, cv2.COLOR_RGB2GRAY),
# computed in float32 so that nothing is rounded before the kernel sees it.


def _prepare_image(image: Any, channels: str) -> tuple[np.ndarray, bool]:
    """A 2-D or HxWxC array in a depth cv2 filters natively, and whether to keep a channel axis."""
    if not isinstance(image, np.ndarray):
        try:
            image = np.asarray(image)
        except (TypeError, ValueError):
            raise ConvlabError("image must be a numpy array (HxW or HxWxC)") from None
    if image.ndim not in (2, 3):
        raise ConvlabError(f"image must be HxW or HxWxC, got {image.ndim}-D shape {image.shape}")
    if image.size == 0:
        raise ConvlabError(f"image is empty (shape {image.shape})")
    if image.dtype.kind not in "biuf":
        raise ConvlabError(f"image must hold numbers, got dtype {image.dtype}")
    if image.ndim == 3 and image.shape[2] > 512:
        raise ConvlabError(f"image has {image.shape[2]} channels; at most 512 are supported")
    if image.dtype not in _NATIVE_DEPTHS:
        image = image.astype(np.float32)
    keep_channel_axis = image.ndim == 3
    if channels == "gray" and image.ndim == 3:
        count = image.shape[2]
        if count in (3, 4):
            code = cv2.COLOR_RGB2GRAY if count == 3 else cv2.COLOR_RGBA2GRAY
            image = cv2.cvtColor(image.astype(np.float32, copy=False), code)
        elif count in (1, 2):  # gray, or gray + alpha
            image = image[:, :, 0]
        else:
            raise ConvlabError(
                f"channels='gray' needs 1 to 4 channels (gray, gray+alpha, RGB, RGBA), got {count}"
            )
        keep_channel_axis = False
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return image, keep_channel_axis


# -- bands of output rows on worker threads --------------------------------------------------

_BAND_MIN_ELEMENTS = 200_000
"""Below this many input samples (H*W*C) a frame is filtered in one piece: starting the bands
costs more than it saves."""

_band_executor: ThreadPoolExecutor | None = None
_band_executor_lock = threading.Lock()


def _band_threads() -> int:
    """As many bands as OpenCV would use threads (``cv2.setNumThreads(1)`` turns bands off)."""
    return max(1, min(cv2.getNumThreads(), os.cpu_count() or 1, 8))


def _band_pool() -> ThreadPoolExecutor:
    """One shared pool, made on first use (most programs never need it)."""
    global _band_executor
    with _band_executor_lock:
        if _band_executor is None:
            _band_executor = ThreadPoolExecutor(
                max_workers=min(os.cpu_count() or 1, 8), thread_name_prefix="convolve-band"
            )
        return _band_executor


def _band_limits(rows: int, input_elements: int) -> list[tuple[int, int]]:
    """(first, stop) output rows of each band: one band for small frames."""
    count = _band_threads() if input_elements >= _BAND_MIN_ELEMENTS else 1
    count = max(1, min(count, rows))
    edges = [rows * index // count for index in range(count + 1)]
    return list(itertools.pairwise(edges))


# -- the methods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    image: np.ndarray
    weights: np.ndarray  # effective weights, flipped already for mode="convolve" (not dilated)
    offset: float
    border: str
    geometry: Geometry


def _cv_kernel(weights: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(weights, dtype=np.float32)


def _anchor_fits(job: _Job) -> bool:
    """Can OpenCV's own border handling produce the padding, so no padded copy is needed?"""
    if job.border == "wrap":  # cv2.filter2D rejects BORDER_WRAP
        return False
    for (before, after), extent in zip(job.geometry.pads, job.geometry.kernel_size):
        if before > extent - 1 or before + after > extent - 1:
            return False
    return True


def _padded(job: _Job) -> np.ndarray:
    """The image extended by the border rule (a copy), as ``Xpad`` in the definition."""
    (top, bottom), (left, right) = job.geometry.pads
    if top == bottom == left == right == 0:
        return job.image
    return cv2.copyMakeBorder(job.image, top, bottom, left, right, _CV_BORDER[job.border], value=0)


def _subsample(
    result: np.ndarray, rows: int, cols: int, row_step: int, col_step: int
) -> np.ndarray:
    """``result[0::row_step, 0::col_step]`` cropped to rows x cols, as a new C-contiguous array.

    cv2.resize with INTER_NEAREST picks source pixel floor(x * scale), which is exactly
    ``x * step`` when the source is cropped to ``cols * step`` columns (scale is then an exact
    integer); it is several times faster than numpy's strided copy of a float32 frame.
    """
    if row_step == col_step == 1:
        return result[:rows, :cols]
    need_rows, need_cols = rows * row_step, cols * col_step
    if (
        result.shape[0] >= need_rows
        and result.shape[1] >= need_cols
        and (result.ndim == 2 or result.shape[2] <= 4)
    ):
        return cv2.resize(
            result[:need_rows, :need_cols], (cols, rows), interpolation=cv2.INTER_NEAREST
        )
    return np.ascontiguousarray(
        result[: (rows - 1) * row_step + 1 : row_step, : (cols - 1) * col_step + 1 : col_step]
    )


def _finish(result: np.ndarray, job: _Job, step: int) -> np.ndarray:
    """Crop a stride-1 result (from padded row/column 0 onwards) to the output, taking every
    ``step``-th row and column."""
    rows, cols = job.geometry.out_size
    return _subsample(result, rows, cols, step, step)


def _finish_columns(result: np.ndarray, job: _Job) -> np.ndarray:
    """Like ``_finish`` for a result whose rows are already strided."""
    rows, cols = job.geometry.out_size
    return _subsample(result, rows, cols, 1, job.geometry.stride)


def _accumulate(total: np.ndarray | None, part: np.ndarray) -> np.ndarray:
    """Add a partial result into the running total in place; the first part becomes it."""
    if total is None:
        return part
    np.add(total, part, out=total)
    return total


def _filter_full(
    source: np.ndarray,
    kernel: np.ndarray,
    job: _Job,
    delta: float,
    use_anchor: bool,
    column_kernel: np.ndarray | None = None,
) -> np.ndarray:
    """Stride-1 correlation over the padded image, from padded row/column 0 onwards.

    With ``use_anchor`` the source is the image itself and OpenCV's border handling supplies the
    padding; otherwise the source is already padded. ``column_kernel`` makes it separable
    (``kernel`` is then the row factor).
    """
    if use_anchor:
        (top, _), (left, _) = job.geometry.pads
        anchor, border = (left, top), _CV_BORDER[job.border]
    else:
        anchor, border = (0, 0), cv2.BORDER_CONSTANT
    if column_kernel is None:
        return cv2.filter2D(
            source, cv2.CV_32F, kernel, anchor=anchor, delta=delta, borderType=border
        )
    return cv2.sepFilter2D(
        source, cv2.CV_32F, kernel, column_kernel, anchor=anchor, delta=delta, borderType=border
    )


def _method_filter2d(job: _Job) -> np.ndarray:
    use_anchor = _anchor_fits(job)
    source = job.image if use_anchor else _padded(job)
    kernel = _cv_kernel(_dilate(job.weights, job.geometry.dilation))
    return _finish(
        _filter_full(source, kernel, job, job.offset, use_anchor), job, job.geometry.stride
    )


def _sum_of_separable(job: _Job, terms: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """One fused sepFilter2D per rank-1 term, summed; strided output is taken afterwards,
    because OpenCV's fused separable filter beats any phase-split version of it."""
    use_anchor = _anchor_fits(job)
    source = job.image if use_anchor else _padded(job)
    d = job.geometry.dilation
    total: np.ndarray | None = None
    for column, row in terms:
        part = _filter_full(
            source,
            _cv_kernel(_dilate(row, d)),
            job,
            job.offset if total is None else 0.0,
            use_anchor,
            column_kernel=_cv_kernel(_dilate(column, d)),
        )
        total = _accumulate(total, part)
    if total is None:
        return _constant_output(job)
    return _finish(total, job, job.geometry.stride)


def _method_separable(job: _Job) -> np.ndarray:
    terms = _separable_terms(job.weights)
    if len(terms) > 1:
        raise KernelError(
            f"method 'separable' needs a rank-1 kernel; this one has rank {len(terms)}"
        )
    return _sum_of_separable(job, terms)


def _method_multi_separable(job: _Job) -> np.ndarray:
    return _sum_of_separable(job, _separable_terms(job.weights))


def _method_dft(job: _Job) -> np.ndarray:
    padded = _padded(job)
    kernel = _dilate(job.weights, job.geometry.dilation)
    khe, kwe = kernel.shape
    height, width = padded.shape[:2]
    full_rows, full_cols = height - khe + 1, width - kwe + 1
    size = (cv2.getOptimalDFTSize(height), cv2.getOptimalDFTSize(width))
    kernel_plane = np.zeros(size, dtype=np.float32)
    kernel_plane[:khe, :kwe] = kernel
    kernel_spectrum = cv2.dft(kernel_plane)
    planes = padded[:, :, None] if padded.ndim == 2 else padded
    result = np.empty((full_rows, full_cols, planes.shape[2]), dtype=np.float32)
    buffer = np.zeros(size, dtype=np.float32)
    for channel in range(planes.shape[2]):
        buffer[:height, :width] = planes[:, :, channel]
        spectrum = cv2.dft(buffer, nonzeroRows=height)
        product = cv2.mulSpectrums(spectrum, kernel_spectrum, 0, conjB=True)
        plane = cv2.idft(product, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE, nonzeroRows=full_rows)
        result[:, :, channel] = plane[:full_rows, :full_cols]
    if job.offset:
        result += np.float32(job.offset)
    if padded.ndim == 2:
        result = result[:, :, 0]
    return _finish(result, job, job.geometry.stride)


def _row_chunks(kernel: np.ndarray, stride: int) -> list[tuple[int, np.ndarray]]:
    """Split kernel rows into (first row, block) pieces that each meet one row-phase view.

    Rows ``u, u+s, u+2s, ...`` of the kernel only ever meet padded rows ``i*s + u, ...``, which
    form the view ``padded[u::s]``. All-zero rows (dilation) are skipped, and each block stays
    under cv2.filter2D's DFT threshold so that it runs as a cheap direct filter.
    """
    rows_per_block = max(1, (_DIRECT_TAP_LIMIT - 1) // kernel.shape[1])
    chunks: list[tuple[int, np.ndarray]] = []
    for phase in range(min(stride, kernel.shape[0])):
        run: list[int] = []
        for u in range(phase, kernel.shape[0], stride):
            if kernel[u].any() and len(run) < rows_per_block:
                run.append(u)
                continue
            if run:
                chunks.append((run[0], kernel[run[0] : run[-1] + 1 : stride]))
            run = [u] if kernel[u].any() else []
        if run:
            chunks.append((run[0], kernel[run[0] : run[-1] + 1 : stride]))
    return chunks


def _strided_band(
    padded: np.ndarray, chunks: Sequence[tuple[int, np.ndarray]], job: _Job, first: int, stop: int
) -> np.ndarray:
    """Output rows ``first:stop`` of the strided method, every column still unstrided."""
    s = job.geometry.stride
    count = stop - first
    total: np.ndarray | None = None
    for first_row, block in chunks:
        # Rows i*s + first_row + t*s for the band's i: a row-strided view (no copy). Its last
        # block rows - 1 output rows read past the view, into OpenCV's zeros, and are cut off.
        view = padded[first_row + first * s :: s][: count + block.shape[0] - 1]
        part = cv2.filter2D(
            view,
            cv2.CV_32F,
            _cv_kernel(block),
            anchor=(0, 0),
            delta=job.offset if total is None else 0.0,
            borderType=cv2.BORDER_CONSTANT,
        )[:count]
        total = _accumulate(total, part)
    assert total is not None  # callers pass at least one chunk
    return total


def _method_strided(job: _Job) -> np.ndarray:
    """Only the output rows that are kept are computed: each block of kernel rows filters a
    row-strided view of the padded image (no copy: OpenCV accepts a row step).

    OpenCV runs these narrow, short filters on one thread, so a large frame is cut into
    horizontal bands of output rows that run on the band pool (cv2 releases the GIL).
    """
    padded = _padded(job)
    chunks = _row_chunks(_dilate(job.weights, job.geometry.dilation), job.geometry.stride)
    if not chunks:
        return _constant_output(job)
    rows, cols = job.geometry.out_size
    bands = _band_limits(rows, job.image.size)
    if len(bands) == 1:
        return _finish_columns(_strided_band(padded, chunks, job, 0, rows), job)
    result = np.empty((rows, cols, *padded.shape[2:]), dtype=np.float32)

    def fill(band: tuple[int, int]) -> None:
        first, stop = band
        strided_rows = _strided_band(padded, chunks, job, first, stop)
        result[first:stop] = _subsample(strided_rows, stop - first, cols, 1, job.geometry.stride)

    # The calling thread does the first band itself: it starts at once, while the pool's
    # (possibly sleeping) threads wake up for the others. A band no pool thread has started by
    # then (the other core is busy elsewhere) is taken back and done here too, so a loaded
    # machine costs no more than filtering in one piece.
    others = [(band, _band_pool().submit(fill, band)) for band in bands[1:]]
    fill(bands[0])
    for band, future in others:
        if future.cancel():
            fill(band)
        else:
            future.result()
    return result


def _method_dilated(job: _Job) -> np.ndarray:
    """Dilation without the zeros: output pixels (r + m*d, c + n*d) only ever read padded
    pixels of the same phase (r, c) mod d, so each phase is the plain (undilated) kernel run
    over a 1/d^2-sized sub-image."""
    padded = _padded(job)
    d, s = job.geometry.dilation, job.geometry.stride
    kernel = _cv_kernel(job.weights)
    khe, kwe = job.geometry.kernel_size
    full_rows = padded.shape[0] - khe + 1
    full_cols = padded.shape[1] - kwe + 1
    result = np.empty((full_rows, full_cols, *padded.shape[2:]), dtype=np.float32)
    for r in range(min(d, full_rows)):
        for c in range(min(d, full_cols)):
            phase = np.ascontiguousarray(padded[r::d, c::d])
            part = cv2.filter2D(
                phase,
                cv2.CV_32F,
                kernel,
                anchor=(0, 0),
                delta=job.offset,
                borderType=cv2.BORDER_CONSTANT,
            )
            target = result[r::d, c::d]
            target[...] = part[: target.shape[0], : target.shape[1]].reshape(target.shape)
    return _finish(result, job, s)


def _constant_output(job: _Job) -> np.ndarray:
    shape = (*job.geometry.out_size, *job.image.shape[2:])
    return np.full(shape, job.offset, dtype=np.float32)


_METHODS: dict[str, Callable[[_Job], np.ndarray]] = {
    "filter2d": _method_filter2d,
    "separable": _method_separable,
    "multi_separable": _method_multi_separable,
    "dft": _method_dft,
    "strided": _method_strided,
    "dilated": _method_dilated,
}


# -- public entry points --------------------------------------------------------------------


def _make_job(
    image: Any,
    kernel: Kernel | Any,
    border: str,
    padding: str | int,
    stride: int,
    dilation: int,
    mode: str,
    channels: str,
) -> tuple[_Job, bool]:
    """Validate every argument (naming the bad one) and gather what the methods need."""
    kernel = as_kernel(kernel)
    _choice(border, BORDERS, "border")
    _choice(mode, MODES, "mode")
    _choice(channels, CHANNEL_MODES, "channels")
    stride = _positive_int(stride, "stride")
    dilation = _positive_int(dilation, "dilation")
    prepared, keep_axis = _prepare_image(image, channels)
    out = output_shape(
        prepared.shape[:2], kernel.shape, padding=padding, stride=stride, dilation=dilation
    )
    weights = kernel.effective
    if mode == "convolve":
        weights = weights[::-1, ::-1]
    geometry = Geometry(
        in_size=(int(prepared.shape[0]), int(prepared.shape[1])),
        kernel_size=(dilation * (kernel.shape[0] - 1) + 1, dilation * (kernel.shape[1] - 1) + 1),
        pads=padding_amounts(kernel.shape, padding, dilation),
        out_size=(out[0], out[1]),
        stride=stride,
        dilation=dilation,
    )
    job = _Job(prepared, np.ascontiguousarray(weights), kernel.offset, border, geometry)
    return job, keep_axis


@functools.lru_cache(maxsize=256)
def _choose_cached(
    key: bytes, shape: tuple[int, int], geometry: Geometry, anchor_fits: bool
) -> str:
    weights = np.frombuffer(key, dtype=np.float64).reshape(shape)
    rank = len(_separable_terms(weights))
    costs = _costs(geometry, weights, rank, anchor_fits)
    return min(costs, key=costs.__getitem__)


def _choose(job: _Job) -> str:
    """The cheapest method; cached, as the worker repeats the same call on every frame."""
    shape = (int(job.weights.shape[0]), int(job.weights.shape[1]))
    return _choose_cached(job.weights.tobytes(), shape, job.geometry, _anchor_fits(job))


def plan(
    image_shape: Sequence[int],
    kernel: Kernel | Any,
    *,
    border: str = "reflect101",
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    mode: str = "correlate",
) -> str:
    """The method ``convolve`` would pick (for the status bar and the benchmark)."""
    probe = np.zeros(tuple(int(n) for n in image_shape[:2]), dtype=np.uint8)
    job, _ = _make_job(probe, kernel, border, padding, stride, dilation, mode, "per_channel")
    return _choose(job)


def convolve(
    image: Any,
    kernel: Kernel | Any,
    *,
    border: str = "reflect101",
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    mode: str = "correlate",
    channels: str = "per_channel",
    method: str = "auto",
) -> np.ndarray:
    """Apply ``kernel`` to ``image`` exactly as the module docstring defines; float32, unclipped.

    ``image`` is HxW or HxWxC (uint8, uint16 or float); ``kernel`` a Kernel or a 2-D array.
    ``channels="per_channel"`` filters every channel with the same kernel and keeps the channel
    axis; ``"gray"`` converts RGB(A) to luma first and returns HxW. ``method`` forces one
    computation (for tests and benchmarks); ``"auto"`` picks the fastest by a measured cost model.
    """
    _choice(method, METHODS, "method")
    job, keep_axis = _make_job(image, kernel, border, padding, stride, dilation, mode, channels)
    chosen = _choose(job) if method == "auto" else method
    result = _METHODS[chosen](job)
    if keep_axis and result.ndim == 2:
        result = result[:, :, None]
    if not result.flags.c_contiguous or result.dtype != np.float32:
        result = np.ascontiguousarray(result, dtype=np.float32)
    return result

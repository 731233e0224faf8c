"""How ``convolve`` computes: the exact methods it chooses among (see ``convolve`` for the
definition they all compute and ``dispatch`` for how one is chosen).

``filter2d``
    ``cv2.filter2D`` with the anchor placed so that OpenCV's border handling *is* the padding
    (no copy); OpenCV itself switches to a tiled DFT from some number of taps (50 for a uint8
    frame, 130 for float32, in OpenCV 5).
``separable``
    a rank-1 kernel as one fused ``cv2.sepFilter2D`` pass: kh+kw taps instead of kh*kw.
``multi_separable``
    a rank-r kernel as the sum of r separable passes (SVD), when r*(kh+kw) beats kh*kw or the
    DFT (LoG, unsharp mask, difference of Gaussians).
``dft``
    per channel, the DFTs of cache-sized tiles times the kernel's spectrum (kept for the next
    frame), and their inverses (``tiled_dft``).
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

Each method but ``dft`` also exists as ``NAME_f32``: the same computation on a float32 copy of
an integer frame (exact: float32 holds every uint8, uint16 and int16 value). OpenCV 5 filters
float32 frames several times faster than uint8 ones, so the copy often pays for itself.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import cv2
import numpy as np

from convlab.engine.kernel_analysis import separable_terms
from convlab.engine.tiled_dft import TiledSpectrum
from convlab.errors import KernelError

BORDER_CODES = {
    "reflect101": cv2.BORDER_REFLECT_101,
    "reflect": cv2.BORDER_REFLECT,
    "replicate": cv2.BORDER_REPLICATE,
    "constant": cv2.BORDER_CONSTANT,
    "wrap": cv2.BORDER_WRAP,
}

DIRECT_TAP_LIMIT = 50
"""cv2.filter2D goes to its DFT from this many taps (uint8 input, OpenCV 4.8-5.x): the strided
method keeps its blocks of kernel rows below it."""


@dataclass(frozen=True)
class Geometry:
    """Everything about the sliding window that does not depend on pixel values."""

    in_size: tuple[int, int]  # (H, W)
    kernel_size: tuple[int, int]  # dilated extent (kh_e, kw_e)
    pads: tuple[tuple[int, int], tuple[int, int]]
    out_size: tuple[int, int]
    stride: int
    dilation: int


def dilate(weights: np.ndarray, dilation: int) -> np.ndarray:
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


def kernel_terms(weights: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """SVD terms, cached: the worker calls convolve with the same kernel on every frame."""
    return _terms_cached(
        np.ascontiguousarray(weights, dtype=np.float64).tobytes(),
        (int(weights.shape[0]), int(weights.shape[1])),
    )


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


def run_side_by_side(tasks: Sequence[Callable[[], np.ndarray]]) -> list[np.ndarray]:
    """Every task's result, in order, computed on the calling thread and the band pool.

    Each thread takes the next task not yet taken, so a pool thread that gets no CPU (a busy
    machine) leaves its share to the caller instead of making it wait.
    """
    results: list[np.ndarray | None] = [None] * len(tasks)
    taken = itertools.count()  # next() on it is atomic: each index goes to one thread

    def drain() -> None:
        for index in taken:
            if index >= len(tasks):
                return
            results[index] = tasks[index]()

    helpers = min(_band_threads(), len(tasks)) - 1
    futures = [_band_pool().submit(drain) for _ in range(max(helpers, 0))]
    drain()
    for future in futures:
        if not future.cancel():  # started: it finishes the one task it took, or raises
            future.result()
    return results  # type: ignore[return-value]  (every slot is filled by now)


# -- the methods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One validated convolve() call: what every method needs."""

    image: np.ndarray
    weights: np.ndarray  # effective weights, flipped already for mode="convolve" (not dilated)
    offset: float
    border: str
    geometry: Geometry


def _cv_kernel(weights: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(weights, dtype=np.float32)


def anchor_fits(job: Job) -> bool:
    """Can OpenCV's own border handling produce the padding, so no padded copy is needed?"""
    if job.border == "wrap":  # cv2.filter2D rejects BORDER_WRAP
        return False
    for (before, after), extent in zip(job.geometry.pads, job.geometry.kernel_size):
        if before > extent - 1 or before + after > extent - 1:
            return False
    return True


def _padded(job: Job) -> np.ndarray:
    """The image extended by the border rule (a copy), as ``Xpad`` in the definition."""
    (top, bottom), (left, right) = job.geometry.pads
    if top == bottom == left == right == 0:
        return job.image
    return cv2.copyMakeBorder(
        job.image, top, bottom, left, right, BORDER_CODES[job.border], value=0
    )


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


def _finish(result: np.ndarray, job: Job, step: int) -> np.ndarray:
    """Crop a stride-1 result (from padded row/column 0 onwards) to the output, taking every
    ``step``-th row and column."""
    rows, cols = job.geometry.out_size
    return _subsample(result, rows, cols, step, step)


def _finish_columns(result: np.ndarray, job: Job) -> np.ndarray:
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
    job: Job,
    delta: float,
    use_anchor: bool,
    column_kernel: np.ndarray | None = None,
    into: str = "",
) -> np.ndarray:
    """Stride-1 correlation over the padded image, from padded row/column 0 onwards.

    With ``use_anchor`` the source is the image itself and OpenCV's border handling supplies the
    padding; otherwise the source is already padded. ``column_kernel`` makes it separable
    (``kernel`` is then the row factor). ``into``: the name of this thread's buffer to write
    into (``scratch``) instead of a fresh array, for a part read before the method returns.
    """
    if use_anchor:
        (top, _), (left, _) = job.geometry.pads
        anchor, border = (left, top), BORDER_CODES[job.border]
    else:
        anchor, border = (0, 0), cv2.BORDER_CONSTANT
    if column_kernel is None:
        return cv2.filter2D(
            source, cv2.CV_32F, kernel, anchor=anchor, delta=delta, borderType=border
        )
    if not into:
        return cv2.sepFilter2D(
            source, cv2.CV_32F, kernel, column_kernel, anchor=anchor, delta=delta,
            borderType=border,
        )  # fmt: skip
    part = scratch(into, source.shape)  # OpenCV's output is the size of its input
    return cv2.sepFilter2D(
        source, cv2.CV_32F, kernel, column_kernel, dst=part, anchor=anchor, delta=delta,
        borderType=border,
    )  # fmt: skip


def _method_filter2d(job: Job) -> np.ndarray:
    use_anchor = anchor_fits(job)
    source = job.image if use_anchor else _padded(job)
    kernel = _cv_kernel(dilate(job.weights, job.geometry.dilation))
    return _finish(
        _filter_full(source, kernel, job, job.offset, use_anchor), job, job.geometry.stride
    )


def _sum_of_separable(job: Job, terms: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """One fused sepFilter2D per rank-1 term, summed; strided output is taken afterwards,
    because OpenCV's fused separable filter beats any phase-split version of it."""
    use_anchor = anchor_fits(job)
    source = job.image if use_anchor else _padded(job)
    d = job.geometry.dilation
    total: np.ndarray | None = None
    for column, row in terms:
        part = _filter_full(
            source,
            _cv_kernel(dilate(row, d)),
            job,
            job.offset if total is None else 0.0,
            use_anchor,
            column_kernel=_cv_kernel(dilate(column, d)),
            into="" if total is None else "part",  # the first part becomes the result
        )
        total = _accumulate(total, part)
    if total is None:
        return _constant_output(job)
    return _finish(total, job, job.geometry.stride)


def _method_separable(job: Job) -> np.ndarray:
    terms = kernel_terms(job.weights)
    if len(terms) > 1:
        raise KernelError(
            f"method 'separable' needs a rank-1 kernel; this one has rank {len(terms)}"
        )
    return _sum_of_separable(job, terms)


def _method_multi_separable(job: Job) -> np.ndarray:
    return _sum_of_separable(job, kernel_terms(job.weights))


def _method_dft(job: Job) -> np.ndarray:
    padded = _padded(job)
    kernel = np.ascontiguousarray(dilate(job.weights, job.geometry.dilation), dtype=np.float32)
    planes = padded[:, :, None] if padded.ndim == 2 else padded
    full = (padded.shape[0] - kernel.shape[0] + 1, padded.shape[1] - kernel.shape[1] + 1)
    result = np.empty((*full, planes.shape[2]), dtype=np.float32)
    for channel in range(planes.shape[2]):
        spectrum = TiledSpectrum(planes[:, :, channel], kernel.shape)
        result[:, :, channel] = spectrum.correlate(kernel)
    if job.offset:
        result += np.float32(job.offset)
    if padded.ndim == 2:
        result = result[:, :, 0]
    return _finish(result, job, job.geometry.stride)


def row_chunks(kernel: np.ndarray, stride: int) -> list[tuple[int, np.ndarray]]:
    """Split kernel rows into (first row, block) pieces that each meet one row-phase view.

    Rows ``u, u+s, u+2s, ...`` of the kernel only ever meet padded rows ``i*s + u, ...``, which
    form the view ``padded[u::s]``. All-zero rows (dilation) are skipped, and each block stays
    under cv2.filter2D's DFT threshold so that it runs as a cheap direct filter.
    """
    rows_per_block = max(1, (DIRECT_TAP_LIMIT - 1) // kernel.shape[1])
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
    padded: np.ndarray, chunks: Sequence[tuple[int, np.ndarray]], job: Job, first: int, stop: int
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


def _method_strided(job: Job) -> np.ndarray:
    """Only the output rows that are kept are computed: each block of kernel rows filters a
    row-strided view of the padded image (no copy: OpenCV accepts a row step).

    OpenCV runs these narrow, short filters on one thread, so a large frame is cut into
    horizontal bands of output rows that run on the band pool (cv2 releases the GIL).
    """
    padded = _padded(job)
    chunks = row_chunks(dilate(job.weights, job.geometry.dilation), job.geometry.stride)
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


def _method_dilated(job: Job) -> np.ndarray:
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


def _constant_output(job: Job) -> np.ndarray:
    shape = (*job.geometry.out_size, *job.image.shape[2:])
    return np.full(shape, job.offset, dtype=np.float32)


_METHODS: dict[str, Callable[[Job], np.ndarray]] = {
    "filter2d": _method_filter2d,
    "separable": _method_separable,
    "multi_separable": _method_multi_separable,
    "dft": _method_dft,
    "strided": _method_strided,
    "dilated": _method_dilated,
}
FLOAT_SUFFIX = "_f32"
FLOAT_VARIANTS = ("filter2d", "separable", "multi_separable", "strided", "dilated")
METHOD_NAMES = (*_METHODS, *(name + FLOAT_SUFFIX for name in FLOAT_VARIANTS))


SCRATCH_LIMIT = 8 << 20
"""Samples (32 MB of float32, a 1080p RGB frame and more) up to which a thread keeps the buffer
of its float32 copies."""

_scratch = threading.local()


def float32_copy(image: np.ndarray) -> np.ndarray:
    """``image`` as float32 (exact for every integer depth we accept), in a buffer this thread
    reuses. Callers read it before they return and never hand it out.

    A fresh copy is a fresh allocation: at 1080p, 25 MB of new pages that the system zeroes on
    first touch, which took longer than the copy and the float32 filter together, and more
    or less depending on what the allocator had just freed, so trials timed it unlike the
    frames after them. A reused buffer costs the copy alone, every frame.
    """
    if image.size > SCRATCH_LIMIT:
        return image.astype(np.float32)
    copy = scratch("copy", image.shape)
    np.copyto(copy, image, casting="unsafe")
    return copy


def scratch(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 array of ``shape`` in this thread's buffer called ``name``, kept for the next
    frame (up to ``SCRATCH_LIMIT`` samples; larger ones are fresh). Its contents are garbage
    and are overwritten by the next call with the same name on this thread."""
    size = math.prod(shape)
    if size > SCRATCH_LIMIT:
        return np.empty(shape, np.float32)
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or buffer.size < size:
        buffer = buffers[name] = np.empty(size, np.float32)
    return buffer[:size].reshape(shape)


def as_float32(job: Job) -> Job:
    """The same job on a float32 copy of its frame (``float32_copy``)."""
    if job.image.dtype == np.float32:
        return job
    return replace(job, image=float32_copy(job.image))


def run_method(name: str, job: Job) -> np.ndarray:
    """Compute ``job`` with the method called ``name`` (one of METHOD_NAMES)."""
    if name.endswith(FLOAT_SUFFIX):
        return _METHODS[name.removesuffix(FLOAT_SUFFIX)](as_float32(job))
    return _METHODS[name](job)


Runner = Callable[[np.ndarray], np.ndarray]


def bound(name: str, job: Job) -> Runner:
    """``name`` for every frame laid out as ``job``'s: ``bound(name, job)(frame)`` is
    ``run_method(name, job)`` with ``frame`` in place of ``job.image``.

    The methods a video spends its frames in most, one ``filter2D`` or ``sepFilter2D`` call
    over the whole frame, get their OpenCV arguments worked out here once, so a repeated call
    costs what the bare OpenCV call costs; every other method is ``run_method``.
    """
    base = name.removesuffix(FLOAT_SUFFIX)
    call = _one_call(base, job) if base in ("filter2d", "separable") else None
    if call is None:
        weights, offset, border, geometry = job.weights, job.offset, job.border, job.geometry

        def general(frame: np.ndarray) -> np.ndarray:
            return run_method(name, Job(frame, weights, offset, border, geometry))

        return general
    if name.endswith(FLOAT_SUFFIX) and job.image.dtype != np.float32:
        direct = call

        def on_float32(frame: np.ndarray) -> np.ndarray:
            return direct(float32_copy(frame))

        return on_float32
    return call


def _one_call(base: str, job: Job) -> Runner | None:
    """The single OpenCV call that is ``base`` on ``job``'s layout, when it is one: stride 1,
    OpenCV's border handling as the padding, and an output the size of the frame."""
    geometry = job.geometry
    if geometry.stride != 1 or geometry.out_size != geometry.in_size or not anchor_fits(job):
        return None
    (top, _), (left, _) = geometry.pads
    anchor, border, delta = (left, top), BORDER_CODES[job.border], float(job.offset)
    d = geometry.dilation
    if base == "filter2d":
        kernel = _cv_kernel(dilate(job.weights, d))
        return lambda frame: cv2.filter2D(
            frame, cv2.CV_32F, kernel, anchor=anchor, delta=delta, borderType=border
        )
    terms = kernel_terms(job.weights)
    if len(terms) != 1:
        return None
    row, column = _cv_kernel(dilate(terms[0][1], d)), _cv_kernel(dilate(terms[0][0], d))
    return lambda frame: cv2.sepFilter2D(
        frame, cv2.CV_32F, row, column, anchor=anchor, delta=delta, borderType=border
    )

"""Which exact method ``convolve`` runs: the fastest on this machine, for this frame layout.

Every method computes the same sum (``conv_methods``), so the choice is only about speed. The
cost of a method is first predicted from the ``CostTable`` of ``calibration`` (nanoseconds per
sample of each OpenCV primitive, measured with the OpenCV that is installed) times the samples
it touches. ``cv2.filter2D`` and ``cv2.sepFilter2D`` on the frame as given are what OpenCV alone
would do; any other method must be predicted ``MARGIN`` cheaper before it is chosen, so noise in
the calibration can cost a close call, never a clear one.

A prediction from a small calibration frame can be wrong on a larger one, and not by a
constant factor: OpenCV runs some filters on one thread below a frame size and on every core
above it (a uint8 3x3 ``filter2D`` cost 2.5 ns a sample at 1280x720 and 1.3 at 1920x1080), and a
frame's fresh memory costs page faults a small frame never sees. So for every frame that takes
a while (``MEASURE_FROM_NS``) the first calls with a new kernel and frame layout are trials: each
runs one of the shortlisted methods (the few predicted cheapest, and always OpenCV's own calls
on the frame as given) on the real frame and times it, and once each has run ``TRIALS`` times
the fastest is kept for that layout (by its fastest run on a quiet machine, by its median run
on a busy one): the trials' result, not the prediction, decides. For the trials to time what
the later frames will cost, the methods reuse their scratch memory from frame to frame
(``conv_methods.scratch``). A trial computes the very same result, so the frames it serves are
only a little slower, never different.
"""

from __future__ import annotations

import functools
import statistics
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

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
    run_method,
)

MARGIN = 0.15
BASELINES = ("filter2d", "separable")  # what OpenCV alone does with this frame and kernel
MEASURE_FROM_NS = 500_000.0
"""Frames predicted to take less than this (0.5 ms) keep the predicted method: on them a
timing says little, a wrong pick costs little, and every call with such a frame runs the same
method (a picture exported from the window is the one it showed, bit for bit)."""
TRIALS = 4  # timed runs of each shortlisted method
SHORTLIST = 3  # the methods predicted cheapest that get trials, besides OpenCV's own calls
SPREAD = 3.0  # ... unless predicted more than this many times the cheapest
MEASURED_MARGIN = 0.03  # another method must be measured this much faster than OpenCV's own
BUSY_MARGIN = 0.10
"""... and this much on a busy machine, where the median of four runs still moves by more than
3 %: a float32 copy that saves a few percent was kept over OpenCV's own call at load 5 and
then ran 1.5x slower than it."""
MAX_LAYOUTS = 256  # kernels and frame layouts whose trials are remembered

JobKey = tuple[bytes, tuple[int, int], Geometry, bool, tuple[str, int]]


def job_key(job: Job) -> JobKey:
    """What the choice depends on: the kernel's weights and the frame's layout, not its pixels."""
    weights = np.ascontiguousarray(job.weights, dtype=np.float64)
    channels = job.image.shape[2] if job.image.ndim == 3 else 1
    return (
        weights.tobytes(),
        (int(weights.shape[0]), int(weights.shape[1])),
        job.geometry,
        anchor_fits(job),
        (job.image.dtype.name, int(channels)),
    )


@functools.lru_cache(maxsize=512)
def _cost_cached(key: JobKey, table: CostTable) -> tuple[tuple[str, float], ...]:
    weight_bytes, shape, geometry, fits, frame = key
    weights = np.frombuffer(weight_bytes, dtype=np.float64).reshape(shape)
    rank = len(kernel_terms(weights))
    costs = method_costs(table, geometry, weights, rank, fits, *frame)
    return tuple(sorted(costs.items(), key=lambda item: item[1]))


def ranked(job: Job, table: CostTable | None = None) -> tuple[tuple[str, float], ...]:
    """(method, predicted ns) from cheapest to dearest, margins applied; cached per kernel and
    frame layout, as the worker repeats the same call on every frame."""
    if table is None:
        table = calibration.cost_table(wait=False)
    return _cost_cached(job_key(job), table)


def choose(job: Job, table: CostTable | None = None) -> str:
    """The method ``convolve`` runs for ``job`` once its trials are done: the fastest measured
    for this kernel and frame layout; while they run, the one the last call ran (so a strip by
    strip export of a still picture is the frame on screen, bit for bit); else (no trials yet,
    or a quick frame) the predicted cheapest."""
    if table is None:
        table = calibration.cost_table(wait=False)
    key = job_key(job)
    with _trials_lock:
        trial = _trials.get((key, table))
        if trial is not None and (trial.winner or trial.last):
            return trial.winner or trial.last
    return _cost_cached(key, table)[0][0]


# -- trials on the real frame ---------------------------------------------------------------


@dataclass
class _Trial:
    """The timings of the shortlisted methods for one kernel and frame layout."""

    candidates: tuple[str, ...]
    times_ns: dict[str, list[float]] = field(default_factory=dict)  # wall time of each run
    winner: str | None = None
    last: str = ""  # the method of the latest timed run

    def next_method(self) -> str:
        """The winner, or the candidate with the fewest timed runs."""
        if self.winner is not None:
            return self.winner
        return min(self.candidates, key=lambda name: len(self.times_ns.get(name, ())))

    def record(self, name: str, wall_ns: float) -> None:
        self.times_ns.setdefault(name, []).append(wall_ns)
        self.last = name
        if self.winner is None and all(
            len(self.times_ns.get(n, ())) >= TRIALS for n in self.candidates
        ):
            self.winner = self._fastest()

    def _fastest(self) -> str:
        """By the fastest run on a quiet machine, where a slower one was an accident. On a busy
        one every run is slowed at random, some several times over, and the typical run is
        what the frames will get: the median."""
        quiet = calibration.machine_is_quiet()
        typical = min if quiet else statistics.median
        margin = MEASURED_MARGIN if quiet else BUSY_MARGIN
        penalty = {n: 1.0 if n in BASELINES else 1.0 + margin for n in self.candidates}
        return min(self.candidates, key=lambda n: typical(self.times_ns[n]) * penalty[n])


_trials: OrderedDict[tuple[JobKey, CostTable], _Trial] = OrderedDict()
_trials_lock = threading.Lock()
_generation = [0]


def shortlist(ranking: tuple[tuple[str, float], ...]) -> tuple[str, ...]:
    """The methods worth timing: the few predicted cheapest, OpenCV's own calls and, with a
    stride, the best stride-1 method (then subsampled): a strided call must never lose to it."""
    cheapest = ranking[0][1]
    names = [name for name, cost in ranking[:SHORTLIST] if cost <= SPREAD * cheapest]
    names += [name for name, _ in ranking if name in BASELINES and name not in names]
    stride_one = [name for name, _ in ranking if not name.startswith("strided")]
    if stride_one and stride_one[0] not in names:
        names.append(stride_one[0])
    return tuple(names)


def _trial(key: tuple[JobKey, CostTable], ranking: tuple[tuple[str, float], ...]) -> _Trial:
    """(Holding the lock.) The trial for ``key``, started if new; the oldest are forgotten."""
    trial = _trials.get(key)
    if trial is None:
        candidates = shortlist(ranking)
        known = _stride_one_winner(key)
        if known is not None and known not in candidates:
            candidates = (*candidates, known)
        trial = _trials[key] = _Trial(candidates)
        while len(_trials) > MAX_LAYOUTS:
            _trials.popitem(last=False)
    else:
        _trials.move_to_end(key)
    return trial


def _stride_one_winner(key: tuple[JobKey, CostTable]) -> str | None:
    """(Holding the lock.) For a strided job, the method its trials at stride 1 settled on (run
    at the stride, it is stride 1 then subsampling), if they have."""
    (weights, shape, geometry, fits, frame), table = key
    if geometry.stride == 1:
        return None
    (top, bottom), (left, right) = geometry.pads
    full = (
        geometry.in_size[0] + top + bottom - geometry.kernel_size[0] + 1,
        geometry.in_size[1] + left + right - geometry.kernel_size[1] + 1,
    )
    stride_one = replace(geometry, stride=1, out_size=full)
    trial = _trials.get(((weights, shape, stride_one, fits, frame), table))
    return None if trial is None else trial.winner


def compute(job: Job, table: CostTable | None = None, key: JobKey | None = None) -> np.ndarray:
    """``job`` computed by the chosen method; while its trials run, by the next method to time
    (the same result either way). ``key``: ``job_key(job)``, if the caller kept it."""
    if table is None:
        table = calibration.cost_table(wait=False)
    if key is None:
        key = job_key(job)
    ranking = _cost_cached(key, table)
    if ranking[0][1] < MEASURE_FROM_NS:
        return run_method(ranking[0][0], job)
    with _trials_lock:
        trial = _trial((key, table), ranking)
        name = trial.next_method()
        timing = trial.winner is None
    if not timing:
        return run_method(name, job)
    started = time.perf_counter_ns()
    result = run_method(name, job)
    elapsed = float(time.perf_counter_ns() - started)
    with _trials_lock:
        trial.record(name, elapsed)
    return result


def settle(job: Job, table: CostTable | None = None) -> str:
    """Run ``job``'s remaining trials now (for benchmarks and a status line) and return the
    method chosen."""
    if table is None:
        table = calibration.cost_table(wait=False)
    key = job_key(job)
    ranking = _cost_cached(key, table)
    if ranking[0][1] >= MEASURE_FROM_NS:
        with _trials_lock:
            runs = len(_trial((key, table), ranking).candidates) * TRIALS
        for _ in range(runs):
            compute(job, table)
    return choose(job, table)


def settled(key: JobKey, table: CostTable) -> str | None:
    """The method ``compute`` runs for every job with ``key`` from now on (a quick frame's
    prediction, or the winner of its trials), or None while trials are still due. Callers
    that keep it must ask again when ``generation()`` changes."""
    ranking = _cost_cached(key, table)
    if ranking[0][1] < MEASURE_FROM_NS:
        return ranking[0][0]
    with _trials_lock:
        trial = _trials.get((key, table))
        return None if trial is None else trial.winner


def generation() -> int:
    """Changes whenever measured choices are forgotten (``forget_trials``)."""
    return _generation[0]


def forget_trials() -> None:
    """Forget every measured choice (tests; a changed machine)."""
    with _trials_lock:
        _trials.clear()
        _generation[0] += 1


# -- predicted costs --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sizes:
    """Sample counts of one job that the costs are made of."""

    padded: float  # samples of the padded frame
    full: float  # stride-1 output samples
    full_cols: float  # stride-1 output columns, times channels
    frame: float  # samples of the frame as given


def _sizes(geometry: Geometry, channels: int) -> _Sizes:
    (top, bottom), (left, right) = geometry.pads
    height, width = geometry.in_size
    khe, kwe = geometry.kernel_size
    padded_rows, padded_cols = height + top + bottom, width + left + right
    full_cols = (padded_cols - kwe + 1) * channels
    return _Sizes(
        padded=padded_rows * padded_cols * channels,
        full=(padded_rows - khe + 1) * full_cols,
        full_cols=full_cols,
        frame=height * width * channels,
    )


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
    sizes = _sizes(geometry, channels)
    khe, kwe = geometry.kernel_size
    costs: dict[str, float] = {}
    depths = [(depth, "", 0.0)]
    if depth != "float32":
        depths.append(("float32", FLOAT_SUFFIX, table.to_float * sizes.frame))
    for source, suffix, convert in depths:
        for name, cost in _direct_costs(table, geometry, weights, rank, fits, source, sizes):
            costs[name + suffix] = convert + cost
    if khe * kwe > table.largest_filter():  # see calibration: our whole-frame DFT only beyond
        costs["dft"] = _dft_cost(table, geometry, channels, sizes)
    return _with_margins(costs)


def _direct_costs(
    table: CostTable,
    geometry: Geometry,
    weights: np.ndarray,
    rank: int,
    fits: bool,
    source: str,
    sizes: _Sizes,
) -> list[tuple[str, float]]:
    """(method, ns) of the methods built from cv2.filter2D / sepFilter2D on a ``source`` frame."""
    khe, kwe = geometry.kernel_size
    stride, dilation = geometry.stride, geometry.dilation
    full = sizes.full
    subsample = table.subsample * full if stride > 1 else 0.0
    pad = 0.0 if fits else table.pad * sizes.padded
    result = table.output * full  # every pass below writes one fresh float32 frame
    one_pass = table.call + table.separable_cost(source, khe, kwe) * full + result
    filtered = table.call + table.filter_cost(source, khe * kwe) * full + result
    costs = [("filter2d", pad + filtered + subsample)]
    if rank <= 1:
        costs.append(("separable", pad + one_pass + subsample))
    else:
        passes = rank * one_pass + (rank - 1) * table.accumulate * full
        costs.append(("multi_separable", pad + passes + subsample))
    if stride > 1 or dilation > 1:  # what it is for: rows not kept, or zero rows skipped
        chunks = row_chunks(dilate(weights, dilation), stride)
        strided_rows = geometry.out_size[0] * sizes.full_cols  # the kept rows, every column
        blocks = sum(
            table.call + (table.filter_cost(source, block.shape[0] * kwe) + table.output)
            * strided_rows
            for _, block in chunks
        )  # fmt: skip
        costs.append((
            "strided",
            table.pad * sizes.padded + blocks
            + max(len(chunks) - 1, 0) * table.accumulate * strided_rows
            + (table.subsample * strided_rows if stride > 1 else 0.0),
        ))  # fmt: skip
    if dilation > 1:
        kh, kw = weights.shape
        costs.append((
            "dilated",
            table.pad * sizes.padded + table.phase_copy * (sizes.padded + full)
            + dilation * dilation * table.call + table.filter_cost(source, kh * kw) * full
            + result + subsample,
        ))  # fmt: skip
    return costs


def _dft_cost(table: CostTable, geometry: Geometry, channels: int, sizes: _Sizes) -> float:
    plane = sizes.padded / channels
    interleave = table.phase_copy * sizes.full if channels > 1 else 0.0  # planes into HxWxC
    subsample = table.subsample * sizes.full if geometry.stride > 1 else 0.0
    return (
        table.pad * sizes.padded
        + channels * (table.dft_forward + table.dft_correlate) * plane
        + interleave
        + channels * 3 * table.call
        + subsample
    )


def _with_margins(costs: dict[str, float]) -> dict[str, float]:
    return {
        name: cost if name in BASELINES else cost * (1.0 + MARGIN) for name, cost in costs.items()
    }

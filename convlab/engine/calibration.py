"""Measured costs of the OpenCV primitives that ``convolve`` is built from, on this machine.

Why measure: which exact method is fastest depends on the OpenCV build more than on the maths.
OpenCV 5.1 filters a uint8 frame into float32 three to four times slower than a float32 frame
of the same pixels, switches ``cv2.filter2D`` to a DFT from 50 taps for uint8 input but only from
130 for float32, and its DFT got four times faster than OpenCV 4's. Constants tuned on one
version rank the methods wrongly on the next, so ``convolve`` ranks them with a ``CostTable``
measured here: a one-off calibration of at most 0.2 s of CPU time, cached in the user's cache
folder per OpenCV version, numpy version and CPU count.

Per-sample costs carry over from the calibration frame to larger ones for direct filters (within
15-30 %). OpenCV's DFT path works in tiles of about 242 output rows and columns, so its cost per
sample depends on how much of the last tile is wasted: a 640x360 frame wastes 38 % of its rows
and measured 2x dearer per sample than 1280x720. The calibration frame, 452x452, wastes 7-10 %
in both directions for kernels from 9x9 to 31x31, about as much as 640x480, 1280x720 and
1920x1080 frames do; ConvLab's own DFT works in the same tiles (``tiled_dft``). Whole-frame
passes that only move memory (conversion, padding, sums, a fresh result) are timed on a
720p-sized plane instead: in a small frame's cache they look several times cheaper.

The cache file is only a hint: anything odd about it (not a regular file, too large, not JSON,
wrong versions, a value that is not a positive number) makes ConvLab calibrate again, and a
folder that cannot be written only means the next process calibrates too.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import math
import os
import platform
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from convlab.engine.tiled_dft import TiledSpectrum

log = logging.getLogger(__name__)

SCHEMA = 5  # bump when the table's meaning changes: old cache files are then ignored
CALIBRATION_SHAPE = (452, 452)
# Square kernels: 7/8 and 11/12 bracket OpenCV 5's switches to its DFT (50 and 130 taps).
FILTER_SIZES = (3, 5, 7, 8, 11, 12, 15, 31)
MEMORY_SHAPE = (720, 1280)
QUICK_CASES = (("to_float",), ("accumulate",), ("output",), ("pad",), ("call",))
SEPARABLE_LENGTHS = (3, 7, 15, 31)
DEPTHS = ("uint8", "float32")
BUDGET_S = 0.2
"""CPU seconds (every thread of the process, its set-up included) a calibration may take: the
product allows 0.3 s; CPU time, unlike the wall clock, does not grow while other programs
have the cores."""
MIN_ROUNDS, MAX_ROUNDS = 3, 9  # three: under load, two left an outlier in one run of three
MAX_CACHE_BYTES = 64 * 1024
CACHE_ENV = "CONVLAB_CACHE_DIR"

Points = tuple[tuple[float, float], ...]
Case = tuple[Callable[[], object], int]  # a primitive to time, and the samples it touches


@dataclass(frozen=True, eq=False)  # hashed by identity: dispatch caches choices per table
class CostTable:
    """Nanoseconds per sample (one pixel of one channel) of each primitive.

    ``filter2d[depth]`` holds (taps, ns) for square kernels on a frame of that depth filtered
    into float32 (OpenCV's own choice of direct or DFT included); ``separable[depth]`` holds
    (length, ns) for ``cv2.sepFilter2D`` with two factors of that length. The rest are per
    sample of the frame they touch; ``call`` is the fixed cost of one OpenCV call.
    """

    filter2d: dict[str, Points]
    separable: dict[str, Points]
    to_float: float  # uint8 -> float32 copy
    accumulate: float  # float32 += float32
    pad: float  # cv2.copyMakeBorder
    subsample: float  # cv2.resize nearest, per input sample
    phase_copy: float  # de-interleaving copy of a strided view
    output: float  # writing a freshly allocated float32 frame (every pass that returns one)
    dft_forward: float  # the tiles' DFTs of a plane (tiled_dft.TiledSpectrum)
    dft_correlate: float  # spectrum products and inverse DFTs of the tiles, for one kernel
    call: float  # per call, not per sample
    source: str = "measured"

    def filter_cost(self, depth: str, taps: int) -> float:
        """ns per sample of cv2.filter2D with a kernel of ``taps`` taps (interpolated)."""
        return _interpolate(self.filter2d[_depth_key(depth)], float(taps))

    def largest_filter(self) -> float:
        """The most taps measured: costs beyond it are extrapolated."""
        return max(self.filter2d["uint8"][-1][0], self.filter2d["float32"][-1][0])

    def separable_cost(self, depth: str, rows: int, columns: int) -> float:
        """ns per sample of one fused cv2.sepFilter2D pass with factors rows x columns."""
        points = self.separable[_depth_key(depth)]
        return 0.5 * (_interpolate(points, float(rows)) + _interpolate(points, float(columns)))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("source")
        return data

    @classmethod
    def from_json(cls, data: Any) -> CostTable:
        """The table in ``data``; ValueError if anything is missing or not a positive number."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        curves = {}
        for name, keys in (("filter2d", FILTER_SIZES), ("separable", SEPARABLE_LENGTHS)):
            table = data.get(name)
            if not isinstance(table, dict) or set(table) != set(DEPTHS):
                raise ValueError(f"{name}: expected depths {DEPTHS}")
            curves[name] = {depth: _points(table[depth], len(keys)) for depth in DEPTHS}
        scalars = {}
        for name in _SCALARS:
            scalars[name] = _positive(data.get(name), name)
        return cls(**curves, **scalars, source="cache")


_SCALARS = ("to_float", "accumulate", "pad", "subsample", "phase_copy", "output",
            "dft_forward", "dft_correlate", "call")  # fmt: skip


def _positive(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what}: not a number")
    if not math.isfinite(value) or value <= 0 or value > 1e9:
        raise ValueError(f"{what}: {value} is not a plausible cost")
    return float(value)


def _points(value: Any, count: int) -> Points:
    if not isinstance(value, list) or len(value) != count:
        raise ValueError(f"expected {count} points")
    points = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            raise ValueError("a point is not a pair")
        points.append((_positive(item[0], "size"), _positive(item[1], "cost")))
    if any(b[0] <= a[0] for a, b in itertools.pairwise(points)):
        raise ValueError("sizes are not increasing")
    return tuple(points)


def _depth_key(depth: str) -> str:
    """Tables exist for uint8 and float32; other integer depths behave like uint8."""
    return "float32" if depth == "float32" else "uint8"


def _interpolate(points: Points, x: float) -> float:
    """Piecewise linear through ``points``; beyond the ends, the nearest segment's line (never
    below the smallest measured cost)."""
    if len(points) == 1:
        return points[0][1]
    index = 1
    while index < len(points) - 1 and points[index][0] < x:
        index += 1
    (x0, y0), (x1, y1) = points[index - 1], points[index]
    value = y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return max(value, min(y for _, y in points) * 0.5)


# -- measuring -------------------------------------------------------------------------------


def _cases(shape: tuple[int, int]) -> dict[tuple[str, ...], Case]:
    """Every primitive to time: name -> (call, samples it touches)."""
    rng = np.random.default_rng(0)
    frames = {"uint8": rng.integers(0, 256, shape, dtype=np.uint8)}
    frames["float32"] = frames["uint8"].astype(np.float32)
    samples = shape[0] * shape[1]
    cases: dict[tuple[str, ...], Case] = {}
    for depth, frame in frames.items():
        for size in FILTER_SIZES:
            kernel = rng.uniform(-1.0, 1.0, (size, size)).astype(np.float32)
            cases[("filter2d", depth, str(size))] = (
                lambda f=frame, k=kernel: cv2.filter2D(f, cv2.CV_32F, k),
                samples,
            )
        for length in SEPARABLE_LENGTHS:
            factor = rng.uniform(-1.0, 1.0, length).astype(np.float32)
            cases[("separable", depth, str(length))] = (
                lambda f=frame, k=factor: cv2.sepFilter2D(f, cv2.CV_32F, k, k),
                samples,
            )
    cases.update(_memory_cases(rng))
    work = frames["float32"].copy()
    # the tiled DFT's two steps, per sample of the frame, with a 15x15 kernel's apron
    apron = cv2.copyMakeBorder(work, 7, 7, 7, 7, cv2.BORDER_REFLECT_101)
    spectrum = TiledSpectrum(apron, (15, 15))
    dft_kernel = rng.uniform(-1.0, 1.0, (15, 15)).astype(np.float32)
    cases[("dft_forward",)] = (lambda: TiledSpectrum(apron, (15, 15)), samples)
    cases[("dft_correlate",)] = (lambda: spectrum.correlate(dft_kernel), samples)
    tiny, tiny_kernel = np.zeros((4, 4), np.float32), np.ones((3, 3), np.float32)
    calls = 20  # one call is too short to time on its own

    def call_overhead() -> None:
        for _ in range(calls):
            cv2.filter2D(tiny, cv2.CV_32F, tiny_kernel)

    cases[("call",)] = (call_overhead, calls)
    return cases  # fmt: skip


def _memory_cases(rng: np.random.Generator) -> dict[tuple[str, ...], Case]:
    """Whole-frame passes, timed on a plane as large as a 720p frame: on a small one they run
    in cache and would look several times cheaper than they are on a real frame."""
    gray = rng.integers(0, 256, MEMORY_SHAPE, dtype=np.uint8)
    work, other = gray.astype(np.float32), gray.astype(np.float32)
    copy = np.empty_like(work)  # the methods copy into a buffer they keep (float32_copy)
    half = (MEMORY_SHAPE[1] // 2, MEMORY_SHAPE[0] // 2)
    samples = MEMORY_SHAPE[0] * MEMORY_SHAPE[1]
    return {
        ("to_float",): (lambda: np.copyto(copy, gray, casting="unsafe"), samples),
        ("accumulate",): (lambda: np.add(work, other, out=work), samples),
        ("output",): (lambda: np.add(work, other), samples),  # a fresh result: page faults
        ("pad",): (lambda: cv2.copyMakeBorder(gray, 3, 3, 3, 3, cv2.BORDER_REFLECT_101), samples),
        ("subsample",): (
            lambda: cv2.resize(work, half, interpolation=cv2.INTER_NEAREST), samples),
        ("phase_copy",): (
            lambda: [np.ascontiguousarray(work[r::2, c::2]) for r in (0, 1) for c in (0, 1)],
            samples,
        ),
    }  # fmt: skip


def calibrate(shape: tuple[int, int] = CALIBRATION_SHAPE, budget_s: float = BUDGET_S) -> CostTable:
    """Time every primitive on a ``shape`` frame in interleaved rounds and keep the fastest
    time of each: a busy neighbour slows some rounds, never speeds one up. At least
    ``MIN_ROUNDS``; more while the next one still fits in ``budget_s`` of CPU time. On a busy
    machine the CPU time of each primitive is kept instead of its wall time: there every round
    may be slowed, some calls several times over."""
    clock = _Clock()
    cases = _cases(shape)
    wall = dict.fromkeys(cases, math.inf)
    cpu = dict.fromkeys(cases, math.inf)

    def measure(names: Sequence[tuple[str, ...]]) -> None:
        for name in names:
            if _stop.is_set():  # the app is quitting: no thread may be inside OpenCV then
                raise _StoppedError
            begin, cpu_begin = time.perf_counter_ns(), time.process_time_ns()
            cases[name][0]()
            cpu[name] = min(cpu[name], float(time.process_time_ns() - cpu_begin))
            wall[name] = min(wall[name], float(time.perf_counter_ns() - begin))

    quiet = machine_is_quiet()
    rounds = clock.repeat(lambda: measure(list(cases)), MIN_ROUNDS, MAX_ROUNDS, budget_s)
    # The quick passes, which decide whether a float32 copy pays, get extra looks: one
    # unlucky round (the core taken away mid-measurement) would otherwise set them.
    clock.repeat(lambda: measure(QUICK_CASES), 0, MAX_ROUNDS - rounds, budget_s)
    best = wall if quiet and machine_is_quiet() else cpu
    per_sample = {name: max(best[name] / samples, 1e-3) for name, (_, samples) in cases.items()}
    curves: dict[str, dict[str, Points]] = {"filter2d": {}, "separable": {}}
    for kind, sizes, taps in (("filter2d", FILTER_SIZES, True),
                              ("separable", SEPARABLE_LENGTHS, False)):  # fmt: skip
        for depth in DEPTHS:
            curves[kind][depth] = tuple(
                (float(n * n if taps else n), per_sample[(kind, depth, str(n))]) for n in sizes
            )
    scalars = {name: per_sample[(name,)] for name in _SCALARS}
    LAST_CALIBRATION.update(cpu_s=clock.cpu(), wall_s=clock.wall(), rounds=rounds)
    log.info("convolve calibrated in %.2f s of CPU (%d rounds)", clock.cpu(), rounds)
    return CostTable(**curves, **scalars)


LAST_CALIBRATION: dict[str, float] = {}
"""CPU and wall seconds and rounds of the last ``calibrate`` in this process (benchmarks)."""


class _Clock:
    """The CPU time (every thread of this process) and wall time since it was made."""

    def __init__(self) -> None:
        self._cpu, self._wall = time.process_time(), time.perf_counter()

    def cpu(self) -> float:
        return time.process_time() - self._cpu

    def wall(self) -> float:
        return time.perf_counter() - self._wall

    def repeat(self, step: Callable[[], None], least: int, most: int, budget_s: float) -> int:
        """Run ``step`` at least ``least`` and at most ``most`` times, and again only while
        one more (as long as the longest so far) fits in ``budget_s`` seconds of CPU time:
        CPU time, because the wall clock also counts other programs' turns on the cores."""
        done, longest = 0, 0.0
        while done < most and (done < least or self.cpu() + longest <= budget_s):
            began = self.cpu()
            step()
            longest = max(longest, self.cpu() - began)
            done += 1
        return done


# -- the cache -------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where ConvLab keeps its cache: ``$CONVLAB_CACHE_DIR``, else the platform's user cache
    folder (XDG on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows)."""
    configured = os.environ.get(CACHE_ENV, "")
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA", "")
        root = Path(base) if base else Path.home() / "AppData" / "Local"
        return root / "ConvLab" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ConvLab"
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "convlab"


def environment() -> dict[str, Any]:
    """What the measured costs depend on; a table measured under anything else is not used."""
    return {
        "schema": SCHEMA,
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "opencv_threads": cv2.getNumThreads(),
        "machine": platform.machine(),
    }


def machine_is_quiet() -> bool:
    """Whether the one-minute load average leaves a core free (unknown: assume it does)."""
    try:
        return os.getloadavg()[0] <= max((os.cpu_count() or 1) - 1, 0.75)
    except (AttributeError, OSError):  # Windows has no load average
        return True


def cache_path() -> Path:
    digest = hashlib.sha1(json.dumps(environment(), sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir() / f"convolve-costs-{digest}.json"


def load(path: Path) -> CostTable | None:
    """The table cached at ``path``, or None (missing, odd, oversized, corrupt, other versions)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_BYTES:
            log.warning("ignoring the convolve cost cache %s: not a small regular file", path)
            return None
        with open(path, "rb") as stream:
            data = json.loads(stream.read(MAX_CACHE_BYTES + 1))
        if not isinstance(data, dict) or data.get("environment") != environment():
            return None
        return CostTable.from_json(data.get("costs"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError, RecursionError) as error:
        log.warning("ignoring the convolve cost cache %s: %s", path, error)
        return None


def save(path: Path, table: CostTable) -> bool:
    """Write the table atomically (a temporary file, then a rename); False if it could not."""
    text = json.dumps({"environment": environment(), "costs": table.to_json()}, indent=1)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".costs-", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
        return True
    except OSError as error:
        log.info("convolve cost cache not written (%s): calibrating again next time", error)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return False


# -- the table in use ------------------------------------------------------------------------

# Measured on the 2-core development machine with OpenCV 5.1 and numpy 2.4: used only while
# the first calibration runs on another thread, so that nothing waits for it.
PROVISIONAL = CostTable(
    filter2d={
        "uint8": ((9.0, 3.6), (25.0, 6.5), (49.0, 9.5), (64.0, 10.0), (121.0, 11.0),
                  (144.0, 11.0), (225.0, 11.0), (961.0, 13.0)),
        "float32": ((9.0, 1.0), (25.0, 1.5), (49.0, 2.6), (64.0, 3.3), (121.0, 5.6),
                    (144.0, 15.0), (225.0, 16.0), (961.0, 19.0)),
    },
    separable={
        "uint8": ((3.0, 1.3), (7.0, 1.6), (15.0, 3.4), (31.0, 7.0)),
        "float32": ((3.0, 1.5), (7.0, 1.9), (15.0, 3.8), (31.0, 7.5)),
    },
    to_float=0.5, accumulate=1.0, pad=0.5, subsample=0.4, phase_copy=1.0, output=1.5,
    dft_forward=4.0,
    dft_correlate=6.0, call=3000.0, source="provisional",
)  # fmt: skip

_lock = threading.Lock()
_state: dict[str, CostTable | None] = {"table": None}
_stop = threading.Event()  # set by stop_background(): measuring ends between two timings
_background: list[threading.Thread] = []


class _StoppedError(Exception):
    """Measuring was stopped (the app is quitting); nothing was stored."""


def use_table(table: CostTable | None) -> None:
    """Use ``table`` from now on (tests, benchmarks); None forgets it, so the next call loads
    the cache or calibrates again."""
    with _lock:
        _state["table"] = table


def cost_table(*, wait: bool = True) -> CostTable:
    """The costs in use: cached in memory, else read from the cache file, else measured now.

    While another thread is measuring, ``wait=False`` callers get ``PROVISIONAL`` at once.
    """
    table = _state["table"]
    if table is not None:
        return table
    if not _lock.acquire(blocking=wait):
        return PROVISIONAL
    try:
        return _load_or_measure(0.0)
    finally:
        _lock.release()


def _load_or_measure(delay_s: float) -> CostTable:
    """(Holding the lock.) The cached table, else one measured after ``delay_s`` seconds."""
    if _state["table"] is None:
        path = cache_path()
        loaded = load(path)
        if loaded is None:
            if _stop.wait(delay_s):
                return PROVISIONAL
            quiet = machine_is_quiet()
            try:
                loaded = calibrate()
            except _StoppedError:
                return PROVISIONAL
            if quiet and machine_is_quiet():
                save(path, loaded)
            else:  # measured beside other work: good for now, not worth keeping
                log.info("machine busy while calibrating convolve: costs not cached")
        _state["table"] = loaded
    return _state["table"]


def calibrate_in_background(delay_s: float = 0.0) -> threading.Thread:
    """Load or measure the table on a daemon thread; meanwhile other threads use PROVISIONAL
    instead of waiting. The app starts this first thing with a delay, so the measuring does
    not compete with building the window (and the GUI thread never measures)."""
    started = threading.Event()

    def work() -> None:
        with _lock:
            started.set()
            _load_or_measure(delay_s)

    _stop.clear()
    thread = threading.Thread(target=work, name="convolve-calibration", daemon=True)
    _background.append(thread)
    thread.start()
    started.wait(1.0)  # the lock is taken before anyone else asks
    return thread


def stop_background(timeout: float = 1.0) -> bool:
    """Stop a background calibration between two timings and join it; True once none runs.

    A daemon thread still inside an OpenCV call when Python finalizes is killed as it
    returns, by an unwind that C++ turns into abort(): the app calls this before it exits.
    """
    _stop.set()
    deadline = time.perf_counter() + timeout
    for thread in list(_background):
        thread.join(max(0.0, deadline - time.perf_counter()))
        if not thread.is_alive():
            _background.remove(thread)
    if _background:
        return False
    _stop.clear()  # a later calibration (a test, a new window) may measure again
    return True


def describe(table: CostTable, sizes: Sequence[int] = (3, 7, 15)) -> str:
    """One line for benchmark headers: where the table came from and a few of its costs."""
    parts = [f"{n}x{n} u8 {table.filter_cost('uint8', n * n):.1f} / "
             f"f32 {table.filter_cost('float32', n * n):.1f}" for n in sizes]  # fmt: skip
    return f"convolve costs ({table.source}, ns per sample): " + ", ".join(parts)

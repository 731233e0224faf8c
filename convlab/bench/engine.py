"""``python -m convlab.bench engine``: convolve() beside bare cv2.filter2D, in the same run.

Frames are RGB uint8 at 640x480, 1280x720 and 1920x1080; kernels 3, 7, 15 and 31 wide, random
(full rank) and Gaussian (rank 1). Each cell is the best of several interleaved repeats: on a
shared 2-core machine the slower repeats measure the neighbours, not the code, and interleaving
makes a busy spell hit both sides alike. Goals (issue 2): ratio <= 1.05 for
full-rank kernels, <= 0.35 for rank-1 kernels of 7x7 and up, stride 2 <= 0.5x stride 1.
The "s1+sub" column is the floor any stride-2 method has to beat: stride 1, then subsample.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import cv2
import numpy as np

from convlab.engine import Kernel, convolve, gaussian_kernel, plan

FRAMES = {"640x480": (480, 640), "1280x720": (720, 1280), "1920x1080": (1080, 1920)}
SIZES = (3, 7, 15, 31)
FULL_RANK_GOAL = 1.05
RANK1_GOAL = 0.35
STRIDE_GOAL = 0.5
SUBSAMPLE_TOLERANCE = 1.05
"""Stride 2 must never be slower than computing stride 1 and keeping every 2nd pixel
("s1+sub": the stride-1 method forced at stride 2); 5% allows for timing noise."""


def _kernels(size: int, rng: np.random.Generator) -> dict[str, Kernel]:
    radius = size // 2
    return {
        "random": Kernel(rng.uniform(-1.0, 1.0, (size, size)), name=f"random {size}"),
        "gaussian": gaussian_kernel(radius, max(radius / 2.0, 0.5)),
    }


def _best_ms(functions: list[Callable[[], object]], repeats: int) -> list[float]:
    """Best wall time of each function, calls interleaved so drift hits all of them."""
    for function in functions:
        function()  # warm-up: caches, allocations, OpenCV's thread pool
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeats):
        for index, function in enumerate(functions):
            start = time.perf_counter()
            function()
            times[index].append(time.perf_counter() - start)
    return [1000.0 * min(t) for t in times]


def _repeats_for(pixels: int, size: int, base: int) -> int:
    """Fewer repeats for the slow cells, to keep the whole run near a minute."""
    if pixels >= 1920 * 1080 and size >= 15:
        return max(3, base // 2)
    return base


def _load_average() -> str:
    """The machine is shared: the load says how much the figures can be trusted."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m convlab.bench engine", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repeats", type=int, default=9, help="timed repeats per cell")
    parser.add_argument("--frames", nargs="*", choices=list(FRAMES), default=list(FRAMES))
    parser.add_argument(
        "--threads", type=int, default=None, help="OpenCV threads (default: OpenCV's own choice)"
    )
    options = parser.parse_args(args)
    if options.threads is not None:
        cv2.setNumThreads(options.threads)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    print(
        f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads, numpy {np.__version__}; "
        f"best of {options.repeats} interleaved repeats, ms per RGB uint8 frame; "
        f"{_load_average()}"
    )
    header = (
        f"{'frame':>10} {'kernel':>8} {'rank':>5} {'method':>16} {'convolve':>9} "
        f"{'filter2D':>9} {'ratio':>6} {'goal':>6}  {'stride 2':>9} {'method':>16} "
        f"{'s2/s1':>6} {'goal':>5} {'s1+sub':>9} {'s2/sub':>6}"
    )
    print(header)
    print("-" * len(header))
    misses: list[str] = []
    for frame_name in options.frames:
        height, width = FRAMES[frame_name]
        frame = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        for size in SIZES:
            for kind, kernel in _kernels(size, rng).items():
                bare = np.ascontiguousarray(kernel.effective, dtype=np.float32)
                repeats = _repeats_for(height * width, size, options.repeats)
                stride1_method = plan(frame.shape, kernel)
                ours, baseline, strided, subsampled = _best_ms(
                    [
                        lambda k=kernel, f=frame: convolve(f, k),
                        lambda b=bare, f=frame: cv2.filter2D(f, cv2.CV_32F, b),
                        lambda k=kernel, f=frame: convolve(f, k, stride=2),
                        # the stride-1 method forced at stride 2 = stride 1, then every 2nd pixel
                        lambda k=kernel, f=frame, m=stride1_method: convolve(
                            f, k, stride=2, method=m
                        ),
                    ],
                    repeats,
                )
                ratio, stride_ratio = ours / baseline, strided / ours
                if kind == "random":
                    goal = FULL_RANK_GOAL
                elif size >= 7:
                    goal = RANK1_GOAL
                else:
                    goal = None
                met = "-" if goal is None else ("ok" if ratio <= goal else "MISS")
                stride_met = "ok" if stride_ratio <= STRIDE_GOAL else "MISS"
                rank = "full" if kind == "random" else "1"
                label = f"{size}x{size}"
                if met == "MISS":
                    misses.append(f"{frame_name} {kind} {label}: ratio {ratio:.2f} > {goal}")
                if stride_met == "MISS":
                    misses.append(
                        f"{frame_name} {kind} {label}: stride 2 is {stride_ratio:.2f}x stride 1"
                    )
                goal_text = f"<={goal}" if goal is not None else ""
                stride2_method = plan(frame.shape, kernel, stride=2)
                versus_subsampled = strided / subsampled
                if stride2_method == stride1_method:  # the very same computation twice
                    versus_text = "same"
                else:
                    versus_text = f"{versus_subsampled:.2f}"
                    if versus_subsampled > SUBSAMPLE_TOLERANCE:
                        misses.append(
                            f"{frame_name} {kind} {label}: stride 2 is "
                            f"{versus_subsampled:.2f}x 'stride 1, then subsample'"
                        )
                print(
                    f"{frame_name:>10} {label:>8} {rank:>5} {stride1_method:>16} "
                    f"{ours:9.2f} {baseline:9.2f} {ratio:6.2f} {goal_text:>6}{met:>5}  "
                    f"{strided:9.2f} {stride2_method:>16} "
                    f"{stride_ratio:6.2f} {stride_met:>5} {subsampled:9.2f} "
                    f"{versus_text:>6}",
                    flush=True,
                )
    print(f"\n{len(misses)} goal(s) missed" + (":" if misses else "."))
    for miss in misses:
        print(f"  {miss}")
    print(f"total time {time.perf_counter() - started:.0f} s; at the end: {_load_average()}")
    return 0

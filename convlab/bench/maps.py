"""Feature-map costs at 1280x720: ``python -m convlab.bench maps [--frames N]``.

The bank against bare OpenCV: ``bank_responses`` on the gray frame beside one
``cv2.filter2D(gray, CV_32F, k)`` per kernel, interleaved, for the 16-map bank below and for 16
full-rank kernels of 11x11 to 15x15. Goals: the 16-map bank <= 1.05x the sum of the bare calls,
the large kernels <= 0.5x (they share the tiles' forward DFTs).

Worker side: ``Pipeline.run`` with the main 3x3 kernel plus a 4-map and a 16-map bank at full
scale and on a preview (with and without the CNN stages, and with a map selected for the big
view), its CPU time beside the cost Auto predicts for it, and which scale Auto picks. GUI side:
what one displayed frame costs the feature-map panel (16 tiles: setImage + repaint), headless.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np

from convlab.bench.engine import median_ms
from convlab.bench.report import environment_lines, load_average
from convlab.engine import presets
from convlab.engine.bank import bank_responses, plan_bank
from convlab.engine.bank_presets import blur_ladder, edge_bank, gabor_bank
from convlab.engine.frame_cost import MARGIN, full_scale_cost
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import COMBINED_MAP, FULL_SCALE_MIN_FPS, Pipeline

SIXTEEN_GOAL = 1.05
LARGE_GOAL = 0.5

FRAME_SHAPE = (720, 1280, 3)


def _frame(seed: int) -> np.ndarray:
    """A photo-like frame: smooth shading plus texture, so no kernel sees a flat image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0 : FRAME_SHAPE[0], 0 : FRAME_SHAPE[1]]
    shade = 90 + 60 * np.sin(xx / 97.0) * np.cos(yy / 61.0)
    noise = rng.normal(0, 18, FRAME_SHAPE)
    return np.clip(shade[..., None] + noise, 0, 255).astype(np.uint8)


def _timings(step: Callable[[], object], frames: int) -> tuple[float, float, float]:
    """(median wall ms, fastest wall ms, median CPU ms of the whole process: every thread)."""
    step()  # warm-up: OpenCV allocations, kernel factorisations
    times, cpu = [], []
    for _ in range(frames):
        started, cpu_started = time.perf_counter(), time.process_time()
        step()
        times.append((time.perf_counter() - started) * 1000.0)
        cpu.append((time.process_time() - cpu_started) * 1000.0)
    return statistics.median(times), min(times), statistics.median(cpu)


def sixteen_maps() -> list[Kernel]:
    """8 Gabor 11x11, 4 edge 3x3 and 4 Gaussians (3x3 to 15x15)."""
    return gabor_bank() + edge_bank()[:4] + blur_ladder()


def large_kernels() -> list[Kernel]:
    """16 random full-rank kernels from 11x11 to 15x15."""
    rng = np.random.default_rng(0)
    sizes = (11, 11, 11, 11, 11, 13, 13, 13, 13, 13, 15, 15, 15, 15, 15, 15)
    return [Kernel(rng.uniform(-1.0, 1.0, (n, n)), name=f"random {n}") for n in sizes]


def _bank_rows(repeats: int) -> list[str]:
    """The bank beside one bare cv2.filter2D per kernel on the same gray frame."""
    gray = cv2.cvtColor(_frame(0), cv2.COLOR_RGB2GRAY)
    cases = (
        ("16-map bank", sixteen_maps(), SIXTEEN_GOAL),
        ("16 full-rank 11x11-15x15", large_kernels(), LARGE_GOAL),
    )
    return [_bank_row(gray, *case, repeats) for case in cases]


def _bank_row(
    gray: np.ndarray, label: str, kernels: list[Kernel], goal: float, repeats: int
) -> str:
    weights = [np.float32(k.effective) for k in kernels]
    plan = plan_bank(gray.shape, kernels)
    ours, bare = median_ms(
        [
            lambda: bank_responses(gray, kernels, plan=plan),
            lambda: [cv2.filter2D(gray, cv2.CV_32F, w) for w in weights],
        ],
        repeats,
    )
    ratio = ours / bare
    methods = ", ".join(sorted({f"{frame} {method}" for frame, method in plan.steps}))
    verdict = "ok" if ratio <= goal else "MISS"
    return (
        f"{label:26s} bank {ours:7.1f} ms, bare filter2D sum {bare:7.1f} ms: {ratio:.2f}x "
        f"(goal <= {goal}: {verdict}); methods: {methods}"
    )


def _worker_rows(frames: int) -> list[tuple[str, float, float, float, float | None]]:
    """(case, median ms, fastest ms, median CPU ms, predicted CPU ms at full scale or None)."""
    frame = _frame(0)
    base = Pipeline(kernel=presets.get("sharpen"))
    sixteen = tuple(sixteen_maps())
    cases = {"main 3x3 only": base}
    for scale in ("full", "preview"):
        cases.update({
            f"main 3x3 + 4-map bank (edges), {scale}": base.evolve(
                bank=tuple(edge_bank()[:4]), map_scale=scale),
            f"main 3x3 + 16-map bank, {scale}": base.evolve(bank=sixteen, map_scale=scale),
            f"  + ReLU + pool + combine, {scale}": base.evolve(
                bank=sixteen, relu=True, pool=True, combine=True, map_scale=scale),
        })  # fmt: skip
    cases["  + map 1 selected (full res), preview"] = base.evolve(
        bank=sixteen, selected_map=0, map_scale="preview"
    )
    cases["  + combined selected (full res), preview"] = base.evolve(
        bank=sixteen, combine=True, selected_map=COMBINED_MAP, map_scale="preview"
    )
    rows = []
    for name, pipeline in cases.items():
        full = pipeline.map_scale_for(frame.shape) == "full"
        predicted = full_scale_cost(pipeline, frame.shape).total_ns / 1e6 if full else None
        rows.append((name, *_timings(lambda p=pipeline: p.run(frame), frames), predicted))
    return rows


def _auto_lines() -> list[str]:
    """Which scale "auto" picks, from the whole frame's predicted cost on one thread."""
    base = Pipeline(kernel=presets.get("sharpen"))
    lines = []
    for label, bank in (("4-map edge bank", edge_bank()[:4]), ("16-map bank", sixteen_maps()),
                        ("16 large kernels", large_kernels())):  # fmt: skip
        pipeline = base.evolve(bank=tuple(bank))
        picks = []
        for width, height in ((640, 480), (1280, 720), (1920, 1080)):
            cost = full_scale_cost(pipeline, (height, width, 3))
            scale = pipeline.map_scale_for((height, width, 3))
            picks.append(f"{width}x{height}: {scale} ({cost.total_ns / 1e6:.0f} ms at full)")
        lines.append(f"auto scale, {label}: " + ", ".join(picks))
    lines.append(f"(full where the predicted frame x {MARGIN} keeps {FULL_SCALE_MIN_FPS:.0f} fps)")
    return lines


def _gui_rows(frames: int) -> list[tuple[str, float, float, float]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from convlab.ui.maps.panel import FeatureMapsPanel
    from convlab.ui.state import PlaygroundState

    app = QApplication.instance() or QApplication([])
    state = PlaygroundState()
    panel = FeatureMapsPanel(state)
    panel.resize(1500, 420)
    panel.show()
    rows = []
    for label, bank in (
        ("4 tiles", edge_bank()[:4]),
        ("16 tiles", sixteen_maps()),
    ):
        state.set_bank(bank)
        results = [state.pipeline.run(_frame(seed)) for seed in range(2)]
        app.processEvents()
        counter = iter(range(10**9))

        def show(results=results, counter=counter) -> None:
            state.publish_result(results[next(counter) % 2])
            panel.repaint()  # what the event loop would paint for this frame

        rows.append((f"panel: publish + repaint, {label}", *_timings(show, frames)))
    panel.close()
    return rows


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench maps")
    parser.add_argument("--frames", type=int, default=40, help="frames timed per case")
    parser.add_argument("--repeats", type=int, default=9, help="repeats of the bank ratios")
    options = parser.parse_args(args)
    for line in environment_lines():
        print(line)
    print(f"feature maps, frame {FRAME_SHAPE[1]}x{FRAME_SHAPE[0]}; medians of interleaved repeats")
    for line in _bank_rows(options.repeats) + _auto_lines():
        print(line, flush=True)
    print(f"\n{'case':48s} {'median ms':>10s} {'min ms':>8s} {'CPU ms':>8s} {'predicted':>10s}")
    rows = _worker_rows(options.frames) + [(*row, None) for row in _gui_rows(options.frames)]
    for name, median, best, cpu, predicted in rows:
        guess = f"{predicted:10.1f}" if predicted is not None else f"{'':10s}"
        print(f"{name:48s} {median:10.1f} {best:8.1f} {cpu:8.1f} {guess}", flush=True)
    print("predicted: the full-scale frame's cost on one thread, as Auto counts it (frame_cost);")
    print("CPU: the process's CPU time over all its threads")
    print(f"at the end: {load_average()}")
    return 0

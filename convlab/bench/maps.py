"""Feature-map costs at 1280x720: ``python -m convlab.bench maps [--frames N]``.

Worker side: ``Pipeline.run`` with the main 3x3 kernel plus a 4-map and a 16-map bank (with
and without the CNN stages, and with a map selected for the big view). GUI side: what one
displayed frame costs the feature-map panel (16 tiles: setImage + repaint), headless.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from convlab.engine.bank_presets import blur_ladder, edge_bank, gabor_bank
from convlab.engine.kernels import presets
from convlab.engine.pipeline import COMBINED_MAP, Pipeline

FRAME_SHAPE = (720, 1280, 3)


def _frame(seed: int) -> np.ndarray:
    """A photo-like frame: smooth shading plus texture, so no kernel sees a flat image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0 : FRAME_SHAPE[0], 0 : FRAME_SHAPE[1]]
    shade = 90 + 60 * np.sin(xx / 97.0) * np.cos(yy / 61.0)
    noise = rng.normal(0, 18, FRAME_SHAPE)
    return np.clip(shade[..., None] + noise, 0, 255).astype(np.uint8)


def _timings(step: Callable[[], object], frames: int) -> tuple[float, float]:
    step()  # warm-up: OpenCV allocations, kernel factorisations
    times = []
    for _ in range(frames):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times), min(times)


def _worker_rows(frames: int) -> list[tuple[str, float, float]]:
    frame = _frame(0)
    base = Pipeline(kernel=presets.get("sharpen"))
    sixteen = tuple(gabor_bank() + edge_bank()[:4] + blur_ladder())
    cases = {
        "main 3x3 only": base,
        "main 3x3 + 4-map bank (edges)": base.evolve(bank=tuple(edge_bank()[:4])),
        "main 3x3 + 16-map bank": base.evolve(bank=sixteen),
        "  + ReLU + pool + combine": base.evolve(bank=sixteen, relu=True, pool=True, combine=True),
        "  + map 1 selected (full res)": base.evolve(bank=sixteen, selected_map=0),
        "  + combined selected (full res)": base.evolve(
            bank=sixteen, combine=True, selected_map=COMBINED_MAP
        ),
    }
    return [(name, *_timings(lambda p=p: p.run(frame), frames)) for name, p in cases.items()]


def _gui_rows(frames: int) -> list[tuple[str, float, float]]:
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
        ("16 tiles", gabor_bank() + edge_bank()[:4] + blur_ladder()),
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
    options = parser.parse_args(args)
    print(f"feature maps, frame {FRAME_SHAPE[1]}x{FRAME_SHAPE[0]}, {os.cpu_count()} cores")
    print(f"{'case':44s} {'median ms':>10s} {'min ms':>8s}")
    for name, median, best in _worker_rows(options.frames) + _gui_rows(options.frames):
        print(f"{name:44s} {median:10.1f} {best:8.1f}")
    return 0

"""Does training leave the GUI thread free? ``python -m convlab.bench training [--epochs N]``.

Runs the Train tab (offscreen) on the default data while a 30 fps timer publishes frames the
way the window does, and measures: the worst gap between 5 ms heartbeat ticks on the GUI
thread (a stall), the slowest progress update the tab handled, and training speed.
Goal: no GUI stall above 25 ms.
"""

from __future__ import annotations

import argparse
import os
import time


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench training")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--images", type=int, default=3000)
    options = parser.parse_args(args)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import numpy as np
    from PySide6.QtCore import QStandardPaths, QTimer
    from PySide6.QtWidgets import QApplication

    from convlab.engine.pipeline import PipelineResult
    from convlab.ui.state import PlaygroundState
    from convlab.ui.training_tab import TrainingTab

    QStandardPaths.setTestModeEnabled(True)  # never touch the user's saved webcam classes
    app = QApplication.instance() or QApplication([])
    state = PlaygroundState()
    tab = TrainingTab(state)
    tab.resize(1500, 900)
    tab.show()
    tab.data.count_box.setValue(options.images)
    tab.settings.epochs_box.setValue(options.epochs)

    update_ms: list[float] = []
    original = tab._on_progress

    def timed(thread, reports):
        began = time.perf_counter()
        original(thread, reports)
        update_ms.append((time.perf_counter() - began) * 1000)

    tab._on_progress = timed  # the thread's signal is connected at start: wrap before it
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    empty = np.zeros((1, 1), np.float32)
    result = PipelineResult(frame, empty, np.zeros((1, 1, 3), np.uint8), (), None, 0, 0.0)
    frames = QTimer()
    frames.setInterval(33)
    frames.timeout.connect(lambda: state.publish_result(result))
    gaps: list[float] = []
    last = [time.perf_counter()]

    def heartbeat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    beat = QTimer()
    beat.setInterval(5)
    beat.timeout.connect(heartbeat)
    frames.start()
    beat.start()
    idle_until = time.perf_counter() + 2.0  # the same heartbeat without training: the baseline
    while time.perf_counter() < idle_until:
        app.processEvents()
        time.sleep(0.001)
    baseline, gaps[:] = gaps[20:], []
    started = time.perf_counter()
    tab.start_training()
    while tab.is_training():
        app.processEvents()
        time.sleep(0.001)
    seconds = time.perf_counter() - started
    beat.stop()
    frames.stop()
    tab.shutdown()
    training_gaps = np.array(gaps or [0.0])
    idle_gaps = np.array(baseline or [0.0])
    print(
        f"training: {tab.steps_done()} steps in {seconds:.1f} s "
        f"({tab.status.text().split('·')[-1].strip()})"
    )
    print(
        f"progress updates: {len(update_ms)}, slowest {max(update_ms or [0]):.1f} ms, "
        f"median {float(np.median(update_ms or [0])):.1f} ms"
    )
    for label, values in (("idle", idle_gaps), ("training", training_gaps)):
        print(
            f"GUI heartbeat while {label:8s}: worst gap {values.max():6.1f} ms, "
            f"99th percentile {np.percentile(values, 99):5.1f} ms, "
            f"{int((values > 25).sum())} of {len(values)} gaps > 25 ms"
        )
    print("(goal: no gap > 25 ms caused by training; an idle gap shows the machine's own load)")
    return 0

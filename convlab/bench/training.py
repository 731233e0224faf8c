"""Does training leave the GUI thread free? ``python -m convlab.bench training [options]``.

The real window (``build_window``, offscreen) plays a webcam-like 640x480 test pattern at
30 fps while the Train tab trains on the default data. A 5 ms precise QTimer on the GUI thread
measures how late it fires (a stall). Three runs: no training (the baseline: what the window
and the machine cost by themselves), training while the Playground (the live view) is shown,
and training while the Train tab (curves, filters, insight) is shown. Training runs in a
process of its own; goal: the GUI thread's worst stall while it trains stays <= 16 ms (one
frame at 60 Hz). Each run also says how long Train took to its first progress report (the
process started, the data made, the first batches trained).

To find what the GUI thread spends its time on, ``--profile`` runs cProfile on the GUI thread
during the Train-tab run, and every run samples the GUI thread's Python stack each millisecond
from a helper thread: the functions seen during stalls above ``--stall`` ms are listed.
The report is printed, and saved only to a file named with ``--output``.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from convlab.bench.report import environment_lines, load_average

GOAL_MS = 16.0  # worst GUI stall while training: one frame at 60 Hz


class StackSampler(threading.Thread):
    """Samples one thread's innermost Python frames every millisecond (timestamped)."""

    def __init__(self, thread_id: int) -> None:
        super().__init__(daemon=True)
        self.thread_id = thread_id
        self.samples: list[tuple[float, str]] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            frame = sys._current_frames().get(self.thread_id)
            names = []
            while frame is not None and len(names) < 4:
                code = frame.f_code
                if "convlab" in code.co_filename or "pyqtgraph" in code.co_filename:
                    names.append(f"{Path(code.co_filename).stem}.{code.co_name}")
                frame = frame.f_back
            self.samples.append((time.perf_counter(), " < ".join(names) or "(Qt event loop)"))
            time.sleep(0.001)

    def during(self, intervals: list[tuple[float, float]]) -> collections.Counter:
        counts: collections.Counter = collections.Counter()
        for moment, where in self.samples:
            if any(start <= moment <= end for start, end in intervals):
                counts[where] += 1
        return counts


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench training")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--stall", type=float, default=15.0, help="ms: attribute stalls above")
    parser.add_argument("--profile", action="store_true", help="cProfile the GUI thread")
    parser.add_argument("--output", type=Path, help="also save the report to this file")
    options = parser.parse_args(args)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CONVLAB_SETTINGS"] = str(Path(tempfile.mkdtemp()) / "settings.ini")

    from PySide6.QtCore import QEventLoop, QStandardPaths, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from convlab.app import build_window
    from convlab.engine.sources import TestPatternSource

    QStandardPaths.setTestModeEnabled(True)  # never touch the user's saved webcam classes
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = build_window(["--reset-settings"])
    window.resize(1600, 1000)
    window.show()
    tab = window.training_tab
    tab.data.count_box.setValue(options.images)
    tab.settings.epochs_box.setValue(options.epochs)
    window.worker.open(TestPatternSource(640, 480, 30.0))

    update_ms: list[float] = []
    original = tab.session._on_progress

    first_report_s: list[float] = []
    train_pressed = [0.0]

    def timed(thread, reports) -> None:
        began = time.perf_counter()
        if not first_report_s:
            first_report_s.append(began - train_pressed[0])
        original(thread, reports)
        update_ms.append((time.perf_counter() - began) * 1000)

    tab.session._on_progress = timed  # connected when a run starts, so wrapping here is enough

    ticks: list[float] = []
    timer = QTimer(interval=5, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    sampler = StackSampler(threading.main_thread().ident)
    sampler.start()

    def wait(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def wait_for_training_end() -> None:
        while tab.is_training():
            wait(0.05)

    lines = [
        f"ConvLab training benchmark — {time.strftime('%Y-%m-%d %H:%M')}; "
        "window 1600x1000 offscreen, "
        f"640x480 test pattern at 30 fps as the webcam; default data ({options.images} synthetic "
        f"digits), default model, {options.epochs} epochs",
        *environment_lines(),
        "",
    ]
    profiler = cProfile.Profile() if options.profile else None
    for label, tab_index, train in (
        ("no training, Playground shown", 0, False),
        ("training, Playground (live view) shown", 0, True),
        ("training, Train tab shown", 4, True),
    ):
        window.tabs.setCurrentIndex(tab_index)
        wait(1.5)
        update_ms.clear()
        ticks.clear()
        frames_before = window.displayed_frames
        timer.start()
        started = time.perf_counter()
        if train:
            if profiler is not None and tab_index == 4:
                profiler.enable()
            first_report_s.clear()
            train_pressed[0] = time.perf_counter()
            tab.start_training()
            wait_for_training_end()
            if profiler is not None:
                profiler.disable()
        else:
            wait(4.0)
        seconds = time.perf_counter() - started
        timer.stop()
        fps = (window.displayed_frames - frames_before) / seconds
        gaps = np.diff(np.array(ticks)) * 1000 if len(ticks) > 1 else np.zeros(1)
        late = gaps - 5.0
        lines.append(f"{label}: {seconds:.1f} s, live view {fps:.1f} fps")
        lines.append(
            f"  GUI stall (5 ms timer lateness): worst {late.max():.1f} ms, 99th percentile "
            f"{np.percentile(late, 99):.1f} ms, {int((late > GOAL_MS).sum())} of {len(late)} > "
            f"{GOAL_MS:g} ms (goal: worst <= {GOAL_MS:g} ms)"
        )
        if train:
            lines.append(
                f"  first progress report {first_report_s[0]:.2f} s after Train"
                if first_report_s
                else "  no progress report"
            )
            lines.append(
                f"  training: {tab.steps_done()} steps; {len(update_ms)} progress updates, "
                f"slowest {max(update_ms or [0]):.1f} ms, median "
                f"{float(np.median(update_ms or [0])):.1f} ms on the GUI thread; "
                f"{tab.status.text().split('·')[-1].strip()}"
            )
        stalls = [(ticks[i], ticks[i + 1]) for i in np.flatnonzero(late > options.stall).tolist()]
        if stalls:
            lines.append(f"  GUI thread during the {len(stalls)} stall(s) > {options.stall} ms:")
            for where, count in sampler.during(stalls).most_common(6):
                lines.append(f"    {count:4d} samples  {where}")
        if train:
            tab.reset()  # nothing unsaved: closing must not ask
    sampler.running = False  # (sampling stacks crashed CPython 3.11 here once in a while)
    sampler.join()
    lines.append(_stop_answer(window, tab, wait))
    lines.append(_first_report(window, tab, wait))
    window.close()
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        lines += ["", "cProfile of the GUI thread while training (Train tab shown):"]
        lines += [line for line in text.getvalue().splitlines() if line.strip()][:45]
    lines.append(f"at the end: {load_average()}")
    report = "\n".join(lines)
    print(report)
    if options.output is not None:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(report + "\n")
        print(f"\nsaved to {options.output}")
    app.processEvents()
    return 0


def _stop_answer(window, tab, wait) -> str:
    """How long Stop takes: the tab at once; the training process to end after it."""
    window.tabs.setCurrentIndex(0)
    tab.start_training()
    while tab.steps_done() < 5 and tab.is_training():
        wait(0.02)
    runner = tab.session._runner
    ended: list[float] = []
    runner.completed.connect(lambda *_: ended.append(time.perf_counter()))
    asked = time.perf_counter()
    tab.stop_button.click()
    answered = time.perf_counter() - asked
    while not ended and time.perf_counter() - asked < 10:
        wait(0.002)
    process_ms = (ended[0] - asked) * 1000 if ended else float("nan")
    tab.reset()
    return (
        f"Stop: the tab answers in {answered * 1000:.1f} ms; the training process ends "
        f"{process_ms:.0f} ms after it (goal <= 500 ms)"
    )


def _first_report(window, tab, wait) -> str:
    """Seconds from Train to the first progress report: with a fresh process (the Train tab
    was not on screen), and with the spare process made while the tab was on screen."""
    from convlab.ui.threads import spare_process

    def time_it() -> float:
        reported: list[float] = []
        pressed = time.perf_counter()
        tab.start_training()
        tab.session._runner.progress.connect(lambda *_: reported.append(time.perf_counter()))
        while not reported and time.perf_counter() - pressed < 120:
            wait(0.005)
        tab.stop_button.click()
        while tab.is_training():
            wait(0.02)
        tab.reset()
        return reported[0] - pressed if reported else float("nan")

    spare_process.discard()
    window.tabs.setCurrentIndex(0)
    wait(0.5)
    fresh = time_it()
    window.tabs.setCurrentIndex(4)
    started = time.perf_counter()
    while time.perf_counter() - started < 120:
        spare = spare_process.current()
        if spare is not None and spare.ready():
            break
        wait(0.1)
    ready_after = time.perf_counter() - started
    spared = time_it()
    return (
        f"Train to the first progress report: {fresh:.2f} s starting a fresh process; "
        f"{spared:.2f} s with the spare process (ready {ready_after:.1f} s after the Train "
        "tab came on screen)"
    )

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

from convlab.bench.report import environment_lines, finish_report, wait

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


RUNS = (  # (label, tab shown, train)
    ("no training, Playground shown", 0, False),
    ("training, Playground (live view) shown", 0, True),
    ("training, Train tab shown", 4, True),
)


def run(args: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    options = _options(args)
    window = _open_window(options)
    tab = window.training_tab
    probe = Probe(tab)
    lines = [
        f"ConvLab training benchmark — {time.strftime('%Y-%m-%d %H:%M')}; "
        "window 1600x1000 offscreen, "
        f"640x480 test pattern at 30 fps as the webcam; default data ({options.images} synthetic "
        f"digits), default model, {options.epochs} epochs",
        *environment_lines(),
        "",
    ]
    profiler = cProfile.Profile() if options.profile else None
    for label, tab_index, train in RUNS:
        window.tabs.setCurrentIndex(tab_index)
        wait(1.5)
        profiled = profiler if tab_index == 4 else None
        lines += _measure(window, probe, label, train, options.stall, profiled)
    probe.sampler.running = False  # (sampling stacks crashed CPython 3.11 here once in a while)
    probe.sampler.join()
    lines.append(_stop_answer(window, tab))
    lines.append(_first_report(window, tab))
    window.close()
    if profiler is not None:
        lines += _profile_lines(profiler)
    status = finish_report(lines, options.output)
    QApplication.instance().processEvents()
    return status


def _options(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench training")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--stall", type=float, default=15.0, help="ms: attribute stalls above")
    parser.add_argument("--profile", action="store_true", help="cProfile the GUI thread")
    parser.add_argument("--output", type=Path, help="also save the report to this file")
    return parser.parse_args(args)


def _open_window(options: argparse.Namespace):
    """The real window, offscreen, with fresh settings, playing a 640x480 test pattern."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CONVLAB_SETTINGS"] = str(Path(tempfile.mkdtemp()) / "settings.ini")

    from PySide6.QtCore import QStandardPaths
    from PySide6.QtWidgets import QApplication

    from convlab.app import build_window
    from convlab.engine.sources import TestPatternSource

    QStandardPaths.setTestModeEnabled(True)  # never touch the user's saved webcam classes
    QApplication.instance() or QApplication(sys.argv[:1])
    window = build_window(["--reset-settings"])
    window.resize(1600, 1000)
    window.show()
    window.training_tab.data.count_box.setValue(options.images)
    window.training_tab.settings.epochs_box.setValue(options.epochs)
    window.worker.open(TestPatternSource(640, 480, 30.0))
    return window


class Probe:
    """What one run measures on the GUI thread: a 5 ms timer's ticks, the time each progress
    report takes to show, when the first report came, and (sampled) the Python stack."""

    def __init__(self, tab) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.update_ms: list[float] = []
        self.first_report_s: list[float] = []
        self.train_pressed = 0.0
        self.ticks: list[float] = []
        self.timer = QTimer(interval=5, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))
        self._original = tab.session._on_progress
        tab.session._on_progress = self._timed  # connected when a run starts: wrapping suffices
        self.sampler = StackSampler(threading.main_thread().ident)
        self.sampler.start()

    def _timed(self, thread, reports) -> None:
        began = time.perf_counter()
        if not self.first_report_s:
            self.first_report_s.append(began - self.train_pressed)
        self._original(thread, reports)
        self.update_ms.append((time.perf_counter() - began) * 1000)

    def start(self) -> None:
        self.update_ms.clear()
        self.ticks.clear()
        self.first_report_s.clear()
        self.timer.start()

    def lateness_ms(self) -> np.ndarray:
        """How late each tick of the 5 ms timer came."""
        gaps = np.diff(np.array(self.ticks)) * 1000 if len(self.ticks) > 1 else np.zeros(1)
        return gaps - 5.0


def _measure(window, probe: Probe, label: str, train: bool, stall_ms: float, profiler) -> list:
    """One run (training, or 4 s of nothing), reported: fps, GUI stalls, progress updates;
    ``profiler`` (or None) runs while it trains."""
    tab = window.training_tab
    frames_before = window.displayed_frames
    probe.start()
    started = time.perf_counter()
    cpu_before = time.thread_time()  # this is the GUI thread: what it did, whatever the load
    if train:
        if profiler is not None:
            profiler.enable()
        probe.train_pressed = time.perf_counter()
        tab.start_training()
        while tab.is_training():
            wait(0.05)
        if profiler is not None:
            profiler.disable()
    else:
        wait(4.0)
    seconds = time.perf_counter() - started
    cpu_ms = (time.thread_time() - cpu_before) * 1000
    probe.timer.stop()
    frames = window.displayed_frames - frames_before
    fps = frames / seconds
    late = probe.lateness_ms()
    per_frame = f", {cpu_ms / frames:.1f} ms per displayed frame" if frames else ""
    lines = [
        f"{label}: {seconds:.1f} s, live view {fps:.1f} fps",
        f"  GUI thread CPU: {cpu_ms / seconds / 10:.0f}% of a core{per_frame} (all it did:"
        " painting, timers, progress)",
        f"  GUI stall (5 ms timer lateness): worst {late.max():.1f} ms, 99th percentile "
        f"{np.percentile(late, 99):.1f} ms, {int((late > GOAL_MS).sum())} of {len(late)} > "
        f"{GOAL_MS:g} ms (goal: worst <= {GOAL_MS:g} ms)",
    ]
    if train:
        lines += _training_lines(tab, probe)
    ticks = probe.ticks
    stalls = [(ticks[i], ticks[i + 1]) for i in np.flatnonzero(late > stall_ms).tolist()]
    if stalls:
        lines.append(f"  GUI thread during the {len(stalls)} stall(s) > {stall_ms} ms:")
        for where, count in probe.sampler.during(stalls).most_common(6):
            lines.append(f"    {count:4d} samples  {where}")
    if train:
        tab.reset()  # nothing unsaved: closing must not ask
    return lines


def _training_lines(tab, probe: Probe) -> list[str]:
    """When the first progress report came, and what the reports cost the GUI thread."""
    update_ms = probe.update_ms
    return [
        f"  first progress report {probe.first_report_s[0]:.2f} s after Train"
        if probe.first_report_s
        else "  no progress report",
        f"  training: {tab.steps_done()} steps; {len(update_ms)} progress updates, "
        f"slowest {max(update_ms or [0]):.1f} ms, median "
        f"{float(np.median(update_ms or [0])):.1f} ms on the GUI thread; "
        f"{tab.status.text().split('·')[-1].strip()}",
    ]


def _profile_lines(profiler: cProfile.Profile) -> list[str]:
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    lines = ["", "cProfile of the GUI thread while training (Train tab shown):"]
    return lines + [line for line in text.getvalue().splitlines() if line.strip()][:45]


def _stop_answer(window, tab) -> str:
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


def _first_report(window, tab) -> str:
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

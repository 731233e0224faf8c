"""``python -m convlab.bench gui``: the live window's speed goals, measured headless.

Goals: 1280x720 live video with a 3x3 kernel and a 4-map bank, its maps at full scale, shows
>= 30 fps on 2 cores; the GUI thread is never blocked > 25 ms; an edit in the kernel grid
reaches the output pixels in <= 100 ms; the window is visible <= 2 s after launch; closing
stops the worker within 1 s.

How each is measured (offscreen Qt platform, the real window from ``build_window``):

- displayed fps: frames the window actually put on screen per second, from a moving 1280x720
  test pattern that runs as fast as it can (``--rate`` fps), so this is the ceiling; a second
  run at 30 fps plays the part of a webcam;
- GUI stall: a 5 ms precise QTimer on the GUI thread; the stall is how late it fires;
- edit-to-pixels: ``model.setData`` on a ``kernelEditor`` cell, until the output view has
  painted a result of the new pipeline (a synchronous repaint is included);
- startup: wall time from spawning ``python`` until the window has been shown and painted;
- close: wall time of ``window.close()`` (it joins the worker and releases the source).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from convlab.bench.report import LIVE_BANK, environment_lines, finish_report, wait

BANK = LIVE_BANK


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench gui")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per run")
    parser.add_argument("--rate", type=float, default=1000.0, help="test pattern fps (ceiling)")
    parser.add_argument("--edits", type=int, default=30, help="grid edits to time")
    parser.add_argument("--output", type=Path, help="also save the report to this file")
    options = parser.parse_args(args)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    settings_dir = tempfile.mkdtemp(prefix="convlab-bench-")
    os.environ["CONVLAB_SETTINGS"] = str(Path(settings_dir) / "settings.ini")

    lines = [
        f"ConvLab GUI benchmark — {time.strftime('%Y-%m-%d %H:%M')}, "
        f"Qt platform {os.environ['QT_QPA_PLATFORM']}",
        "1280x720 moving test pattern, kernel 'sharpen' (3x3), bank of 4 maps: " + ", ".join(BANK),
        *environment_lines(),
        "",
    ]
    startup = [_startup_seconds() for _ in range(3)]
    lines.append(
        f"startup to visible window: median {statistics.median(startup):.2f} s, "
        f"worst {max(startup):.2f} s   (goal <= 2 s)"
    )
    lines += _live_runs(options)
    return finish_report(lines, options.output)


def _live_runs(options: argparse.Namespace) -> list[str]:
    bench = _LiveWindow()
    lines = []
    fps, worst, p99, filter_ms, display_ms = bench.measure(options.rate, options.seconds)
    lines += [
        f"as fast as possible (pattern at {options.rate:.0f} fps): displayed {fps:.1f} fps "
        f"(goal >= 30); filter median {filter_ms:.1f} ms/frame on the worker, display "
        f"{display_ms:.1f} ms/frame on the GUI thread; {bench.scale_text()}",
        f"  {bench.cpu_text()}",
        f"  GUI thread stall: worst {worst:.1f} ms, 99th percentile {p99:.1f} ms (goal <= 25)",
    ]
    latencies = bench.edit_latencies(options.edits)
    lines.append(
        f"  grid edit -> output pixels: median {statistics.median(latencies):.0f} ms, "
        f"worst {max(latencies):.0f} ms over {len(latencies)} edits (goal <= 100)"
    )
    fps, worst, p99, filter_ms, display_ms = bench.measure(30.0, options.seconds)
    lines += [
        f"webcam-like (pattern at 30 fps): displayed {fps:.1f} fps; "
        f"GUI stall worst {worst:.1f} ms, 99th percentile {p99:.1f} ms; {bench.scale_text()}",
        f"  {bench.cpu_text()}",
    ]
    latencies = bench.edit_latencies(options.edits)
    lines.append(
        f"  grid edit -> output pixels: median {statistics.median(latencies):.0f} ms, "
        f"worst {max(latencies):.0f} ms over {len(latencies)} edits"
    )
    started = time.perf_counter()
    bench.window.close()
    closed = time.perf_counter() - started
    lines.append(
        f"close (stop + join the worker, release the source): {closed * 1000:.0f} ms, "
        f"worker stopped: {not bench.window.worker.isRunning()} (goal <= 1 s)"
    )
    return lines


class _LiveWindow:
    """The real window on a generated 1280x720 video, with a 5 ms timer that measures how
    late the GUI thread answers (its stalls)."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer
        from PySide6.QtWidgets import QApplication, QTableView

        from convlab.app import build_window
        from convlab.engine import presets

        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("ConvLab benchmark")
        self.window = window = build_window(["--reset-settings", "--kernel", "sharpen"])
        window.resize(1600, 1000)
        window.show()
        self.state = window.state
        self.state.set_bank([presets.get(name) for name in BANK])
        self.model = window.findChild(QTableView, "kernelEditor").model()
        self.lateness: list[float] = []
        self.last_tick = time.perf_counter()
        self.timer = QTimer(interval=5, timerType=Qt.TimerType.PreciseTimer, timeout=self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness.append(now - self.last_tick - 0.005)
        self.last_tick = now

    def measure(self, rate: float, seconds: float) -> tuple[float, float, float, float, float]:
        """(displayed fps, worst stall, 99th percentile stall, median filter ms, display ms).

        Also keeps ``scales``: the scale each displayed frame's maps were computed at, and
        ``gui_cpu_ms``: the GUI thread's own CPU time per displayed frame (everything it did,
        painting included, whatever else the machine was busy with).
        """
        from convlab.engine.sources import TestPatternSource

        window = self.window
        window.worker.open(TestPatternSource(1280, 720, rate))
        wait(2.0)  # warm-up: caches, first-frame allocations
        frames_before = window.displayed_frames
        filter_ms: list[float] = []
        self.scales: list[str] = []

        def shown(result) -> None:
            filter_ms.append(result.filter_ms)
            self.scales.append("full" if result.maps_full_scale else "preview")

        self.state.resultReady.connect(shown)
        self.lateness.clear()
        self.last_tick = time.perf_counter()
        self.timer.start()
        started = time.perf_counter()
        cpu_before = time.thread_time()  # measured on the GUI thread
        wait(seconds)
        elapsed = time.perf_counter() - started
        cpu_ms = (time.thread_time() - cpu_before) * 1000
        self.timer.stop()
        self.state.resultReady.disconnect(shown)
        frames = window.displayed_frames - frames_before
        self.gui_cpu_ms = cpu_ms / frames if frames else float("nan")
        fps = frames / elapsed
        stalls = np.array(self.lateness) * 1000.0
        return (
            fps,
            float(stalls.max()),
            float(np.percentile(stalls, 99)),
            statistics.median(filter_ms) if filter_ms else float("nan"),
            window._display_ms,
        )

    def cpu_text(self) -> str:
        return f"GUI thread CPU {self.gui_cpu_ms:.1f} ms per displayed frame, painting included"

    def scale_text(self) -> str:
        """E.g. "maps at full scale in 240 of 240 frames"."""
        full = self.scales.count("full")
        return f"maps at full scale in {full} of {len(self.scales)} frames"

    def edit_latencies(self, count: int) -> list[float]:
        """Milliseconds from a grid edit to the output view's repainted pixels."""
        rng = np.random.default_rng(0)
        latencies: list[float] = []
        for index in range(count):
            wait(0.1 + 0.1 * rng.random())  # edits land at random points of the frame cycle
            latencies.append(self._edit_latency(5.0 + (index % 7) * 0.25))
        return latencies

    def _edit_latency(self, value: float) -> float:
        from PySide6.QtCore import QEventLoop, QTimer

        state, model = self.state, self.model
        target = {}

        def shown(result, target=target) -> None:
            if "t0" in target and "t1" not in target and result.generation >= target["gen"]:
                self.window.output_view.viewport().repaint()  # the pixels, not just the data
                target["t1"] = time.perf_counter()

        loop = QEventLoop()

        def done(_result, target=target) -> None:
            if "t1" in target:
                loop.quit()

        state.resultReady.connect(shown)
        state.resultReady.connect(done)
        QTimer.singleShot(2000, loop.quit)
        target["t0"] = time.perf_counter()
        model.setData(model.index(1, 1), value)
        target["gen"] = state.pipeline.generation
        loop.exec()
        # only these two: the window's own panels stay connected for the runs that follow
        state.resultReady.disconnect(shown)
        state.resultReady.disconnect(done)
        return (target.get("t1", time.perf_counter()) - target["t0"]) * 1000.0


_PROBE = """
import time, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from convlab.app import build_window
window = build_window(["--reset-settings"])
window.show()
def done():
    window.repaint()
    print("visible", flush=True)
    window.close()
    app.quit()
QTimer.singleShot(0, done)
app.exec()
"""


def _startup_seconds() -> float:
    """Spawn a fresh interpreter and time it until the window has been shown and painted."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _PROBE], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, env=dict(os.environ),
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("visible"):
            elapsed = time.perf_counter() - started
            break
    else:
        elapsed = float("nan")
    process.wait(timeout=30)
    return elapsed

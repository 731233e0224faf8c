"""``python -m convlab.bench soak``: a long run through the whole window, looking for leaks.

Goals: >= 20,000 frames of live video through the real window (offscreen) without a
crash; resident memory grows < 30 MB after warm-up; the number of live Qt objects does not
grow; and a camera-style ``VideoSource`` opened and closed 100 times leaks neither memory nor
file handles. Prints and saves frames, memory growth, object counts and the worst GUI stall.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from convlab.bench.report import LIVE_BANK, environment_lines, finish_report

BANK = LIVE_BANK


def rss_mb() -> float:
    """Resident memory of this process (Linux /proc; falls back to ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def open_files() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench soak")
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--size", default="640x360", help="frame size of the live pattern")
    parser.add_argument("--reopen", type=int, default=100, help="VideoSource open/close cycles")
    parser.add_argument("--output", type=Path, help="also save the report to this file")
    options = parser.parse_args(args)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    workdir = Path(tempfile.mkdtemp(prefix="convlab-soak-"))
    os.environ["CONVLAB_SETTINGS"] = str(workdir / "settings.ini")
    width, height = (int(v) for v in options.size.split("x"))

    lines = [
        f"ConvLab soak — {time.strftime('%Y-%m-%d %H:%M')}",
        f"live {width}x{height} test pattern through the whole window (offscreen), kernel "
        f"'sharpen' + a 4-map bank ({', '.join(BANK)})",
        *environment_lines(),
        "",
    ]
    lines += _window_soak(options, width, height)
    lines += _reopen_soak(options.reopen, workdir)
    return finish_report(lines, options.output)


def _qt_object_count(app, window) -> int:
    from PySide6.QtCore import QObject

    items = sum(len(view.scene().items()) for view in (window.source_view, window.output_view))
    return len(window.findChildren(QObject)) + len(app.allWidgets()) + items


def _window_soak(options: argparse.Namespace, width: int, height: int) -> list[str]:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from convlab.app import build_window
    from convlab.engine import presets
    from convlab.engine.sources import TestPatternSource

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = build_window(["--reset-settings", "--kernel", "sharpen"])
    window.resize(1600, 1000)
    window.show()
    window.state.set_bank([presets.get(name) for name in BANK])
    window.worker.open(TestPatternSource(width, height, 1000.0))

    stalls: list[float] = []
    last_tick = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        if window.displayed_frames > options.warmup:
            stalls.append(now - last_tick[0] - 0.005)
        last_tick[0] = now

    gc_pauses = _GcPauses()
    gc.callbacks.append(gc_pauses.watch)

    timer = QTimer(interval=5, timerType=Qt.TimerType.PreciseTimer, timeout=tick)
    timer.start()
    samples: list[tuple[int, float, int]] = []
    next_sample = [options.warmup]
    loop = QEventLoop()

    def check() -> None:
        frames = window.displayed_frames
        if frames >= next_sample[0]:
            gc.collect()
            samples.append((frames, rss_mb(), _qt_object_count(app, window)))
            next_sample[0] += max(1, options.frames // 10)
        if frames >= options.frames:
            loop.quit()

    started = time.perf_counter()
    window.state.resultReady.connect(lambda _result: check())
    loop.exec()
    elapsed = time.perf_counter() - started
    timer.stop()
    gc.callbacks.remove(gc_pauses.watch)
    frames = window.displayed_frames
    errors_shown = window.banner.isVisible()
    window.close()
    rate = f"{frames} in {elapsed:.0f} s ({frames / elapsed:.1f} fps)"
    return [
        f"frames displayed: {rate}, worker read {window.worker.frames_read}",
        *_growth_lines(samples, options.warmup),
        *_stall_lines(np.array(stalls) * 1000.0, gc_pauses.pauses),
        f"error banner shown during the run: {errors_shown}",
        "",
    ]


class _GcPauses:
    """How long each garbage-collector pass takes (``watch`` goes in ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def watch(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


def _growth_lines(samples: list[tuple[int, float, int]], warmup: int) -> list[str]:
    """Memory and Qt-object counts from the first sample after warm-up to the last."""
    (_, rss_start, objects_start), (_, rss_end, objects_end) = samples[0], samples[-1]
    trend = ", ".join(f"{f}: {r:.0f} MB" for f, r, _ in samples)
    return [
        f"resident memory after warm-up ({warmup} frames): {rss_start:.1f} MB -> "
        f"{rss_end:.1f} MB at the end: growth {rss_end - rss_start:+.1f} MB (goal < 30 MB)",
        f"  trend: {trend}",
        f"live Qt objects (window children + widgets + scene items): {objects_start} -> "
        f"{objects_end} ({objects_end - objects_start:+d})",
    ]


def _stall_lines(stall_ms: np.ndarray, gc_pauses: list[float]) -> list[str]:
    return [
        f"GUI-thread stalls after warm-up (5 ms timer lateness): worst {stall_ms.max():.1f} ms, "
        f"99.9th percentile {np.percentile(stall_ms, 99.9):.1f} ms, "
        f"{int((stall_ms > 25).sum())} of {len(stall_ms)} ticks late by > 25 ms",
        f"garbage-collector pauses: {len(gc_pauses)}, longest "
        f"{max(gc_pauses, default=0.0) * 1000:.1f} ms",
    ]


def _reopen_soak(cycles: int, workdir: Path) -> list[str]:
    from convlab.engine.sources import VideoSource

    path = workdir / "camera-like.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (320, 240))
    rng = np.random.default_rng(0)
    for _ in range(30):
        writer.write(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8))
    writer.release()

    def cycle() -> None:
        source = VideoSource(str(path))
        frame = source.read()
        assert frame is not None and frame.shape == (240, 320, 3)
        source.close()

    for _ in range(5):  # warm-up: codec libraries load on first use
        cycle()
    gc.collect()
    rss_before, files_before = rss_mb(), open_files()
    started = time.perf_counter()
    for _ in range(cycles):
        cycle()
    elapsed = time.perf_counter() - started
    gc.collect()
    rss_after, files_after = rss_mb(), open_files()
    return [
        f"VideoSource open + read + close x{cycles}: {elapsed:.1f} s, resident memory "
        f"{rss_before:.1f} -> {rss_after:.1f} MB ({rss_after - rss_before:+.1f}), open files "
        f"{files_before} -> {files_after} ({files_after - files_before:+d})",
    ]

"""The live benchmark's window part: the stream through the real window, read back from what
the input view shows, and what the window costs when there is nothing to do.

Used by ``python -m convlab.bench live`` (see ``live.py``); the window runs offscreen.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from convlab.bench.live import Run
from convlab.bench.report import wait

IDLE_SECONDS = 10.0


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault(
        "CONVLAB_SETTINGS", str(Path(tempfile.mkdtemp(prefix="convlab-live-")) / "s.ini")
    )
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["convlab-bench"])


def _window(source: str):
    from convlab.app import build_window

    _app()
    window = build_window(["--reset-settings", "--kernel", "sharpen", source])
    window.state.set_bank([])  # a fast filter: the live path is measured, not the bank
    window.resize(1366, 768)
    window.show()
    return window


def window_run(server, seconds: float, slow_s: float, name: str) -> Run:
    """Open the stream in the window; record every frame the input view shows.

    ``slow_s`` is added to every filtering on the worker (a big kernel bank at 1080p)."""
    window = _window(server.url)
    run = Run(name)
    if slow_s:
        worker, original = window.worker, window.worker._filter

        def slow_filter(frame, pipeline) -> None:
            time.sleep(slow_s)
            original(frame, pipeline)

        worker._filter = slow_filter

    def record(_result) -> None:
        run.record(window.source_view.image_item.image, server)

    try:
        wait(2.0)  # connected, first frames, caches warm
        window.state.resultReady.connect(record)
        wait(seconds)
    finally:
        window.state.resultReady.disconnect(record)  # a result still queued is not counted
        window.close()
    return run


def window_lost_delay(server) -> float:
    """Seconds from a dying server's last frame to the window's banner saying so."""
    window = _window(server.url)
    lost: list[float] = []
    window.worker.sourceLost.connect(lambda _text: lost.append(time.monotonic()))
    try:
        wait(2.0)
        server.kill()
        last = server.sent_at(server.last_sent) or time.monotonic()
        deadline = time.monotonic() + 5.0
        while not lost and time.monotonic() < deadline:
            wait(0.01)
        shown = not window.banner.isHidden() and "last frame stays" in window.banner.text()
        return lost[0] - last if lost and shown else float("nan")
    finally:
        window.close()


def idle_cpu(image: str, seconds: float = IDLE_SECONDS) -> tuple[float, float]:
    """Share of one core the whole process uses with a still image on screen, and with the
    Train tab on top of a live test pattern (nothing shows it: nothing is filtered)."""
    window = _window(image)
    try:
        wait(2.0)
        cpu, wall = time.process_time(), time.perf_counter()
        wait(seconds)
        still = (time.process_time() - cpu) / (time.perf_counter() - wall)
        window.source_menu.open_pattern()
        window.tabs.setCurrentIndex(window.tabs.count() - 1)
        wait(2.0)
        cpu, wall = time.process_time(), time.perf_counter()
        wait(seconds)
        unseen = (time.process_time() - cpu) / (time.perf_counter() - wall)
        return still, unseen
    finally:
        window.close()

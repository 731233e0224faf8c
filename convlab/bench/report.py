"""What every benchmark shares: the versions and machine it ran on, and how a report ends.

Not a benchmark itself (``__main__`` lists the suites). Figures mean little without the
versions behind them (OpenCV 5's filter2D is four times faster than OpenCV 4's on large
kernels) and the load on the machine (other processes on the cores slow multi-threaded paths
most), so every suite prints ``environment_lines()`` first and the load average last.
Benchmarks print; they write a file only when ``--output`` names one.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
import time
from pathlib import Path

import cv2
import numpy as np

# The 4-map bank of the window benchmarks ("default 3x3 kernel plus a 4-map bank").
LIVE_BANK = ("sobel_x", "sobel_y", "prewitt_x", "laplacian")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages and the core count ("unknown" on Windows)."""
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):
        return f"load average unknown, {os.cpu_count()} cores"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def blas_lines() -> list[str]:
    """numpy's BLAS (and any other the process loaded) with its threads, via threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["BLAS: threadpoolctl not installed, details unknown"]
    lines = []
    for library in threadpool_info():
        owner = "numpy" if "numpy" in library.get("filepath", "") else "other"
        lines.append(
            f"{library.get('user_api')} ({owner}): {library.get('internal_api')} "
            f"{library.get('version')}, {library.get('num_threads')} threads"
            + (f", kernel {library['architecture']}" if library.get("architecture") else "")
        )
    return lines or ["BLAS: none found by threadpoolctl"]


def environment_lines() -> list[str]:
    """Python, numpy, OpenCV, PySide6 and BLAS versions, the machine's cores and its load."""
    lines = [
        f"Python {platform.python_version()} ({sys.implementation.name}), numpy {np.__version__}, "
        f"OpenCV {cv2.__version__} ({cv2.getNumThreads()} threads), "
        f"PySide6 {_version('PySide6-Essentials')}, pyqtgraph {_version('pyqtgraph')}, "
        f"ConvLab {_version('convlab')}",
        f"{platform.system()} {platform.release()} on {platform.machine()} "
        f"({platform.processor() or 'cpu'}), {load_average()}",
    ]
    return lines + blas_lines()


def wait(seconds: float) -> None:
    """Run the real Qt event loop for ``seconds`` (a busy processEvents loop would steal a
    core); for the benchmarks that drive the window."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


class StallProbe:
    """The longest gap between ticks of a 5 ms GUI timer: how long the window froze (the
    hostile-input bench and the window tests measure with it)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.worst = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(interval=5)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self._last)
        self._last = now

    def stop(self) -> float:
        """Seconds: the worst stall until now."""
        self._timer.stop()
        return self.worst


def finish_report(lines: list[str], output: Path | None) -> int:
    """Append the load average, print the report, and save it to ``output`` if one was given;
    exit status 0."""
    lines.append(f"at the end: {load_average()}")
    print("\n".join(lines))
    save_report(lines, output)
    return 0


def save_report(lines: list[str], output: Path | None) -> None:
    """Write the report to ``output`` (its folder made if missing) and say so; nothing if None."""
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("\n".join(lines) + "\n")
        print(f"\nsaved to {output}")

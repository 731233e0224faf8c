"""The main window's status bar: the source, the frame rate, the timings and the hovered pixel.

Every label has a fixed width: a long file name or value is cut, it never widens the window.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from convlab.ui import text as ui_text
from convlab.ui.threads.filter_worker import FilterWorker, SourceInfo

HOVER_HINT = "Hover to read pixel values · click or Shift+move to inspect"


class StatusLine(QObject):
    """Four permanent labels in ``bar``; the rates are refreshed twice a second."""

    def __init__(self, bar: QStatusBar, worker: FilterWorker) -> None:
        super().__init__(bar)
        self.worker = worker
        self.source_label = ui_text.plain_label("No source")  # file names and URLs: elided
        self.rate_label = QLabel("")
        self.timing_label = QLabel("")
        self.hover_label = QLabel(HOVER_HINT)
        for label in (self.source_label, self.rate_label, self.timing_label, self.hover_label):
            ui_text.make_plain(label)
            label.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(label)
        self.source_label.setFixedWidth(250)
        self.rate_label.setFixedWidth(100)
        self.timing_label.setFixedWidth(210)
        self.hover_label.setFixedWidth(380)
        self.source_label.setToolTip("The source: name, size (width x height), kind")
        self.timing_label.setToolTip("Milliseconds per frame: filtering (worker), display (GUI)")
        self.hover_label.setToolTip("The pixel under the mouse: its value in the input and output")
        self._info: SourceInfo | None = None
        self._display_times: deque[float] = deque(maxlen=30)
        self._timings: tuple[float, float] | None = None  # (filter ms, display ms)
        self.timer = QTimer(self, interval=500, timeout=self.update_rates)
        self.timer.start()

    def source_opened(self, info: SourceInfo) -> None:
        self._info = info
        kind = "live" if info.is_live else "still" if info.is_still else "video"
        size = f"{info.width}x{info.height}"
        if info.preview_of is not None:
            size += f" (preview of {info.preview_of[1]}x{info.preview_of[0]})"
        self.source_label.setText(ui_text.clean(f"{info.name} · {size} · {kind}", 500))
        self.source_label.setToolTip(ui_text.tooltip(info.spec))

    def frame_displayed(self, filter_ms: float, display_ms: float) -> None:
        self._display_times.append(time.perf_counter())
        self._timings = (filter_ms, display_ms)

    def show_hover(self, text: str | None) -> None:
        """The hovered pixel's values, or the hint when the mouse is elsewhere."""
        self.hover_label.setText(HOVER_HINT if text is None else text)

    def update_rates(self) -> None:
        times = self._display_times
        info = self._info
        if info is not None and info.is_still:
            self.rate_label.setText("still image")
        elif self.worker.frozen:
            self.rate_label.setText("frozen (Space: live)")
        elif len(times) >= 2 and time.perf_counter() - times[-1] < 1.0:
            fps = (len(times) - 1) / (times[-1] - times[0])
            self.rate_label.setText(f"{fps:5.1f} fps")
        else:
            self.rate_label.setText("waiting for frames" if info else "")
        if self._timings is not None:
            filter_ms, display_ms = self._timings
            self.timing_label.setText(f"filter {filter_ms:.1f} ms · display {display_ms:.1f} ms")

    def stop(self) -> None:
        self.timer.stop()

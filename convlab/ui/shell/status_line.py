"""The main window's status bar: the source, the frame rate, the timings and the hovered pixel.

Every label has a fixed width, so a long file name or value never widens the window, and the
four fit beside a passing message on a 1366-pixel laptop screen. Labels whose texts have known
shapes (a frame rate, two timings, the hover hint, a pixel's values) are made wide enough for
the longest of them, so none is ever cut off mid-word or mid-number: a pixel readout too long
for its label drops its words before it would drop a digit. Names and messages of any length
are elided with "…" and shown whole in the tooltip. Every text that may quote a stream address
goes through ``mask_credentials`` first.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar

from convlab.engine.masking import mask_credentials, mask_url
from convlab.ui import text as ui_text
from convlab.ui.threads.filter_worker import FilterWorker, SourceInfo

HOVER_HINT = "Hover to read pixel values · click or Shift+move to inspect"
# every text the rate label can show, in its widest form: the label is made to fit them all
RATE_TEXTS = (
    "still image",
    "frozen (Space: live)",
    "waiting for frames",
    "paused: not on screen",
    "lost: last frame",
    "999.9 fps (at most 15)",
)
TIMING_TEMPLATE = "filter 9999 ms · display 999 ms"
# a usual pixel readout at its widest (a full-HD frame, signed results on three channels);
# wider values are shown in fewer words
READOUT_TEMPLATE = "row 1079, col 1919: in (255, 255, 255) → out (-88.8, -88.8, -88.8)"
SOURCE_WIDTH = 220  # px; the name is elided, the whole of it is in the tooltip
_MARGIN = 6


def milliseconds(value: float) -> str:
    """A duration to the precision that matters: 7.3 ms, 105 ms."""
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def pixel_readouts(row: int, col: int, source: str, output: str) -> tuple[str, ...]:
    """The hovered pixel's values, from the fullest wording to the tersest."""
    return (
        f"row {row}, col {col}: in {source} → out {output}",
        f"({row}, {col}) in {source} → out {output}",
        f"{source} → {output}",
    )


def fit_label(label: QLabel, texts: tuple[str, ...]) -> None:
    """Make ``label`` exactly wide enough for the widest of ``texts`` in its own font."""
    widest = max(label.fontMetrics().horizontalAdvance(text) for text in texts)
    margins = label.contentsMargins()
    label.setFixedWidth(widest + margins.left() + margins.right() + 4)


def shown_text(text: Any) -> str:
    """A spec or a message as it may be shown: stream credentials masked."""
    if isinstance(text, str) and "\n" not in text:
        return mask_url(text)
    return mask_credentials(str(text))


class StatusLine(QObject):
    """Four permanent labels in ``bar``; the rates are refreshed twice a second."""

    def __init__(self, bar: QStatusBar, worker: FilterWorker) -> None:
        super().__init__(bar)
        self.bar, self.worker = bar, worker
        self.source_label = ui_text.plain_label("No source")  # file names and URLs: elided
        self.rate_label = QLabel("")
        self.timing_label = QLabel("")
        self.hover_label = ui_text.plain_label(HOVER_HINT)
        self.hover_label.setElideMode(Qt.TextElideMode.ElideRight)
        self.labels = (self.source_label, self.rate_label, self.timing_label, self.hover_label)
        for label in self.labels:
            ui_text.make_plain(label)
            label.setContentsMargins(_MARGIN, 0, _MARGIN, 0)
        self.source_label.setFixedWidth(SOURCE_WIDTH)
        fit_label(self.rate_label, RATE_TEXTS)
        fit_label(self.timing_label, (TIMING_TEMPLATE,))
        fit_label(self.hover_label, (HOVER_HINT, READOUT_TEMPLATE))
        for label in self.labels:
            # Fixed, not the eliding label's Ignored: the bar lays widgets out by their size
            # hints, and an ignored one is given no room (its neighbours were drawn over it)
            label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
            bar.addPermanentWidget(label)
        self.source_label.setToolTip("The source: name, size (width x height), kind")
        self.timing_label.setToolTip("Milliseconds per frame: filtering (worker), display (GUI)")
        self.hover_label.setToolTip("The pixel under the mouse: its value in the input and output")
        self.info: SourceInfo | None = None
        self.lost = False
        self._pictures_shown = True
        self._display_times: deque[float] = deque(maxlen=30)
        self._timings: tuple[float, float] | None = None  # (filter ms, display ms)
        self.timer = QTimer(self, interval=500, timeout=self.update_rates)
        self.timer.start()

    def show_message(self, text: str, milliseconds: int = 8000) -> None:
        """A passing message, elided in the middle to the room it has (the name at its start
        and the reason at its end stay readable); the whole text is in the tooltip."""
        text = ui_text.clean(shown_text(text).replace("\n", " "), 2000)
        shown = text
        if self.bar.isVisible():
            room = self.bar.width() - sum(w.width() for w in self.labels if w.isVisible())
            metrics = self.bar.fontMetrics()
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, max(room - 12, 60))
        self.bar.setToolTip(ui_text.tooltip(text) if shown != text else "")
        self.bar.showMessage(shown, milliseconds)

    def source_opened(self, info: SourceInfo) -> None:
        self.info, self.lost = info, False
        size = f"{info.width}x{info.height}"
        if info.preview_of is not None:
            size += f" (preview of {info.preview_of[1]}x{info.preview_of[0]})"
        parts = [shown_text(info.name), info.detail or size]
        if not info.is_still:  # a still picture says so beside it ("still image")
            parts.append("live" if info.is_live else "video")
        text = ui_text.clean(" · ".join(parts), 500)
        self.source_label.setText(text)
        self.source_label.setToolTip(ui_text.tooltip(f"{text}\n{shown_text(info.spec)}"))
        self.update_rates()

    def source_lost(self) -> None:
        self.lost = True
        self.update_rates()

    def frame_displayed(self, filter_ms: float, display_ms: float) -> None:
        self._display_times.append(time.perf_counter())
        self._timings = (filter_ms, display_ms)

    def pictures_shown(self, shown: bool) -> None:
        """The hover hint belongs to the Playground's pictures: other tabs show none."""
        self._pictures_shown = shown
        self.show_hover(None)

    def show_hover(self, text: str | None) -> None:
        """The hint (the mouse is elsewhere) or a text about the hovered pixel."""
        hint = HOVER_HINT if self._pictures_shown else ""
        self.hover_label.setText(hint if text is None else text)
        self.hover_label.setToolTip(
            "The pixel under the mouse: its value in the input and output"
            if text is None
            else ui_text.tooltip(text)
        )

    def show_pixel(self, row: int, col: int, source: str, output: str) -> None:
        """The hovered pixel's values in the fullest wording that fits the label whole."""
        readouts = pixel_readouts(row, col, source, output)
        room = self.hover_label.contentsRect().width()
        metrics = self.hover_label.fontMetrics()
        fitting = [t for t in readouts if metrics.horizontalAdvance(t) <= room]
        self.show_hover(fitting[0] if fitting else readouts[-1])
        self.hover_label.setToolTip(readouts[0])

    def rate_text(self) -> str:
        times, info, worker = self._display_times, self.info, self.worker
        if info is None:
            return ""
        if info.is_still:
            return "still image"
        if self.lost:
            return "lost: last frame"
        if worker.frozen:
            return "frozen (Space: live)"
        if not worker.wanted:
            return "paused: not on screen"
        if len(times) >= 2 and time.perf_counter() - times[-1] < 1.0:
            fps = (len(times) - 1) / (times[-1] - times[0])
            cap = worker.max_fps
            return f"{fps:.1f} fps" + (f" (at most {cap:g})" if cap else "")
        return "waiting for frames"

    def update_rates(self) -> None:
        self.rate_label.setText(self.rate_text())
        if self._timings is not None:
            filter_ms, display_ms = self._timings
            self.timing_label.setText(
                f"filter {milliseconds(filter_ms)} ms · display {milliseconds(display_ms)} ms"
            )

    def stop(self) -> None:
        self.timer.stop()

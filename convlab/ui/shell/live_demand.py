"""When the live picture is worth computing: only while something on screen shows it.

Filtering a camera at full rate costs a core. While neither the Playground (output view and
feature maps) nor a tab that uses the live picture is on screen, the worker stops filtering:
a video file waits where it was, a camera is only drained, and a still image costs nothing.
While a network trains, a live view anywhere but the Playground is capped at
``TRAINING_LIVE_FPS``, so training keeps its core.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow

TRAINING_LIVE_FPS = 15.0
_RECHECK_MS = 500  # training starting or stopping, a panel changing what it shows


class LiveDemand(QObject):
    """Tells the window's filter worker whether, and how fast, results are wanted."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        window.tabs.currentChanged.connect(lambda _index: self.update())
        for dock in window.docks:
            dock.visibilityChanged.connect(lambda _visible: self.update())
        window.installEventFilter(self)
        self.timer = QTimer(self, interval=_RECHECK_MS, timeout=self.update)
        self.timer.start()
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.WindowStateChange, QEvent.Type.Show, QEvent.Type.Hide):
            QTimer.singleShot(0, self.update)  # after the state has settled
        return False

    def playground_on_screen(self) -> bool:
        window = self._window
        return not window.isMinimized() and window.tabs.currentIndex() == 0

    def wanted(self) -> bool:
        """True while the output view, the feature maps or a live-using tab is on screen."""
        window = self._window
        if window.isMinimized():
            return False
        if window.tabs.currentIndex() == 0 or window.panel_docks.maps_dock.isVisible():
            return True
        panel = window.teaching.panel(window.tabs.currentIndex() - 1)
        wants = getattr(panel, "wants_live_frames", None)
        return bool(wants is not None and wants())

    def max_fps(self) -> float | None:
        tab = self._window.teaching.training_tab_if_built()  # never made: nothing trains
        training = tab is not None and tab.is_training()
        return TRAINING_LIVE_FPS if training and not self.playground_on_screen() else None

    def update(self) -> None:
        if not shiboken6.isValid(self._window):
            return  # the window is being destroyed: its docks still report hiding
        worker = self._window.worker
        wanted, cap = self.wanted(), self.max_fps()
        if (wanted, cap) != (worker.wanted, worker.max_fps):
            worker.set_demand(wanted, cap)

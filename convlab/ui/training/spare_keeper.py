"""Keeps a spare training process ready while the Train tab is on screen and nothing trains
(see ``ui/threads/spare_process``), so Train answers in a fraction of a second.

A spare is made a moment after the tab appears (a glance at it costs nothing), again after
the data choice changed and after a run ended; it is ended when the window closes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from convlab.cnn.dataset import DataSpec
from convlab.ui.threads import spare_process

#: how long the tab is on screen (or the data choice unchanged) before a spare is made
SETTLE_MS = 1000


class SpareKeeper(QObject):
    """Asks ``spare_process`` for a spare for ``data_spec()`` while ``tab`` is on screen and
    ``training()`` is False."""

    def __init__(
        self,
        tab: QWidget,
        data_spec: Callable[[], DataSpec | None],
        training: Callable[[], bool],
    ) -> None:
        super().__init__(tab)
        self._tab, self._data_spec, self._training = tab, data_spec, training
        self._timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._timer.timeout.connect(self._check)
        tab.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._tab:
            if event.type() == QEvent.Type.Show:
                self._timer.start()
            elif event.type() == QEvent.Type.Hide:
                self._timer.stop()
        return False

    def soon(self, *_args: object) -> None:
        """Something changed (the data choice, a run ended): look again in a moment."""
        if self._tab.isVisible():
            self._timer.start()

    def _check(self) -> None:
        if self._tab.isVisible() and not self._training():
            spare_process.keep(self._data_spec())

    def shutdown(self) -> None:
        self._timer.stop()
        spare_process.discard()

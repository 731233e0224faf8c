"""The Train tab's three columns side by side, folding the settings away when room is short."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractButton, QSplitter, QWidget
from superqt.utils import signals_blocked

#: room (px) beyond the columns' minimum widths below which the settings column folds away
SPARE_WIDTH = 60


def _least_width(widget: QWidget) -> int:
    return max(widget.minimumWidth(), widget.minimumSizeHint().width())


class TrainColumns(QSplitter):
    """Settings, centre and insight. Nothing scrolls sideways: without SPARE_WIDTH beyond what
    all three need, the settings column folds away (curves, filters and insight need the room
    more); if the person opens it anyway (``toggle``), it takes the insight column's place."""

    def __init__(
        self,
        settings: QWidget,
        centre: QWidget,
        insight: QWidget,
        toggle: QAbstractButton,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.settings, self.centre, self.insight, self.toggle = settings, centre, insight, toggle
        for index, (column, stretch) in enumerate(((settings, 0), (centre, 3), (insight, 2))):
            self.addWidget(column)
            self.setStretchFactor(index, stretch)
        self.setChildrenCollapsible(False)
        self.setSizes([300, 640, 440])
        self._settings_wanted: bool | None = None  # None: the width decides
        toggle.toggled.connect(self._toggled)
        self._widen_later = QTimer(self, singleShot=True, interval=0)
        self._widen_later.timeout.connect(self._widen_insight)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.arrange()  # sized while hidden (another tab in front)

    def arrange(self) -> None:
        narrow = self.width() < self.width_of_all_columns() + SPARE_WIDTH
        shown = not narrow if self._settings_wanted is None else self._settings_wanted
        with signals_blocked(self.toggle):
            self.toggle.setChecked(shown)
        self.settings.setVisible(shown)
        self.insight.setVisible(not (narrow and shown))
        if self.insight.isVisibleTo(self):
            self._widen_insight()
            self._widen_later.start()  # a column just shown takes its share a moment later

    def width_of_all_columns(self) -> int:
        """The least width with settings, centre and insight all shown, the insight wide
        enough for all its tabs' names (else they hide behind scroll arrows)."""
        needed = sum(_least_width(c) for c in (self.settings, self.centre))
        return needed + self._insight_width() + 2 * self.handleWidth()

    def _insight_width(self) -> int:
        wanted = getattr(self.insight, "wanted_width", None)
        least = _least_width(self.insight)
        return max(least, wanted()) if wanted is not None else least

    def _widen_insight(self) -> None:
        """Give the insight column the width its tab names need, from the centre's spare
        room (never below the centre's minimum): a laptop then reads every tab's name."""
        sizes = self.sizes()
        if len(sizes) != 3 or not sizes[1] or not self.insight.isVisibleTo(self):
            return
        missing = self._insight_width() - sizes[2]
        spare = sizes[1] - _least_width(self.centre)
        moved = min(missing, spare)
        if moved > 0:
            sizes[1] -= moved
            sizes[2] += moved
            self.setSizes(sizes)

    def _toggled(self, shown: bool) -> None:
        self._settings_wanted = shown  # the person chose: the width no longer decides
        self.arrange()

"""The Train tab's three columns side by side, folding the settings away when room is short."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractButton, QSplitter, QWidget
from superqt.utils import signals_blocked

#: room (px) beyond the columns' minimum widths below which the settings column folds away
SPARE_WIDTH = 60


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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange()

    def arrange(self) -> None:
        narrow = self.width() < self.width_of_all_columns() + SPARE_WIDTH
        shown = not narrow if self._settings_wanted is None else self._settings_wanted
        with signals_blocked(self.toggle):
            self.toggle.setChecked(shown)
        self.settings.setVisible(shown)
        self.insight.setVisible(not (narrow and shown))

    def width_of_all_columns(self) -> int:
        """The least width with settings, centre and insight all shown."""
        columns = (self.settings, self.centre, self.insight)
        needed = sum(max(c.minimumWidth(), c.minimumSizeHint().width()) for c in columns)
        return needed + 2 * self.handleWidth()

    def _toggled(self, shown: bool) -> None:
        self._settings_wanted = shown  # the person chose: the width no longer decides
        self.arrange()

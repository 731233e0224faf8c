"""The main window's docks: the kernel on the right, the feature maps below, and how they
share room.

A dock's panel scrolls when squeezed (a 15x15 kernel is taller than a laptop's 768 pixels);
the Arithmetic tab and the teaching tabs borrow the room of the docks that do not act there.
The pixel inspector is not a dock: it opens over the window beside the inspected pixel
(``inspector_card``), with the room it needs for as long as a pixel is inspected.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

KERNEL_COLUMN_MAX = 380  # px: a wider kernel column takes the room of the pictures


class SqueezableDockPanel(QScrollArea):
    """A side panel that scrolls up and down when its dock is shorter than the panel's
    minimum height, so the docks' minimums never set the window's (the kernel editor and the
    pixel inspector together need more than a 768-pixel laptop screen has).

    QScrollArea's own resizing follows the height-for-width of wrapped labels, which is the
    panel's *preferred* height: it would scroll even with room to spare. Here the panel gets
    exactly the viewport, or its minimum where the viewport is smaller.
    """

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"{panel.objectName() or type(panel).__name__}Scroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(panel)
        # a child timer (not QTimer.singleShot): it dies with the panel, never fires after it
        self._fit_timer = QTimer(self, singleShot=True, interval=0, timeout=self._fit)
        panel.installEventFilter(self)
        self.setMinimumWidth(panel.minimumSizeHint().width() + self._bar_width())

    def _bar_width(self) -> int:
        return self.verticalScrollBar().sizeHint().width()

    def sizeHint(self) -> QSize:
        hint = self.widget().sizeHint()
        return QSize(hint.width() + self._bar_width(), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.minimumWidth(), 60)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit_timer.start()  # after the panel's layout has settled
        return super().eventFilter(watched, event)

    def _fit(self) -> None:
        panel = self.widget()
        if panel is None:
            return
        minimum = panel.minimumSizeHint().expandedTo(panel.minimumSize())
        if self.minimumWidth() != minimum.width() + self._bar_width():  # e.g. a wider kernel
            self.setMinimumWidth(minimum.width() + self._bar_width())
        # The scroll bar's room is kept free even while it is hidden: a bar that appears
        # (the panel grew taller than its dock) must not slide the panel's controls sideways
        # under the mouse.
        width = self.width() - self._bar_width()
        panel.resize(max(width, minimum.width()), max(self.height(), minimum.height()))


class PanelDocks:
    """The kernel dock on the right, the feature maps below.

    The kernel dock shows on the tabs where its kernel acts; the feature maps belong to the
    playground and make room for the teaching tabs (each comes back as it was).
    """

    def __init__(self, window: QMainWindow, kernel: QWidget, maps: QWidget) -> None:
        self.window = window
        self.kernel_panel = kernel
        right, bottom = (
            Qt.DockWidgetArea.RightDockWidgetArea,
            Qt.DockWidgetArea.BottomDockWidgetArea,
        )
        self.docks = [
            self._dock("Kernel", kernel, right),
            self._dock("Feature maps", maps, bottom),
        ]
        self.kernel_dock, self.maps_dock = self.docks
        window.setCorner(Qt.Corner.BottomRightCorner, right)
        self._put_away: dict[QDockWidget, bool] = {}  # dock -> it was on show

    def _dock(self, title: str, panel: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        """A dock whose panel scrolls when squeezed: a dock's minimum would set the window's."""
        dock = QDockWidget(title, self.window)
        dock.setObjectName(title.replace(" ", "") + "Dock")
        dock.setWidget(SqueezableDockPanel(panel))
        self.window.addDockWidget(area, dock)
        return dock

    def size_for(self, window_height: int, window_width: int | None = None) -> None:
        """Starting split: the feature maps get a row of tiles (more when the window is
        tall); the kernel has the whole right column, a little over a quarter of the width
        (the rest is the pictures' and the maps')."""
        maps_height = max(230, int(0.3 * window_height))
        self.window.resizeDocks([self.maps_dock], [maps_height], Qt.Orientation.Vertical)
        width = window_width if window_width is not None else self.window.width()
        kernel_width = max(
            self.kernel_dock.minimumSizeHint().width(), min(KERNEL_COLUMN_MAX, int(0.27 * width))
        )
        self.window.resizeDocks([self.kernel_dock], [kernel_width], Qt.Orientation.Horizontal)

    def show_all(self) -> None:
        for dock in self.docks:
            dock.show()

    def tab_shown(self, playground: bool, kernel_acts: bool) -> None:
        """The feature maps belong to the playground; the kernel shows where its kernel acts
        (not beside the Arithmetic tab's own kernel, nor on Why CNNs?). A dock put away comes
        back as it was; one the person closed stays closed."""
        self._lend(self.maps_dock, away=not playground)
        self._lend(self.kernel_dock, away=not kernel_acts)

    def _lend(self, dock: QDockWidget, *, away: bool) -> None:
        if away and dock not in self._put_away:
            self._put_away[dock] = not dock.isHidden()  # was it on show?
            dock.hide()
        elif not away and dock in self._put_away:
            was_shown = self._put_away.pop(dock)
            dock.setVisible(was_shown or not dock.isHidden())

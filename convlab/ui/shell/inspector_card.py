"""The pixel inspector as a card beside the inspected pixel, for as long as one is inspected.

A click on a pixel opens the card next to it, over whatever matters least at that moment (never
over the pixel's window in either view, and over the kernel only when nothing else fits); a
second click moves it along, unless the person dragged it somewhere, where it then stays. Esc,
its close button or the Playground's other tabs put it away.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.image_view import ImageView
from convlab.ui.widgets.popover import Popover, choose_place

LARGE_TEXT_HEIGHT = 950  # px of window height from which the card's numbers are larger


class InspectorCard(QObject):
    """Shows ``panel`` in a popover over ``window`` while ``state`` has an inspected pixel."""

    def __init__(
        self,
        window: QMainWindow,
        state: PlaygroundState,
        panel: QWidget,
        views: tuple[ImageView, ImageView],
        avoid: list[QWidget],
    ) -> None:
        super().__init__(window)
        self.window, self.state, self.views, self._avoid = window, state, views, avoid
        self.panel = panel
        self.popover = Popover(panel, window)
        self.popover.setObjectName("pixelInspectorCard")
        self.window_area: QRectF | None = None  # the inspected window, source coordinates
        self.enabled = True  # False while a tab without the views is on show
        self._replace = QTimer(self, singleShot=True, interval=50, timeout=self.place)
        # Esc anywhere in the window: a key no widget took (an open cell editor takes its
        # own Esc) travels up to the window, or to a floating dock, where it is seen here.
        window.installEventFilter(self)
        for dock in window.findChildren(QDockWidget):
            dock.installEventFilter(self)
        panel.installEventFilter(self)  # its size follows the kernel and the channels
        for widget in (views[0].parentWidget(), self.popover):
            escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), widget)
            escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            escape.activated.connect(lambda: state.set_inspected_pixel(None))

    def _escape_reached_window(self, watched: QObject, event: QEvent) -> bool:
        return (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and (watched is self.window or isinstance(watched, QDockWidget))
            and self.popover.isVisible()
        )

    @property
    def shown(self) -> bool:
        return self.popover.isVisible()

    def show_window(self, area: QRectF | None) -> None:
        """The inspected pixel's window changed (``area`` in source coordinates, None when
        nothing is inspected): open, move or close the card."""
        moved = area != self.window_area
        self.window_area = area
        if area is None or self.state.inspected_pixel is None:
            self.popover.close_popover()
            return
        if moved or not self.popover.isVisible():
            self.place()

    def set_enabled(self, enabled: bool) -> None:
        """Put the card away while a tab without the views is on show; bring it back after."""
        self.enabled = enabled
        if not enabled:
            self.popover.hide()
        elif self.window_area is not None and self.state.inspected_pixel is not None:
            self.place()

    def bounds(self) -> QRect:
        """The window below its menu bar and toolbars, above its status bar."""
        window = self.window
        top = window.menuBar().geometry().bottom() + 1
        for toolbar in window.findChildren(QWidget, "mainToolbar"):
            if toolbar.isVisible():
                top = max(top, toolbar.geometry().bottom() + 1)
        bottom = window.statusBar().geometry().top() - 1 if window.statusBar().isVisible() else (
            window.height() - 1
        )  # fmt: skip
        return QRect(QPoint(2, top + 2), QPoint(window.width() - 3, bottom - 2))

    def footprints(self) -> list[QRect]:
        """The inspected window as drawn in each visible view, in window coordinates."""
        if self.window_area is None:
            return []
        rects = []
        for view in self.views:
            if view.isVisible():
                rect = view.widget_rect(self.window_area)
                origin = view.mapTo(self.window, QPoint(0, 0))
                visible = rect.translated(origin).intersected(
                    QRect(origin, view.size())
                )  # a window panned out of sight protects nothing
                if not visible.isEmpty():
                    rects.append(visible)
        return rects

    def place(self) -> None:
        """Beside the pixel's window (or where the person dragged it), sized to its content."""
        popover = self.popover
        popover.bounds = self.bounds()
        if not self.enabled or self.window_area is None:
            return
        # larger numbers where the window has the room (a full-HD screen or projector)
        set_large = getattr(self.panel, "set_large", None)
        if set_large is not None:
            set_large(self.window.height() >= LARGE_TEXT_HEIGHT)
        if popover.user_placed and popover.isVisible():
            popover.fit()
            return
        footprints = self.footprints()
        anchor = footprints[0] if footprints else self.views[0].geometry()
        avoid = [
            QRect(widget.mapTo(self.window, QPoint(0, 0)), widget.size())
            for widget in self._avoid
            if widget.isVisible()
        ]
        views = [
            QRect(view.mapTo(self.window, QPoint(0, 0)), view.size())
            for view in self.views
            if view.isVisible()
        ]
        popover.show()  # the content's size is known once it is laid out
        rect = choose_place(
            popover.wanted_size(),
            anchor,
            popover.bounds,
            protect=footprints,
            avoid=avoid,
            spare=views,
        )
        popover.place(rect)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._escape_reached_window(watched, event):
            self.state.set_inspected_pixel(None)
            return True
        if (watched is self.window and event.type() == QEvent.Type.Resize) or (
            watched is self.popover.content and event.type() == QEvent.Type.LayoutRequest
        ):
            self._replace.start()
        return super().eventFilter(watched, event)

"""A panel that floats over its window beside what it explains, and can be dragged away.

The pixel inspector needs more room than any dock of a laptop-sized window has (a 7x7
kernel's three channels are seven little tables), but only while a pixel is inspected. A
popover takes that room for that long: it opens beside the pixel, covers what matters least,
grows to its content (scrolling only past the window's size) and goes when it is closed.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

GAP = 14  # px between the thing explained and the popover


def overlap(a: QRect, b: QRect) -> int:
    """The area two rectangles share."""
    common = a.intersected(b)
    return 0 if common.isEmpty() else common.width() * common.height()


def choose_place(
    size: QSize,
    anchor: QRect,
    bounds: QRect,
    *,
    protect: Sequence[QRect] = (),
    avoid: Sequence[QRect] = (),
    spare: Sequence[QRect] = (),
) -> QRect:
    """Where a popover of ``size`` goes: beside ``anchor`` (right, left, below, above, or in
    a corner of ``bounds``), inside ``bounds``, covering as little as possible of ``protect``
    (what it explains: never hidden when there is any other way), then of ``avoid`` (what a
    person works with meanwhile), then of ``spare`` (what is good to keep in sight), and as
    close to the anchor as that allows."""
    width = min(size.width(), bounds.width())
    height = min(size.height(), bounds.height())
    middle_y = anchor.center().y() - height // 2
    middle_x = anchor.center().x() - width // 2
    candidates = [
        QPoint(anchor.right() + GAP, middle_y),
        QPoint(anchor.left() - GAP - width, middle_y),
        QPoint(middle_x, anchor.bottom() + GAP),
        QPoint(middle_x, anchor.top() - GAP - height),
        QPoint(anchor.right() + GAP, anchor.bottom() + GAP),
        QPoint(anchor.left() - GAP - width, anchor.bottom() + GAP),
        bounds.bottomLeft() - QPoint(0, height - 1),
        bounds.bottomRight() - QPoint(width - 1, height - 1),
        bounds.topLeft(),
        bounds.topRight() - QPoint(width - 1, 0),
    ]

    def placed(corner: QPoint) -> QRect:
        x = min(max(corner.x(), bounds.left()), bounds.right() - width + 1)
        y = min(max(corner.y(), bounds.top()), bounds.bottom() - height + 1)
        return QRect(x, y, width, height)

    def cost(rect: QRect) -> tuple[int, int, int, int]:
        hidden = sum(overlap(rect, r.adjusted(-4, -4, 4, 4)) for r in protect)
        covered = sum(overlap(rect, r) for r in avoid)
        spared = sum(overlap(rect, r) for r in spare)
        distance = (rect.center() - anchor.center()).manhattanLength()
        return (hidden, covered, spared, distance)

    return min((placed(corner) for corner in candidates), key=cost)


class Popover(QFrame):
    """``content`` in a framed panel over ``window``; press on any empty part and drag to
    move it (it then stays where it was put until it is closed)."""

    def __init__(self, content: QWidget, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("popover")
        self.setFrameShape(QFrame.Shape.Box)
        self.setLineWidth(1)
        self.setAutoFillBackground(True)
        self.setStyleSheet("#popover { border: 2px solid #3b8ed8; border-radius: 4px; }")
        self.content = content
        self.scroll = QScrollArea(self)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.addWidget(self.scroll)
        self.bounds = QRect()
        self.user_placed = False
        self._drag_from: QPoint | None = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        content.installEventFilter(self)
        self._refit = QTimer(self, singleShot=True, interval=0, timeout=self.fit)
        self.hide()

    # ----------------------------------------------------------------------------- size
    def wanted_size(self) -> QSize:
        """The content whole, with the frame and room for a scroll bar it will not need."""
        layout = self.content.layout()
        if layout is not None:
            layout.activate()  # children shown or resized just now count
        hint = self.content.sizeHint().expandedTo(self.content.minimumSizeHint())
        if layout is not None and layout.hasHeightForWidth():
            # Wrapped text (a sum under a narrow grid) is taller than its size hint says.
            # Measured as if a scroll bar took its width: one shown while the content was
            # filling in then finds the room it needs and goes.
            bar = self.scroll.verticalScrollBar().sizeHint().width()
            narrow = max(hint.width() - bar, self.content.minimumSizeHint().width())
            hint.setHeight(max(hint.height(), layout.totalHeightForWidth(narrow)))
        margins = self.layout().contentsMargins()
        return QSize(
            hint.width() + margins.left() + margins.right() + 6,
            hint.height() + margins.top() + margins.bottom() + 6,
        )

    def fit(self) -> None:
        """Grow or shrink to the content, keeping the top-left corner inside ``bounds``."""
        if self.isHidden() or self.bounds.isEmpty():
            return
        size = self.wanted_size().boundedTo(self.bounds.size())
        x = min(max(self.x(), self.bounds.left()), self.bounds.right() - size.width() + 1)
        y = min(max(self.y(), self.bounds.top()), self.bounds.bottom() - size.height() + 1)
        self.setGeometry(QRect(QPoint(x, y), size))

    def place(self, rect: QRect) -> None:
        self.setGeometry(rect)
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.content and event.type() == QEvent.Type.LayoutRequest:
            self._refit.start()  # after the content's layout has settled
        return super().eventFilter(watched, event)

    def close_popover(self) -> None:
        self.hide()
        self.user_placed = False

    # ----------------------------------------------------------------------------- dragging
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.globalPosition().toPoint() - self.pos()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._drag_from is None:
            super().mouseMoveEvent(event)
            return
        target = event.globalPosition().toPoint() - self._drag_from
        area = self.bounds if not self.bounds.isEmpty() else self.parentWidget().rect()
        x = min(max(target.x(), area.left()), area.right() - self.width() + 1)
        y = min(max(target.y(), area.top()), area.bottom() - self.height() + 1)
        self.move(x, y)
        self.user_placed = True

    def mouseReleaseEvent(self, event) -> None:
        self._drag_from = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().mouseReleaseEvent(event)

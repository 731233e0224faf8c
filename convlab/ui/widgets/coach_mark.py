"""A coach mark: a speech bubble beside a real widget, and a ring around that widget.

The "Start here" tour is made of these. Nothing is modal: the ring lets every click through,
and the bubble covers only itself, so a person can do what the bubble says (edit a cell, click
a pixel) while it is on show.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

RING_COLOUR = QColor(255, 140, 0)
BUBBLE_WIDTH = 330
ARROW = 12  # px the arrow sticks out of the bubble towards the target
GAP = 6  # px between the ring and the arrow's tip
FOLLOW_MS = 250  # docks move and windows resize: the mark follows its target this often

Target = Callable[[], QRect | None]
"""Where the target is, in the coach mark's window coordinates (None: not on screen)."""


def widget_target(widget_getter: Callable[[], QWidget | None]) -> Target:
    """A target that is a whole widget (looked up each time: panels can be rebuilt)."""

    def rect() -> QRect | None:
        widget = widget_getter()
        if widget is None or not widget.isVisible():
            return None
        top = widget.window()
        return QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())

    return rect


class _Ring(QWidget):
    """An orange outline around the target; transparent to the mouse."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(RING_COLOUR, 3))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(2, 2, -2, -2), 6, 6)
        painter.end()


class CoachMark(QFrame):
    """The bubble: step counter, title, a few lines, and Back / Next / Close.

    ``point_at`` moves it beside its target on whichever side has room, with an arrow towards
    the target; it follows the target while the window changes.
    """

    nextClicked = Signal()
    backClicked = Signal()
    closeClicked = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("coachMark")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, False)
        self.ring = _Ring(window)
        self.ring.hide()
        self._target: Target | None = None
        self._placed: tuple | None = None  # (target rect, window size, text) last placed for
        self._side = "left"
        self._prefer: str | None = None  # the side to use when it has room
        self._anchor = QPointF()
        self.counter = QLabel()
        self.title = QLabel()
        self.title.setObjectName("coachTitle")
        bold = self.title.font()
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() + 1)
        self.title.setFont(bold)
        self.text = QLabel()
        self.text.setObjectName("coachText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.close_button = QPushButton("Close tour")
        self.close_button.setToolTip("Close the tour (Help ▸ Start here shows it again)")
        self.back_button.clicked.connect(self.backClicked)
        self.next_button.clicked.connect(self.nextClicked)
        self.close_button.clicked.connect(self.closeClicked)
        top_row = QHBoxLayout()
        top_row.addWidget(self.title, 1)
        top_row.addWidget(self.counter)
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        self._column = QVBoxLayout(self)
        self._column.addLayout(top_row)
        self._column.addWidget(self.text)
        self._column.addLayout(buttons)
        self.setFixedWidth(BUBBLE_WIDTH + 2 * ARROW)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(25, 25, 25))
        self.setPalette(palette)
        for label in (self.counter, self.title, self.text):
            label.setPalette(palette)
        self._follow = QTimer(self, interval=FOLLOW_MS, timeout=self.reposition)
        self.hide()

    # ----------------------------------------------------------------------------- content
    def point_at(
        self,
        target: Target,
        title: str,
        text: str,
        step: int,
        steps: int,
        last: bool,
        prefer: str | None = None,
    ) -> None:
        """Show ``text`` beside ``target``: on the ``prefer`` side ("left", "right", "below",
        "above") when it has room, else on the first side that has."""
        self._target, self._prefer = target, prefer
        self.title.setText(title)
        self.text.setText(text)
        self.counter.setText(f"{step} of {steps}")
        self.back_button.setEnabled(step > 1)
        self.next_button.setText("Done" if last else "Next")
        self.show()
        self.raise_()
        self.reposition()
        self._follow.start()

    def dismiss(self) -> None:
        self._follow.stop()
        self._target, self._placed = None, None
        self.hide()
        self.ring.hide()

    # ----------------------------------------------------------------------------- placing
    def reposition(self) -> None:
        """Put the bubble beside its target, on the side with the most room."""
        if self._target is None or self.isHidden():
            return
        window = self.parentWidget()
        area = window.rect()
        rect = self._target()
        placed = (rect, area.size(), self.text.text(), self.title.text())
        if placed == self._placed:
            return  # nothing moved: no work (this runs a few times a second)
        self._placed = placed
        self.adjustSize()
        size = self.size()
        if rect is None:
            # The target is not on screen (the person went to another tab): the bubble waits
            # in the window's lower right corner, out of the way of what they are looking at;
            # its Next still brings the step's panel back.
            corner = area.bottomRight() - QPoint(size.width() + 8, size.height() + 36)
            corner = QPoint(max(0, corner.x()), max(0, corner.y()))
            if self._side == "none" and self.pos() == corner and self.ring.isHidden():
                return  # nothing moved: no repaint (a still window costs no CPU)
            self.ring.hide()
            self._side = "none"
            self.move(corner)
            self.update()
            return
        ring = rect.adjusted(-4, -4, 4, 4).intersected(area)
        side, position = _place(ring, size, area, self._prefer)
        if (side, position, ring) == (self._side, self.pos(), self.ring.geometry()) and (
            self.ring.isVisible()
        ):
            return  # nothing moved: no repaint (a still window costs no CPU)
        self.ring.setGeometry(ring)
        self.ring.show()
        self.ring.raise_()
        self._side = side
        self.move(position)
        self._anchor = QPointF(
            min(max(ring.center().x(), position.x() + 30), position.x() + size.width() - 30),
            min(max(ring.center().y(), position.y() + 30), position.y() + size.height() - 30),
        )
        self.raise_()
        self.update()

    # ----------------------------------------------------------------------------- drawing
    def _body(self) -> QRectF:
        """The bubble without its arrow margin."""
        return QRectF(self.rect()).adjusted(ARROW, ARROW, -ARROW, -ARROW)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        body = self._body()
        path = QPainterPath()
        path.addRoundedRect(body, 8, 8)
        arrow = self._arrow(body)
        if arrow is not None:
            tip = QPainterPath()
            tip.addPolygon(arrow)
            path = path.united(tip)
        painter.setPen(QPen(RING_COLOUR, 2))
        painter.setBrush(QColor(255, 250, 236))
        painter.drawPath(path)
        painter.end()

    def _arrow(self, body: QRectF) -> QPolygonF | None:
        """A triangle on the side that faces the target."""
        anchor = self.mapFromParent(self._anchor.toPoint())
        x = min(max(anchor.x(), body.left() + 16), body.right() - 16)
        y = min(max(anchor.y(), body.top() + 16), body.bottom() - 16)
        side = self._side
        if side == "left":  # the bubble is left of the target: arrow on its right edge
            return QPolygonF([QPointF(body.right(), y - 9), QPointF(body.right() + ARROW, y),
                              QPointF(body.right(), y + 9)])  # fmt: skip
        if side == "right":
            return QPolygonF([QPointF(body.left(), y - 9), QPointF(body.left() - ARROW, y),
                              QPointF(body.left(), y + 9)])  # fmt: skip
        if side == "above":
            return QPolygonF([QPointF(x - 9, body.bottom()), QPointF(x, body.bottom() + ARROW),
                              QPointF(x + 9, body.bottom())])  # fmt: skip
        if side == "below":
            return QPolygonF([QPointF(x - 9, body.top()), QPointF(x, body.top() - ARROW),
                              QPointF(x + 9, body.top())])  # fmt: skip
        return None

    def layout_margins(self) -> None:
        self._column.setContentsMargins(ARROW + 10, ARROW + 8, ARROW + 10, ARROW + 8)

    def showEvent(self, event) -> None:
        self.layout_margins()
        super().showEvent(event)


def _place(target: QRect, size, area: QRect, prefer: str | None = None) -> tuple[str, QPoint]:
    """The side of ``target`` with room for a bubble of ``size`` inside ``area`` (``prefer``
    first; the one with the most room when none has enough), and the bubble's top-left
    corner there."""
    room = {
        "left": target.left() - area.left(),
        "right": area.right() - target.right(),
        "above": target.top() - area.top(),
        "below": area.bottom() - target.bottom(),
    }
    needed = {
        "left": size.width() + GAP,
        "right": size.width() + GAP,
        "above": size.height() + GAP,
        "below": size.height() + GAP,
    }
    order = ("left", "right", "below", "above")
    if prefer in order:
        order = (prefer, *(side for side in order if side != prefer))
    fitting = [side for side in order if room[side] >= needed[side]]
    side = fitting[0] if fitting else max(room, key=lambda s: room[s] - needed[s])
    if side in ("left", "right"):
        x = target.left() - GAP - size.width() if side == "left" else target.right() + GAP
        y = target.center().y() - size.height() // 2
    else:
        y = target.top() - GAP - size.height() if side == "above" else target.bottom() + GAP
        x = target.center().x() - size.width() // 2
    x = min(max(x, area.left()), area.right() - size.width())
    y = min(max(y, area.top()), area.bottom() - size.height())
    return side, QPoint(x, y)

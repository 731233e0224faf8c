"""Why CNNs?: flattening, seen. A 32 x 32 image becomes a vector of 1,024 numbers.

An MLP's first layer computes h = W x with x the image unrolled row after row, so W has one
column per pixel (1,000 x 1,024 on the slides). The picture shows one pixel and its four
neighbours: left and right stay next to it in the vector, but the pixels above and below land
32 places away, among strangers. Nothing in W says they were neighbours; a convolution's
window keeps them together.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from convlab.ui.fonts import readable

SIDE = 32  # the slides' 32 x 32 image
ZOOM_REACH = 36  # vector cells shown on each side of the chosen pixel
NEIGHBOURS = {  # offset in the vector -> (label, colour)
    -SIDE: ("above: −32", QColor(40, 100, 200)),
    -1: ("left: −1", QColor(230, 130, 0)),
    1: ("right: +1", QColor(230, 130, 0)),
    SIDE: ("below: +32", QColor(40, 100, 200)),
}
CHOSEN = QColor(200, 30, 30)


def as_32x32(frame: np.ndarray) -> np.ndarray:
    """The frame as the slides' 32 x 32 gray image (uint8)."""
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame[:, :, :3], cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, (SIDE, SIDE), interpolation=cv2.INTER_AREA)


class FlattenStrip(QWidget):
    """The 32 x 32 image, the whole 1,024-long vector, and a zoom around one pixel."""

    pixelChosen = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = np.zeros((SIDE, SIDE), np.uint8)
        self.pixel = (12, 15)
        self._image_rect = QRectF()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(360, 170)
        self.setToolTip("Click a pixel of the 32×32 image to follow it into the vector")

    def sizeHint(self) -> QSize:
        return QSize(620, 190)

    def set_image(self, image: np.ndarray) -> None:
        self.image = np.ascontiguousarray(image, dtype=np.uint8)
        self.update()

    @property
    def index(self) -> int:
        """Where the chosen pixel lands in the flattened vector (row-major)."""
        return self.pixel[0] * SIDE + self.pixel[1]

    def choose(self, row: int, col: int) -> None:
        self.pixel = (min(max(row, 1), SIDE - 2), min(max(col, 1), SIDE - 2))
        self.pixelChosen.emit(*self.pixel)
        self.update()

    def mousePressEvent(self, event) -> None:
        point = event.position()
        if self._image_rect.contains(point):
            cell = self._image_rect.width() / SIDE
            self.choose(
                int((point.y() - self._image_rect.top()) // cell),
                int((point.x() - self._image_rect.left()) // cell),
            )
        super().mousePressEvent(event)

    # -- drawing ------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        side = min(self.height() - 24.0, 150.0)
        self._image_rect = QRectF(4, 20, side, side)
        painter.setPen(self.palette().text().color())
        painter.drawText(QPointF(4, 14), "32×32 image")
        self._draw_image(painter, self._image_rect)
        left = self._image_rect.right() + 24
        width = self.width() - left - 6
        painter.setPen(self.palette().text().color())
        painter.drawText(QPointF(left, 14), "flattened: x = 1,024 numbers, row after row")
        overview = QRectF(left, 22, width, 14)
        self._draw_overview(painter, overview)
        zoom = QRectF(left, overview.bottom() + 30, width, min(28.0, width / 30))
        self._draw_zoom(painter, zoom, overview)

    def _grey(self, value: float) -> QColor:
        level = int(value)
        return QColor(level, level, level)

    def _draw_image(self, painter: QPainter, rect: QRectF) -> None:
        cell = rect.width() / SIDE
        for r in range(SIDE):
            for c in range(SIDE):
                box = QRectF(rect.left() + c * cell, rect.top() + r * cell, cell + 0.5, cell + 0.5)
                painter.fillRect(box, self._grey(self.image[r, c]))
        row, col = self.pixel
        for offset, (_label, colour) in NEIGHBOURS.items():
            r, c = divmod(self.index + offset, SIDE)
            painter.setPen(QPen(colour, 2))
            painter.drawRect(QRectF(rect.left() + c * cell, rect.top() + r * cell, cell, cell))
        painter.setPen(QPen(CHOSEN, 2))
        painter.drawRect(QRectF(rect.left() + col * cell, rect.top() + row * cell, cell, cell))

    def _draw_overview(self, painter: QPainter, rect: QRectF) -> None:
        """All 1,024 values in one thin strip, rows marked every 32."""
        flat = self.image.ravel()
        step = rect.width() / flat.size
        for index, value in enumerate(flat):
            painter.fillRect(
                QRectF(rect.left() + index * step, rect.top(), step + 0.6, rect.height()),
                self._grey(value),
            )
        painter.setPen(QPen(QColor(120, 120, 120), 1))
        painter.drawRect(rect)
        for offset, (_label, colour) in {0: ("", CHOSEN), **NEIGHBOURS}.items():
            x = rect.left() + (self.index + offset + 0.5) * step
            painter.setPen(QPen(colour, 2))
            painter.drawLine(QPointF(x, rect.top() - 3), QPointF(x, rect.bottom() + 3))

    def _draw_zoom(self, painter: QPainter, rect: QRectF, overview: QRectF) -> None:
        """Cells index-ZOOM_REACH .. index+ZOOM_REACH, big, with the neighbours labelled."""
        first = self.index - ZOOM_REACH
        count = 2 * ZOOM_REACH + 1
        cell = rect.width() / count
        step = overview.width() / (SIDE * SIDE)
        painter.setPen(QPen(QColor(150, 150, 150), 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(overview.left() + first * step, overview.bottom()), rect.topLeft())
        painter.drawLine(
            QPointF(overview.left() + (first + count) * step, overview.bottom()), rect.topRight()
        )
        flat = self.image.ravel()
        for position in range(count):
            index = first + position
            box = QRectF(rect.left() + position * cell, rect.top(), cell, rect.height())
            if 0 <= index < flat.size:
                painter.fillRect(box, self._grey(flat[index]))
            if index % SIDE == 0:  # a new image row starts here
                painter.setPen(QPen(QColor(160, 160, 160), 1))
                painter.drawLine(box.topLeft() + QPointF(0, -4), box.bottomLeft() + QPointF(0, 4))
        small = QFont(painter.font())
        small.setPointSizeF(readable(painter.font().pointSizeF() - 1))
        painter.setFont(small)
        for offset, (label, colour) in {0: ("this pixel", CHOSEN), **NEIGHBOURS}.items():
            box = QRectF(
                rect.left() + (ZOOM_REACH + offset) * cell, rect.top(), cell, rect.height()
            )
            painter.setPen(QPen(colour, 2.5))
            painter.drawRect(box)
            x = box.center().x()
            y = rect.bottom() + (30 if offset in (-1, 1) else 14)
            painter.drawLine(QPointF(x, rect.bottom()), QPointF(x, y - 10))
            if offset == -1:  # left and right sit two cells apart: labels point away
                where, align = QRectF(x - 120, y - 10, 120, 14), Qt.AlignmentFlag.AlignRight
            elif offset == 1:
                where, align = QRectF(x, y - 10, 120, 14), Qt.AlignmentFlag.AlignLeft
            else:
                where, align = QRectF(x - 60, y - 10, 120, 14), Qt.AlignmentFlag.AlignCenter
            painter.drawText(where, align, label)

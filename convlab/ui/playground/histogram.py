"""The response histogram, painted by hand: a glance at a live output must cost the GUI thread
well under a millisecond.

A pyqtgraph plot here re-ran its axes, auto-range and layout on every redraw (12-27 ms on the
GUI thread while a webcam played). This widget keeps the bars as one polygon in value
coordinates and maps it with a transform when it paints; the x range moves in round steps
(``nice_bounds``), so a frame's noise does not move the axis.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette, QPen, QTransform
from PySide6.QtWidgets import QSizePolicy, QWidget

from convlab.engine.display import DisplayChoice
from convlab.engine.ticks import nice_bounds, nice_ticks
from convlab.ui.widgets.display_controls import shown_range

LEFT_AXIS = 34  # px: the "log n" axis
BOTTOM_AXIS = 18  # px: the value axis
_BAR_FILL = QColor(150, 150, 150, 160)
_BAR_EDGE = QColor(200, 200, 200)
_BAND_FILL = QColor(80, 160, 255, 45)
_BAND_EDGE = QColor(80, 160, 255, 160)


class ResponseHistogram(QWidget):
    """Counts of the main output's values (log scale), with the displayed interval shaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("responseHistogram")
        self.setMinimumHeight(70)
        self.setMaximumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.counts = np.zeros(0)
        self.edges = np.zeros(0)
        self.band: tuple[float, float] | None = None  # the values shown black..white
        self.x_range = (0.0, 1.0)
        self._top = 1.0  # log10(1 + the largest count), the y range's top
        self._bars = QPainterPath()  # the step outline, in (value, log count) coordinates

    def sizeHint(self) -> QSize:
        return QSize(400, 90)

    def show_counts(self, counts: np.ndarray, edges: np.ndarray, choice: DisplayChoice) -> None:
        """Draw counts the worker already made (PipelineResult.histogram), with the band
        that ``choice`` (the mapping the output was really drawn with) spreads over 0..255."""
        self.counts, self.edges = counts, edges
        heights = np.log10(1.0 + np.asarray(counts, dtype=np.float64))
        low, high = shown_range(choice, float(edges[0]), float(edges[-1]))
        self.band = (low, high)
        self.x_range = nice_bounds(min(low, float(edges[0])), max(high, float(edges[-1])), most=20)
        self._top = max(1.0, float(np.ceil(heights.max()))) if heights.size else 1.0
        self._bars = _step_path(np.asarray(edges, dtype=np.float64), heights)
        self.update()

    def plot_rect(self) -> QRectF:
        """Where values are drawn, in widget pixels (inside the two axes)."""
        return QRectF(LEFT_AXIS, 4, max(1, self.width() - LEFT_AXIS - 6),
                      max(1, self.height() - BOTTOM_AXIS - 4))  # fmt: skip

    def x_pixel(self, value: float) -> float:
        """The widget column where ``value`` is drawn."""
        rect = self.plot_rect()
        low, high = self.x_range
        return rect.left() + (value - low) / (high - low) * rect.width()

    def _to_widget(self) -> QTransform:
        rect = self.plot_rect()
        low, high = self.x_range
        sx = rect.width() / (high - low)
        sy = -rect.height() / self._top
        return QTransform(sx, 0, 0, sy, rect.left() - low * sx, rect.bottom())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.plot_rect()
        text = self.palette().color(QPalette.ColorRole.WindowText)
        axis = QColor(text)
        axis.setAlpha(150)
        if self.band is not None:
            left, right = (self.x_pixel(v) for v in self.band)
            band = QRectF(QPointF(left, rect.top()), QPointF(right, rect.bottom()))
            painter.fillRect(band.intersected(rect), _BAND_FILL)
            painter.setPen(QPen(_BAND_EDGE, 1))
            for x in (left, right):
                if rect.left() <= x <= rect.right():
                    painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        if not self._bars.isEmpty():
            painter.save()
            painter.setClipRect(rect)
            painter.setTransform(self._to_widget(), combine=True)
            pen = QPen(_BAR_EDGE, 1)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(_BAR_FILL)
            painter.drawPath(self._bars)
            painter.restore()
        self._paint_axes(painter, rect, axis, text)
        painter.end()

    def _paint_axes(self, painter: QPainter, rect: QRectF, axis: QColor, text: QColor) -> None:
        """Value ticks under the plot, powers of ten of the counts beside it."""
        painter.setPen(QPen(axis, 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.bottomLeft(), rect.topLeft())
        metrics = painter.fontMetrics()
        most = max(1, int(rect.width() // max(60, metrics.horizontalAdvance("-00000") + 12)))
        for value in nice_ticks(*self.x_range, most=most):
            x = self.x_pixel(value)
            painter.setPen(QPen(axis, 1))
            painter.drawLine(QPointF(x, rect.bottom()), QPointF(x, rect.bottom() + 3))
            label = f"{value:g}"
            width = metrics.horizontalAdvance(label)
            left = min(max(x - width / 2, rect.left() - 6), self.width() - width - 1)
            painter.setPen(text)
            painter.drawText(QPointF(left, rect.bottom() + 3 + metrics.ascent()), label)
        rows = max(1, int(rect.height() // (metrics.height() + 2)))
        for power in nice_ticks(0.0, self._top, most=rows):
            y = rect.bottom() - power / self._top * rect.height()
            painter.setPen(QPen(axis, 1))
            painter.drawLine(QPointF(rect.left() - 3, y), QPointF(rect.left(), y))
            painter.setPen(text)
            label = f"{power:g}"
            painter.drawText(
                QPointF(
                    rect.left() - 5 - metrics.horizontalAdvance(label), y + metrics.ascent() / 2
                ),
                label,
            )
        painter.save()
        painter.translate(metrics.ascent(), rect.center().y())
        painter.rotate(-90)
        caption = "log n"
        painter.drawText(QPointF(-metrics.horizontalAdvance(caption) / 2, 0), caption)
        painter.restore()


def _step_path(edges: np.ndarray, heights: np.ndarray) -> QPainterPath:
    """The histogram's outline as one closed polygon: up and across each bin, down at the end."""
    path = QPainterPath()
    if heights.size == 0 or edges.size != heights.size + 1:
        return path
    path.moveTo(edges[0], 0.0)
    for i, height in enumerate(heights.tolist()):
        path.lineTo(edges[i], height)
        path.lineTo(edges[i + 1], height)
    path.lineTo(edges[-1], 0.0)
    path.closeSubpath()
    return path

"""Drawing pieces the Arithmetic tab's canvas is made of: block titles, grid cells, the
operator and the arrow between blocks."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QPolygonF


def draw_title(painter: QPainter, rect: QRectF, text: str, sub: str, colour: QColor) -> None:
    """A block's name in bold and a line about it in grey, above ``rect``."""
    bold = QFont(painter.font())
    bold.setBold(True)
    bold.setPointSizeF(11)
    small = QFont(painter.font())
    small.setPointSizeF(9)
    painter.save()
    painter.setPen(colour)
    painter.setFont(bold)
    painter.drawText(
        QRectF(rect.left(), rect.top() - 38, max(rect.width(), 240), 18),
        Qt.AlignmentFlag.AlignLeft,
        text,
    )
    painter.setFont(small)
    painter.setPen(QColor(90, 90, 90))
    painter.drawText(
        QRectF(rect.left(), rect.top() - 20, max(rect.width(), 260), 16),
        Qt.AlignmentFlag.AlignLeft,
        sub,
    )
    painter.restore()


def draw_cell(
    painter: QPainter,
    rect: QRectF,
    text: str,
    fill: QColor,
    border: QColor,
    hatched: bool = False,
) -> None:
    """One grid cell: its fill (hatched for padding), border and centred number."""
    painter.fillRect(rect, fill)
    if hatched:
        painter.fillRect(rect, QBrush(QColor(170, 170, 170), Qt.BrushStyle.BDiagPattern))
    painter.setPen(QPen(border, 1))
    painter.drawRect(rect)
    painter.setPen(QColor(30, 30, 30))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def draw_operator(painter: QPainter, left: QRectF, right: QRectF, text: str) -> None:
    """A large operator sign (×) between two blocks."""
    font = QFont(painter.font())
    font.setPointSizeF(18)
    painter.save()
    painter.setFont(font)
    painter.setPen(QColor(80, 80, 80))
    area = QRectF(left.right(), right.top(), right.left() - left.right(), right.height())
    painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def draw_arrow(painter: QPainter, left: QRectF, right: QRectF) -> None:
    """An arrow from one block to the next, if there is room for one."""
    y = left.center().y()
    start, end = left.right() + 10, right.left() - 10
    if end - start < 12:
        return
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(QColor(80, 80, 80), 2))
    painter.drawLine(QPointF(start, y), QPointF(end - 6, y))
    painter.setBrush(QColor(80, 80, 80))
    painter.drawPolygon(
        QPolygonF([QPointF(end, y), QPointF(end - 10, y - 6), QPointF(end - 10, y + 6)])
    )
    painter.restore()

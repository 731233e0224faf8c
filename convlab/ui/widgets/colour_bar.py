"""A colour bar: the palette a picture is drawn with, and the values at its ends.

A signed map's colours mean nothing without it: which hue is negative, how strong a colour
is. The bar is the very lookup table the picture went through (``engine.display``), so the
legend and the picture can never disagree.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR_WIDTH = 120  # px of palette between the two end labels


class ColourBar(QWidget):
    """``low [palette] high`` on one line, a tick where zero falls when it is inside."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("colourBar")
        self._lut = np.zeros((1, 256, 3), np.uint8)
        self._image = QImage()
        self._texts = ("", "")
        self._zero: float | None = None  # where 0 lies along the bar, 0..1
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_palette(self, lut: np.ndarray, low: str, high: str, zero: float | None = None) -> None:
        """Show ``lut`` (256x3 RGB) from ``low`` to ``high``; ``zero``: 0's place, 0..1."""
        lut = np.ascontiguousarray(np.asarray(lut, dtype=np.uint8).reshape(1, 256, 3))
        if (low, high) == self._texts and zero == self._zero and np.array_equal(lut, self._lut):
            return
        self._lut, self._texts, self._zero = lut, (low, high), zero
        self._image = QImage(self._lut.data, 256, 1, 3 * 256, QImage.Format.Format_RGB888)
        self.updateGeometry()
        self.update()

    def texts(self) -> tuple[str, str]:
        return self._texts

    def palette_colours(self) -> np.ndarray:
        """The 256 colours the bar draws, left to right."""
        return self._lut[0]

    def _label_width(self, text: str) -> int:
        return QFontMetrics(self.font()).horizontalAdvance(text) + 4

    def sizeHint(self) -> QSize:
        low, high = self._texts
        width = self._label_width(low) + BAR_WIDTH + self._label_width(high)
        return QSize(width, QFontMetrics(self.font()).height() + 6)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def bar_rect(self) -> QRectF:
        """Where the palette is drawn, in widget coordinates."""
        left = self._label_width(self._texts[0])
        return QRectF(left, 3, BAR_WIDTH, self.height() - 6)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        bar = self.bar_rect()
        painter.drawImage(bar, self._image)
        text_colour = self.palette().windowText().color()
        painter.setPen(QPen(text_colour, 1))
        painter.drawRect(bar.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self._zero is not None and 0.0 < self._zero < 1.0:
            x = bar.left() + self._zero * bar.width()
            painter.drawLine(x, bar.bottom() - 3, x, bar.bottom() + 2)
        low, high = self._texts
        middle = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(QRectF(0, 0, bar.left() - 2, self.height()),
                         middle | Qt.AlignmentFlag.AlignRight, low)  # fmt: skip
        painter.drawText(QRectF(bar.right() + 3, 0, self.width() - bar.right() - 3, self.height()),
                         middle | Qt.AlignmentFlag.AlignLeft, high)  # fmt: skip
        painter.end()

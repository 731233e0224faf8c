"""A small painted grid of numbers with coloured cells: patches, kernels, products.

The explain panels show many little k x k tables. A QTableView per table would be heavy and hard
to make compact; one painted widget per table stays small, draws hatched "padding" cells, and
redraws in well under a millisecond even at 15 x 15.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from convlab.engine.display import colormap_lut

PADDING_TOOLTIP = "Hatched cells lie outside the image: their values come from the border rule."


def format_number(value: float, digits: int = 3) -> str:
    """Compact text for a cell: whole numbers without decimals, others with ``digits`` digits."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    text = f"{value:.{digits}g}"
    return text.replace("e+0", "e").replace("e-0", "e-")


def cell_colour(value: float, scale: str, magnitude: float) -> QColor:
    """Background for a cell: grey level for pixel values, blue/red by sign for weights."""
    if scale == "gray":
        # Squeezed into 50..250 so that no cell is pure black or white; the text stays readable
        # and the patch still looks like the image it came from.
        level = int(50 + 200 * np.clip(value, 0, 255) / 255)
        return QColor(level, level, level)
    lut = colormap_lut("coolwarm")
    index = int(np.clip(round(128 + 127 * value / magnitude), 0, 255)) if magnitude > 0 else 128
    r, g, b = (int(c) for c in lut[index])
    return QColor(r, g, b)


def _text_colour(background: QColor) -> QColor:
    luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor(20, 20, 20) if luminance >= 128 else QColor(245, 245, 245)


class NumberGrid(QWidget):
    """A titled table of numbers, each cell coloured by its value; some cells may be marked.

    ``scale`` is "gray" (values are pixel intensities 0..255) or "signed" (blue negative, red
    positive, white zero, relative to the largest magnitude in the grid). ``marked`` cells are
    hatched (padding / out of the image); ``highlight`` cells get a thick outline.
    """

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._values = np.zeros((0, 0))
        self._marked: np.ndarray | None = None
        self._highlight: np.ndarray | None = None
        self._scale = "signed"
        self._digits = 3
        self._cell = QSize(30, 22)
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.0))
        self._title_font = QFont(self.font())
        self._title_font.setBold(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    # -- content -------------------------------------------------------------------------
    @property
    def values(self) -> np.ndarray:
        return self._values

    def title(self) -> str:
        return self._title

    def set_title(self, title: str) -> None:
        self._title = title
        self._relayout()

    def set_values(
        self, values: np.ndarray, *, scale: str = "signed", marked: np.ndarray | None = None,
        highlight: np.ndarray | None = None, digits: int = 3,
    ) -> None:
        """Show ``values`` (1-D is drawn as one column); resizes to fit the widest number."""
        array = np.asarray(values, dtype=np.float64)
        if array.ndim == 1:
            array = array[:, None]
        self._values = array
        self._scale = scale
        self._marked = None if marked is None else np.asarray(marked, dtype=bool).reshape(
            array.shape)
        self._highlight = None if highlight is None else np.asarray(highlight, dtype=bool).reshape(
            array.shape)
        self._digits = digits
        self.setToolTip(PADDING_TOOLTIP if self._marked is not None and self._marked.any() else "")
        self._relayout()

    def texts(self) -> list[list[str]]:
        """The strings drawn in the cells (what a person reads), row by row."""
        return [[format_number(v, self._digits) for v in row] for row in self._values]

    # -- geometry ------------------------------------------------------------------------
    def _relayout(self) -> None:
        metrics = QFontMetrics(self._font)
        widest = max((metrics.horizontalAdvance(t) for row in self.texts() for t in row),
                     default=10)
        self._cell = QSize(max(24, widest + 8), max(20, metrics.height() + 6))
        self.updateGeometry()
        self.setFixedSize(self.sizeHint())
        self.update()

    def _title_height(self) -> int:
        return QFontMetrics(self._title_font).height() + 4 if self._title else 0

    def sizeHint(self) -> QSize:
        rows, cols = self._values.shape if self._values.size else (0, 0)
        title_width = QFontMetrics(self._title_font).horizontalAdvance(self._title) + 4
        width = max(cols * self._cell.width() + 2, title_width)
        return QSize(width, rows * self._cell.height() + 2 + self._title_height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    # -- drawing -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        top = self._title_height()
        if self._title:
            painter.setFont(self._title_font)
            painter.setPen(self.palette().windowText().color())
            painter.drawText(QRectF(0, 0, self.width(), top), Qt.AlignmentFlag.AlignLeft
                             | Qt.AlignmentFlag.AlignVCenter, self._title)
        if not self._values.size:
            return
        painter.setFont(self._font)
        magnitude = float(np.abs(self._values).max())
        cw, ch = self._cell.width(), self._cell.height()
        grid_pen = QPen(QColor(120, 120, 120), 1)
        texts = self.texts()
        for r, row in enumerate(self._values):
            for c, value in enumerate(row):
                rect = QRectF(1 + c * cw, top + 1 + r * ch, cw, ch)
                background = cell_colour(value, self._scale, magnitude)
                painter.fillRect(rect, background)
                if self._marked is not None and self._marked[r, c]:
                    painter.fillRect(rect, QBrush(QColor(255, 160, 0, 170),
                                                  Qt.BrushStyle.BDiagPattern))
                painter.setPen(grid_pen)
                painter.drawRect(rect)
                painter.setPen(_text_colour(background))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, texts[r][c])
        if self._highlight is not None:
            painter.setPen(QPen(QColor(255, 140, 0), 3))
            for r, c in np.argwhere(self._highlight):
                painter.drawRect(QRectF(2 + c * cw, top + 2 + r * ch, cw - 2, ch - 2))
        painter.end()

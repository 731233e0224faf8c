"""A small painted grid of numbers with coloured cells: patches, kernels, products.

The explain panels show many little k x k tables. A QTableView per table would be heavy and hard
to make compact; one painted widget per table stays small, draws hatched "padding" cells, and
redraws in well under a millisecond even at 15 x 15.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPen,
    QStaticText,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from convlab.engine.display import dark_text_reads_better, weight_colours
from convlab.engine.kernel_ops import without_leading_zero
from convlab.ui.fonts import readable

_DARK_TEXT = QColor(20, 20, 20)
_LIGHT_TEXT = QColor(245, 245, 245)
_GRID_LINE = np.uint32(0xFF787878)  # grey (120, 120, 120) as a Format_RGB32 word
_HATCH = np.array((255, 160, 0), dtype=np.float64)  # padding cells' stripes, orange
_HATCH_ALPHA = 170 / 255
PADDING_TOOLTIP = "Hatched cells lie outside the image: their values come from the border rule."


def format_number(value: float, digits: int = 3) -> str:
    """Compact text for a cell: whole numbers without decimals, others with ``digits`` digits."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    text = f"{value:.{digits}g}"
    return text.replace("e+0", "e").replace("e-0", "e-")


def cell_text(value: float, digits: int = 3) -> str:
    """``format_number`` without the leading zero of a fraction (0.0124 -> .0124, -0.5 -> -.5):
    a 7x7 Gaussian's cells stay narrow enough for a dock, as in the kernel editor."""
    return without_leading_zero(format_number(value, digits))


def cell_colours(values: np.ndarray, scale: str) -> np.ndarray:
    """Background RGB (uint8, shape + (3,)) per cell: grey for pixels, blue/red for weights.

    ``gray`` squeezes 0..255 into 50..250 so that no cell is pure black or white (the text stays
    readable and the patch still looks like the image it came from); ``signed`` is the weight
    palette: zero at its neutral middle, the largest magnitude at its ends.
    """
    values = np.asarray(values, dtype=np.float64)
    if scale == "gray":
        level = (50 + 200 * np.clip(values, 0, 255) / 255).astype(np.uint8)
        return np.stack([level, level, level], axis=-1)
    return weight_colours(values)


def _upscale(cells: np.ndarray, cw: int, ch: int) -> np.ndarray:
    """Each cell of a 2-D array as a ch x cw block, plus one more row and column (where the
    closing grid line goes). numpy's repeat on one 32-bit word a pixel beats cv2.resize here."""
    rows, cols = cells.shape
    tall = np.repeat(cells, [ch] * (rows - 1) + [ch + 1], axis=0)
    return np.repeat(tall, [cw] * (cols - 1) + [cw + 1], axis=1)


def _packed(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 RGB uint8 -> HxW uint32 words in QImage.Format_RGB32's layout (0xffRRGGBB)."""
    bgra = cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.uint8), cv2.COLOR_RGB2BGRA)
    return bgra.view(np.uint32)[..., 0]


@functools.lru_cache(maxsize=8)
def _stripes(height: int, width: int) -> np.ndarray:
    """1 on diagonal lines one pixel in eight, like Qt's BDiagPattern; read-only."""
    y, x = np.ogrid[:height, :width]
    mask = (x + y) % 8 == 0
    mask.flags.writeable = False
    return mask


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
        self._distinct_texts: list[str] = []
        self._text_index: list[list[int]] = []
        self._fill_pixels = np.zeros((0, 0, 3), np.uint8)
        self._background_key: tuple[int, int] | None = None  # cell size it was drawn for
        self._background_pixels = np.zeros((0, 0), np.uint32)
        self._background_image = QImage()
        self._stripes = np.zeros((0, 0), bool)  # hatch lines over the marked cells
        self._stripes_key: tuple | None = None
        self._dark: list[list[bool]] = []
        # Laid-out cell texts: a live picture redraws the same few hundred numbers many times a
        # second, and drawing a prepared QStaticText costs a fraction of laying the text out anew.
        self._static_texts: dict[str, QStaticText] = {}
        self._describe: Callable[[int, int], str] | None = None
        self._marked: np.ndarray | None = None
        self._highlight: np.ndarray | None = None
        self._scale = "signed"
        self._digits = 3
        self._cell = QSize(30, 22)
        self._take_fonts()
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
        self,
        values: np.ndarray,
        *,
        scale: str = "signed",
        marked: np.ndarray | None = None,
        highlight: np.ndarray | None = None,
        digits: int = 3,
    ) -> None:
        """Show ``values`` (1-D is drawn as one column); resizes to fit the widest number."""
        array = np.asarray(values, dtype=np.float64)
        if array.ndim == 1:
            array = array[:, None]
        if self._unchanged(array, scale, marked, highlight, digits):
            return  # a still image re-published: nothing to redraw
        self._values = array
        self._scale = scale
        self._marked = (
            None if marked is None else np.asarray(marked, dtype=bool).reshape(array.shape)
        )
        self._highlight = (
            None if highlight is None else np.asarray(highlight, dtype=bool).reshape(array.shape)
        )
        self._digits = digits
        # Format each distinct value once (a 31x31 Gaussian has ~140 of its 961), and keep
        # colours as plain lists: QColor objects are made only for the cells actually painted.
        distinct, which = np.unique(array, return_inverse=True)
        self._distinct_texts = [cell_text(v, digits) for v in distinct.tolist()]
        self._text_index = which.reshape(array.shape).tolist()
        colours = cell_colours(array, scale)
        # All the cells' backgrounds as one tiny image, drawn scaled up in one call per paint.
        self._fill_pixels = np.ascontiguousarray(colours[..., :3], dtype=np.uint8)
        self._background_key = None
        self._dark = dark_text_reads_better(colours).tolist()
        self.setToolTip(PADDING_TOOLTIP if self._marked is not None and self._marked.any() else "")
        self._relayout()

    def _unchanged(
        self,
        array: np.ndarray,
        scale: str,
        marked: np.ndarray | None,
        highlight: np.ndarray | None,
        digits: int,
    ) -> bool:
        def same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
            if a is None or b is None:
                return a is None and b is None
            return a.shape == np.shape(b) and bool(np.array_equal(a, b))

        return (
            self._values.shape == array.shape
            and bool(np.array_equal(self._values, array))
            and (scale, digits) == (self._scale, self._digits)
            and same(self._marked, marked)
            and same(self._highlight, highlight)
        )

    def set_describer(self, describe: Callable[[int, int], str] | None) -> None:
        """``describe(row, col)`` gives the tooltip of a cell (where a value came from)."""
        self._describe = describe

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The (row, col) under a point in widget coordinates, or None."""
        if not self._values.size:
            return None
        row = int((y - self._title_height() - 1) // self._cell.height())
        col = int((x - 1) // self._cell.width())
        rows, cols = self._values.shape
        return (
            (row, col) if 0 <= row < rows and 0 <= col < cols and y > self._title_height() else None
        )

    def _take_fonts(self) -> None:
        """The cells a point smaller than the widget's font, the title bold."""
        self._font = QFont(self.font())
        self._font.setPointSizeF(readable(self.font().pointSizeF() - 1.0))
        self._title_font = QFont(self.font())
        self._title_font.setBold(True)
        self._static_texts.clear()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FontChange:  # a panel made its text larger
            self._take_fonts()
            self._relayout()
        if event.type() == QEvent.Type.ToolTip and self._describe is not None:
            cell = self.cell_at(event.pos().x(), event.pos().y())
            if cell is not None:
                QToolTip.showText(event.globalPos(), self._describe(*cell), self)
                return True
        return super().event(event)

    def texts(self) -> list[list[str]]:
        """The strings drawn in the cells (what a person reads), row by row."""
        return [[self._distinct_texts[i] for i in row] for row in self._text_index]

    # -- geometry ------------------------------------------------------------------------
    def _relayout(self) -> None:
        metrics = QFontMetrics(self._font)
        widest = max((metrics.horizontalAdvance(t) for t in self._distinct_texts), default=10)
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
    def _static_text(self, text: str) -> QStaticText:
        static = self._static_texts.get(text)
        if static is None:
            if len(self._static_texts) > 4096:
                self._static_texts.clear()
            static = self._static_texts[text] = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(font=self._font)
        return static

    def _background(self, cw: int, ch: int) -> QImage:
        """Cell fills, padding hatches and grid lines as one image at the painted size, made
        once per content or cell size: a 15x15 grid then paints with one copy instead of a
        scaled image, ~160 hatched fills and 32 lines (several ms a frame in the inspector)."""
        if self._background_key == (cw, ch):
            return self._background_image
        rows, cols = self._values.shape
        height, width = rows * ch + 1, cols * cw + 1
        words = _upscale(_packed(self._fill_pixels), cw, ch)
        if self._marked is not None and self._marked.any():
            if self._stripes_key != (cw, ch, self._marked.tobytes()):
                cells = _upscale(self._marked, cw, ch)
                self._stripes = cells & _stripes(height, width)
                self._stripes_key = (cw, ch, self._marked.tobytes())
            hatched = self._fill_pixels * (1 - _HATCH_ALPHA) + _HATCH * _HATCH_ALPHA
            np.copyto(words, _upscale(_packed(hatched), cw, ch), where=self._stripes)
        words[::ch, :] = _GRID_LINE
        words[:, ::cw] = _GRID_LINE
        self._background_pixels = words
        self._background_image = QImage(
            words.data, width, height, 4 * width, QImage.Format.Format_RGB32
        )
        self._background_key = (cw, ch)
        return self._background_image

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        top = self._title_height()
        if self._title:
            painter.setFont(self._title_font)
            painter.setPen(self.palette().windowText().color())
            painter.drawText(
                QRectF(0, 0, self.width(), top),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self._title,
            )
        if not self._values.size:
            return
        painter.setFont(self._font)
        cw, ch = self._cell.width(), self._cell.height()
        rows, cols = self._values.shape
        # Only the cells in the exposed area: inside a scroll area most of a 15x15 grid is not.
        exposed = event.rect()
        row_range = range(max(0, (exposed.top() - top - 1) // ch),
                          min(rows - 1, (exposed.bottom() - top - 1) // ch) + 1)  # fmt: skip
        col_range = range(max(0, (exposed.left() - 1) // cw),
                          min(cols - 1, (exposed.right() - 1) // cw) + 1)  # fmt: skip
        painter.drawImage(1, top + 1, self._background(cw, ch))
        self._paint_texts(painter, top, row_range, col_range)
        if self._highlight is not None:
            painter.setPen(QPen(QColor(255, 140, 0), 3))
            for r, c in np.argwhere(self._highlight):
                painter.drawRect(QRectF(2 + c * cw, top + 2 + r * ch, cw - 2, ch - 2))
        painter.end()

    def _paint_texts(self, painter: QPainter, top: int, rows: range, cols: range) -> None:
        """Each cell's number centred in it, dark or light for contrast with its background.

        A 15x15 inspector draws ~1,500 numbers a frame, so the loop does the least it can: each
        distinct text's offset in its cell is worked out once, and the pen changes only when
        the contrast flips."""
        cw, ch = self._cell.width(), self._cell.height()
        offsets = []
        for text in self._distinct_texts:
            static = self._static_text(text)
            size = static.size()
            offsets.append(
                (static, 1 + (cw - size.width()) / 2, top + 1 + (ch - size.height()) / 2)
            )
        draw = painter.drawStaticText
        pen = None
        for r in rows:
            y0 = r * ch
            dark_row, index_row = self._dark[r], self._text_index[r]
            for c in cols:
                cell_pen = _DARK_TEXT if dark_row[c] else _LIGHT_TEXT
                if cell_pen is not pen:
                    painter.setPen(pen := cell_pen)
                static, dx, dy = offsets[index_row[c]]
                draw(QPointF(c * cw + dx, y0 + dy), static)

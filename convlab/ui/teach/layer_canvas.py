"""The arithmetic panel's CNN-layer drawing, laid out as the slides' convolution demo.

Columns, left to right: the input volume (one n x n slice per channel, with its padding ring),
every filter (one k x k slice per input channel, and its bias), and the output volume (one map
per filter). The current step outlines the window on every input slice, frames the filter in
use, and writes the channels' partial sums and the bias into the output cell it fills.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from convlab.engine.layer import LayerScene
from convlab.ui.fonts import readable
from convlab.ui.teach.arithmetic_canvas import (
    INPUT_COLOUR,
    OUTPUT_COLOUR,
    PAD_COLOUR,
    WINDOW_COLOUR,
)
from convlab.ui.widgets.number_grid import format_number

SLICE_GAP = 0.7  # cells between two slices of a volume
COLUMN_GAP = 1.6  # cells between two columns
OUTPUT_SCALE = 2.6  # output cells are larger: the current one holds the written-out sum


class LayerCanvas(QWidget):
    """Draws a ``LayerScene``; a click on an output cell asks for the step that fills it."""

    stepRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene: LayerScene | None = None
        self._outputs: list[QRectF] = []
        self._cell = 0.0
        self.key_actions: dict[Qt.Key, Callable[[], object]] = {}
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(560, 300)

    def sizeHint(self) -> QSize:
        return QSize(900, 520)

    def set_scene(self, scene: LayerScene) -> None:
        self.scene = scene
        self.update()

    # -- layout -------------------------------------------------------------------------------
    def _cell_size(self, scene: LayerScene) -> float:
        n = scene.image.shape[0] + 2 * scene.padding
        channels = scene.image.shape[2]
        filters, _, k, _ = scene.weights.shape
        m = max(scene.output_shape[0], 1)
        across = n + filters * k + m * OUTPUT_SCALE + (filters + 1) * COLUMN_GAP + 1
        tall = channels * n + (channels - 1) * SLICE_GAP + 3
        tall = max(tall, filters * (m * OUTPUT_SCALE + SLICE_GAP) + 3)
        return max(10.0, min(40.0, (self.width() - 16) / across, (self.height() - 8) / tall))

    def paintEvent(self, event) -> None:
        scene = self.scene
        if scene is None:
            return
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        cell = self._cell_size(scene)
        self._cell = cell
        font = QFont(self.font())
        font.setPointSizeF(readable(min(10.0, cell * 0.36)))
        painter.setFont(font)
        x = 8.0
        x = self._draw_input(painter, scene, x, cell) + COLUMN_GAP * cell
        for index in range(scene.weights.shape[0]):
            x = self._draw_filter(painter, scene, index, x, cell) + COLUMN_GAP * cell
        if scene.error:
            painter.setPen(QColor(190, 40, 40))
            painter.drawText(
                QRectF(x, 30, max(self.width() - x - 8, 120), 200),
                Qt.TextFlag.TextWordWrap,
                scene.error,
            )
            return
        self._draw_output(painter, scene, x, cell)

    def _title(self, painter: QPainter, x: float, y: float, text: str, colour: QColor) -> None:
        painter.setPen(colour)
        bold = QFont(painter.font())
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.drawText(QPointF(x, y), text)
        painter.restore()

    def _cell_box(
        self, painter: QPainter, box: QRectF, text: str, fill: QColor, edge: QColor, hatch=False
    ) -> None:
        painter.fillRect(box, fill)
        if hatch:
            painter.fillRect(box, Qt.BrushStyle.BDiagPattern)
        painter.setPen(QPen(edge, 1))
        painter.drawRect(box)
        painter.setPen(QColor(30, 30, 30))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # -- columns ------------------------------------------------------------------------------
    def _draw_input(self, painter: QPainter, scene: LayerScene, x: float, cell: float) -> float:
        size, _, channels = scene.image.shape
        p = scene.padding
        n = size + 2 * p
        step = scene.current
        y = 2.0 * cell
        self._title(
            painter, x, cell * 0.9, f"INPUT {size}×{size}×{channels} (pad {p})", INPUT_COLOUR
        )
        for channel in range(channels):
            painter.setPen(INPUT_COLOUR)
            painter.drawText(QPointF(x, y - 4), f"x[:, :, {channel}]")
            for r in range(-p, size + p):
                for c in range(-p, size + p):
                    box = QRectF(x + (c + p) * cell, y + (r + p) * cell, cell, cell)
                    if 0 <= r < size and 0 <= c < size:
                        text = format_number(float(scene.image[r, c, channel]))
                        self._cell_box(painter, box, text, QColor(235, 243, 255), INPUT_COLOUR)
                    else:
                        self._cell_box(painter, box, "0", PAD_COLOUR, QColor(190, 190, 190), True)
            if step is not None:
                painter.setPen(QPen(WINDOW_COLOUR, 2.5))
                for r in step.rows:
                    for c in step.cols:
                        painter.drawRect(
                            QRectF(x + (c + p) * cell, y + (r + p) * cell, cell, cell).adjusted(
                                1, 1, -1, -1
                            )
                        )
            y += (n + SLICE_GAP) * cell
        return x + n * cell

    def _draw_filter(
        self, painter: QPainter, scene: LayerScene, index: int, x: float, cell: float
    ) -> float:
        _, channels, k, _ = scene.weights.shape
        step = scene.current
        active = step is not None and step.filter_index == index
        self._title(painter, x, cell * 0.9, f"FILTER w{index}", WINDOW_COLOUR)
        y = 2.0 * cell
        for channel in range(channels):
            painter.setPen(WINDOW_COLOUR)
            painter.drawText(QPointF(x, y - 4), f"w{index}[:, :, {channel}]")
            for u in range(k):
                for v in range(k):
                    box = QRectF(x + v * cell, y + u * cell, cell, cell)
                    text = format_number(float(scene.weights[index, channel, u, v]))
                    self._cell_box(painter, box, text, QColor(255, 238, 214), WINDOW_COLOUR)
            if active:
                painter.setPen(QPen(WINDOW_COLOUR, 3))
                painter.drawRect(QRectF(x, y, k * cell, k * cell))
            y += (k + SLICE_GAP) * cell
        painter.setPen(WINDOW_COLOUR)
        painter.drawText(QPointF(x, y - 4), f"bias b{index}")
        box = QRectF(x, y, cell, cell)
        self._cell_box(
            painter,
            box,
            format_number(float(scene.bias[index])),
            QColor(255, 238, 214),
            WINDOW_COLOUR,
        )
        return x + k * cell

    def _draw_output(self, painter: QPainter, scene: LayerScene, x: float, cell: float) -> None:
        m = scene.output_shape[0]
        filters = scene.weights.shape[0]
        big = cell * OUTPUT_SCALE
        values, filled = scene.output()
        step = scene.current
        self._title(painter, x, cell * 0.9, f"OUTPUT {m}×{m}×{filters}", OUTPUT_COLOUR)
        self._outputs = []
        y = 2.0 * cell
        small = QFont(painter.font())
        small.setPointSizeF(readable(painter.font().pointSizeF() * 0.75))
        for index in range(filters):
            painter.setPen(OUTPUT_COLOUR)
            painter.drawText(QPointF(x, y - 4), f"o[:, :, {index}]")
            self._outputs.append(QRectF(x, y, m * big, m * big))
            for r in range(m):
                for c in range(m):
                    box = QRectF(x + c * big, y + r * big, big, big)
                    text = format_number(float(values[r, c, index])) if filled[r, c, index] else ""
                    current = step is not None and (
                        step.filter_index,
                        step.out_row,
                        step.out_col,
                    ) == (
                        index,
                        r,
                        c,
                    )
                    if current:
                        self._written_out(painter, box, step, small)
                    else:
                        self._cell_box(painter, box, text, QColor(232, 247, 236), OUTPUT_COLOUR)
            y += (m + SLICE_GAP) * big

    def _written_out(self, painter: QPainter, box: QRectF, step, small: QFont) -> None:
        """The current output cell: the channels' partial sums, the bias, and the total."""
        painter.fillRect(box, QColor(255, 232, 200))
        painter.setPen(QPen(WINDOW_COLOUR, 3))
        painter.drawRect(box.adjusted(1, 1, -1, -1))
        parts = " + ".join(format_number(float(value)) for value in step.partial_sums)
        painter.save()
        painter.setFont(small)
        painter.setPen(QColor(60, 60, 60))
        painter.drawText(
            box.adjusted(2, 2, -2, -box.height() / 3),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            f"{parts} + {format_number(step.bias)}",
        )
        painter.restore()
        bold = QFont(painter.font())
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.setPen(QColor(20, 20, 20))
        painter.drawText(
            box.adjusted(2, box.height() * 2 / 3 - 2, -2, -2),
            Qt.AlignmentFlag.AlignCenter,
            "= " + format_number(step.value),
        )
        painter.restore()

    # -- interaction --------------------------------------------------------------------------
    def step_for_point(self, point: QPointF) -> int | None:
        """Steps to show so that the clicked output cell is the current one (None: no cell)."""
        scene = self.scene
        if scene is None or scene.error:
            return None
        m = scene.output_shape[0]
        big = self._cell * OUTPUT_SCALE
        for index, rect in enumerate(self._outputs):
            if rect.contains(point):
                row = min(int((point.y() - rect.top()) // big), m - 1)
                col = min(int((point.x() - rect.left()) // big), m - 1)
                return index * m * m + row * m + col + 1
        return None

    def mousePressEvent(self, event) -> None:
        done = self.step_for_point(event.position())
        if done is not None:
            self.stepRequested.emit(done)
        super().mousePressEvent(event)

    def keyPressEvent(self, event) -> None:
        action = self.key_actions.get(Qt.Key(event.key()))
        if action is None:
            super().keyPressEvent(event)
            return
        action()

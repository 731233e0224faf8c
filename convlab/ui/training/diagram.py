"""The network drawn as the slides draw it: feature extractor, then classifier.

One card per step (convolution, ReLU, pooling, flatten, dense) with the shape after it and its
parameters; brackets over the cards mark the two parts with their parameter totals. Every map
is a small grid: click a unit and its receptive field (the input pixels it depends on, from
``convlab.cnn.anatomy``) is outlined on the input image. A unit after flatten sees it all.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from convlab.cnn.anatomy import CLASSIFIER, FEATURES, Block, blocks, part_parameters
from convlab.cnn.anatomy import receptive_field as field_of
from convlab.cnn.model import Sequential
from convlab.ui.fonts import readable

CARD_W, CARD_H, GAP = 92.0, 118.0, 8.0
INPUT_SIDE = 112.0
PART_COLOURS = {FEATURES: QColor(40, 110, 200), CLASSIFIER: QColor(200, 90, 40)}
FIELD_COLOUR = QColor(240, 130, 0)


class NetworkDiagram(QWidget):
    """Cards for every layer of ``model``; ``unitChosen(layer, row, col)`` on a click."""

    unitChosen = Signal(int, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkDiagram")
        self.model: Sequential | None = None
        self.input_shape: tuple[int, int, int] = (1, 28, 28)
        self.blocks: list[Block] = []
        self.sample: np.ndarray | None = None  # H x W uint8, drawn as the input
        self.chosen: tuple[int, int, int] | None = None  # (layer, row, col)
        self.field: tuple[int, int, int, int] | None = None
        self._cards: list[QRectF] = []
        self._input_rect = QRectF()
        self.setMinimumSize(240, 200)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)  # rows of cards wrap: a narrow diagram is a tall one
        self.setSizePolicy(policy)
        self.setToolTip("Click a unit of any layer to see the input pixels it depends on")

    def sizeHint(self) -> QSize:
        return QSize(640, max(420, self.heightForWidth(640)))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """The height every card needs at ``width`` (the page scrolls when it has less)."""
        rows = -(-len(self.blocks) // self._per_row(width)) if self.blocks else 1
        return int(max(40.0 + INPUT_SIDE + 80, 40.0 + rows * (CARD_H + 34)))

    def set_network(
        self, model: Sequential | None, input_shape: tuple[int, int, int], sample=None
    ) -> None:
        """Describe ``model`` for inputs of ``input_shape``; ``sample`` is the image drawn."""
        self.model, self.input_shape = model, tuple(input_shape)
        self.blocks = [] if model is None else blocks(model, self.input_shape)
        if sample is not None:
            image = np.asarray(sample)
            self.sample = image[0] if image.ndim == 3 else image
        if self.chosen is not None and self.chosen[0] >= len(self.blocks):
            self.chosen = self.field = None
        self.updateGeometry()
        self.update()

    def choose(self, layer: int, row: int = 0, col: int = 0) -> None:
        """Select a unit and outline its receptive field on the input."""
        if self.model is None or not 0 <= layer < len(self.blocks):
            return
        shape = self.blocks[layer].shape
        if len(shape) == 3:
            row, col = min(max(row, 0), shape[1] - 1), min(max(col, 0), shape[2] - 1)
        else:
            row = col = 0
        self.chosen = (layer, row, col)
        self.field = field_of(self.model, self.input_shape, layer, row, col)
        self.unitChosen.emit(layer, row, col)
        self.update()

    # -- layout -------------------------------------------------------------------------------
    def _layout(self) -> None:
        """The input on the left, then cards in rows that wrap at the widget's width."""
        self._input_rect = QRectF(GAP, 40.0, INPUT_SIDE, INPUT_SIDE)
        left = self._input_rect.right() + 2 * GAP
        per_row = self._per_row(self.width())
        self._cards = []
        for index in range(len(self.blocks)):
            row, column = divmod(index, per_row)
            self._cards.append(
                QRectF(left + column * (CARD_W + GAP), 40.0 + row * (CARD_H + 34), CARD_W, CARD_H)
            )

    @staticmethod
    def _per_row(width: int) -> int:
        """Cards per row beside the input picture."""
        return max(1, int((width - (INPUT_SIDE + 3 * GAP)) // (CARD_W + GAP)))

    def _grid_rect(self, card: QRectF, block: Block) -> QRectF:
        """Where a card draws its map (maps only): a square under the texts."""
        side = min(card.width() - 12, card.height() - 62)
        return QRectF(card.center().x() - side / 2, card.top() + 56, side, side)

    # -- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.blocks:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No network yet.")
            return
        self._layout()
        self._draw_input(painter)
        self._draw_parts(painter)
        for index, (block, card) in enumerate(zip(self.blocks, self._cards, strict=True)):
            self._draw_card(painter, index, block, card)

    def _draw_input(self, painter: QPainter) -> None:
        rect = self._input_rect
        channels, height, width = self.input_shape
        painter.setPen(self.palette().text().color())
        painter.drawText(QPointF(rect.left(), rect.top() - 6), f"input {channels}×{height}×{width}")
        if self.sample is not None and self.sample.shape == (height, width):
            image = np.ascontiguousarray(self.sample, dtype=np.uint8)
            qimage = QImage(image.data, width, height, width, QImage.Format.Format_Grayscale8)
            painter.drawImage(rect, qimage)
        else:
            painter.fillRect(rect, QColor(30, 30, 30))
        painter.setPen(QPen(QColor(120, 120, 120), 1))
        painter.drawRect(rect)
        if self.field is not None:
            top, left, bottom, right = self.field
            sx, sy = rect.width() / width, rect.height() / height
            box = QRectF(
                rect.left() + left * sx,
                rect.top() + top * sy,
                (right - left + 1) * sx,
                (bottom - top + 1) * sy,
            )
            painter.fillRect(box, QColor(240, 130, 0, 60))
            painter.setPen(QPen(FIELD_COLOUR, 2))
            painter.drawRect(box)
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(rect.left(), rect.bottom() + 4, rect.width() + GAP, 60),
                Qt.TextFlag.TextWordWrap,
                f"receptive field: rows {top}–{bottom}, columns {left}–{right} "
                f"({bottom - top + 1}×{right - left + 1} pixels)",
            )

    def _draw_parts(self, painter: QPainter) -> None:
        """A bracket over each part's cards (per row of cards) with its parameter total."""
        totals = part_parameters(self.blocks)
        bold = QFont(painter.font())
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        labelled: set[str] = set()
        spans: dict[tuple[str, float], list[QRectF]] = {}
        for block, card in zip(self.blocks, self._cards, strict=True):
            spans.setdefault((block.part, card.top()), []).append(card)
        for (part, top), cards in spans.items():
            colour = PART_COLOURS[part]
            left, right = cards[0].left(), cards[-1].right()
            painter.setPen(QPen(colour, 2))
            painter.drawLine(QPointF(left, top - 8), QPointF(right, top - 8))
            painter.drawLine(QPointF(left, top - 8), QPointF(left, top - 2))
            painter.drawLine(QPointF(right, top - 8), QPointF(right, top - 2))
            if part in labelled:
                text = f"{part} (continued)"
            else:
                text = f"{part}: {totals[part]:,} parameters"
                labelled.add(part)
                room = self.width() - left - 4
                if painter.fontMetrics().horizontalAdvance(text) > room:
                    text = f"{part}: {totals[part]:,}"
            painter.drawText(QPointF(left, top - 13), text)
        painter.restore()

    def _draw_card(self, painter: QPainter, index: int, block: Block, card: QRectF) -> None:
        colour = PART_COLOURS[block.part]
        painter.setPen(QPen(colour.lighter(140), 1))
        painter.fillRect(card, colour.lighter(195))
        painter.drawRect(card)
        painter.setPen(QColor(20, 20, 20))
        bold = QFont(painter.font())
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.drawText(QRectF(card.left(), card.top() + 2, card.width(), 16),
                         Qt.AlignmentFlag.AlignCenter, block.name)  # fmt: skip
        painter.restore()
        small = QFont(painter.font())
        small.setPointSizeF(readable(painter.font().pointSizeF() - 1.5))
        painter.save()
        painter.setFont(small)
        shape = "×".join(str(v) for v in block.shape)
        params = f"{block.parameters:,} params" if block.parameters else "no params"
        painter.drawText(QRectF(card.left(), card.top() + 18, card.width(), 36),
                         Qt.AlignmentFlag.AlignHCenter, f"{shape}\n{params}")  # fmt: skip
        painter.restore()
        grid = self._grid_rect(card, block)
        if len(block.shape) == 3:
            self._draw_map(painter, index, block, grid)
        else:
            bar = QRectF(grid.left(), grid.top(), grid.width(), min(grid.height(), 12.0))
            painter.fillRect(bar, QColor(250, 250, 250))
            painter.setPen(QPen(QColor(150, 150, 150), 1))
            painter.drawRect(bar)
            if self.chosen is not None and self.chosen[0] == index:
                painter.setPen(QPen(FIELD_COLOUR, 2))
                painter.drawRect(bar)

    def _draw_map(self, painter: QPainter, index: int, block: Block, grid: QRectF) -> None:
        _, height, width = block.shape
        cell = grid.width() / max(height, width)
        painter.fillRect(QRectF(grid.left(), grid.top(), width * cell, height * cell),
                         QColor(250, 250, 250))  # fmt: skip
        if cell >= 4:
            painter.setPen(QPen(QColor(215, 215, 215), 1))
            for r in range(height + 1):
                y = grid.top() + r * cell
                painter.drawLine(QPointF(grid.left(), y), QPointF(grid.left() + width * cell, y))
            for c in range(width + 1):
                x = grid.left() + c * cell
                painter.drawLine(QPointF(x, grid.top()), QPointF(x, grid.top() + height * cell))
        painter.setPen(QPen(QColor(150, 150, 150), 1))
        painter.drawRect(QRectF(grid.left(), grid.top(), width * cell, height * cell))
        if self.chosen is not None and self.chosen[0] == index:
            _, row, col = self.chosen
            unit = QRectF(grid.left() + col * cell, grid.top() + row * cell, cell, cell)
            painter.fillRect(unit, FIELD_COLOUR)
            if cell < 6:  # a unit of two or three pixels: ring it so the eye finds it
                painter.setPen(QPen(FIELD_COLOUR, 2))
                painter.drawEllipse(unit.center(), 6.0, 6.0)

    # -- interaction --------------------------------------------------------------------------
    def unit_at(self, point: QPointF) -> tuple[int, int, int] | None:
        """(layer, row, col) under ``point``, or None."""
        self._layout()
        for index, (block, card) in enumerate(zip(self.blocks, self._cards, strict=True)):
            if not card.contains(point):
                continue
            if len(block.shape) != 3:
                return index, 0, 0
            grid = self._grid_rect(card, block)
            _, height, width = block.shape
            cell = grid.width() / max(height, width)
            row = int((point.y() - grid.top()) // cell)
            col = int((point.x() - grid.left()) // cell)
            return index, min(max(row, 0), height - 1), min(max(col, 0), width - 1)
        return None

    def mousePressEvent(self, event) -> None:
        unit = self.unit_at(event.position())
        if unit is not None:
            self.choose(*unit)
        super().mousePressEvent(event)

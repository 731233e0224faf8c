"""The learned-filter tiles: every filter of a layer as a small coloured grid of its weights.

Tiles use a diverging scale (blue negative, white zero, red positive) with a symmetric range,
so a tile reads like the kernel editor's grid: red pulls the output up, blue pushes it down.
By default all tiles share one range (compare filters with each other); "own scale" stretches
each tile to its own largest weight (see the shape of weak filters). Hovering shows the numbers.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolTip, QWidget

from convlab.engine.display import weight_colours
from convlab.ui.fonts import readable

#: the largest on-screen size of one weight (pixels): a 5x5 filter grows up to 240 px
MAX_CELL = 48
#: thin lines between the weights once cells are big enough to tell them apart
MIN_CELL_FOR_LINES = 6
#: how dark those lines are (a fraction of the cell's own colour)
GRID_SHADE = 0.8
_LABEL_HEIGHT = 13
_GAP = 6


class FilterGrid(QWidget):
    """Paints tiles of 2-D weight grids; click selects, double-click or menu sends to the editor."""

    selectionChanged = Signal(int)
    tileClicked = Signal(int)  # every click on a tile, even on the one already selected
    sendRequested = Signal()
    writeBackRequested = Signal()
    sendBankRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("learnedFilters")
        self.setMouseTracking(True)
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.tiles: list[tuple[str, np.ndarray]] = []
        self.columns_hint = 0  # 0: choose columns to fit; else a fixed count (channel grids)
        self.own_scale = False
        self.selected = 0
        self.caption = ""
        # the tiles as drawn, made once per new weights (or scale, or cell size), not per paint
        self._pictures: list[QImage] = []
        self._pictures_for: tuple | None = None
        self._pixels: list[np.ndarray] = []
        self._line_images: dict[tuple[int, int, int], QImage] = {}

    # ------------------------------------------------------------------ data
    def set_tiles(self, tiles: list[tuple[str, np.ndarray]], columns: int = 0) -> None:
        """Show ``tiles`` (label, 2-D weights); keeps the selection when it still exists."""
        self.tiles = tiles
        self.columns_hint = columns
        if self.selected >= len(tiles):
            self.selected = 0
        self.update()

    def weights(self) -> np.ndarray:
        """Every tile's weights stacked (what the grid shows), for tests and exports."""
        if not self.tiles:
            return np.zeros((0, 0, 0))
        return np.stack([weights for _, weights in self.tiles])

    def select(self, index: int) -> None:
        if 0 <= index < len(self.tiles) and index != self.selected:
            self.selected = index
            self.update()
            self.selectionChanged.emit(index)

    # ------------------------------------------------------------------ geometry
    def _layout(self) -> tuple[int, int, int]:
        """(columns, tile side in pixels, cell side in pixels): the column count that gives
        the biggest tiles in the widget's current size, so tiles grow with the room."""
        count = len(self.tiles)
        if not count:
            return 1, 0, 0
        k = max(w.shape[0] for _, w in self.tiles)
        gap, label = self._spacing()
        width, height = self.width() - gap, self.height() - gap
        best = (1, 0)
        options = [self.columns_hint] if self.columns_hint else range(1, count + 1)
        for columns in options:
            rows = -(-count // columns)
            side = min(width // columns - gap, height // rows - gap - label)
            if side > best[1]:
                best = (columns, side)
        columns, side = best
        cell = max(1, min(side // k, MAX_CELL))
        return columns, cell * k, cell

    def _spacing(self) -> tuple[int, int]:
        """(gap between tiles, label height): a channel grid has many tiles and no labels."""
        return (2, 0) if self.columns_hint else (_GAP, _LABEL_HEIGHT)

    def _origin(self, columns: int, side: int) -> QPoint:
        """Top-left of the tile block: centred in the widget, so spare room frames it evenly."""
        gap, label = self._spacing()
        rows = -(-len(self.tiles) // columns)
        used_width = columns * (side + gap) + gap
        used_height = rows * (side + gap + label) + gap
        return QPoint(
            max(0, (self.width() - used_width) // 2), max(0, (self.height() - used_height) // 2)
        )

    def _tile_rect(self, index: int, columns: int, side: int) -> QRect:
        gap, label = self._spacing()
        origin = self._origin(columns, side)
        row, column = divmod(index, columns)
        x = origin.x() + gap + column * (side + gap)
        y = origin.y() + gap + row * (side + gap + label) + label
        return QRect(x, y, side, side)

    def _hit(self, pos: QPoint) -> tuple[int, int, int] | None:
        """(tile, row, column) under ``pos``, or None."""
        columns, side, cell = self._layout()
        for index, (_, weights) in enumerate(self.tiles):
            rect = self._tile_rect(index, columns, side)
            if rect.contains(pos):
                row = min((pos.y() - rect.y()) // cell, weights.shape[0] - 1)
                column = min((pos.x() - rect.x()) // cell, weights.shape[1] - 1)
                return index, row, column
        return None

    # ------------------------------------------------------------------ painting
    def tile_colours(self) -> list[np.ndarray]:
        """Every tile as k x k x 3 uint8 RGB, on the shared or its own symmetric scale."""
        if not self.tiles:
            return []
        if len({weights.shape for _, weights in self.tiles}) > 1:
            shared = max(float(np.abs(w).max()) for _, w in self.tiles) or 1.0
            pictures = []
            for _, weights in self.tiles:
                limit = (float(np.abs(weights).max()) or 1.0) if self.own_scale else shared
                pictures.append(np.ascontiguousarray(weight_colours(weights, limit)))
            return pictures
        # one shape (every layer's filters): the whole stack in a few numpy passes
        stack = np.stack([weights for _, weights in self.tiles]).astype(np.float64)
        largest = np.abs(stack).reshape(len(stack), -1).max(axis=1)
        largest[~(largest > 0)] = 1.0
        if self.own_scale:
            colours = weight_colours(stack / largest[:, None, None], 1.0)
        else:
            colours = weight_colours(stack, float(largest.max()) if largest.size else 1.0)
        return list(colours)

    def _tile_pictures(self) -> list[QImage]:
        """Every tile as a k x k 32-bit image, one pixel per weight, remade only when the
        weights or the scale change (a hover or an expose repaints from these). The painter
        enlarges them, nearest pixel, straight onto the screen."""
        done = self._pictures_for
        if done is None or done[0] is not self.tiles or done[1] != self.own_scale:
            self._pixels = (
                [bgra_tiles(np.stack(self.tile_colours()))]
                if _one_shape(self.tiles)
                else [bgra_tiles(c[None]) for c in self.tile_colours()]
            )
            pictures = []
            for group in self._pixels:  # the images borrow these arrays
                height, width = group.shape[1:3]
                pictures += [
                    QImage(tile.data, width, height, 4 * width, QImage.Format.Format_RGB32)
                    for tile in group
                ]
            self._pictures, self._pictures_for = pictures, (self.tiles, self.own_scale)
        return self._pictures

    def _grid_lines(self, rows: int, cols: int, cell: int) -> QImage | None:
        """The thin lines between the weights of a rows x cols tile: black at the strength
        that darkens a cell's colour to ``GRID_SHADE`` of itself, transparent elsewhere; one
        per tile size, drawn over every tile."""
        if cell < MIN_CELL_FOR_LINES:
            return None
        key = (rows, cols, cell)
        if key not in self._line_images:
            alpha = np.zeros((rows * cell, cols * cell), dtype=np.uint32)
            alpha[cell::cell] = alpha[:, cell::cell] = round(255 * (1 - GRID_SHADE))
            pixels = np.ascontiguousarray(alpha << 24)  # premultiplied black
            image = QImage(
                pixels.data, cols * cell, rows * cell, 4 * cols * cell,
                QImage.Format.Format_ARGB32_Premultiplied,
            )  # fmt: skip
            self._line_images[key] = image.copy()  # owns its pixels
        return self._line_images[key]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.tiles:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.rect(),
                int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap),
                "Press Train: the filters appear here as the network learns",
            )
            return
        columns, side, cell = self._layout()
        font = painter.font()
        font.setPointSizeF(readable(font.pointSizeF() * 0.8))
        painter.setFont(font)
        frame_pen = QPen(QColor(150, 150, 150), 1)
        selected_pen = QPen(self.palette().highlight().color(), 3)
        for index, ((label, _), image) in enumerate(zip(self.tiles, self._tile_pictures())):
            rect = self._tile_rect(index, columns, side)
            rows, cols = image.height(), image.width()
            painter.drawImage(QRect(rect.x(), rect.y(), cols * cell, rows * cell), image)
            lines = self._grid_lines(rows, cols, cell)
            if lines is not None:
                painter.drawImage(rect.x(), rect.y(), lines)
            painter.setPen(selected_pen if index == self.selected else frame_pen)
            painter.drawRect(rect.adjusted(-1, -1, 0, 0))
            if self.columns_hint:
                continue
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRect(
                    rect.x() - _GAP // 2,
                    rect.y() - _LABEL_HEIGHT,
                    rect.width() + _GAP,
                    _LABEL_HEIGHT,
                ),
                Qt.AlignmentFlag.AlignCenter,
                label,
            )

    # ------------------------------------------------------------------ interaction
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hit = self._hit(event.position().toPoint())
        if hit is None:
            QToolTip.hideText()
            return
        index, row, column = hit
        label, weights = self.tiles[index]
        QToolTip.showText(
            event.globalPosition().toPoint(), weights_html(label, weights, row, column), self
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        hit = self._hit(event.position().toPoint())
        if hit is not None:
            self.select(hit[0])
            self.tileClicked.emit(hit[0])

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._hit(event.position().toPoint()) is not None:
            self.sendRequested.emit()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        hit = self._hit(event.pos())
        if hit is None:
            return
        self.select(hit[0])
        menu = QMenu(self)
        menu.addAction("Send to kernel editor", self.sendRequested.emit)
        menu.addAction("Write back the editor's kernel here", self.writeBackRequested.emit)
        menu.addAction("Send all first-layer filters to the bank", self.sendBankRequested.emit)
        menu.exec(event.globalPos())


def weights_html(label: str, weights: np.ndarray, row: int, column: int) -> str:
    """The tile's numbers as a small table, the hovered weight in bold."""
    cells = []
    for r in range(weights.shape[0]):
        items = []
        for c in range(weights.shape[1]):
            text = f"{weights[r, c]:+.3f}"
            if (r, c) == (row, column):
                text = f"<b><u>{text}</u></b>"
            items.append(f"<td align=right>{text}</td>")
        cells.append("<tr>" + "".join(items) + "</tr>")
    return (
        f"<b>{label}</b> — row {row + 1}, column {column + 1}: {weights[row, column]:+.4f}"
        f"<table cellspacing=4 style='font-family:monospace'>{''.join(cells)}</table>"
    )


def bgra_tiles(rgb: np.ndarray) -> np.ndarray:
    """n x k x k x 3 RGB tiles as n x k x k x 4 B, G, R, 255 (``QImage.Format_RGB32``)."""
    bgra = np.empty((*rgb.shape[:3], 4), dtype=np.uint8)
    bgra[..., :3] = rgb[..., ::-1]
    bgra[..., 3] = 255
    return bgra


def _one_shape(tiles: list[tuple[str, np.ndarray]]) -> bool:
    return len({weights.shape for _, weights in tiles}) == 1

"""The learned filters: every filter of a convolution layer as a tile, and their history.

Tiles use the weight palette of the kernel editor's grid (blue negative, neutral zero, red
positive) with a symmetric range, so a tile reads like the grid: red pulls the output up, blue
pushes it down.
By default all tiles share one range (compare filters with each other); "own scale" stretches
each tile to its own largest weight (see the shape of weak filters). Hovering shows the numbers.
The history scrubber keeps a snapshot of the first layer every N steps: slide back to watch the
edge detectors form out of noise.
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
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolTip,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from convlab.engine.display import weight_colours
from convlab.ui.help import help_button

MAX_SNAPSHOTS = 400
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
        shared = max(float(np.abs(w).max()) for _, w in self.tiles) or 1.0
        pictures = []
        for _, weights in self.tiles:
            limit = (float(np.abs(weights).max()) or 1.0) if self.own_scale else shared
            pictures.append(np.ascontiguousarray(weight_colours(weights, limit)))
        return pictures

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
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        painter.setFont(font)
        frame_pen = QPen(QColor(150, 150, 150), 1)
        selected_pen = QPen(self.palette().highlight().color(), 3)
        for index, ((label, _), rgb) in enumerate(zip(self.tiles, self.tile_colours())):
            rect = self._tile_rect(index, columns, side)
            pixels = enlarged_tile(rgb, cell)
            height, width = pixels.shape[:2]
            image = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
            painter.drawImage(rect.x(), rect.y(), image)  # 1:1, nothing for Qt to scale
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


class LearnedFiltersPanel(QWidget):
    """Layer and channel choice, the tile grid, the history scrubber, close-the-loop buttons."""

    HELP_TITLE = "Learned filters"
    HELP_HTML = (
        "<p>Each tile is one filter (kernel) of a convolution layer, the numbers the network "
        "learned. <span style='color:#c00'>Red</span> weights are positive, "
        "<span style='color:#00c'>blue</span> negative, white zero. Hover a tile to read its "
        "numbers.</p><p>Watch the first layer during training: random noise turns into edge and "
        "blob detectors, much like Sobel or Gabor kernels. Drag the <b>history</b> slider to go "
        "back in time.</p><p><b>Send to kernel editor</b> runs the selected filter on your "
        "webcam in the Playground. <b>Write back</b> does the opposite: the editor's kernel "
        "replaces the selected filter and the validation accuracy is measured again.</p>"
    )

    sendRequested = Signal()
    sendBankRequested = Signal()
    writeBackRequested = Signal()
    undoWriteBackRequested = Signal()
    viewChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layers: list[tuple[str, np.ndarray]] = []  # (name, weights out x in x k x k)
        self.history: list[tuple[int, np.ndarray]] = []

        self.grid = FilterGrid()
        box = QGroupBox("Learned filters")  # a title that costs no width in the rows below
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(box)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.setSpacing(3)
        layout.addLayout(self._header_row())
        layout.addWidget(self.grid, 1)
        layout.addLayout(self._history_row())
        layout.addLayout(self._action_row())

        self.layer_box.currentIndexChanged.connect(self._layer_changed)
        self.channel_box.currentIndexChanged.connect(self._redraw)
        self.own_scale_box.toggled.connect(self._own_scale)
        self.delta_box.toggled.connect(self._redraw)
        self.history_slider.valueChanged.connect(self._redraw)
        self.send_button.clicked.connect(self.sendRequested)
        self.bank_button.clicked.connect(self.sendBankRequested)
        self.write_button.clicked.connect(self.writeBackRequested)
        self.undo_button.clicked.connect(self.undoWriteBackRequested)
        self.grid.sendRequested.connect(self.sendRequested)
        self.grid.sendBankRequested.connect(self.sendBankRequested)
        self.grid.writeBackRequested.connect(self.writeBackRequested)
        self._update_buttons()

    def _header_row(self) -> QHBoxLayout:
        """Which layer and input channel, the colour scale, and the help."""
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which convolution layer to show")
        self.layer_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.layer_box.setMinimumContentsLength(11)
        self.channel_box = QComboBox()
        self.channel_box.setToolTip(
            "Deeper filters have one k×k slice per input channel: show one channel, or all "
            "(rows: filters, columns: input channels)"
        )
        self.own_scale_box = QCheckBox("own scale")
        self.own_scale_box.setToolTip("Stretch every tile to its own largest weight")
        self.delta_box = QCheckBox("Δ since start")
        self.delta_box.setObjectName("filterDeltaBox")
        self.delta_box.setToolTip(
            "Show what training added to each first-layer filter (weights now minus the "
            "random weights it started from)"
        )
        header = QHBoxLayout()
        header.addWidget(self.layer_box)
        header.addWidget(self.channel_box)
        header.addWidget(self.own_scale_box)
        header.addWidget(self.delta_box)
        header.addStretch(1)
        header.addWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML))
        return header

    def _history_row(self) -> QHBoxLayout:
        """The scrubber through the first layer's snapshots, and how often to take them."""
        self.history_slider = QSlider(Qt.Orientation.Horizontal)
        self.history_slider.setObjectName("filterHistory")
        self.history_slider.setRange(0, 0)
        self.history_slider.setToolTip("Slide back through training (first-layer snapshots)")
        self.snapshot_box = QSpinBox()
        self.snapshot_box.setRange(1, 1000)
        self.snapshot_box.setValue(5)
        self.snapshot_box.setPrefix("every ")
        self.snapshot_box.setSuffix(" steps")
        self.snapshot_box.setToolTip("How often to keep a snapshot of the first layer (next run)")
        self.history_label = QLabel("live")
        self.history_label.setMinimumWidth(90)
        history = QHBoxLayout()
        history.addWidget(QLabel("History"))
        history.addWidget(self.history_slider, 1)
        history.addWidget(self.history_label)
        history.addWidget(self.snapshot_box)
        return history

    def _action_row(self) -> QHBoxLayout:
        """Send to the editor or the bank, write the editor's kernel back, undo that."""
        self.send_button = QPushButton("Send to editor")
        self.send_button.setObjectName("sendToEditorButton")
        self.send_button.setToolTip(
            "Make the selected filter the Playground's kernel (also: double-click a tile)"
        )
        self.bank_button = QPushButton("Send bank")
        self.bank_button.setObjectName("sendBankButton")
        self.bank_button.setToolTip("Put all first-layer filters into the feature-map bank")
        self.write_button = QPushButton("Write back")
        self.write_button.setObjectName("writeBackButton")
        self.write_button.setToolTip(
            "Replace the selected filter with the kernel editor's kernel "
            "and re-measure the validation accuracy"
        )
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Undo the last write-back (the filter gets its weights back)")
        self.undo_button.setObjectName("undoWriteBackButton")
        self.undo_button.setEnabled(False)
        actions = QHBoxLayout()
        actions.setSpacing(4)
        for button in (self.send_button, self.bank_button, self.write_button, self.undo_button):
            button.setStyleSheet("QPushButton { padding: 3px 9px; }")  # no 80 px minimum
            actions.addWidget(button)
        actions.addStretch(1)
        return actions

    # ------------------------------------------------------------------ data in
    def set_layers(self, layers: list[tuple[str, np.ndarray]]) -> None:
        """The current weights of every convolution layer (name, out x in x k x k)."""
        names_changed = [n for n, _ in layers] != [n for n, _ in self.layers]
        self.layers = layers
        if names_changed:
            current = self.layer_box.currentIndex()
            with signals_blocked(self.layer_box):
                self.layer_box.clear()
                for name, weights in layers:
                    self.layer_box.addItem(f"{name} ({weights.shape[0]} × {weights.shape[2]}²)")
                self.layer_box.setCurrentIndex(max(0, min(current, len(layers) - 1)))
            self._layer_changed()
        else:
            self._redraw()

    def reset_history(self) -> None:
        self.history = []
        with signals_blocked(self.history_slider):
            self.history_slider.setRange(0, 0)
        self._redraw()

    def add_snapshots(self, snapshots: list[tuple[int, np.ndarray]]) -> None:
        if not snapshots:
            return
        following = self.is_live()
        self.history.extend(snapshots)
        if len(self.history) > MAX_SNAPSHOTS:  # thin out, keeping the first and the newest
            self.history = [*self.history[:-1:2], self.history[-1]]
        with signals_blocked(self.history_slider):
            self.history_slider.setRange(0, max(0, len(self.history) - 1))
            if following:
                self.history_slider.setValue(self.history_slider.maximum())
        self._redraw()

    def is_live(self) -> bool:
        return self.history_slider.value() >= self.history_slider.maximum()

    # ------------------------------------------------------------------ data out
    def selection(self) -> tuple[int, int, int]:
        """(layer index, filter index, input channel) of the selected tile."""
        layer = max(0, self.layer_box.currentIndex())
        if not self.layers:
            return layer, 0, 0
        in_channels = self.layers[layer][1].shape[1]
        tile = self.grid.selected
        channel = 0 if in_channels == 1 else self.channel_box.currentIndex() - 1
        if channel < 0:  # "all channels": rows are input channels, columns are filters
            out_channels = self.layers[layer][1].shape[0]
            return layer, tile % out_channels, tile // out_channels
        return layer, tile, channel

    def selected_weights(self) -> np.ndarray | None:
        """The selected filter's weights at the shown time (a history snapshot when scrubbed),
        never the "change since start" picture."""
        weights, _ = self._shown_weights()
        if weights is None or not self.grid.tiles:
            return None
        _, index, channel = self.selection()
        return weights[index, channel]

    def selected_name(self) -> str:
        layer, index, channel = self.selection()
        name = self.layers[layer][0] if self.layers else "conv1"
        in_channels = self.layers[layer][1].shape[1] if self.layers else 1
        suffix = f" ch {channel + 1}" if in_channels > 1 else ""
        return f"learned {name} #{index + 1}{suffix}"

    def set_write_back_state(self, can_undo: bool) -> None:
        self.undo_button.setEnabled(can_undo)

    # ------------------------------------------------------------------ internals
    def _layer_changed(self) -> None:
        layer = self.layer_box.currentIndex()
        with signals_blocked(self.channel_box):
            self.channel_box.clear()
            if self.layers and layer >= 0:
                in_channels = self.layers[layer][1].shape[1]
                self.channel_box.addItem("all channels")
                for channel in range(in_channels):
                    self.channel_box.addItem(f"input ch {channel + 1}")
                self.channel_box.setCurrentIndex(1)
        self.channel_box.setVisible(
            bool(self.layers) and self.layers[max(layer, 0)][1].shape[1] > 1
        )
        self.history_slider.setEnabled(layer <= 0)
        self._redraw()

    def _own_scale(self, on: bool) -> None:
        self.grid.own_scale = on
        self.grid.update()

    def _shown_weights(self) -> tuple[np.ndarray | None, str]:
        layer = max(0, self.layer_box.currentIndex())
        if not self.layers:
            return None, ""
        if layer == 0 and self.history and not self.is_live():
            step, weights = self.history[self.history_slider.value()]
            return weights, f"step {step}"
        return self.layers[layer][1], "live"

    def _redraw(self) -> None:
        weights, when = self._shown_weights()
        layer = max(0, self.layer_box.currentIndex())
        delta = self.delta_box.isChecked() and layer == 0 and bool(self.history)
        self.delta_box.setEnabled(layer == 0 and bool(self.history))
        if delta and weights is not None and self.history[0][1].shape == weights.shape:
            weights = weights - self.history[0][1]
            when += " − start"
        self.history_label.setText(when)
        self.history_slider.setToolTip(
            f"Slide back through training: {len(self.history)} snapshots of the first layer"
        )
        if weights is None:
            self.grid.set_tiles([])
            self._update_buttons()
            return
        channel = self.channel_box.currentIndex() - 1
        if weights.shape[1] == 1:
            channel = 0
        if channel >= 0:
            tiles = [(f"#{i + 1}", weights[i, channel]) for i in range(weights.shape[0])]
            self.grid.set_tiles(tiles)
        else:
            # one column per filter, one row per input channel
            tiles = [
                (f"filter #{i + 1}, input ch {c + 1}", weights[i, c])
                for c in range(weights.shape[1])
                for i in range(weights.shape[0])
            ]
            self.grid.set_tiles(tiles, columns=weights.shape[0])
        self._update_buttons()
        self.viewChanged.emit()

    def _update_buttons(self) -> None:
        has = bool(self.grid.tiles)
        for button in (self.send_button, self.write_button):
            button.setEnabled(has)
        self.bank_button.setEnabled(has)


def enlarged_tile(rgb: np.ndarray, cell: int) -> np.ndarray:
    """A k x k x 3 tile blown up to ``cell`` pixels per weight (nearest neighbour: every weight
    a flat square), with the cell borders darkened into a thin grid once cells are big enough.
    Done in numpy because Qt's blended line drawing cost ~1 ms per tile."""
    big = np.repeat(np.repeat(rgb, cell, axis=0), cell, axis=1)
    if cell >= MIN_CELL_FOR_LINES:
        big[cell::cell] = (big[cell::cell] * GRID_SHADE).astype(np.uint8)
        big[:, cell::cell] = (big[:, cell::cell] * GRID_SHADE).astype(np.uint8)
    return np.ascontiguousarray(big)

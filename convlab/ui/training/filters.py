"""The learned filters: every filter of a convolution layer as a tile, and their history.

Tiles use the weight palette of the kernel editor's grid (blue negative, neutral zero, red
positive) with a symmetric range, so a tile reads like the grid: red pulls the output up, blue
pushes it down.
By default all tiles share one range (compare filters with each other); "own scale" stretches
each tile to its own largest weight (see the shape of weak filters). Hovering shows the numbers.
The first layer is shown by default as it started (step 0) beside what it is now, so the
noise-to-detector change is seen without looking for it; the history scrubber keeps a snapshot
every N steps to slide back through. "Send to editor" sends exactly the tile shown and says
which it is: the start, the weights now, or the change since the start.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from convlab.cnn.filter_history import FilterHistory
from convlab.ui.help import help_button
from convlab.ui.training.filter_grid import FilterGrid
from convlab.ui.widgets.flow_layout import FlowLayout

#: how the first layer is shown; the first is the default
FILTER_VIEWS = {
    "beside": "Start | now",
    "now": "Now",
    "change": "Change since start",
}


class LearnedFiltersPanel(QWidget):
    """Layer and channel choice, the tile grid, the history scrubber, close-the-loop buttons."""

    HELP_TITLE = "Learned filters"
    HELP_HTML = (
        "<p>Each tile is one filter (kernel) of a convolution layer, the numbers the network "
        "learned. <span style='color:#c00'>Red</span> weights are positive, "
        "<span style='color:#00c'>blue</span> negative, white zero. Hover a tile to read its "
        "numbers.</p><p>Watch the first layer during training: <b>Start | now</b> shows the "
        "filters as they began (random numbers) beside what they are now, smooth stroke and "
        "edge detectors, much like Sobel or Gabor kernels. Drag the <b>history</b> slider to go "
        "back in time; <b>Change since start</b> shows only what training added.</p>"
        "<p><b>Why they form.</b> The gradient of a first-layer filter is a sum of image "
        "patches, each weighted by how much its output mattered; strokes and edges are smooth, "
        "so what learning writes into a filter is smooth too. ConvLab starts the first layer "
        "small (a tenth of the usual random size), so the random start does not hide what the "
        "data wrote, and trains four passes so the detectors have settled.</p>"
        "<p><b>Send to editor</b> sends exactly the selected tile as shown (the start, the "
        "weights now, or the change) to the Playground, which runs it on your webcam; the "
        "message says which. <b>Write back</b> does the opposite: the editor's kernel replaces "
        "the selected filter and the validation accuracy is measured again. <b>Kernel editor</b> "
        "shows the kernel editor beside this tab, to edit the kernel you write back.</p>"
    )

    sendRequested = Signal()
    sendBankRequested = Signal()
    writeBackRequested = Signal()
    undoWriteBackRequested = Signal()
    viewChanged = Signal()

    def __init__(self, history: FilterHistory | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.layers: list[tuple[str, np.ndarray]] = []  # (name, weights out x in x k x k)
        self.history = history if history is not None else FilterHistory()  # read, never kept

        self.grid = FilterGrid()
        self.start_grid = FilterGrid()
        self.start_grid.setObjectName("startFilters")
        self.start_grid.setToolTip("The first-layer filters at step 0, before any learning")
        self.active_grid = self.grid  # the grid whose selected tile the buttons act on
        box = QGroupBox("Learned filters")  # a title that costs no width in the rows below
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(box)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.setSpacing(3)
        layout.addLayout(self._header_row())
        layout.addLayout(self._grids_row(), 1)
        layout.addLayout(self._history_row())
        layout.addLayout(self._action_row())

        self.layer_box.currentIndexChanged.connect(self._layer_changed)
        self.channel_box.currentIndexChanged.connect(self._redraw)
        self.own_scale_box.toggled.connect(self._own_scale)
        self.view_box.currentIndexChanged.connect(self._redraw)
        self.history_slider.valueChanged.connect(self._redraw)
        self.send_button.clicked.connect(self.sendRequested)
        self.bank_button.clicked.connect(self.sendBankRequested)
        self.write_button.clicked.connect(self.writeBackRequested)
        self.undo_button.clicked.connect(self.undoWriteBackRequested)
        for grid in (self.grid, self.start_grid):
            grid.sendRequested.connect(self.sendRequested)
            grid.sendBankRequested.connect(self.sendBankRequested)
            grid.writeBackRequested.connect(self.writeBackRequested)
            grid.tileClicked.connect(lambda index, grid=grid: self._selected(grid, index))
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
        self.view_box = QComboBox()
        self.view_box.setObjectName("filterViewBox")
        for key, label in FILTER_VIEWS.items():
            self.view_box.addItem(label, key)
        self.view_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.view_box.setMinimumContentsLength(9)
        self.view_box.setToolTip(
            "First layer: the filters at the start beside the filters now, the filters now "
            "only, or what training added (now minus start)"
        )
        header = QHBoxLayout()
        header.addWidget(self.layer_box)
        header.addWidget(self.channel_box)
        header.addWidget(self.own_scale_box)
        header.addWidget(self.view_box)
        header.addStretch(1)
        header.addWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML))
        return header

    def _grids_row(self) -> QHBoxLayout:
        """The start (step 0) beside the filters now: the tiles that turn from noise into
        detectors, side by side."""
        self.start_label = QLabel("<b>Start</b> (step 0)")
        self.now_label = QLabel("<b>Now</b>")
        for label in (self.start_label, self.now_label):
            label.setTextFormat(Qt.TextFormat.RichText)
        self.start_column = QWidget()
        start = QVBoxLayout(self.start_column)
        start.setContentsMargins(0, 0, 0, 0)
        start.setSpacing(0)
        start.addWidget(self.start_label)
        start.addWidget(self.start_grid, 1)
        now = QVBoxLayout()
        now.setSpacing(0)
        now.addWidget(self.now_label)
        now.addWidget(self.grid, 1)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.start_column, 1)
        row.addLayout(now, 1)
        return row

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

    def _action_row(self) -> FlowLayout:
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
        # The Kernel dock stays away from this tab (it squeezed the results) until a person
        # wants to edit the kernel they write back: this shows it beside the tab.
        self.editor_toggle = QPushButton("Kernel editor")
        self.editor_toggle.setObjectName("kernelEditorToggle")
        self.editor_toggle.setCheckable(True)
        self.editor_toggle.setToolTip(
            "Show the kernel editor beside this tab: edit the kernel that Write back puts "
            "into the network (it also opens by itself after a write-back)"
        )
        actions = FlowLayout(spacing=4)  # wraps in a narrow column rather than widening it
        buttons = (self.send_button, self.bank_button, self.write_button, self.undo_button)
        for button in (*buttons, self.editor_toggle):
            button.setStyleSheet("QPushButton { padding: 3px 9px; }")  # no 80 px minimum
            actions.addWidget(button)
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

    def show_history(self) -> None:
        """The history changed (snapshots came, or it was cleared for a new run): the slider
        spans it, and stays at the newest if it was there."""
        following = self.is_live()
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
        """The selected tile exactly as shown: the start, the weights now (a history snapshot
        when scrubbed), or the change since the start."""
        grid = self.start_grid if self._start_active() else self.grid
        if not grid.tiles:
            return None
        return grid.tiles[grid.selected][1]

    def selected_description(self) -> str:
        """What ``selected_weights`` is, in words: which filter and which of the three."""
        base = self.selected_name().replace("learned ", "")
        if self._start_active():
            return f"{base} at the start (step 0, before learning)"
        _, when = self._shown_weights()
        if self._showing_change():
            return f"change of {base} since the start ({when} − step 0), not its weights"
        return f"learned {base}, weights at {when}" if when != "live" else f"learned {base}"

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
        for grid in (self.grid, self.start_grid):
            grid.own_scale = on
            grid.update()

    def _shown_weights(self) -> tuple[np.ndarray | None, str]:
        layer = max(0, self.layer_box.currentIndex())
        if not self.layers:
            return None, ""
        if layer == 0 and self.history and not self.is_live():
            step, weights = self.history[self.history_slider.value()]
            return weights, f"step {step}"
        return self.layers[layer][1], "live"

    def _start_active(self) -> bool:
        """The last click was on a start tile, and the start is on show."""
        return self.active_grid is self.start_grid and not self.start_column.isHidden()

    def _showing_change(self) -> bool:
        layer = max(0, self.layer_box.currentIndex())
        return self.view_box.currentData() == "change" and layer == 0 and bool(self.history)

    def _redraw(self) -> None:
        weights, when = self._shown_weights()
        layer = max(0, self.layer_box.currentIndex())
        first_with_history = layer == 0 and bool(self.history)
        self.view_box.setEnabled(first_with_history)
        start = self.history.start() if first_with_history else None
        change = self._showing_change()
        if change and weights is not None and start.shape == weights.shape:
            weights = weights - start
            when += " − start"
        beside = (
            self.view_box.currentData() == "beside"
            and first_with_history
            and weights is not None
            and start.shape == weights.shape
        )
        self.start_column.setVisible(beside)
        self.now_label.setVisible(beside or change)
        self.now_label.setText("<b>Change since start</b>" if change else f"<b>Now</b> ({when})")
        if not beside and self.active_grid is self.start_grid:
            self.active_grid = self.grid
        self.history_label.setText(when)
        self.history_slider.setToolTip(
            f"Slide back through training: {len(self.history)} snapshots of the first layer"
        )
        if weights is None:
            self.grid.set_tiles([])
            self.start_grid.set_tiles([])
            self._update_buttons()
            return
        self._set_tiles(self.grid, weights)
        if beside:
            self._set_tiles(self.start_grid, start)
        self._update_buttons()
        self.viewChanged.emit()

    def _set_tiles(self, grid: FilterGrid, weights: np.ndarray) -> None:
        channel = self.channel_box.currentIndex() - 1
        if weights.shape[1] == 1:
            channel = 0
        if channel >= 0:
            grid.set_tiles([(f"#{i + 1}", weights[i, channel]) for i in range(weights.shape[0])])
            return
        # one column per filter, one row per input channel
        tiles = [
            (f"filter #{i + 1}, input ch {c + 1}", weights[i, c])
            for c in range(weights.shape[1])
            for i in range(weights.shape[0])
        ]
        grid.set_tiles(tiles, columns=weights.shape[0])

    def _selected(self, grid: FilterGrid, index: int) -> None:
        """A click in either grid: that grid's tile is what the buttons act on; the other
        grid follows, so the same filter is framed in both."""
        self.active_grid = grid
        other = self.start_grid if grid is self.grid else self.grid
        with signals_blocked(other):
            other.select(index)

    def _update_buttons(self) -> None:
        has = bool(self.grid.tiles)
        for button in (self.send_button, self.write_button):
            button.setEnabled(has)
        self.bank_button.setEnabled(has)

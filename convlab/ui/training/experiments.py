"""Side-by-side experiments: hand-made first layer vs free learning, and MLP vs CNN.

Both runs train on the same data, with the same optimiser settings and seed, interleaved batch
by batch on the training thread, so their curves grow together and differ only in what the
experiment changes. The table shows what the slides claim, measured: parameters and accuracy.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from convlab.cnn.progress import TrainingProgress
from convlab.ui import text as ui_text
from convlab.ui.training.curves import OTHER_PENS, TRAIN_PEN
from convlab.ui.training.filter_grid import FilterGrid

RUN_PENS = [
    TRAIN_PEN,
    *OTHER_PENS,
    pg.mkPen("#1f77b4", width=2, style=Qt.PenStyle.DashLine),
    pg.mkPen("#2ca02c", width=2, style=Qt.PenStyle.DashLine),
]
COLUMNS = ["run", "params", "train", "val.", "3 px", "steps"]


class ExperimentsTab(QWidget):
    """Buttons to start an experiment, a results table, curves and (hand-made) filter grids."""

    experimentRequested = Signal(str)  # "handmade" or "mlp"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setObjectName("raceSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.table = _results_table()
        self.plot = _accuracy_plot()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(_intro())
        layout.addLayout(self._buttons())
        layout.addWidget(self.table)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 2)
        self.grid_row = self._filter_grids()
        layout.addWidget(self.grid_row, 1)
        self.curves: list[pg.PlotDataItem] = []
        self.points: list[tuple[list[int], list[float]]] = []
        self.last_accuracy: list[str] = []
        self.grid_row.hide()
        self.begin([], show_filters=False)

    def _buttons(self) -> QGridLayout:
        """The hand-made bank's choice, the two experiments' buttons and the race's options."""
        self.bank_box = QComboBox()
        self.bank_box.addItem("Sobel / Prewitt / Laplacian", "edges")
        self.bank_box.addItem("Gabor bank", "gabor")
        handmade = QPushButton("Hand-made vs free")
        handmade.setObjectName("handmadeExperimentButton")
        handmade.clicked.connect(lambda: self.experimentRequested.emit("handmade"))
        versus = QPushButton("MLP vs CNN")
        versus.setObjectName("mlpExperimentButton")
        versus.clicked.connect(lambda: self.experimentRequested.emit("mlp"))
        self.shuffle_box = QCheckBox("Shuffle pixels")
        self.shuffle_box.setObjectName("shufflePixelsBox")
        self.shuffle_box.setToolTip(
            "Also race both networks on images whose pixels are moved by one fixed permutation "
            "(the same for every image): the MLP's curve stays the same, the CNN's does not"
        )
        self.shift_box = QCheckBox("Shift test")
        self.shift_box.setObjectName("shiftTestBox")
        self.shift_box.setToolTip(
            "Train both on digits jittered ±2 px, then test them on validation digits moved "
            "3 px (right, left, up, down): the CNN holds, the MLP drops"
        )
        # one at a time: the shift test trains on jittered digits, and a jitter moves shuffled
        # pixels to other places than it moves the digit's, so the MLP would not repeat itself
        self.shuffle_box.toggled.connect(lambda on: on and self.shift_box.setChecked(False))
        self.shift_box.toggled.connect(lambda on: on and self.shuffle_box.setChecked(False))
        buttons = QGridLayout()
        buttons.addWidget(self.bank_box, 0, 0)
        buttons.addWidget(handmade, 0, 1)
        buttons.addWidget(versus, 1, 1)
        options = QHBoxLayout()
        options.addWidget(self.shuffle_box)
        options.addWidget(self.shift_box)
        options.addStretch(1)
        buttons.addLayout(options, 2, 0, 1, 3)
        buttons.setColumnStretch(2, 1)
        return buttons

    def _filter_grids(self) -> QWidget:
        """The two runs' first-layer filters side by side, each under its run's name."""
        self.grids = [FilterGrid(), FilterGrid()]
        self.grid_labels = [QLabel(), QLabel()]
        grids = QHBoxLayout()
        for label, grid in zip(self.grid_labels, self.grids):
            grid.setObjectName("experimentFilters")
            grid.setMinimumSize(110, 90)
            column = QVBoxLayout()
            column.addWidget(label)
            column.addWidget(grid, 1)
            grids.addLayout(column)
        row = QWidget()
        row.setLayout(grids)
        return row

    def bank(self) -> str:
        return str(self.bank_box.currentData())

    def race_options(self) -> tuple[bool, bool]:
        """(shuffle pixels, shift test) for the next MLP vs CNN race."""
        return self.shuffle_box.isChecked(), self.shift_box.isChecked()

    def begin(self, names: list[str], show_filters: bool) -> None:
        """Clear the table and curves for a new experiment with runs ``names``."""
        self.plot.clear()
        self.plot.addLegend(offset=(-10, -10))
        self.curves = [
            self.plot.plot([], [], pen=RUN_PENS[i % len(RUN_PENS)], name=name)
            for i, name in enumerate(names)
        ]
        self.points = [([], []) for _ in names]
        self.table.setRowCount(len(names))
        rows_height = sum(self.table.rowHeight(row) for row in range(len(names)))
        self.table.setFixedHeight(
            self.table.horizontalHeader().sizeHint().height() + rows_height + 4
        )
        self.last_accuracy = ["–"] * len(names)
        self.final: dict[str, TrainingProgress] = {}
        self.summary.setText("")
        for row, name in enumerate(names):
            self.table.setItem(row, 0, QTableWidgetItem(name))
            for column in range(1, len(COLUMNS)):
                self.table.setItem(row, column, QTableWidgetItem("–"))
        self.grid_row.setVisible(show_filters)
        for grid, label, name in zip(self.grids, self.grid_labels, names):
            grid.set_tiles([])
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setText(f"<b>{ui_text.escaped(name, 200)}</b>")

    def update_runs(self, reports: list[TrainingProgress]) -> None:
        for row, report in enumerate(reports[: len(self.curves)]):
            accuracy = report.accuracy
            if report.fresh_batches and not math.isnan(accuracy):
                steps, values = self.points[row]
                steps.append(report.step)
                values.append(accuracy)
                self.curves[row].setData(steps, values)
                self.last_accuracy[row] = f"{accuracy:.1%}"
            val, moved = report.val_accuracy, report.shift_accuracy
            cells = [
                f"{report.parameters:,}",
                self.last_accuracy[row],
                "–" if val is None else f"{val:.1%}",
                "–" if moved is None else f"{moved:.1%}",
                f"{report.step} / {report.total_steps}",
            ]
            self.final[report.name] = report
            for column, text in enumerate(cells, start=1):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
            self.summary.setText(race_summary(self.final))
            if row < len(self.grids) and not self.grid_row.isHidden():
                weights = _first_conv(report.state)
                if weights is not None:
                    self.grids[row].set_tiles(
                        [(f"#{i + 1}", weights[i, 0]) for i in range(weights.shape[0])]
                    )


def _intro() -> QLabel:
    intro = QLabel(
        "<b>Hand-made vs learned:</b> start the first layer from designed filters (chosen "
        "below; frozen if <i>Freeze</i> is ticked in Model) and train it next to a random "
        "start.<br><b>MLP vs CNN:</b> a fully connected network and the CNN on the same "
        "images: count the parameters, compare the accuracy. <i>Shuffle pixels</i> and "
        "<i>Shift test</i> measure what “loses spatial orientation” means."
    )
    intro.setWordWrap(True)
    return intro


def race_summary(runs: dict[str, TrainingProgress]) -> str:
    """The race's point in numbers, once they are measured: what shuffling and moving did."""
    lines = []
    for network in ("MLP", "CNN"):
        plain, shuffled = runs.get(network), runs.get(f"{network}, pixels shuffled")
        if plain and shuffled and plain.val_accuracy is not None and shuffled.val_accuracy:
            change = shuffled.val_accuracy - plain.val_accuracy
            lines.append(
                f"<b>{network}</b>, pixels shuffled: validation {plain.val_accuracy:.1%} → "
                f"{shuffled.val_accuracy:.1%} ({change:+.1%}"
                + (", the same curve: it never used the layout)" if network == "MLP" else ")")
            )
    moved = [
        f"<b>{ui_text.escaped(name)}</b> {report.val_accuracy:.1%} → {report.shift_accuracy:.1%}"
        for name, report in runs.items()
        if report.shift_accuracy is not None and report.val_accuracy is not None
    ]
    if moved:
        lines.append("Digits moved 3 px (trained with ±2 px jitter): " + " · ".join(moved))
    return "<br>".join(lines)


def _results_table() -> QTableWidget:
    """One row per run, read-only, as tall as its rows (no scroll bars)."""
    table = QTableWidget(0, len(COLUMNS))
    table.setObjectName("experimentTable")
    table.setHorizontalHeaderLabels(COLUMNS)
    tips = {
        "params": "weights and biases",
        "train": "training accuracy, recent batches",
        "val.": "validation accuracy, measured after each epoch",
        "3 px": "shift test: validation accuracy on digits moved 3 px (right, left, up, down)",
    }
    for column, name in enumerate(COLUMNS):
        if name in tips:
            table.horizontalHeaderItem(column).setToolTip(tips[name])
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


def _accuracy_plot() -> pg.PlotWidget:
    """Training accuracy against step, one curve per run, fixed 0-1 range."""
    plot = pg.PlotWidget(background="w")
    plot.setLabel("left", "train accuracy")
    plot.setLabel("bottom", "step")
    plot.setYRange(0, 1.02, padding=0)
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.addLegend(offset=(-10, -10))
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    return plot


def _first_conv(state: tuple[dict[str, np.ndarray], ...]) -> np.ndarray | None:
    for params in state:
        weight = params.get("weight")
        if weight is not None and weight.ndim == 4:
            return weight
    return None

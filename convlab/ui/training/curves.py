"""Loss and accuracy curves (training and validation), and their export as CSV or PNG.

Points arrive a few times a second from the training thread; each one is an average over the
batches since the previous point, so the curve is smooth without hiding what happened.
Exports are written atomically (temporary file, then rename): a crash never leaves half a file.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from convlab.cnn.progress import TrainingProgress
from convlab.errors import ConvlabError

TRAIN_PEN = pg.mkPen("#1f77b4", width=2)
VALID_PEN = pg.mkPen("#d62728", width=2)
INITIAL_LOSS_TOP = 2.6  # just above ln(10), the loss of guessing among ten classes
OTHER_PENS = [pg.mkPen("#2ca02c", width=2), pg.mkPen("#9467bd", width=2)]


class TrainingCurves(QWidget):
    """Two stacked plots sharing the step axis: loss, and accuracy (train and validation)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setObjectName("trainingCurves")
        self.plots.setBackground("w")
        self.loss_plot = self.plots.addPlot(row=0, col=0)
        self.accuracy_plot = self.plots.addPlot(row=1, col=0)
        for plot, label in ((self.loss_plot, "loss"), (self.accuracy_plot, "accuracy")):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("left", label)
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(x=False, y=False)
            for side in ("left", "bottom"):
                # Every new point repaints the whole plot; an axis re-renders its ticks and
                # text each time (1-2 ms apiece). The ranges are fixed, so Qt can keep each
                # axis as a pixmap and only redraw it when the range actually changes.
                plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.accuracy_plot.setLabel("bottom", "step (batches)")
        self.loss_plot.getAxis("bottom").setStyle(showValues=False)  # shared with the plot below
        self.accuracy_plot.setXLink(self.loss_plot)
        self.accuracy_plot.setYRange(0, 1.02, padding=0)
        self.loss_plot.addLegend(offset=(-10, 5))
        self.accuracy_plot.addLegend(offset=(-10, -10))
        self.loss_curve = self.loss_plot.plot([], [], pen=TRAIN_PEN, name="train")
        self.accuracy_curve = self.accuracy_plot.plot([], [], pen=TRAIN_PEN, name="train")
        self.val_curve = self.accuracy_plot.plot(
            [],
            [],
            pen=VALID_PEN,
            symbol="o",
            symbolSize=6,
            symbolBrush="#d62728",
            name="validation",
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plots)
        self._stale = False  # points came while the curves were off screen
        self.clear()

    def clear(self) -> None:
        self.rows: list[dict[str, float | int | None]] = []
        # Fixed ranges: letting pyqtgraph auto-range re-lays out both axes on every point, which
        # is most of the GUI thread's time during training. Ranges only grow, and rarely.
        self._loss_top = INITIAL_LOSS_TOP
        self._steps = 1
        self.loss_plot.setYRange(0, self._loss_top, padding=0)
        self.loss_plot.setXRange(0, self._steps, padding=0.02)
        self.loss_curve.setData([], [])
        self.accuracy_curve.setData([], [])
        self.val_curve.setData([], [])
        self._validated_shown: list[tuple] = []

    def add(self, report: TrainingProgress) -> None:
        """Append one progress report (ignored when it neither trained nor validated).

        Validation accuracy is recorded only on the report that measured it (epoch ends), so
        the red curve has one point per epoch even when the value does not change.
        """
        if report.fresh_batches == 0 and not report.validated:
            return
        row = {
            "step": int(report.step),
            "epoch": int(report.epoch),
            "loss": None if math.isnan(report.loss) else float(report.loss),
            "accuracy": None if math.isnan(report.accuracy) else float(report.accuracy),
            "val_accuracy": report.val_accuracy if report.validated else None,
        }
        if self.rows and self.rows[-1]["step"] == row["step"]:
            self.rows[-1] = {**self.rows[-1], **{k: v for k, v in row.items() if v is not None}}
        else:
            self.rows.append(row)
        self._redraw()

    def set_total_steps(self, steps: int) -> None:
        """The x axis spans the whole run from the start: the curve grows into it."""
        self._steps = max(1, int(steps))
        self.loss_plot.setXRange(0, self._steps, padding=0.02)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._redraw()

    def _redraw(self) -> None:
        """The curves from ``rows``; off screen (a live view on the Playground while training
        runs) only noted, and drawn when the curves come on screen: the points are kept."""
        if not self.isVisible():
            self._stale = True
            return
        self._draw_now()

    def _draw_now(self) -> None:
        self._stale = False
        trained = [r for r in self.rows if r["loss"] is not None]
        highest = max((r["loss"] for r in trained), default=0.0)
        if highest > self._loss_top:
            self._loss_top = highest * 1.25
            self.loss_plot.setYRange(0, self._loss_top, padding=0)
        if self.rows and self.rows[-1]["step"] > self._steps:
            self.set_total_steps(self.rows[-1]["step"])
        self.loss_curve.setData([r["step"] for r in trained], [r["loss"] for r in trained])
        self.accuracy_curve.setData([r["step"] for r in trained], [r["accuracy"] for r in trained])
        validated = [
            (r["step"], r["val_accuracy"]) for r in self.rows if r["val_accuracy"] is not None
        ]
        if validated != self._validated_shown:  # once an epoch: its symbols are costly to redo
            self._validated_shown = validated
            self.val_curve.setData([s for s, _ in validated], [v for _, v in validated])

    # ------------------------------------------------------------------ export
    def export_csv(self, path: str | Path) -> None:
        path = Path(path)
        temporary = path.with_name(path.name + ".part")
        try:
            with open(temporary, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(
                    handle, fieldnames=["step", "epoch", "loss", "accuracy", "val_accuracy"]
                )
                writer.writeheader()
                for row in self.rows:
                    writer.writerow({k: "" if v is None else v for k, v in row.items()})
            os.replace(temporary, path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise ConvlabError(f"cannot write the curves to {path}: {error.strerror}") from error

    def export_png(self, path: str | Path) -> None:
        path = Path(path)
        temporary = path.with_name(path.stem + ".part.png")
        if self._stale:  # exported from off screen: the picture has every point
            self._draw_now()
        exporter = ImageExporter(self.plots.scene())
        exporter.parameters()["width"] = max(800, self.plots.width())
        try:
            if not exporter.export(str(temporary)) and not temporary.exists():
                raise OSError(0, "the image could not be written")
            os.replace(temporary, path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise ConvlabError(f"cannot write the curves to {path}: {error.strerror}") from error

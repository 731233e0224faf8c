"""The Train tab's progress readout: a bar (steps, ETA, paused / done) and a one-line status."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from convlab.cnn.progress import TrainingProgress
from convlab.ui import text as ui_text


def format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


class ProgressReadout(QWidget):
    """Where the run is: the bar counts steps, the status line says loss, accuracy and speed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setObjectName("trainingProgress")
        self.status = QLabel("Press Train: the default data (synthetic digits) is ready.")
        self.status.setTextFormat(Qt.TextFormat.RichText)  # set only via set_status
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.status.setObjectName("trainingStatus")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setWordWrap(True)  # a long status wraps instead of widening the tab
        self._last_scores = (math.nan, math.nan, 0.0)  # loss, accuracy, images/s last measured
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        self.ready()

    def ready(self) -> None:
        """An untrained network, nothing running."""
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat("ready")

    def preparing(self, description: str) -> None:
        """A busy bar until the data is loaded."""
        self._last_scores = (math.nan, math.nan, 0.0)
        self.bar.setRange(0, 0)
        self.bar.setFormat("preparing data…")
        self.set_status(f"Preparing {description}…")

    def training(self) -> None:
        self.bar.setRange(0, 1000)
        self.bar.setFormat("training…")

    def show_progress(self, report: TrainingProgress) -> None:
        total = max(1, report.total_steps)
        if self.bar.maximum() != total:
            self.bar.setRange(0, total)
        self.bar.setValue(report.step)
        if report.paused:
            state = "paused"
        else:
            state = "done" if report.done else "ETA " + format_seconds(report.eta_s)
        self.bar.setFormat(f"%v / %m steps · {state}")
        if report.fresh_batches:
            self._last_scores = (report.loss, report.accuracy, report.images_per_s)
        loss, accuracy, speed = self._last_scores
        val = report.val_accuracy
        parts = [
            f"epoch {report.epoch}/{report.epochs}",
            f"loss {loss:.3f}" if math.isfinite(loss) else "",
            f"train acc. {accuracy:.1%}" if math.isfinite(accuracy) else "",
            f"validation {val:.1%}" if val is not None else "validation after epoch 1",
            f"{speed:,.0f} images/s" if speed else "",
        ]
        self.set_status("  ·  ".join(p for p in parts if p))

    def stopped(self) -> None:
        self.status.setText(self.status.text() + "  — stopped")
        self.end_busy("stopped")

    def failed(self, message: str) -> None:
        """In red: our colour around the message; the message itself (paths, names) stays
        literal."""
        self.status.setText(f"<span style='color:#b00000'>{ui_text.escaped(message)}</span>")

    def finish(self, outcome: str) -> None:
        """The run ended: "done" (a full bar), "stopped" or "failed"."""
        self.end_busy(outcome)
        self.bar.setFormat(outcome)
        if outcome == "done":
            self.bar.setValue(self.bar.maximum())

    def end_busy(self, outcome: str) -> None:
        """Turn the "preparing data" busy bar back into a plain, labelled one."""
        if self.bar.maximum() == 0:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            self.bar.setFormat(outcome)

    def set_status(self, text: str) -> None:
        """Plain text in the status line (it holds file and class names)."""
        self.status.setText(ui_text.escaped(text, 600))

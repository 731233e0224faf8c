"""The "Live" insight page: the class the network sees in the camera, as it sees it.

After training on webcam classes, every live frame (at most five a second) is prepared exactly
like the captured ones and classified by the GUI's copy of the network; the answer shows here
and, through ``textChanged``, on the live view.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from convlab.cnn.dataset import Dataset
from convlab.cnn.evaluate import classify
from convlab.cnn.model import Sequential
from convlab.cnn.webcam_samples import frame_to_sample

IDLE_HINT = "Train on webcam classes (Data → Capture from webcam), then point the camera at them."
WEBCAM_HINT = "Point the camera at your classes; the prediction also shows on the live view."


class LivePage(QWidget):
    """A switch, a hint and the predicted class in large type."""

    textChanged = Signal(str)  # "class name 93%" for the live-view overlay; "" hides it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.live_box = QCheckBox("Show the predicted class on the live view")
        self.live_box.setObjectName("liveClassificationBox")
        self.live_box.setChecked(True)
        self.live_label = QLabel(IDLE_HINT)
        self.live_label.setObjectName("liveClassificationLabel")
        self.live_label.setWordWrap(True)
        font = self.live_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.live_result = QLabel("")
        self.live_result.setTextFormat(Qt.TextFormat.PlainText)  # class names are typed in
        self.live_result.setFont(font)
        layout = QVBoxLayout(self)
        layout.addWidget(self.live_box)
        layout.addWidget(self.live_label)
        layout.addWidget(self.live_result)
        layout.addStretch(1)
        self.live_box.toggled.connect(lambda _: self.set_text(""))

    def set_webcam_data(self, webcam: bool) -> None:
        """Whether webcam classes are the chosen data (the hint says what to do next)."""
        self.live_label.setText(WEBCAM_HINT if webcam else IDLE_HINT)

    def classify(
        self, frame: np.ndarray, model: Sequential | None, dataset: Dataset | None
    ) -> None:
        """Classify one live RGB frame when a network trained on webcam classes can."""
        if (
            not self.live_box.isChecked()
            or model is None
            or dataset is None
            or dataset.name != "webcam"
        ):
            self.set_text("")
            return
        name, probability = classify(model, frame_to_sample(frame), dataset.class_names)
        self.set_text(f"{name} {probability:.0%}")

    def set_text(self, text: str) -> None:
        self.live_result.setText(text)
        if text != self._text:
            self._text = text
            self.textChanged.emit(text)

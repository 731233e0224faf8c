"""The Train tab's left column: what to train on (data) and how (model, optimiser)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QScrollArea, QVBoxLayout, QWidget

from convlab.cnn.dataset import DataSpec
from convlab.ui.state import PlaygroundState
from convlab.ui.training.data import DataChooser
from convlab.ui.training.recipe import ModelSettings
from convlab.ui.training.webcam import WebcamClasses


class SettingsColumn(QScrollArea):
    """Data choice above the model and optimiser settings; scrolls up and down, never sideways."""

    def __init__(
        self, webcam_classes: WebcamClasses, state: PlaygroundState, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trainingSettingsColumn")
        self.data = DataChooser(webcam_classes, state)
        data_box = QGroupBox("Data")
        data_layout = QVBoxLayout(data_box)
        data_layout.setContentsMargins(6, 4, 6, 4)
        data_layout.addWidget(self.data)
        self.settings = ModelSettings()
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(data_box)
        layout.addWidget(self.settings)
        layout.addStretch(1)
        self.setWidgetResizable(True)
        self.setWidget(content)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # wide enough for the settings' own minimum: the scroll area never clips them sideways
        self.setMinimumWidth(
            content.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width() + 6
        )
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self._small_data_defaults_pending = True
        self.data.changed.connect(self._data_changed)
        self._data_changed()

    def input_shape(self) -> tuple[int, int, int]:
        """The image shape the chosen data will give."""
        return DataSpec(kind=self.data.kind()).input_shape()

    def set_editable(self, editable: bool) -> None:
        """While training runs the choices are locked; the column still scrolls."""
        self.data.setEnabled(editable)
        self.settings.setEnabled(editable)

    def _data_changed(self) -> None:
        if self.data.kind() == "webcam" and self._small_data_defaults_pending:
            # a few dozen captures at the defaults would train for a handful of steps only
            self._small_data_defaults_pending = False
            if self.settings.epochs_box.value() == 3:
                self.settings.epochs_box.setValue(20)
            if self.settings.batch_box.value() == 32:
                self.settings.batch_box.setValue(16)
        self.settings.set_data_shape(self.input_shape(), self.data.num_classes())

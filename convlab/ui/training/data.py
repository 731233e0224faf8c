"""What to train on: the data choices of the Train tab.

The widget only records choices and hands them out as a ``DataSpec`` (``convlab.cnn.dataset``),
which loads on the training thread: picking 60,000 MNIST images never freezes the window.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from convlab.cnn import data as cnn_data
from convlab.cnn.dataset import KIND_LABELS, VALIDATION_FRACTION, DataSpec
from convlab.ui import file_dialogs
from convlab.ui.state import PlaygroundState
from convlab.ui.training.webcam import WebcamCapturePanel, WebcamClasses


class DataChooser(QWidget):
    """Data choice, sample count, and the file / folder / webcam controls for the choice."""

    changed = Signal()

    def __init__(
        self, webcam_classes: WebcamClasses, state: PlaygroundState, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.webcam_classes = webcam_classes
        self.kind_box = QComboBox()
        self.kind_box.setObjectName("trainingDataKind")
        for kind, label in KIND_LABELS.items():
            self.kind_box.addItem(label, kind)
        self.kind_box.setToolTip("What the network learns to tell apart")
        # long choice names must not set the width of the whole settings column
        self.kind_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.kind_box.setMinimumContentsLength(18)
        self.count_box = _image_count_box()

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Data", self.kind_box)
        self.count_label = QLabel("Images")
        form.addRow(self.count_label, self.count_box)

        self.pages = QStackedWidget()
        self.pages.addWidget(QWidget())  # digits, shapes: nothing more to choose
        self.images_edit = QLineEdit()
        self.labels_edit = QLineEdit()
        idx_page = QWidget()
        idx_form = QFormLayout(idx_page)
        idx_form.setContentsMargins(0, 0, 0, 0)
        idx_form.addRow("Images", _with_browse(self.images_edit, self._browse_images))
        idx_form.addRow("Labels", _with_browse(self.labels_edit, self._browse_labels))
        self.images_edit.setPlaceholderText("train-images-idx3-ubyte.gz")
        self.labels_edit.setPlaceholderText("train-labels-idx1-ubyte.gz")
        self.pages.addWidget(idx_page)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("folder/cats/*.jpg, folder/dogs/*.jpg …")
        folder_page = QWidget()
        folder_form = QFormLayout(folder_page)
        folder_form.setContentsMargins(0, 0, 0, 0)
        folder_form.addRow("Folder", _with_browse(self.folder_edit, self._browse_folder))
        self.pages.addWidget(folder_page)
        self.webcam_panel = WebcamCapturePanel(webcam_classes, state)
        self.pages.addWidget(self.webcam_panel)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.pages)

        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.count_box.valueChanged.connect(self.changed)
        webcam_classes.changed.connect(self.changed)
        self._kind_changed()

    def kind(self) -> str:
        return str(self.kind_box.currentData())

    def set_kind(self, kind: str) -> None:
        self.kind_box.setCurrentIndex(list(KIND_LABELS).index(kind))

    def spec(self, seed: int) -> DataSpec:
        """The current choice as a value the training thread can load."""
        return DataSpec(
            kind=self.kind(),
            count=self.count_box.value(),
            seed=seed,
            images_path=self.images_edit.text().strip(),
            labels_path=self.labels_edit.text().strip(),
            folder=self.folder_edit.text().strip(),
            webcam_names=tuple(self.webcam_classes.names),
            webcam_samples=tuple(np.array(s) for s in self.webcam_classes.sample_arrays()),
        )

    def num_classes(self) -> int:
        """Classes the current choice will have (for live parameter counts)."""
        kind = self.kind()
        if kind == "webcam":
            return max(2, len(self.webcam_classes.names))
        if kind == "shapes":
            return len(cnn_data.SHAPE_CLASSES)
        if kind == "folder" and self.folder_edit.text().strip():
            folder = Path(self.folder_edit.text().strip())
            try:
                return max(2, sum(1 for child in folder.iterdir() if child.is_dir()))
            except OSError:
                return 2
        return 10

    def _kind_changed(self) -> None:
        kind = self.kind()
        page = {"digits": 0, "shapes": 0, "idx": 1, "folder": 2, "webcam": 3}[kind]
        # a stacked widget is as tall as its tallest page; let only the shown page count
        for index in range(self.pages.count()):
            policy = QSizePolicy.Policy.Preferred if index == page else QSizePolicy.Policy.Ignored
            self.pages.widget(index).setSizePolicy(policy, policy)
        self.pages.setCurrentIndex(page)
        self.pages.adjustSize()
        counted = kind in ("digits", "shapes", "idx")
        self.count_box.setVisible(counted)
        self.count_label.setVisible(counted)
        self.count_label.setText("At most" if kind == "idx" else "Images")
        self.changed.emit()

    def _browse_images(self) -> None:
        path = file_dialogs.open_file(
            self, "data", "MNIST images file", "IDX images (*idx3-ubyte* *.gz);;All files (*)"
        )
        if path:
            self.images_edit.setText(path)
            guess = path.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1")
            if guess != path and not self.labels_edit.text() and Path(guess).exists():
                self.labels_edit.setText(guess)

    def _browse_labels(self) -> None:
        path = file_dialogs.open_file(
            self, "data", "MNIST labels file", "IDX labels (*idx1-ubyte* *.gz);;All files (*)"
        )
        if path:
            self.labels_edit.setText(path)

    def _browse_folder(self) -> None:
        path = file_dialogs.choose_folder(self, "data", "Image folder (one sub-folder per class)")
        if path:
            self.folder_edit.setText(path)
            self.changed.emit()


def _with_browse(edit: QLineEdit, browse) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(edit, 1)
    button = QToolButton()
    button.setText("…")
    button.setToolTip("Browse")
    button.clicked.connect(browse)
    layout.addWidget(button)
    return row


def _image_count_box() -> QSpinBox:
    box = QSpinBox()
    box.setRange(100, 60000)
    box.setSingleStep(500)
    box.setValue(DataSpec().count)
    box.setToolTip(
        "How many images to generate (or, for MNIST files, the most to use). "
        f"{round(VALIDATION_FRACTION * 100)}% are held out for validation."
    )
    return box

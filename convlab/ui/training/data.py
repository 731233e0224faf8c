"""What to train on: the data choices of the training tab and how each becomes a ``Dataset``.

The widget only records choices; ``DataSpec.load`` does the slow part (generating, reading
files) and runs on the training thread, so picking 60,000 MNIST images never freezes the window.
Generated sets are cached: pressing Train twice does not draw the same digits twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
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
from convlab.errors import DataError
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.training_thread import Dataset
from convlab.ui.training.webcam import WEBCAM_SIZE, WebcamCapturePanel, WebcamClasses

#: data choices as shown, in order; the first is the default
KIND_LABELS = {
    "digits": "Synthetic digits (built in)",
    "shapes": "Shapes (built in)",
    "idx": "MNIST / Fashion-MNIST files",
    "folder": "Image folder (one sub-folder per class)",
    "webcam": "Capture from webcam",
}
VALIDATION_FRACTION = 0.15
#: the largest validation set evaluated after each epoch (keeps Stop and epoch ends quick)
MAX_VALIDATION = 2000

Loaded: TypeAlias = "tuple[np.ndarray, np.ndarray, tuple[str, ...], str]"
"""images, labels, class names, a note for the person"""
Cancel: TypeAlias = "Callable[[], bool] | None"

_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class DataSpec:
    """A data choice made in the GUI, loadable on any thread."""

    kind: str = "digits"
    count: int = 3000
    seed: int = 0
    images_path: str = ""
    labels_path: str = ""
    folder: str = ""
    webcam_names: tuple[str, ...] = ()
    webcam_samples: tuple[np.ndarray, ...] = field(default=(), compare=False)

    def input_shape(self) -> tuple[int, int, int]:
        """The image shape this choice will give (used for live parameter counts)."""
        size = WEBCAM_SIZE if self.kind == "webcam" else 28
        return (1, size, size)

    def load(self, cancel: Callable[[], bool] | None = None) -> Dataset:
        """Generate or read the images, then hold out a validation set. Reading files asks
        ``cancel`` between chunks and files (True: ``LoadingStopped``)."""
        images, labels, names, notes = self._images(cancel)
        if len(np.unique(labels)) < 2:
            raise DataError(f"{self.describe()}: training needs at least two classes with images")
        train_x, train_y, val_x, val_y = cnn_data.train_val_split(
            images, labels, fraction=VALIDATION_FRACTION, seed=self.seed
        )
        return Dataset(
            name=self.kind,
            train_images=train_x,
            train_labels=train_y,
            val_images=val_x[:MAX_VALIDATION],
            val_labels=val_y[:MAX_VALIDATION],
            class_names=list(names),
            notes=notes,
        )

    def describe(self) -> str:
        if self.kind == "idx":
            return f"IDX files {Path(self.images_path).name} / {Path(self.labels_path).name}"
        if self.kind == "folder":
            return f"image folder {self.folder}"
        return KIND_LABELS[self.kind]

    def _images(
        self, cancel: Callable[[], bool] | None
    ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], str]:
        if self.kind in ("digits", "shapes"):
            key = (self.kind, self.count, self.seed)
            with _cache_lock:
                cached = _cache.get(key)
            if cached is None:
                make = cnn_data.synthetic_digits if self.kind == "digits" else cnn_data.shapes
                cached = make(self.count, seed=self.seed)
                with _cache_lock:
                    _cache.clear()  # one set at a time is plenty
                    _cache[key] = cached
            return (*cached, cnn_data.class_names(self.kind), "")
        if self.kind == "idx":
            return self._idx(cancel)
        if self.kind == "folder":
            return self._folder(cancel)
        return self._webcam()

    def _idx(
        self, cancel: Callable[[], bool] | None
    ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], str]:
        if not self.images_path or not self.labels_path:
            raise DataError("MNIST files: choose both the images file and the labels file")
        images, labels = cnn_data.load_idx(self.images_path, self.labels_path, cancel=cancel)
        if len(images) == 0:
            raise DataError(f"{Path(self.images_path).name} holds no images")
        if labels.max() >= 10 or labels.min() < 0:
            raise DataError(
                f"{Path(self.labels_path).name}: labels must be 0-9, found {labels.min()} to "
                f"{labels.max()}"
            )
        if self.count < len(images):  # a random subset keeps every class
            chosen = np.random.default_rng(self.seed).permutation(len(images))[: self.count]
            images, labels = images[chosen], labels[chosen]
        fashion = "fashion" in (self.images_path + self.labels_path).lower()
        names = cnn_data.class_names("fashion-mnist" if fashion else "mnist")
        return images, labels, names, ""

    def _folder(
        self, cancel: Callable[[], bool] | None
    ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], str]:
        if not self.folder:
            raise DataError("Image folder: choose a folder with one sub-folder of images per class")
        found = cnn_data.image_folder(self.folder, size=28, grayscale=True, cancel=cancel)
        present = np.unique(found.labels)
        if len(present) < 2:
            raise DataError(
                f"image folder {self.folder}: only the class "
                f"'{found.class_names[int(present[0])]}' has readable images; "
                "training needs at least two"
            )
        notes = ""
        if found.skipped:
            shown = ", ".join(path.name for path in found.skipped[:3])
            more = f" and {len(found.skipped) - 3} more" if len(found.skipped) > 3 else ""
            notes = (
                f"image folder {self.folder}: skipped {len(found.skipped)} unreadable "
                f"file(s): {shown}{more} (first: {found.reasons[0]})"
            )
        return found.images, found.labels, found.class_names, notes

    def _webcam(self) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], str]:
        counts = [len(samples) for samples in self.webcam_samples]
        empty = [name for name, count in zip(self.webcam_names, counts) if count == 0]
        if empty or len(counts) < 2:
            raise DataError(
                "Webcam classes: capture some frames for every class first "
                f"(empty: {', '.join(empty) or 'need at least two classes'})"
            )
        if min(counts) < 3:
            raise DataError("Webcam classes: capture at least 3 frames per class")
        images = np.concatenate([np.asarray(s) for s in self.webcam_samples])
        labels = np.concatenate(
            [np.full(count, index, dtype=np.int64) for index, count in enumerate(counts)]
        )
        return images, labels, tuple(self.webcam_names), ""


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
        self.count_box = QSpinBox()
        self.count_box.setRange(100, 60000)
        self.count_box.setSingleStep(500)
        self.count_box.setValue(3000)
        self.count_box.setToolTip(
            "How many images to generate (or, for MNIST files, the most to use). "
            f"{round(VALIDATION_FRACTION * 100)}% are held out for validation."
        )

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
        path, _ = QFileDialog.getOpenFileName(
            self, "MNIST images file", "", "IDX images (*idx3-ubyte* *.gz);;All files (*)"
        )
        if path:
            self.images_edit.setText(path)
            guess = path.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1")
            if guess != path and not self.labels_edit.text() and Path(guess).exists():
                self.labels_edit.setText(guess)

    def _browse_labels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "MNIST labels file", "", "IDX labels (*idx1-ubyte* *.gz);;All files (*)"
        )
        if path:
            self.labels_edit.setText(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Image folder (one sub-folder per class)")
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

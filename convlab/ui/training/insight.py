"""What the network does with an image: feature maps at every layer, top-3, confusion, mistakes.

Everything here reads the GUI's own copy of the network (``view_model``), never the one the
training thread is updating. One sample's forward pass takes about a millisecond, so the sample
tab runs on the GUI thread (throttled by ``InsightSection``); the confusion matrix and the
mistakes come from predictions the training thread computed at the end of each epoch.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from convlab.cnn import Sequential
from convlab.cnn.dataset import Dataset
from convlab.cnn.functional import softmax
from convlab.cnn.recipe import layer_names
from convlab.ui import text as ui_text
from convlab.ui.fonts import readable
from convlab.ui.training.pictures import TopPredictions, grey_pixmap, image_to_uint8, map_mosaic

MAX_MISTAKES = 60


def activations(
    model: Sequential, image: np.ndarray
) -> tuple[list[tuple[str, np.ndarray]], np.ndarray]:
    """(layer name, output) for every layer, and the class probabilities, for one image."""
    outputs = model.feature_maps(image)
    names = layer_names(model)
    probabilities = softmax(outputs[-1][1][None].astype(np.float64))[0]
    return [(name, output) for name, (_, output) in zip(names, outputs)], probabilities


class LayerMaps(QWidget):
    """One row per layer: its name, shape and a mosaic of its maps (dense layers as bars)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)
        self._rows: list[tuple[QLabel, QLabel]] = []
        self._maps: list[tuple[str, np.ndarray]] = []
        self._watched: QWidget | None = None
        self._shown_width = -1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Re-fit the mosaics when the scroll area's viewport changes width."""
        if (
            event.type() == QEvent.Type.Resize
            and watched is self._watched
            and watched.width() != self._shown_width
        ):
            self.show_maps(self._maps)
        return False

    def show_maps(self, maps: list[tuple[str, np.ndarray]]) -> None:
        """Show each layer's maps, enlarged by a whole factor so each mosaic fits the width."""
        self._maps = maps
        viewport = self.parentWidget()
        if viewport is not None and viewport is not self._watched:
            viewport.installEventFilter(self)
            self._watched = viewport
        self._shown_width = viewport.width() if viewport is not None else self.width()
        available = self._shown_width - 96
        shown = [(name, output) for name, output in maps if output.ndim == 3]
        while len(self._rows) < len(shown):
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            caption = QLabel()
            caption.setFixedWidth(80)
            caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            picture = QLabel()
            picture.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            line.addWidget(caption)
            line.addWidget(picture, 1)
            self._layout.insertWidget(len(self._rows), row)
            self._rows.append((caption, picture))
        for index, (caption, picture) in enumerate(self._rows):
            visible = index < len(shown)
            caption.parentWidget().setVisible(visible)
            if not visible:
                continue
            name, output = shown[index]
            caption.setText(
                f"<b>{name}</b><br><span style='color:gray'>"
                f"{output.shape[0]} × {output.shape[1]}×{output.shape[2]}</span>"
            )
            fitting = max(1, available // (output.shape[2] + 1))  # maps per row at scale 1
            columns = min(8 if output.shape[0] > 4 else output.shape[0], fitting)
            rows = -(-output.shape[0] // columns)
            columns = -(-output.shape[0] // rows)  # balanced rows: 4 + 4, not 7 + 1
            mosaic = map_mosaic(output, columns=columns)
            scale = int(np.clip(available // mosaic.shape[1], 1, 6))
            picture.setPixmap(grey_pixmap(mosaic, max(mosaic.shape) * scale))


class SampleTab(QWidget):
    """Pick a validation image; see every layer's maps and the top-3 guesses."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: Sequential | None = None
        self.dataset: Dataset | None = None
        self.index_box = QSpinBox()
        self.index_box.setPrefix("image #")
        self.index_box.setToolTip("Which validation image (held out from training) to look inside")
        self.index_box.setRange(0, 0)
        random_button = QPushButton("Random")
        random_button.clicked.connect(self._random)
        self.image_label = QLabel()
        self.image_label.setFixedSize(84, 84)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.truth_label = QLabel()
        self.truth_label.setTextFormat(Qt.TextFormat.RichText)  # class names escaped
        self.top = TopPredictions()
        self.maps = LayerMaps()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.maps)

        header = QHBoxLayout()
        header.addWidget(self.index_box)
        header.addWidget(random_button)
        header.addStretch(1)
        summary = QHBoxLayout()
        summary.addWidget(self.image_label)
        right = QVBoxLayout()
        right.addWidget(self.truth_label)
        right.addWidget(self.top)
        summary.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addLayout(summary)
        layout.addWidget(scroll, 1)
        self.index_box.valueChanged.connect(self.refresh)
        self._rng = np.random.default_rng()

    def set_context(self, model: Sequential | None, dataset: Dataset | None) -> None:
        self.model, self.dataset = model, dataset
        count = 0 if dataset is None else len(dataset.val_labels)
        self.index_box.setRange(0, max(0, count - 1))
        self.refresh()

    def show_index(self, index: int) -> None:
        self.index_box.setValue(index)
        self.refresh()

    def _random(self) -> None:
        if self.dataset is not None and len(self.dataset.val_labels):
            self.index_box.setValue(int(self._rng.integers(len(self.dataset.val_labels))))

    def refresh(self) -> None:
        if self.model is None or self.dataset is None or not len(self.dataset.val_labels):
            self.truth_label.setText("Train a network to look inside it.")
            self.image_label.clear()
            self.top.show_probabilities(None, [])
            self.maps.show_maps([])
            return
        index = self.index_box.value()
        image = self.dataset.val_images[index]
        self.image_label.setPixmap(grey_pixmap(image_to_uint8(image), 84))
        names = self.dataset.class_names
        truth = ui_text.escaped(names[int(self.dataset.val_labels[index])], 200)
        self.truth_label.setText(f"True class: <b>{truth}</b>")
        maps, probabilities = activations(self.model, image)
        self.top.show_probabilities(probabilities, names)
        self.maps.show_maps(maps)


class ConfusionMatrix(QWidget):
    """Rows: true class; columns: predicted. The diagonal is what the network got right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.names: list[str] = []
        self.setMinimumSize(220, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def clear(self) -> None:
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.names = []
        self.update()

    def set_counts(self, labels: np.ndarray, predictions: np.ndarray, names: list[str]) -> None:
        size = len(names)
        self.matrix = np.zeros((size, size), dtype=np.int64)
        np.add.at(self.matrix, (np.asarray(labels), np.asarray(predictions)), 1)
        self.names = names
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        size = len(self.names)
        if size == 0:
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                "The confusion matrix appears after the first epoch",
            )
            return
        margin = 70
        cell = max(
            8, min((self.width() - margin - 8) // size, (self.height() - margin - 8) // size)
        )
        painter.setPen(self.palette().text().color())
        painter.drawText(
            QRect(margin, 0, cell * size, 18), Qt.AlignmentFlag.AlignCenter, "predicted →"
        )
        painter.save()
        painter.translate(10, margin + cell * size / 2)
        painter.rotate(-90)
        painter.drawText(QRect(-60, -10, 120, 20), Qt.AlignmentFlag.AlignCenter, "true →")
        painter.restore()
        peak = max(1, int(self.matrix.max()))
        font = painter.font()
        font.setPointSizeF(readable(min(10.0, cell / 3.2)))
        painter.setFont(font)
        for i in range(size):
            short = self.names[i][:8]
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRect(16, margin + i * cell, margin - 20, cell),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                short,
            )
            painter.drawText(
                QRect(margin + i * cell, 22, cell, margin - 24),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                short if cell > 40 else short[:3],
            )
            for j in range(size):
                count = int(self.matrix[i, j])
                strength = count / peak
                if i == j:
                    colour = QColor.fromRgbF(
                        1 - 0.8 * strength, 1 - 0.35 * strength, 1 - 0.8 * strength
                    )
                else:
                    colour = QColor.fromRgbF(1, 1 - 0.75 * strength, 1 - 0.75 * strength)
                rect = QRect(margin + j * cell, margin + i * cell, cell, cell)
                painter.fillRect(rect, colour)
                painter.setPen(QColor(200, 200, 200))
                painter.drawRect(rect)
                if count:
                    painter.setPen(QColor(0, 0, 0))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))


class MistakesGallery(QListWidget):
    """Validation images the network got wrong, labelled "true → predicted"; click to inspect."""

    sampleChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mistakesGallery")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(56, 56))
        self.setGridSize(QSize(92, 86))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setWordWrap(True)
        self.itemClicked.connect(
            lambda item: self.sampleChosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )

    def show_mistakes(
        self, dataset: Dataset, predictions: np.ndarray, probabilities: np.ndarray
    ) -> None:
        self.clear()
        wrong = np.flatnonzero(predictions != dataset.val_labels)
        # the most confident mistakes first: those are the instructive ones
        wrong = wrong[np.argsort(-probabilities[wrong].max(axis=1))][:MAX_MISTAKES]
        names = dataset.class_names
        for index in wrong:
            truth, guess = names[int(dataset.val_labels[index])], names[int(predictions[index])]
            icon = QIcon(grey_pixmap(image_to_uint8(dataset.val_images[index]), 56))
            item = QListWidgetItem(icon, f"{truth[:9]} → {guess[:9]}")
            item.setToolTip(
                f"validation image #{index}: true {truth}, predicted {guess} "
                f"({probabilities[index].max():.0%})"
            )
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            self.addItem(item)
        if not len(wrong):
            item = QListWidgetItem("No mistakes on the validation set")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)

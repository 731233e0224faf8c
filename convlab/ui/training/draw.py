"""Draw a digit with the mouse and watch the network guess, live, with its activations.

The drawing is prepared exactly like the training images (``prepare_drawing``): for digits,
MNIST's recipe (fit the strokes in 20 x 20, centre of mass in the middle of 28 x 28); for other
data, the whole pad shrunk to the network's input size. Without that, a digit drawn in a corner
would be a different picture from anything the network has seen.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from convlab.cnn import Sequential
from convlab.cnn.data import pad_to
from convlab.cnn.dataset import Dataset
from convlab.cnn.handwriting import mnist_normalize
from convlab.ui.training.insight import LayerMaps, activations
from convlab.ui.training.pictures import TopPredictions, grey_pixmap

PAD_SIDE = 196


def prepare_drawing(
    drawing: np.ndarray, dataset_kind: str, input_shape: tuple[int, int, int]
) -> np.ndarray:
    """A white-on-black uint8 drawing as one network input (uint8, C x H x W)."""
    channels, height, width = input_shape
    if dataset_kind in ("digits", "idx") and height == width and height >= 28:
        # as the digits were made: centred in 28 x 28 (then, for LeNet-5, in a black border)
        small = pad_to(mnist_normalize(drawing, box=20, size=28)[None], height)[0]
    else:
        small = cv2.resize(drawing, (width, height), interpolation=cv2.INTER_AREA)
    return np.repeat(small[None], channels, axis=0)


class DrawingPad(QWidget):
    """A black square to draw on with a white pen; emits ``drawn`` while the mouse moves."""

    drawn = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawingPad")
        self.setFixedSize(PAD_SIDE, PAD_SIDE)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.thickness = 18
        self.image = QImage(PAD_SIDE, PAD_SIDE, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QPoint | None = None

    def clear(self) -> None:
        self.image.fill(0)
        self.update()
        self.drawn.emit()

    def drawing(self) -> np.ndarray:
        """The pad as uint8 (side x side), white strokes on black."""
        buffer = np.frombuffer(self.image.constBits(), dtype=np.uint8)
        return buffer.reshape(PAD_SIDE, self.image.bytesPerLine())[:, :PAD_SIDE].copy()

    def stroke(self, start: QPoint, end: QPoint) -> None:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            QPen(
                Qt.GlobalColor.white,
                self.thickness,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            )
        )
        painter.drawLine(start, end)
        painter.end()
        self.update()
        self.drawn.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._last = event.position().toPoint()
        self.stroke(self._last, self._last)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is not None:
            point = event.position().toPoint()
            self.stroke(self._last, point)
            self._last = point

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._last = None

    def paintEvent(self, event: QPaintEvent) -> None:
        QPainter(self).drawImage(0, 0, self.image)


class DrawTab(QWidget):
    """The pad, its controls, what the network sees, its top-3 guesses and its activations."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: Sequential | None = None
        self.dataset: Dataset | None = None
        self.pad = DrawingPad()
        clear = QPushButton("Clear")
        clear.clicked.connect(self.pad.clear)
        self.thickness = QSlider(Qt.Orientation.Horizontal)
        self.thickness.setRange(4, 40)
        self.thickness.setValue(self.pad.thickness)
        self.thickness.setToolTip("Pen thickness")
        self.thickness.valueChanged.connect(lambda value: setattr(self.pad, "thickness", value))
        self.seen = QLabel()
        self.seen.setFixedSize(84, 84)
        self.seen.setStyleSheet("background: black;")
        self.seen.setToolTip("What the network sees: your drawing prepared like its training data")
        self.top = TopPredictions()
        self.maps = LayerMaps()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.maps)
        self.hint = QLabel()
        self.hint.setWordWrap(True)

        tools = QHBoxLayout()
        tools.addWidget(clear)
        tools.addWidget(QLabel("pen"))
        tools.addWidget(self.thickness, 1)
        pad_column = QVBoxLayout()
        pad_column.addWidget(self.pad)
        pad_column.addLayout(tools)
        guess_column = QVBoxLayout()
        guess_column.addWidget(self.hint)
        guess_column.addWidget(QLabel("The network sees:"))
        guess_column.addWidget(self.seen)
        guess_column.addWidget(self.top)
        guess_column.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(pad_column)
        top.addLayout(guess_column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(QLabel("<b>Activations</b> of your drawing, layer by layer:"))
        layout.addWidget(scroll, 1)

        # predicting is ~1 ms, but a fast mouse sends hundreds of moves a second: 20 per second is
        # plenty to look live
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self.refresh)
        self.pad.drawn.connect(self._timer.start)
        self.refresh()

    def set_context(self, model: Sequential | None, dataset: Dataset | None) -> None:
        self.model, self.dataset = model, dataset
        self.refresh()

    def refresh(self) -> None:
        if self.model is None or self.dataset is None:
            self.hint.setText("Train a network, then draw here (white on black, like the data).")
            self.top.show_probabilities(None, [])
            return
        names = self.dataset.class_names
        self.hint.setText(f"Draw one of: {', '.join(names)}")
        drawing = self.pad.drawing()
        if not drawing.any():
            self.top.show_probabilities(None, names)
            self.maps.show_maps([])
            self.seen.clear()
            return
        sample = prepare_drawing(drawing, self.dataset.name, self.dataset.input_shape)
        self.seen.setPixmap(grey_pixmap(sample[0], 84))
        maps, probabilities = activations(self.model, sample)
        self.top.show_probabilities(probabilities, names)
        self.maps.show_maps(maps)

"""Small display pieces shared by the training insight tabs: image tiles, map mosaics, top-3 bars.

Pictures here are tiny (28 x 28 digits, 7 x 7 maps) and change a few times a second at most,
so they are drawn as enlarged QPixmaps rather than pyqtgraph items.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from convlab.ui import text as ui_text


def grey_pixmap(image: np.ndarray, side: int) -> QPixmap:
    """A uint8 grey (H x W) or RGB (H x W x 3, or 3 x H x W) image enlarged to about ``side`` px."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = image.transpose(1, 2, 0)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    image = np.asarray(image, dtype=np.uint8)
    height, width = image.shape[:2]
    scale = max(1, side // max(height, width))
    if scale > 1:  # nearest neighbour in numpy: cheaper than scaling a QPixmap, and as crisp
        image = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
    image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    if image.ndim == 2:
        qimage = QImage(image.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        qimage = QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage)  # copies the pixels: ``image`` may go away


def map_mosaic(maps: np.ndarray, columns: int = 8, gap: int = 1) -> np.ndarray:
    """(C, H, W) float maps -> one uint8 picture, each map stretched to its own min..max."""
    count, height, width = maps.shape
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    mosaic = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), 90, np.uint8)
    for index in range(count):
        r, c = divmod(index, columns)
        single = maps[index].astype(np.float32)
        low, high = float(single.min()), float(single.max())
        scaled = (single - low) * (255.0 / (high - low)) if high > low else np.zeros_like(single)
        top, left = r * (height + gap), c * (width + gap)
        mosaic[top : top + height, left : left + width] = scaled.astype(np.uint8)
    return mosaic


def image_to_uint8(image: np.ndarray) -> np.ndarray:
    """A dataset image (uint8 or float in [0, 1]) as uint8 for display."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return np.clip(image * 255.0, 0, 255).astype(np.uint8)


class TopPredictions(QWidget):
    """The three most likely classes with a bar each."""

    def __init__(self, parent: QWidget | None = None, count: int = 3) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setVerticalSpacing(2)
        self.names: list[QLabel] = []
        self._top = ""
        self.bars: list[QProgressBar] = []
        for row in range(count):
            name = QLabel("–")
            name.setTextFormat(Qt.TextFormat.RichText)  # class names are escaped into it
            name.setMinimumWidth(64)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFormat("")
            bar.setMaximumHeight(18)
            bar.setMinimumWidth(50)
            layout.addWidget(name, row, 0)
            layout.addWidget(bar, row, 1)
            self.names.append(name)
            self.bars.append(bar)
        layout.setColumnStretch(1, 1)

    def show_probabilities(self, probabilities: np.ndarray | None, class_names: list[str]) -> None:
        if probabilities is None or not len(probabilities):
            for name, bar in zip(self.names, self.bars):
                name.setVisible(True)
                bar.setVisible(True)
                name.setText("–")
                bar.setValue(0)
                bar.setFormat("")
            return
        order = np.argsort(probabilities)[::-1]
        for rank, (name, bar) in enumerate(zip(self.names, self.bars)):
            exists = rank < len(order)  # two webcam classes have no third guess
            name.setVisible(exists)
            bar.setVisible(exists)
            if not exists:
                continue
            index = int(order[rank])
            label = class_names[index] if index < len(class_names) else str(index)
            shown = ui_text.escaped(label, 200)
            name.setText(f"<b>{shown}</b>" if rank == 0 else shown)
            if rank == 0:
                self._top = label
            bar.setValue(round(float(probabilities[index]) * 1000))
            bar.setFormat(f"{probabilities[index]:.1%}")

    def top(self) -> str:
        return self._top

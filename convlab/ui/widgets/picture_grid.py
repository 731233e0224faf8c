"""A few captioned pictures in a grid, drawn by pyqtgraph (for side-by-side comparisons).

The explain panels compare images: original vs shuffled, four border modes, blurred vs original.
One GraphicsLayoutWidget with a ViewBox per picture keeps them the same size, aspect-correct and
cheap to update (``ImageItem.setImage`` on uint8 RGB without levels, pyqtgraph's zero-copy
path, as the main views do; no QImage per frame).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from convlab.ui.widgets.image_view import DISPLAY_READY


class PictureGrid(pg.GraphicsLayoutWidget):
    """``rows`` x ``cols`` captioned, aspect-locked images; index runs row-major."""

    def __init__(
        self, rows: int, cols: int, titles: list[str] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setBackground(self.palette().window().color())
        self.ci.setContentsMargins(2, 2, 2, 2)
        self.ci.setSpacing(4)
        self.labels: list[pg.LabelItem] = []
        self.images: list[pg.ImageItem] = []
        self.boxes: list[pg.ViewBox] = []
        titles = titles or [""] * (rows * cols)
        for r in range(rows):
            for c in range(cols):
                index = r * cols + c
                label = self.addLabel(
                    titles[index],
                    row=2 * r,
                    col=c,
                    size="10pt",
                    color=self.palette().windowText().color(),
                )
                box = self.addViewBox(
                    row=2 * r + 1,
                    col=c,
                    lockAspect=True,
                    invertY=True,
                    enableMouse=False,
                    enableMenu=False,
                )
                image = pg.ImageItem(axisOrder="row-major")
                box.addItem(image)
                self.labels.append(label)
                self.images.append(image)
                self.boxes.append(box)

    def set_image(self, index: int, rgb: np.ndarray) -> None:
        """Show a uint8 HxW or HxWx3 image in cell ``index``, fitted to its box."""
        data = np.ascontiguousarray(rgb, dtype=np.uint8)
        image = self.images[index]
        old_shape = None if image.image is None else image.image.shape
        image.setImage(data, **DISPLAY_READY)
        if old_shape != data.shape:
            self.boxes[index].autoRange(padding=0.0)

    def set_title(self, index: int, text: str) -> None:
        self.labels[index].setText(text)

    def image_data(self, index: int) -> np.ndarray | None:
        """What cell ``index`` shows (for tests)."""
        return self.images[index].image

"""Pictures the GUI thread draws every frame, in the pixel format the painter blits fastest.

Qt's raster painter draws a 24-bit RGB image by converting it to 32 bits first, on every
paint: a 640x480 frame scaled into a view cost ~0.8 ms, the same frame as ``Format_RGB32``
~0.13 ms (measured). Both classes here keep the uint8 RGB array they were given (``image``,
what readouts and tests look at) and a 32-bit copy made once per new picture (one OpenCV
pass, ~0.1 ms for 640x480), not once per paint.

- ``FastImageItem``: a pyqtgraph ``ImageItem`` for the zoomable views;
- ``PictureView``: a plain widget that fits one picture, aspect kept (no scene, no view box:
  a feature-map tile repaints for a fraction of a pyqtgraph view's Python work).
"""

from __future__ import annotations

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


def rgb32(image: np.ndarray, buffer: np.ndarray | None) -> tuple[QImage, np.ndarray] | None:
    """``image`` (uint8 HxW or HxWx3 RGB) as a ``Format_RGB32`` QImage over ``buffer``
    (reused when its shape fits; the QImage borrows it). None for anything else."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or image.size == 0:
        return None
    if image.ndim == 3 and image.shape[2] != 3:
        return None
    height, width = image.shape[:2]
    if buffer is None or buffer.shape != (height, width, 4):
        buffer = np.empty((height, width, 4), dtype=np.uint8)
    code = cv2.COLOR_GRAY2BGRA if image.ndim == 2 else cv2.COLOR_RGB2BGRA
    cv2.cvtColor(image, code, dst=buffer)  # B, G, R, 255: 0xffRRGGBB in memory order
    picture = QImage(buffer.data, width, height, width * 4, QImage.Format.Format_RGB32)
    return picture, buffer


class FastImageItem(pg.ImageItem):
    """An ImageItem that draws uint8 RGB (no levels, no lookup table) from a 32-bit copy;
    anything else goes pyqtgraph's own way."""

    def __init__(self, **options) -> None:
        super().__init__(axisOrder="row-major", **options)
        self._bgra: np.ndarray | None = None

    def render(self) -> None:
        image = self.image
        plain = self.levels is None and self.lut is None and not self.autoDownsample
        made = rgb32(image, self._bgra) if image is not None and plain else None
        if made is None:
            super().render()
            return
        self.qimage, self._bgra = made
        self._renderRequired = False
        self._unrenderable = False


class PictureView(QWidget):
    """One picture fitted into the widget with its aspect kept, centred; transparent
    elsewhere and to the mouse (the owner handles clicks)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(QSize(40, 30))
        self.image: np.ndarray | None = None  # what was given, uint8 RGB
        self._picture: QImage | None = None
        self._bgra: np.ndarray | None = None

    def set_image(self, image: np.ndarray) -> None:
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or image.size == 0:
            raise ValueError(f"a picture is uint8 HxW or HxWx3, not {image.dtype} {image.shape}")
        self.image = image
        self._prepare()

    def _prepare(self) -> None:
        """The 32-bit copy at the size it is drawn: a full-resolution map shown in a small
        tile is first cut down (nearest pixel, as the painter would) to the pixels on screen,
        so neither the conversion nor the paint touches the pixels nobody sees."""
        image = self.image
        if image is None:
            return
        rect = self.picture_rect(image.shape[:2])
        ratio = self.devicePixelRatioF()
        width, height = max(1, round(rect.width() * ratio)), max(1, round(rect.height() * ratio))
        if width < image.shape[1] and height < image.shape[0]:
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_NEAREST)
        made = rgb32(np.ascontiguousarray(image), self._bgra)
        if made is None:
            raise ValueError(f"a picture is uint8 HxW or HxWx3, not {image.dtype} {image.shape}")
        self._picture, self._bgra = made
        self.update()

    def picture_rect(self, shape: tuple[int, ...] | None = None) -> QRectF:
        """Where the picture (of ``shape``, by default the one shown) is drawn in this widget;
        empty before the first one."""
        if shape is None:
            shape = None if self.image is None else self.image.shape[:2]
        if shape is None:
            return QRectF()
        height, width = shape[:2]
        scale = min(self.width() / width, self.height() / height)
        shown_w, shown_h = width * scale, height * scale
        return QRectF((self.width() - shown_w) / 2, (self.height() - shown_h) / 2, shown_w, shown_h)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._prepare()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._picture is None:
            return
        painter = QPainter(self)
        painter.drawImage(self.picture_rect(), self._picture)
        painter.end()

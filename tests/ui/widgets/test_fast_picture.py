"""Pictures drawn from their 32-bit copies show the colours they were given."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF

from convlab.ui.widgets.fast_picture import FastImageItem, PictureView, rgb32

QUADRANTS = {
    (0, 0): (230, 20, 10),
    (0, 1): (15, 200, 40),
    (1, 0): (20, 30, 220),
    (1, 1): (250, 240, 5),
}


def quadrant_image(height: int = 40, width: int = 60) -> np.ndarray:
    image = np.zeros((height, width, 3), np.uint8)
    for (row, col), colour in QUADRANTS.items():
        image[
            row * height // 2 : (row + 1) * height // 2, col * width // 2 : (col + 1) * width // 2
        ] = colour
    return image


def colour_at(picture, x: float, y: float) -> tuple[int, int, int]:
    return picture.pixelColor(int(x), int(y)).getRgb()[:3]


def test_the_32_bit_copy_has_the_same_pixels():
    image = quadrant_image()
    picture, buffer = rgb32(image, None)
    assert (picture.width(), picture.height()) == (60, 40)
    for (row, col), colour in QUADRANTS.items():
        assert colour_at(picture, 15 + 30 * col, 10 + 20 * row) == colour
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    picture, _ = rgb32(gray, buffer)  # a buffer of another shape is not reused
    assert colour_at(picture, 3, 2) == (220, 220, 220)
    assert rgb32(np.zeros((3, 4), np.float32), None) is None
    assert rgb32(np.zeros((3, 4, 4), np.uint8), None) is None


def test_a_picture_view_fits_the_picture_with_its_aspect_kept(qtbot):
    view = PictureView()
    qtbot.addWidget(view)
    view.resize(300, 100)
    image = quadrant_image()
    view.set_image(image)
    assert view.image is image
    rect = view.picture_rect()
    assert rect == QRectF(75, 0, 150, 100)  # 60x40 scaled by 2.5, centred
    shot = view.grab().toImage()
    for (row, col), colour in QUADRANTS.items():
        x = rect.left() + rect.width() * (0.25 + 0.5 * col)
        y = rect.top() + rect.height() * (0.25 + 0.5 * row)
        assert colour_at(shot, x, y) == colour
    with pytest.raises(ValueError):
        view.set_image(np.zeros((4, 4), np.float64))


def test_a_fast_image_item_draws_the_colours_and_falls_back_for_levels(qtbot):
    widget = pg.GraphicsView(background=(0, 0, 0))
    qtbot.addWidget(widget)
    box = pg.ViewBox(lockAspect=True, invertY=True)
    box.setDefaultPadding(0.0)
    widget.setCentralItem(box)
    item = FastImageItem()
    box.addItem(item)
    widget.resize(240, 160)
    item.setImage(quadrant_image(), levels=None, autoLevels=False)
    box.setRange(QRectF(0, 0, 60, 40), padding=0.0)
    shot = widget.grab().toImage()
    for (row, col), colour in QUADRANTS.items():
        assert colour_at(shot, 60 + 120 * col, 40 + 80 * row) == colour
    floats = np.full((40, 60), 0.5, np.float32)
    item.setImage(floats, levels=(0.0, 1.0))  # pyqtgraph's own way: mid-grey
    shot = widget.grab().toImage()
    assert colour_at(shot, 120, 80) in {(127, 127, 127), (128, 128, 128)}


def test_a_picture_larger_than_its_view_is_cut_down_to_the_pixels_shown(qtbot):
    view = PictureView()
    qtbot.addWidget(view)
    view.resize(150, 150)
    image = quadrant_image(400, 600)
    view.set_image(image)
    assert view.image is image  # readouts and exports keep the full picture
    rect = view.picture_rect()
    assert rect == QRectF(0, 25, 150, 100)
    shot = view.grab().toImage()
    for (row, col), colour in QUADRANTS.items():
        assert colour_at(shot, 37 + 75 * col, 50 + 50 * row) == colour
    view.resize(300, 300)  # grown: drawn again from the full picture
    shot = view.grab().toImage()
    assert colour_at(shot, 225, 200) == QUADRANTS[(1, 1)]

"""The painted number grid: each cell shows its value's colour and its text."""

from __future__ import annotations

import numpy as np

from convlab.ui.widgets.number_grid import NumberGrid, cell_colours


def _cell_pixels(grid: NumberGrid, row: int, col: int) -> np.ndarray:
    image = grid.grab().toImage()
    cell = grid._cell
    top = grid._title_height() + 1
    left, upper = 1 + col * cell.width(), top + row * cell.height()
    pixels = [
        image.pixelColor(x, y).getRgb()[:3]
        for y in range(upper + 2, upper + cell.height() - 2)
        for x in range(left + 2, left + cell.width() - 2)
    ]
    return np.array(pixels)


def test_every_cell_is_painted_in_its_own_colour_with_its_number(qtbot):
    grid = NumberGrid("Products")
    qtbot.addWidget(grid)
    values = np.array([[-2.0, 0.0, 1.5], [0.25, -0.5, 2.0]])
    grid.set_values(values)
    grid.show()
    expected = cell_colours(values, "signed")
    for row in range(2):
        for col in range(3):
            pixels = _cell_pixels(grid, row, col)
            # The most common pixel is the background: the value's colour.
            colours, counts = np.unique(pixels, axis=0, return_counts=True)
            assert tuple(colours[counts.argmax()]) == tuple(expected[row, col])
            # Some pixels differ from it: the number is drawn on top.
            assert counts.max() < len(pixels), (row, col)
    assert grid.texts() == [["-2", "0", "1.5"], [".25", "-.5", "2"]]


def test_a_new_picture_repaints_the_cells(qtbot):
    grid = NumberGrid()
    qtbot.addWidget(grid)
    grid.set_values(np.full((2, 2), 40.0), scale="gray")
    grid.show()
    before = _cell_pixels(grid, 1, 1)
    grid.set_values(np.full((2, 2), 220.0), scale="gray")
    after = _cell_pixels(grid, 1, 1)
    assert after.mean() > before.mean() + 80

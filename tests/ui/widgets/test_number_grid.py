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


def test_padding_cells_are_hatched_orange_and_the_others_are_not(qtbot):
    grid = NumberGrid()
    qtbot.addWidget(grid)
    marked = np.array([[True, False], [False, False]])
    grid.set_values(np.full((2, 2), 128.0), scale="gray", marked=marked)
    grid.show()
    plain = cell_colours(np.array([128.0]), "gray")[0]

    def orange_share(row: int, col: int) -> float:
        pixels = _cell_pixels(grid, row, col).astype(int)
        # a hatch pixel: red well above blue, unlike the grey cell and its dark number
        return float(np.mean(pixels[:, 0] - pixels[:, 2] > 60))

    assert orange_share(0, 0) > 0.05  # stripes over the padding cell
    for row, col in ((0, 1), (1, 0), (1, 1)):
        assert orange_share(row, col) == 0.0
        colours, counts = np.unique(_cell_pixels(grid, row, col), axis=0, return_counts=True)
        assert tuple(colours[counts.argmax()]) == tuple(plain)


def test_grid_lines_frame_every_cell(qtbot):
    grid = NumberGrid()
    qtbot.addWidget(grid)
    grid.set_values(np.full((2, 3), 250.0), scale="gray")
    grid.show()
    image = grid.grab().toImage()
    cell, top = grid._cell, grid._title_height() + 1
    middle_y = top + cell.height() // 2
    for col in range(4):  # the left edge of each column and the closing right edge
        assert image.pixelColor(1 + col * cell.width(), middle_y).getRgb()[:3] == (120, 120, 120)
    for row in range(3):
        assert image.pixelColor(1 + cell.width() // 2, top + row * cell.height()).getRgb()[:3] == (
            120,
            120,
            120,
        )

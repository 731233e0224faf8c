"""The Train tab fits a laptop-sized window without sideways scrolling, and its learned-filter
tiles grow with the room and show each weight as one crisp cell of the diverging colour."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFrame, QScrollArea

from convlab.engine.display import colormap_lut
from convlab.ui.state import PlaygroundState
from convlab.ui.training.filter_grid import FilterGrid
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import WebcamClasses


@pytest.fixture
def area(qtbot, tmp_path):
    """The tab the way the window holds it: inside a resizable scroll area."""
    tab = TrainingTab(
        PlaygroundState(), webcam_classes=WebcamClasses(autosave_path=tmp_path / "w.npz")
    )
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(tab)
    qtbot.addWidget(scroll)
    scroll.show()
    yield scroll, tab
    tab.shutdown()


@pytest.mark.parametrize("width", [1000, 900, 760])
def test_the_tab_fits_narrow_widths_without_scrolling_sideways(qtbot, area, width):
    scroll, tab = area
    scroll.resize(width, 600)
    qtbot.waitUntil(lambda: tab.width() == scroll.viewport().width(), timeout=2000)
    assert tab.minimumSizeHint().width() <= scroll.viewport().width()
    assert not scroll.horizontalScrollBar().isVisible()
    assert tab.settings_column.isHidden() and not tab.insight.isHidden()  # folded away
    tab.settings_toggle.click()  # asked for anyway: they take the insight column's place
    qtbot.wait(20)
    assert not tab.settings_column.isHidden() and tab.insight.isHidden()
    assert tab.minimumSizeHint().width() <= scroll.viewport().width()
    assert not scroll.horizontalScrollBar().isVisible()
    tab.settings_toggle.click()
    assert tab.settings_column.isHidden() and not tab.insight.isHidden()
    tab.settings_toggle.click()
    scroll.resize(1600, 600)  # wide again: room for all three, the settings stay open
    qtbot.waitUntil(lambda: not tab.insight.isHidden(), timeout=2000)
    assert not tab.settings_column.isHidden()


def test_wide_tab_shows_the_settings_column(qtbot, area):
    scroll, tab = area
    scroll.resize(1400, 800)
    qtbot.waitUntil(lambda: tab.width() == scroll.viewport().width(), timeout=2000)
    assert not tab.settings_column.isHidden()
    assert not scroll.horizontalScrollBar().isVisible()


def reference_colour(value: float) -> tuple[int, int, int]:
    """The kernel grid's palette: coolwarm, zero at entry 128, -1 and +1 at entries 1 and 255."""
    value = max(-1.0, min(1.0, value))
    return tuple(int(c) for c in colormap_lut("coolwarm")[int(np.rint(128 + 127 * value))])


def test_filter_tiles_grow_with_the_room_and_paint_one_cell_per_weight(qtbot):
    grid = FilterGrid()
    qtbot.addWidget(grid)
    rng = np.random.default_rng(3)
    tiles = [(f"#{i + 1}", rng.normal(size=(5, 5))) for i in range(8)]
    grid.set_tiles(tiles)
    grid.resize(420, 140)
    _, small_side, _ = grid._layout()
    grid.resize(700, 420)
    columns, side, cell = grid._layout()
    assert side > 2 * small_side and side >= 120  # more room, much bigger tiles
    grid.show()
    qtbot.waitExposed(grid)
    picture = grid.grab().toImage()
    scale = max(float(np.abs(w).max()) for _, w in tiles)
    for index in (0, 5):
        rect = grid._tile_rect(index, columns, side)
        weights = tiles[index][1]
        for row, column in ((0, 0), (2, 3), (4, 4)):
            x = rect.x() + column * cell + cell // 2
            y = rect.y() + row * cell + cell // 2
            colour = picture.pixelColor(x * picture.width() // grid.width(), y)
            expected = reference_colour(weights[row, column] / scale)
            assert all(abs(a - b) <= 1 for a, b in zip(colour.getRgb()[:3], expected))


def test_own_scale_stretches_each_tile_to_its_own_largest_weight(qtbot):
    grid = FilterGrid()
    qtbot.addWidget(grid)
    weak = np.array([[0.1, -0.05, 0.0], [0.02, 0.0, -0.1], [0.0, 0.05, 0.1]])
    strong = weak * 20
    grid.set_tiles([("#1", weak), ("#2", strong)])
    grid.resize(500, 300)
    grid.show()
    qtbot.waitExposed(grid)
    columns, side, cell = grid._layout()

    def shown(index, row, column):
        rect = grid._tile_rect(index, columns, side)
        picture = grid.grab().toImage()
        x = rect.x() + column * cell + cell // 2
        colour = picture.pixelColor(
            x * picture.width() // grid.width(), rect.y() + row * cell + cell // 2
        )
        return colour.getRgb()[:3]

    assert shown(0, 0, 0) == reference_colour(0.1 / 2.0)  # shared scale: the weak tile is pale
    grid.own_scale = True
    grid.update()
    assert shown(0, 0, 0) == reference_colour(1.0)
    assert shown(0, 0, 1) == reference_colour(-0.5)
    assert shown(1, 1, 2) == reference_colour(-1.0)
    # the thin line at the left edge of cell (0, 1): that cell's colour, darkened to 0.8
    rect = grid._tile_rect(0, columns, side)
    picture = grid.grab().toImage()
    x = (rect.x() + cell) * picture.width() // grid.width()
    line = picture.pixelColor(x, rect.y() + cell // 2).getRgb()[:3]
    expected = [0.8 * c for c in reference_colour(-0.5)]
    assert all(abs(a - b) <= 2 for a, b in zip(line, expected))

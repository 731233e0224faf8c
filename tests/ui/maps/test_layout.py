"""The feature-map panel's layout: tiles reflow with the dock, every map whole on a laptop,
names and numbers as the tiles' size allows, scrolling when a bank cannot fit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QLabel

from convlab.engine import presets
from convlab.engine.bank_presets import edge_bank
from convlab.ui.maps.panel import FeatureMapsPanel
from convlab.ui.maps.tile import kernel_colors
from tests.ui.maps.conftest import publish, test_frame


def test_tiles_reflow_with_the_dock_shape(panel, state, qtbot):
    state.set_bank(edge_bank()[:4])
    publish(state, test_frame(60, 80))
    panel.resize(1200, 260)  # a wide, short bottom dock: one row
    qtbot.waitUntil(lambda: panel.grid.columns == 4)
    panel.resize(300, 1000)  # a tall, narrow side dock: one column
    qtbot.waitUntil(lambda: panel.grid.columns == 1)


def visible_whole(panel: FeatureMapsPanel, tile) -> bool:
    """The tile lies entirely inside the scroll area's viewport."""
    viewport = panel.scroll.viewport()
    corner = tile.mapTo(viewport, tile.rect().topLeft())
    placed = tile.rect().translated(corner)
    return viewport.rect().contains(placed)


@pytest.mark.parametrize("count", [5, 8, 16])
def test_every_map_of_the_bank_is_whole_in_a_short_laptop_dock(panel, state, qtbot, count):
    """A 1366x768 screen leaves the bottom dock about 960 x 230 pixels."""
    bank = [presets.get(name) for name in presets.names()][:count]
    state.set_bank(bank)
    publish(state, test_frame(64, 64))
    panel.resize(966, 230)
    qtbot.waitUntil(lambda: panel.grid.plan is not None and len(panel.grid.tiles) == count)
    qtbot.wait(50)
    plan = panel.grid.plan
    assert not plan.scrolls
    assert not panel.scroll.verticalScrollBar().isVisible()
    assert all(visible_whole(panel, tile) for tile in panel.grid.tiles)
    assert plan.map_side >= 40
    # each map's picture gets the room planned for it
    for tile in panel.grid.tiles:
        assert tile.view.width() >= plan.map_width - 1
        assert tile.view.height() >= plan.map_height - 1
    assert all(tile.range_label.isVisible() != plan.compact for tile in panel.grid.tiles)


def test_tiles_with_room_to_spare_show_their_whole_names(panel, state, qtbot):
    """Five edge maps in a wide, short dock: the tiles grow sideways for their names."""
    state.set_bank(edge_bank())
    publish(state, test_frame(64, 64))
    panel.resize(1200, 230)

    def names_whole() -> bool:  # as drawn, not cut: "1. Sobel, vertical edges"
        tiles = panel.grid.tiles
        return len(tiles) == 5 and all(QLabel.text(t.title) == t.name for t in tiles)

    qtbot.waitUntil(names_whole)
    plan = panel.grid.plan
    assert plan.tile_width > plan.map_width + 20
    for tile in panel.grid.tiles:
        assert visible_whole(panel, tile)
        assert tile.view.height() >= plan.map_height - 1
    assert panel.grid.tiles[0].name == "1. Sobel, vertical edges"


def test_small_tiles_show_their_number_and_keep_the_values_in_the_tooltip(panel, state, qtbot):
    state.set_bank([presets.get(name) for name in presets.names()][:16])
    publish(state, test_frame(64, 64))
    panel.resize(966, 230)
    qtbot.waitUntil(lambda: panel.grid.plan is not None and panel.grid.plan.compact)
    tile = panel.grid.tiles[2]
    assert tile.title.text() == "3"  # its name does not fit beside the kernel
    low, high = (float(v) for v in tile.range_label.text().split(" … "))
    assert low <= high
    tile.event(QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), QPoint(5, 5)))
    assert tile.range_label.text() in tile.toolTip()
    panel.resize(1800, 900)  # room again: names come back
    qtbot.waitUntil(lambda: not panel.grid.plan.compact)
    qtbot.waitUntil(lambda: tile.title.text().startswith("3. "))


def test_a_bank_that_cannot_fit_scrolls_and_the_scroll_bar_does_not_change_the_plan(
    panel, state, qtbot
):
    state.set_bank([presets.get(name) for name in presets.names()][:16])
    publish(state, test_frame(64, 64))
    panel.resize(260, 300)  # a narrow floating dock
    qtbot.waitUntil(lambda: panel.grid.plan is not None and panel.grid.plan.scrolls)
    plan = panel.grid.plan
    assert panel.scroll.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOn
    qtbot.wait(50)
    assert panel.grid.plan == plan
    viewport = panel.scroll.viewport().width()
    columns = plan.columns
    assert columns * plan.tile_width + (columns - 1) * 6 <= viewport


def test_kernel_thumbnail_colours_are_diverging_with_zero_neutral():
    colors = kernel_colors(np.array([[-2.0, 0.0, 2.0]]))
    blue, neutral, red = (tuple(int(v) for v in c) for c in colors[0])
    assert neutral == (221, 221, 221)
    assert blue[2] > blue[0] and red[0] > red[2]

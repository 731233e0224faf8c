"""Tile plans: every map whole, as large as the room allows, from the width AND the height."""

from __future__ import annotations

import itertools

import pytest

from convlab.engine.tile_plan import (
    MIN_MAP_SIDE,
    TILE_SPACING,
    Chrome,
    extent,
    plan_tiles,
)

CHROME = Chrome(full=(12, 56), compact=(12, 30))


def fits(plan, count: int, width: float, height: float) -> bool:
    rows = -(-count // plan.columns)
    return extent(plan.columns, plan.tile_width) <= width and (
        extent(rows, plan.tile_height) <= height
    )


@pytest.mark.parametrize(
    ("count", "width", "height"),
    list(itertools.product((1, 3, 5, 8, 16), (330, 960, 1134, 1800), (154, 200, 420, 900))),
)
def test_a_plan_that_does_not_scroll_holds_every_tile_whole(count, width, height):
    plan = plan_tiles(count, width, height, 0.75, CHROME, scrollbar=15)
    if not plan.scrolls:
        assert fits(plan, count, width, height)
        assert plan.map_side >= MIN_MAP_SIDE
        assert plan.tile_width >= plan.map_width + 12
    assert plan.map_height == int(plan.map_width * 0.75)


def test_sixteen_maps_fit_a_laptop_bottom_dock_as_two_rows_of_compact_tiles():
    # 1366x768: the feature-map dock leaves about 960 x 154 pixels for the tiles
    plan = plan_tiles(16, 960, 154, 1.0, CHROME)
    assert not plan.scrolls and plan.compact
    assert (plan.columns, plan.map_width) == (8, 44)
    assert fits(plan, 16, 960, 154)


def test_eight_maps_keep_their_names_in_one_row():
    plan = plan_tiles(8, 960, 154, 1.0, CHROME)
    assert (plan.columns, plan.compact, plan.scrolls) == (8, False, False)
    assert plan.map_side == 154 - 56  # the height decides


def test_the_grid_follows_the_shape_of_the_area():
    wide = plan_tiles(4, 1200, 260, 0.75, CHROME)
    tall = plan_tiles(4, 300, 1000, 0.75, CHROME)
    square = plan_tiles(4, 800, 800, 0.75, CHROME)
    assert (wide.columns, tall.columns, square.columns) == (4, 1, 2)
    # 2 x 2 in 800 x 800: the width decides, (800 - 6) / 2 - 12 = 385 pixels of map
    assert square.map_width == (800 - TILE_SPACING) // 2 - 12


def test_no_grid_leaves_a_nearly_empty_last_row():
    for count in range(2, 17):
        plan = plan_tiles(count, 960, 154, 1.0, CHROME)
        rows = -(-count // plan.columns)
        assert plan.columns * (rows - 1) < count  # the last row is never empty
        assert plan.columns == -(-count // rows)  # as few columns as hold the maps


def test_maps_never_grow_past_the_preview_size():
    plan = plan_tiles(1, 3000, 3000, 0.75, CHROME)
    assert plan.map_width == 480 and not plan.compact


def test_when_nothing_fits_the_area_scrolls_with_readable_tiles():
    plan = plan_tiles(16, 300, 120, 1.0, CHROME, scrollbar=15)
    assert plan.scrolls
    assert plan.map_side >= MIN_MAP_SIDE
    assert extent(plan.columns, plan.tile_width) <= 300 - 15

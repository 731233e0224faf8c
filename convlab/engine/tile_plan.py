"""Where the feature-map tiles go: a column count and a tile size planned from the room.

Maps cut off at the bottom of a dock teach nothing, so the plan is made from the area's width
AND height: every column count is tried, and the one whose maps are largest while ALL tiles
fit wins (a short wide bottom dock gets one long row, a tall side dock a column). When the
maps would get small, tiles drop their second line (the value range, still in the tooltip)
and shrink their header, which buys map pixels. Only when even small maps do not fit does
the area scroll. Plain arithmetic, no Qt, so it is tested on numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TILE_SPACING = 6
MIN_MAP_SIDE = 36
"""A map whose shorter side is below this no longer shows its structure: the area scrolls."""
MAX_MAP_SIDE = 480
"""The maps are previews at most 480 pixels long: larger tiles would only enlarge pixels."""
NAME_TILE_WIDTH = 100
"""A full tile is at least this wide, room for the kernel picture and a few letters of its
name; compact tiles (number and kernel picture) may be narrower."""
COMPACT_BELOW = 80
"""Full tiles whose maps would be shorter than this give way to compact ones, if that makes
the maps at least COMPACT_GAIN times larger (a name is worth a few pixels)."""
COMPACT_GAIN = 1.15


@dataclass(frozen=True)
class Chrome:
    """Pixels of a tile that are not map, (width, height), in its full and compact forms."""

    full: tuple[int, int]
    compact: tuple[int, int]


@dataclass(frozen=True)
class TilePlan:
    """A grid of ``columns`` tiles, each holding a map of map_width x map_height pixels."""

    columns: int
    map_width: int
    map_height: int
    tile_width: int
    tile_height: int
    scrolls: bool  # even the smallest readable tiles do not all fit: the area scrolls
    compact: bool  # tiles without the value-range line and with a smaller header

    @property
    def map_side(self) -> int:
        """The map's shorter side: what decides whether its structure is visible."""
        return min(self.map_width, self.map_height)


def extent(count: int, tile: float) -> float:
    """Pixels taken by ``count`` tiles of size ``tile`` along one axis, with the spacing."""
    return count * tile + TILE_SPACING * (count - 1)


def _largest_map_width(
    columns: int, rows: int, width: float, height: float, aspect: float, chrome: tuple[int, int]
) -> float:
    """The widest map for which ``columns`` x ``rows`` tiles fit in width x height."""
    chrome_width, chrome_height = chrome
    by_width = (width - TILE_SPACING * (columns - 1)) / columns - chrome_width
    by_height = ((height - TILE_SPACING * (rows - 1)) / rows - chrome_height) / aspect
    return min(by_width, by_height, MAX_MAP_SIDE / max(1.0, aspect), MAX_MAP_SIDE)


def _plan(
    columns: int,
    map_width: float,
    aspect: float,
    chrome: tuple[int, int],
    *,
    scrolls: bool,
    compact: bool,
    min_tile_width: int,
) -> TilePlan:
    """Whole pixels, rounded down so the grid never grows past the room it was planned for."""
    map_width_px = max(1, math.floor(map_width))
    map_height_px = max(1, math.floor(map_width_px * aspect))
    return TilePlan(
        columns=columns,
        map_width=map_width_px,
        map_height=map_height_px,
        tile_width=max(map_width_px + chrome[0], min_tile_width),
        tile_height=map_height_px + chrome[1],
        scrolls=scrolls,
        compact=compact,
    )


def _best_fitting(
    count: int, width: float, height: float, aspect: float, chrome: tuple[int, int], compact: bool
) -> TilePlan | None:
    """The plan with the largest maps among those where every tile fits, or None."""
    min_tile_width = 0 if compact else NAME_TILE_WIDTH
    best: tuple[tuple[int, float], TilePlan] | None = None
    # One candidate per row count, with as few columns as hold every map: no 15 + 1 grids.
    for columns in sorted({math.ceil(count / rows) for rows in range(1, count + 1)}):
        if extent(columns, max(min_tile_width, 1)) > width:
            break
        rows = math.ceil(count / columns)
        map_width = _largest_map_width(columns, rows, width, height, aspect, chrome)
        plan = _plan(
            columns,
            map_width,
            aspect,
            chrome,
            scrolls=False,
            compact=compact,
            min_tile_width=min_tile_width,
        )
        fits = (
            extent(columns, plan.tile_width) <= width and extent(rows, plan.tile_height) <= height
        )
        if not fits or plan.map_side < MIN_MAP_SIDE:
            continue
        # Ties (maps already at their largest) go to the grid shaped most like the area.
        shape = extent(columns, plan.tile_width) / max(1.0, extent(rows, plan.tile_height))
        mismatch = abs(math.log(shape * max(1.0, height) / max(1.0, width)))
        score = (plan.map_width, -mismatch)
        if best is None or score > best[0]:
            best = (score, plan)
    return None if best is None else best[1]


def _scrolling(
    count: int, width: float, height: float, aspect: float, chrome: tuple[int, int]
) -> TilePlan:
    """As many readable tiles per row as the width takes, each at most as tall as the area
    (a whole row is always visible at once); the area scrolls vertically."""
    smallest = MIN_MAP_SIDE / min(1.0, aspect)
    for columns in range(count, 0, -1):
        if extent(columns, NAME_TILE_WIDTH) > width:
            continue
        by_width = _largest_map_width(columns, 1, width, math.inf, aspect, chrome)
        one_row = _largest_map_width(1, 1, math.inf, height, aspect, chrome)
        map_width = min(by_width, max(one_row, smallest))
        if map_width >= smallest:
            return _plan(
                columns,
                map_width,
                aspect,
                chrome,
                scrolls=True,
                compact=False,
                min_tile_width=NAME_TILE_WIDTH,
            )
    by_width = _largest_map_width(1, 1, width, math.inf, aspect, chrome)
    return _plan(
        1, max(by_width, 1.0), aspect, chrome, scrolls=True, compact=False, min_tile_width=0
    )


def plan_tiles(
    count: int, width: float, height: float, aspect: float, chrome: Chrome, scrollbar: int = 0
) -> TilePlan:
    """The column count and tile size that show ``count`` maps whole and as large as possible.

    ``aspect`` is a map's height / width (the frame's); ``chrome`` what a tile needs besides
    its map; ``scrollbar`` the width a vertical scroll bar takes when the plan must scroll.
    """
    count = max(1, count)
    full = _best_fitting(count, width, height, aspect, chrome.full, compact=False)
    if full is not None and full.map_side >= COMPACT_BELOW:
        return full
    compact = _best_fitting(count, width, height, aspect, chrome.compact, compact=True)
    if compact is not None and (full is None or compact.map_side >= COMPACT_GAIN * full.map_side):
        return compact
    if full is not None:
        return full
    return _scrolling(count, width - scrollbar, height, aspect, chrome.full)

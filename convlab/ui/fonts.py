"""The smallest text the window draws: readable from the back of a lecture hall.

Secondary text (a range under a map, a weight in a cell's corner, a caption) may be smaller
than the body text, never smaller than this. Where a cell is too small for it, the cell grows
or its text is left out; the text never shrinks below it.
"""

from __future__ import annotations

from PySide6.QtGui import QFont

MIN_POINT_SIZE = 9.0
MIN_PIXEL_SIZE = 11  # the same for sizes given in pixels (9 pt at 96 dpi is 12 px)


def readable(points: float) -> float:
    """``points``, or the smallest size text is drawn at if that is smaller."""
    return max(MIN_POINT_SIZE, points)


def smaller(font: QFont, points_less: float = 1.0) -> QFont:
    """A copy of ``font`` a little smaller, for secondary text, never below the minimum."""
    small = QFont(font)
    small.setPointSizeF(readable(font.pointSizeF() - points_less))
    return small

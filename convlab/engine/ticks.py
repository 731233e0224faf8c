"""Round axis ticks (1, 2 or 5 times a power of ten) for the plots the window draws itself."""

from __future__ import annotations

import math


def nice_step(span: float, most: int) -> float:
    """The smallest step of 1, 2 or 5 x 10^k that cuts ``span`` into at most ``most`` parts."""
    if not math.isfinite(span) or span <= 0 or most < 1:
        return 1.0
    raw = span / most
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= raw * (1 - 1e-9):
            return factor * power
    return 10.0 * power


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round values in [low, high], at most ``most`` + 1 of them, evenly spaced."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    step = nice_step(high - low, most)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(i * step, 12) + 0.0 for i in range(first, last + 1)]


def nice_bounds(low: float, high: float, most: int = 6) -> tuple[float, float]:
    """[low, high] widened outward to the ticks around it: a range that only moves when the
    data leaves it by a tick, so an axis does not redraw for every frame's noise."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return (0.0, 1.0)
    if high <= low:
        low, high = low - 0.5, low + 0.5
    step = nice_step(high - low, most)
    bottom = math.floor(low / step + 1e-9) * step
    top = math.ceil(high / step - 1e-9) * step
    return (round(bottom, 12) + 0.0, round(top, 12) + 0.0)

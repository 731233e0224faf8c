"""Round axis ticks: 1, 2 or 5 times a power of ten, inside the range, at most so many."""

from __future__ import annotations

import itertools
import math

import pytest

from convlab.engine.ticks import nice_bounds, nice_step, nice_ticks


@pytest.mark.parametrize(
    ("span", "most", "step"),
    [(3060, 6, 1000), (255, 5, 100), (1.0, 5, 0.2), (0.0032, 4, 0.001), (10, 10, 1), (7, 1, 10)],
)
def test_the_step_is_the_smallest_round_one_that_fits(span, most, step):
    assert nice_step(span, most) == pytest.approx(step)


@pytest.mark.parametrize(
    ("low", "high", "most"), [(-1530, 1530, 6), (-128, 127, 5), (0.001, 0.0042, 4), (3, 97, 8)]
)
def test_ticks_are_round_evenly_spaced_and_inside(low, high, most):
    ticks = nice_ticks(low, high, most)
    assert 2 <= len(ticks) <= most + 1
    assert all(low <= t <= high for t in ticks)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(gaps) == 1
    (gap,) = gaps
    mantissa = gap / 10 ** math.floor(math.log10(gap))
    assert round(mantissa, 6) in (1.0, 2.0, 5.0)


def test_bounds_hold_the_data_and_stay_put_for_small_changes():
    first = nice_bounds(-1020.3, 1022.0)
    assert first == (-1500.0, 1500.0)
    assert nice_bounds(-1011.0, 1035.5) == first  # another frame's noise: the same axis
    assert nice_bounds(5.0, 5.0)[0] < 5.0 < nice_bounds(5.0, 5.0)[1]
    assert nice_bounds(float("nan"), 1.0) == (0.0, 1.0)

"""The response histogram draws its bars and the shaded band where the values are."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.engine.display import DisplayChoice, histogram
from convlab.ui.playground.histogram import ResponseHistogram


@pytest.fixture
def drawn(qtbot):
    widget = ResponseHistogram()
    qtbot.addWidget(widget)
    widget.resize(600, 100)
    values = np.concatenate([np.full(5000, -300.0), np.linspace(-300, 300, 2000)])
    counts, edges = histogram(values.astype(np.float32).reshape(70, 100), 64)
    widget.show_counts(counts, edges, DisplayChoice(mode="offset", colormap="gray", reason=""))
    image = widget.grab().toImage()
    pixels = np.array(
        [[image.pixelColor(x, y).getRgb()[:3] for x in range(600)] for y in range(100)]
    )
    return widget, counts, edges, pixels


def test_the_band_is_the_shown_range_and_the_axis_holds_the_data(drawn):
    widget, _counts, edges, _ = drawn
    assert widget.band == pytest.approx((-128.0, 127.0))
    low, high = widget.x_range
    assert low <= edges[0] and high >= edges[-1]


def test_the_tallest_bin_reaches_the_top_and_the_band_is_tinted_blue(drawn):
    widget, counts, edges, pixels = drawn
    rect = widget.plot_rect()
    row = int(rect.bottom()) - 3  # just above the axis: inside every non-empty bar
    tallest = int(np.argmax(counts))
    centre = int(widget.x_pixel((edges[tallest] + edges[tallest + 1]) / 2))
    column = pixels[:, centre]
    grey = np.abs(column[:, 0].astype(int) - column[:, 2].astype(int)) < 25
    bar_top = int(rect.top()) + 3
    assert grey[bar_top:row].all()  # log10(5000+) is the top of the y range
    inside = int(widget.x_pixel(50.0))
    outside = int(widget.x_pixel(250.0))
    probe = int(rect.top()) + 2  # above the short bars
    r, _g, b = pixels[probe, inside]
    assert b > r + 10  # the band
    r, _g, b = pixels[probe, outside]
    assert abs(int(b) - int(r)) < 10  # no band out there

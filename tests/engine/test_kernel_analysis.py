"""How much of a Gaussian bell its kernel window keeps, against a numerical integral."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.engine.kernel_analysis import gaussian_window_mass, gaussian_window_note


def test_the_window_keeps_87_percent_of_a_sigma_3_bell_at_radius_5():
    """Against a numerical integral of the continuous bell over the pixels the window covers."""

    def integral(radius: int, sigma: float) -> float:
        x = np.linspace(-radius - 0.5, radius + 0.5, 20001)
        density = np.exp(-(x**2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
        one_axis = float(np.sum((density[1:] + density[:-1]) / 2 * np.diff(x)))  # trapezoids
        return one_axis**2

    for radius, sigma in ((5, 3.0), (3, 1.5), (1, 4.0), (9, 3.0), (0, 0.5)):
        assert gaussian_window_mass(radius, sigma) == pytest.approx(
            integral(radius, sigma), abs=1e-6
        )
    assert round(100 * gaussian_window_mass(5, 3.0)) == 87
    assert (
        gaussian_window_note(5, 3.0, detail=False)
        == "The 11×11 window keeps 87% of the bell's mass."
    )
    assert gaussian_window_note(9, 3.0).startswith("The 19×19 window keeps all of the bell (99.7%")

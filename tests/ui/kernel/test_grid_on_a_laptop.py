"""The weight grid in the real window on a 1366x768 screen: every kernel up to 7x7 is whole
(no scrolling), its numbers at least 11 px and honest."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QFontMetrics

from convlab.engine.kernels import Kernel, gabor_kernel, gaussian_kernel, log_kernel
from convlab.ui.kernel.grid import KernelGrid

_RANDOM = np.random.default_rng(7)


@pytest.mark.parametrize(
    "kernel",
    [
        gaussian_kernel(3, 3.0),  # Generate's Gaussian at radius 3
        gaussian_kernel(3, 1.5),
        gaussian_kernel(3, 0.8),  # tiny corner weights: 1.94e-7
        gaussian_kernel(3, 0.3),  # 3.66e-44
        log_kernel(3, 1.4),
        gabor_kernel(7, 2.0, 0.5, 4.0),
        Kernel(_RANDOM.uniform(-1, 1, (7, 7))),
        Kernel(_RANDOM.integers(-999, 999, (7, 7)).astype(float)),
    ],
    ids=["gauss3", "gauss1.5", "gauss0.8", "gauss0.3", "log", "gabor", "random", "integers"],
)
def test_a_7x7_kernel_is_whole_in_the_kernel_dock_at_1366x768(laptop, qtbot, kernel):
    window = laptop
    grid = window.kernel_panel.findChild(KernelGrid)
    window.state.set_kernel(kernel)
    qtbot.waitUntil(lambda: grid.model().rowCount() == 7, timeout=3000)
    qtbot.wait(50)
    assert grid.horizontalScrollBar().maximum() == 0
    assert grid.verticalScrollBar().maximum() == 0
    assert grid.horizontalHeader().isHidden()  # headers only come with scrolling
    corner = grid.visualRect(grid.model().index(6, 6))
    assert grid.viewport().rect().contains(corner)
    assert grid.visibleRegion().boundingRect().contains(grid.rect())  # not cut by the dock
    assert grid.text_pixels() >= 11
    metrics = QFontMetrics(grid.font())
    for row in range(7):
        for col in range(7):
            text = grid.text_for(grid.model().index(row, col))
            weight = float(kernel.weights[row, col])
            assert metrics.horizontalAdvance(text) <= grid.cell_width() - 2, text
            assert abs(float(text) - weight) <= 0.01 * abs(weight), (text, weight)

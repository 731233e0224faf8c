"""The kernel dock's fixtures: a state holding Sobel x, the panel on it, and its weight grid."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QTableView

from convlab.engine.kernels import Kernel
from convlab.ui.kernel.panel import KernelEditorPanel
from convlab.ui.state import PlaygroundState

SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)


@pytest.fixture
def state(qtbot):
    state = PlaygroundState()
    state.set_kernel(Kernel(SOBEL, name="sobel_x"))
    state.undo_stack.clear()
    return state


@pytest.fixture
def panel(qtbot, state):
    panel = KernelEditorPanel(state)
    qtbot.addWidget(panel)
    panel.resize(420, 900)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def grid(panel) -> QTableView:
    grid = panel.findChild(QTableView, "kernelEditor")
    assert grid is not None
    return grid

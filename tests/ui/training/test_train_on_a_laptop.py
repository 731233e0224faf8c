"""The Train tab in the real window on a 1366x768 screen: every result tab's name is whole,
and the Kernel dock comes beside the tab only when its kernel is wanted there."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.engine.kernels import Kernel
from tests.ui.conftest import LAPTOP


@pytest.fixture
def train(laptop):
    """The laptop-sized window with its Train tab in front: (window, tab)."""
    titles = [laptop.tabs.tabText(i) for i in range(laptop.tabs.count())]
    laptop.tabs.setCurrentIndex(titles.index("Train"))
    return laptop, laptop.tab_panels[titles.index("Train") - 1]


def _all_tab_names_whole(tab) -> bool:
    bar = tab.insight.tabBar()
    visible = bar.visibleRegion().boundingRect()
    return all(visible.contains(bar.tabRect(i)) for i in range(bar.count()))


def test_every_result_tab_is_named_in_full_at_1366x768(train, qtbot):
    window, tab = train
    qtbot.waitUntil(lambda: tab.insight.isVisible(), timeout=3000)
    qtbot.wait(50)
    assert window.panel_docks.kernel_dock.isHidden()
    assert window.width() == LAPTOP[0]
    bar = tab.insight.tabBar()
    assert bar.count() == 7
    assert _all_tab_names_whole(tab), (tab.columns.sizes(), tab.insight.wanted_width())
    assert tab.columns.centre.width() >= tab.columns.centre.minimumSizeHint().width()


def test_the_kernel_editor_comes_when_asked_for_and_after_a_write_back(train, qtbot):
    window, tab = train
    dock = window.panel_docks.kernel_dock
    toggle = tab.filters.editor_toggle
    toggle.click()
    qtbot.waitUntil(dock.isVisible, timeout=3000)
    assert window.width() == LAPTOP[0]  # the window does not grow past the screen
    toggle.click()
    qtbot.waitUntil(dock.isHidden, timeout=3000)
    # a write-back puts the editor's kernel into the network and shows the editor
    size = tab.filters.layers[0][1].shape[-1]
    window.state.set_kernel(Kernel(np.full((size, size), 0.5)))
    tab.filters.write_button.click()
    qtbot.waitUntil(dock.isVisible, timeout=3000)
    assert toggle.isChecked()
    np.testing.assert_allclose(tab.session.view_model.layers[0].params["weight"][0, 0], 0.5)
    tab.reset()  # nothing worth keeping: closing asks no question

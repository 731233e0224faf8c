"""The first screen on a laptop, as a newcomer meets it: the real window at 1366x768's size."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel

from convlab.app import build_window
from convlab.engine import presets
from convlab.engine.bank_presets import BANK_PRESETS
from convlab.engine.kernels import Kernel
from tests.ui.conftest import LAPTOP, wait_for_result

FULL_HD = (1880, 1020)


@pytest.fixture
def laptop_window(qtbot):
    """The window on its bundled sample picture, shown at a laptop screen's size."""
    window = build_window([])
    qtbot.addWidget(window)
    window.resize(*LAPTOP)
    window.panel_docks.size_for(LAPTOP[1])
    window.show()
    qtbot.waitExposed(window)
    wait_for_result(qtbot, window)
    yield window
    window.close()


def whole_tiles(window) -> list[bool]:
    panel = window.maps_panel
    viewport = panel.scroll.viewport()
    shown = []
    for tile in panel.grid.tiles:
        corner = tile.mapTo(viewport, tile.rect().topLeft())
        shown.append(viewport.rect().contains(tile.rect().translated(corner)))
    return shown


def settle(qtbot, window, count: int) -> None:
    wait_for_result(qtbot, window)
    panel = window.maps_panel
    qtbot.waitUntil(lambda: panel.grid.plan is not None and len(panel.grid.tiles) == count)
    QApplication.processEvents()
    qtbot.wait(100)


@pytest.mark.parametrize(
    "bank",
    [
        [presets.get(name) for name in presets.names()][:16],
        BANK_PRESETS["Gabor bank"][0](),
        BANK_PRESETS["Edge bank"][0](),
    ],
    ids=["16 maps", "Gabor bank", "Edge bank"],
)
def test_every_feature_map_is_whole_on_the_first_laptop_screen(laptop_window, qtbot, bank):
    window = laptop_window
    window.state.set_bank(bank)
    settle(qtbot, window, len(bank))
    panel = window.maps_panel
    assert window.panel_docks.maps_dock.isVisible()
    assert not panel.scroll.verticalScrollBar().isVisible()
    assert all(whole_tiles(window)), panel.grid.plan
    assert panel.grid.plan.map_side >= 40
    for tile in panel.grid.tiles:  # what tells the maps apart is on show (or their number)
        shown = QLabel.text(tile.title)
        name = tile.name.split(". ", 1)[1]
        assert shown == tile.short_name() or shown.startswith(f"{tile.index + 1}. {name[:4]}")
    if bank[0].name.endswith("Gabor"):
        assert all(QLabel.text(t.title).split(" ")[1].endswith("°") for t in panel.grid.tiles)
    # and the dock itself does not hide its panel behind a scroll bar
    dock_scroll = window.panel_docks.maps_dock.widget()
    assert not dock_scroll.verticalScrollBar().isVisible()


def test_a_click_on_a_small_tile_still_shows_its_map_large(laptop_window, qtbot):
    window = laptop_window
    window.state.set_bank([presets.get(name) for name in presets.names()][:16])
    settle(qtbot, window, 16)
    tile = window.maps_panel.grid.tiles[12]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert window.state.pipeline.selected_map == 12
    result = wait_for_result(qtbot, window)
    assert result.selected is not None
    assert result.selected.values.shape == result.frame.shape[:2]  # full resolution
    title = window.output_view._title.text()
    assert title == f"Feature map 13 · {presets.title(presets.names()[12])}"


def test_the_first_screen_shows_the_signed_result_and_says_why(laptop_window, qtbot):
    window = laptop_window
    assert window.state.pipeline.display.mode == "auto"
    result = wait_for_result(qtbot, window)
    assert result.display.mode == "offset"  # the first-run outline kernel sums to 0
    line = window.output_controls.controls.choice_label
    assert line.isVisible()
    assert line.text() == "Auto: Offset +128 — this kernel sums to 0, so negatives matter"
    # the line sits right under the output view
    view = window.output_view
    view_bottom = view.mapTo(window, view.rect().bottomLeft()).y()
    line_top = line.mapTo(window, line.rect().topLeft()).y()
    assert 0 <= line_top - view_bottom < 30
    # negatives are visible: flat areas mid-grey, edges both darker and lighter
    shown = window.output_view.image_item.image.astype(int).mean(axis=2)
    assert np.mean(np.abs(shown - 128) < 28) > 0.5
    assert np.mean(shown < 90) > 0.01 and np.mean(shown > 166) > 0.01


def click_up_arrow(qtbot, spin) -> None:
    """A click on the spin box's up arrow, where a person's mouse is."""
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton, pos=QPoint(spin.width() - 6, 5))
    QApplication.processEvents()


def test_growing_the_kernel_never_moves_the_size_controls(laptop_window, qtbot):
    window = laptop_window
    size = window.kernel_panel.size_controls
    spots = {spin: spin.mapTo(window, QPoint(0, 0)) for spin in (size.rows, size.cols)}
    for _ in range(12):  # 3x3 -> 15x15, one click on each arrow at a time
        for spin in (size.rows, size.cols):
            click_up_arrow(qtbot, spin)
            assert spin.mapTo(window, QPoint(0, 0)) == spots[spin]  # still under the mouse
    assert window.state.kernel.shape == (15, 15)
    grid = window.kernel_panel.grid
    assert grid.text_pixels() >= 11


def test_shrinking_then_growing_gives_the_weights_back_one_undo_step_each(laptop_window, qtbot):
    window = laptop_window
    state = window.state
    original = Kernel(np.arange(1.0, 26.0).reshape(5, 5), name="mine")
    state.set_kernel(original)
    size = window.kernel_panel.size_controls
    size.rows.setValue(3)
    size.cols.setValue(1)
    assert state.kernel.shape == (3, 1)
    click_up_arrow(qtbot, size.rows)
    click_up_arrow(qtbot, size.rows)
    size.cols.setValue(5)
    assert state.kernel == original  # every weight back, name included
    steps = state.undo_stack.count()
    state.undo_stack.undo()
    assert state.kernel.shape == (5, 1)
    np.testing.assert_array_equal(state.kernel.weights[:, 0], original.weights[:, 2])
    state.undo_stack.redo()
    assert state.kernel == original and state.undo_stack.count() == steps
    # another edit ends the memory: growing then pads with zeros
    size.rows.setValue(3)
    window.kernel_panel.model.setData(window.kernel_panel.model.index(1, 1), "0")
    size.rows.setValue(5)
    assert state.kernel.weights[0].tolist() == [0.0] * 5


def test_the_command_line_takes_a_code_name_and_the_window_says_the_plain_name(qtbot):
    window = build_window(["--kernel", "laplacian_8"])
    qtbot.addWidget(window)
    assert window.state.kernel == presets.get("laplacian_8")
    assert window.kernel_panel.presets.currentText() == "Laplacian (8 neighbours)"
    window.close()


def test_a_long_preset_name_is_cut_with_an_ellipsis_and_said_whole_under_the_box(laptop_window):
    panel = laptop_window.kernel_panel
    panel.presets.load("prewitt_y")
    title = presets.title("prewitt_y")
    assert panel.presets.currentText() == title == "Prewitt, horizontal edges"
    shown = panel.presets.shown_text()
    assert shown == title or (shown.endswith("…") and title.startswith(shown[:-1]))
    assert panel.description.text().startswith(f"{title}: ")


def test_the_integer_view_of_a_blur_never_widens_the_kernel_dock(laptop_window, qtbot):
    panel = laptop_window.kernel_panel
    panel.presets.load("gaussian")
    QApplication.processEvents()
    width = panel.width()
    button = panel.integer_button
    spot = button.mapTo(laptop_window, QPoint(0, 0))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    assert panel.formula_label.text() == "out = Σ n·x ÷ 16"
    assert panel.width() == width and button.mapTo(laptop_window, QPoint(0, 0)) == spot
    fields = panel.fields
    assert fields.divisor.width() >= fields.fontMetrics().horizontalAdvance("0.0000")

"""The kernel dock's weight grid as a person (or an outside check) drives it: typing, undo,
scrubbing, the wheel, keys, colours and sizes (the tools around it: test_tools.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import (
    QKeySequence,
    QMouseEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

from convlab.engine import presets
from convlab.engine.kernel_ops import format_weight
from convlab.engine.kernels import Kernel, gabor_kernel, gaussian_kernel, log_kernel
from convlab.ui.kernel.panel import KernelEditorPanel
from tests.ui.kernel.conftest import SOBEL


def _cell_centre(grid: QTableView, row: int, col: int) -> QPoint:
    return grid.visualRect(grid.model().index(row, col)).center()


def _mouse(grid, kind, pos: QPoint, buttons, modifiers=Qt.KeyboardModifier.NoModifier):
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind, QPointF(pos), grid.viewport().mapToGlobal(QPointF(pos)), button, buttons, modifiers
    )
    QApplication.sendEvent(grid.viewport(), event)


def _wheel(grid, pos: QPoint, notches: int, modifiers=Qt.KeyboardModifier.NoModifier):
    event = QWheelEvent(
        QPointF(pos),
        grid.viewport().mapToGlobal(QPointF(pos)),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(grid.viewport(), event)


# ----------------------------------------------------------------------------- the grid
def test_grid_shows_one_cell_per_weight(grid, state):
    model = grid.model()
    assert (model.rowCount(), model.columnCount()) == (3, 3)
    assert model.index(1, 0).data() == "-2"
    assert model.index(1, 2).data(Qt.ItemDataRole.EditRole) == "2"
    assert "weight = -1" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    state.set_kernel(Kernel(np.full((5, 7), 0.0625)))
    assert (model.rowCount(), model.columnCount()) == (5, 7)
    assert model.index(4, 6).data() == "0.0625"


@pytest.mark.parametrize("typed", [7, 7.0, "7", " 7 ", "14/2"])
def test_set_data_writes_exactly_the_typed_value(grid, state, typed):
    index = grid.model().index(0, 2)
    assert grid.model().setData(index, typed)
    expected = SOBEL.copy()
    expected[0, 2] = 7.0
    np.testing.assert_array_equal(state.kernel.weights, expected)
    assert state.kernel.name == "custom"
    assert grid.model().index(0, 2).data() == "7"


def test_set_data_keeps_full_precision(grid, state):
    assert grid.model().setData(grid.model().index(2, 1), "0.123456789012")
    assert state.kernel.weights[2, 1] == 0.123456789012
    assert grid.model().index(2, 1).data(Qt.ItemDataRole.EditRole) == "0.123456789012"


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, -math.inf, 1e308, "1e308", "", "  ", "abc", "nan", "1/0", "--1"]
)
def test_refused_values_leave_the_kernel_and_say_why(grid, state, messages, bad):
    before = state.kernel
    assert not grid.model().setData(grid.model().index(1, 1), bad)
    assert state.kernel is before
    assert state.undo_stack.count() == 0
    assert len(messages) == 1
    text, level = messages[0]
    assert "row 2, column 2" in text and level == "warning"


def test_undo_restores_and_redo_reapplies(grid, state, panel):
    model = grid.model()
    model.setData(model.index(0, 0), 5)
    model.setData(model.index(0, 0), 6)  # two typed values: two steps
    model.setData(model.index(2, 2), "-3")
    assert state.undo_stack.count() == 3
    state.undo_stack.undo()
    assert state.kernel.weights[2, 2] == 1.0 and state.kernel.weights[0, 0] == 6.0
    panel.undo_action.trigger()
    assert state.kernel.weights[0, 0] == 5.0
    panel.undo_action.trigger()
    np.testing.assert_array_equal(state.kernel.weights, SOBEL)
    assert state.kernel.name == "sobel_x"
    assert model.index(0, 0).data() == "-1"
    panel.redo_action.trigger()
    panel.redo_action.trigger()
    assert state.kernel.weights[0, 0] == 6.0


def test_undo_redo_shortcuts_are_bound(panel):
    assert panel.undo_action.shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [s.toString() for s in panel.redo_action.shortcuts()]


def test_keyboard_undo_in_the_grid(qtbot, grid, state):
    grid.model().setData(grid.model().index(0, 0), 9)
    grid.setFocus()
    qtbot.waitUntil(grid.hasFocus)
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state.kernel.weights[0, 0] == -1.0
    qtbot.keyClick(
        grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert state.kernel.weights[0, 0] == 9.0


def test_window_undo_keys_win_over_the_panels(qtbot, state):
    """A window that binds Ctrl+Z itself: the panel steps aside so the key is not ambiguous."""
    window = QMainWindow()
    qtbot.addWidget(window)
    menu = window.menuBar().addMenu("Edit")
    undo = state.undo_stack.createUndoAction(window, "Undo")
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    menu.addAction(undo)
    panel = KernelEditorPanel(state)
    window.setCentralWidget(panel)
    window.show()
    qtbot.waitExposed(window)
    assert "Ctrl+Z" not in [key.toString() for key in panel.undo_action.shortcuts()]
    assert "Ctrl+Shift+Z" in [key.toString() for key in panel.redo_action.shortcuts()]
    panel.model.setData(panel.model.index(0, 0), 4)
    panel.model.setData(panel.model.index(0, 0), 5)
    panel.grid.setFocus()
    qtbot.waitUntil(panel.grid.hasFocus)
    qtbot.keyClick(panel.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state.kernel.weights[0, 0] == 4.0  # exactly one step, not zero, not two


def test_floating_dock_still_yields_to_the_window(qtbot, state):
    from PySide6.QtWidgets import QDockWidget

    window = QMainWindow()
    qtbot.addWidget(window)
    undo = state.undo_stack.createUndoAction(window, "Undo")
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    window.menuBar().addMenu("Edit").addAction(undo)
    dock = QDockWidget("Kernel", window)
    panel = KernelEditorPanel(state)
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.show()
    dock.setFloating(True)
    dock.show()
    qtbot.waitExposed(dock)
    assert "Ctrl+Z" not in [key.toString() for key in panel.undo_action.shortcuts()]


def test_scrubbing_one_cell_is_one_undo_step(grid, state):
    centre = _cell_centre(grid, 0, 2)  # weight 1, integer kernel: step 1
    left = Qt.MouseButton.LeftButton
    _mouse(grid, QEvent.Type.MouseButtonPress, centre, left)
    for rise in (10, 20, 30, 45, 60):
        _mouse(grid, QEvent.Type.MouseMove, centre - QPoint(0, rise), left)
    _mouse(grid, QEvent.Type.MouseButtonRelease, centre - QPoint(0, 60), Qt.MouseButton.NoButton)
    assert state.kernel.weights[0, 2] == 1.0 + 60 / 6
    assert state.undo_stack.count() == 1
    state.undo_stack.undo()
    np.testing.assert_array_equal(state.kernel.weights, SOBEL)


def test_scrubbing_down_then_another_cell_makes_two_steps(grid, state):
    left = Qt.MouseButton.LeftButton
    for row, col in ((1, 1), (2, 0)):
        centre = _cell_centre(grid, row, col)
        _mouse(grid, QEvent.Type.MouseButtonPress, centre, left)
        _mouse(grid, QEvent.Type.MouseMove, centre + QPoint(0, 12), left)
        _mouse(
            grid, QEvent.Type.MouseButtonRelease, centre + QPoint(0, 12), Qt.MouseButton.NoButton
        )
    assert state.kernel.weights[1, 1] == -2.0 and state.kernel.weights[2, 0] == -3.0
    assert state.undo_stack.count() == 2


def test_wheel_steps_and_shift_multiplies(grid, state):
    centre = _cell_centre(grid, 1, 1)
    _wheel(grid, centre, 1)
    _wheel(grid, centre, 1)
    _wheel(grid, centre, -1, Qt.KeyboardModifier.ShiftModifier)
    assert state.kernel.weights[1, 1] == 1 + 1 - 10
    assert state.undo_stack.count() == 1  # a quick burst of notches undoes at once


def test_plus_minus_keys_step_the_current_cell(qtbot, grid, state):
    keypad = Qt.KeyboardModifier.KeypadModifier
    shift = Qt.KeyboardModifier.ShiftModifier
    grid.setCurrentIndex(grid.model().index(0, 1))
    qtbot.keyClick(grid, Qt.Key.Key_Plus)
    qtbot.keyClick(grid, Qt.Key.Key_Equal)
    qtbot.keyClick(grid, Qt.Key.Key_Minus, keypad)
    assert state.kernel.weights[0, 1] == 1.0
    qtbot.keyClick(grid, Qt.Key.Key_Plus, shift)  # Shift+= is + on a US keyboard: one step
    assert state.kernel.weights[0, 1] == 2.0
    qtbot.keyClick(grid, Qt.Key.Key_Plus, shift | keypad)
    qtbot.keyClick(grid, Qt.Key.Key_PageUp, shift)
    assert state.kernel.weights[0, 1] == 22.0
    qtbot.keyClick(grid, Qt.Key.Key_PageDown)
    qtbot.keyClick(grid, Qt.Key.Key_Minus, shift | keypad)
    assert state.kernel.weights[0, 1] == 11.0
    qtbot.keyClick(grid, Qt.Key.Key_Delete)
    assert state.kernel.weights[0, 1] == 0.0


def test_enter_opens_the_cell_for_editing(qtbot, grid, state):
    grid.setCurrentIndex(grid.model().index(2, 2))
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    editor = QApplication.focusWidget()
    assert editor is not grid and editor.text() == "1"
    qtbot.keyClicks(editor, "0.5")  # the old value is selected, typing replaces it
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert state.kernel.weights[2, 2] == 0.5


def test_typing_a_negative_number(qtbot, grid, state):
    grid.setCurrentIndex(grid.model().index(0, 1))
    grid.setFocus()
    qtbot.keyClicks(grid, "-")  # the main keyboard's minus starts a number, it does not step
    editor = QApplication.focusWidget()
    assert editor is not grid
    qtbot.keyClicks(editor, "1.5")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop
    qtbot.waitUntil(lambda: state.kernel.weights[0, 1] == -1.5, timeout=1000)
    assert state.undo_stack.count() == 1


def test_steps_follow_the_kernels_scale(qtbot, grid, state):
    state.set_kernel(presets.get("gaussian"))  # weights up to 0.25: step 0.01
    grid.setCurrentIndex(grid.model().index(1, 1))
    qtbot.keyClick(grid, Qt.Key.Key_Plus)
    assert state.kernel.weights[1, 1] == 0.26


def test_typing_in_a_cell_and_tab_moves_on(qtbot, grid, state):
    grid.setCurrentIndex(grid.model().index(0, 0))
    grid.setFocus()
    qtbot.keyClicks(grid, "3")  # starts the editor with "3"
    editor = QApplication.focusWidget()
    qtbot.keyClicks(editor, ".5")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert state.kernel.weights[0, 0] == 3.5
    assert grid.currentIndex().column() == 1


def test_cell_colours_diverge_around_a_neutral_zero(grid):
    model = grid.model()
    zero = model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole)
    positive = model.index(1, 2).data(Qt.ItemDataRole.BackgroundRole)
    negative = model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole)
    assert abs(zero.red() - zero.blue()) < 10  # grey
    assert positive.red() > positive.blue() + 100
    assert negative.blue() > negative.red() + 100
    for row in range(3):
        for col in range(3):
            back = model.index(row, col).data(Qt.ItemDataRole.BackgroundRole)
            text = model.index(row, col).data(Qt.ItemDataRole.ForegroundRole)
            assert abs(_luminance(back) - _luminance(text)) > 100  # legible


def _luminance(colour) -> float:
    return 0.2126 * colour.red() + 0.7152 * colour.green() + 0.0722 * colour.blue()


@pytest.mark.parametrize(
    "kernel",
    [
        gabor_kernel(15, 3.0, 0.5, 6.0),
        log_kernel(7, 1.4),
        gaussian_kernel(5, 3.0),
        Kernel([[1e6, -1e-6, 0.0625], [-123456, 7, -0.5]]),
    ],
    ids=["gabor15", "log15", "gaussian11", "extremes"],
)
def test_every_number_fits_its_cell_honestly_in_one_style(panel, grid, state, kernel):
    """What is painted: each weight's text fits inside its cell at 11 px or more, is the
    weight itself when it has four significant digits or fewer and otherwise within 1% of
    it, and the grid does not mix .02 with 0.02."""
    from PySide6.QtGui import QFontMetrics

    panel.resize(330, 700)  # a laptop's side dock
    state.set_kernel(kernel)
    QApplication.processEvents()
    assert grid.text_pixels() >= 11
    metrics = QFontMetrics(grid.font())
    model = grid.model()
    texts = []
    for row in range(kernel.shape[0]):
        for col in range(kernel.shape[1]):
            text = grid.text_for(model.index(row, col))
            weight = float(kernel.weights[row, col])
            assert metrics.horizontalAdvance(text) <= grid.cell_width() - 2, text
            if float(format_weight(weight)) == weight:  # four significant digits or fewer
                assert float(text) == weight, (text, weight)
            else:
                assert abs(float(text) - weight) <= 0.01 * abs(weight), (text, weight)
            texts.append(text)
    leading_zero = [text.lstrip("-").startswith("0.") for text in texts]
    short = [text.lstrip("-").startswith(".") for text in texts]
    assert not (any(short) and any(leading_zero))


def test_quarters_and_sixteenths_are_shown_exactly_even_in_small_cells(panel, grid, state):
    weights = np.full((9, 9), 0.0625)
    weights[4, :] = -0.25
    weights[:, 4] = 0.125
    panel.resize(330, 700)
    state.set_kernel(Kernel(weights))
    QApplication.processEvents()
    shown = {grid.text_for(grid.model().index(4, 0)), grid.text_for(grid.model().index(0, 0))}
    shown.add(grid.text_for(grid.model().index(0, 4)))
    assert {float(text) for text in shown} == {-0.25, 0.0625, 0.125}
    assert grid.model().index(4, 0).data() == "-0.25"


def test_the_grid_fills_the_docks_width(panel, grid, state):
    panel.resize(330, 700)
    for kernel in (presets.get("sobel_x"), Kernel(np.ones((5, 5))), Kernel(np.ones((11, 11)))):
        state.set_kernel(kernel)
        QApplication.processEvents()
        area = panel.grid_area.width()
        assert grid.width() >= 0.9 * area, (kernel.shape, grid.width(), area)
        assert grid.text_pixels() >= 11


def test_a_fifteen_by_fifteen_kernel_scrolls_with_headers_and_stays_readable(panel, grid, state):
    panel.resize(330, 560)  # the kernel dock of a 1366x768 screen
    state.set_kernel(gaussian_kernel(7, 4.0))
    QApplication.processEvents()
    assert grid.text_pixels() >= 11
    if grid.horizontalScrollBar().maximum() or grid.verticalScrollBar().maximum():
        assert grid.horizontalHeader().isVisible() and grid.verticalHeader().isVisible()
        assert grid.model().headerData(14, Qt.Orientation.Horizontal) == "+7"
    corner = grid.model().index(14, 14)
    grid.scrollTo(corner)
    QApplication.processEvents()
    assert grid.viewport().rect().contains(grid.visualRect(corner))
    assert grid.rect().width() <= panel.grid_area.width()  # scrolls inside, never wider


def test_a_31_by_31_kernel_scrolls_and_can_still_shrink(panel, grid, state):
    state.set_kernel(Kernel(np.ones((31, 31))))
    QApplication.processEvents()
    assert grid.text_pixels() >= 11
    assert grid.horizontalHeader().isVisible()
    assert panel.size_controls.rows.maximum() == 31
    panel.size_controls.rows.setValue(30)  # shrinking a big kernel works
    assert state.kernel.shape == (30, 31)


def test_small_kernels_are_not_headed_and_cells_are_at_most_as_tall_as_wide(panel, grid, state):
    state.set_kernel(presets.get("sobel_x"))
    QApplication.processEvents()
    assert not grid.horizontalHeader().isVisible()
    rect = grid.visualRect(grid.model().index(2, 2))
    assert rect.height() <= rect.width()
    assert grid.viewport().rect().contains(rect)


def test_integer_view_writes_a_blur_as_the_slides_do(qtbot, panel, grid, state):
    state.set_kernel(presets.get("gaussian"))  # 0.0625 0.125 0.0625 / ...
    model = grid.model()
    assert model.index(0, 0).data() == "0.0625"
    qtbot.mouseClick(panel.integer_button, Qt.MouseButton.LeftButton)
    shown = [[model.index(r, c).data() for c in range(3)] for r in range(3)]
    assert shown == [["1", "2", "1"], ["2", "4", "2"], ["1", "2", "1"]]
    assert panel.formula_label.text() == "out = Σ n·x ÷ 16"
    assert model.setData(model.index(1, 1), "5")  # typed as sixteenths
    assert state.kernel.weights[1, 1] == 5 / 16
    model.step_weight(0, 0, 1)  # one step is one sixteenth
    assert state.kernel.weights[0, 0] == 2 / 16
    assert model.index(0, 0).data() == "2"
    assert "= 2/16" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    state.undo_stack.undo()
    state.undo_stack.undo()
    assert np.array_equal(state.kernel.weights, presets.get("gaussian").weights)
    state.set_kernel(gaussian_kernel(2, 1.0))  # exp() weights: no common denominator
    assert panel.formula_label.text() == "out = Σ w·x"
    assert "not whole numbers over a common denominator" in panel.integer_button.toolTip()
    assert float(model.index(2, 2).data()) == pytest.approx(state.kernel.weights[2, 2], rel=0.01)
    qtbot.mouseClick(panel.integer_button, Qt.MouseButton.LeftButton)  # off again
    said = []
    state.message.connect(lambda text, level: said.append(text))
    qtbot.mouseClick(panel.integer_button, Qt.MouseButton.LeftButton)  # on: nothing to change
    assert said and said[-1].startswith("Integers: these weights are not whole numbers")
    qtbot.mouseClick(panel.integer_button, Qt.MouseButton.LeftButton)  # off again
    state.set_kernel(presets.get("gaussian"))
    assert model.index(1, 1).data() == "0.25"


def test_right_click_menu_sets_quick_values(grid, state):
    menu = grid.context_menu(grid.model().index(1, 0))
    actions = {action.text(): action for action in menu.actions()}
    assert {"Copy kernel", "Paste kernel", "Set to 0"} <= set(actions)
    actions["Negate this weight"].trigger()
    assert state.kernel.weights[1, 0] == 2.0
    actions["Set to 0"].trigger()
    assert state.kernel.weights[1, 0] == 0.0

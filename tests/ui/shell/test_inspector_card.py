"""The pixel inspector card and the hover readout through the real window on a laptop-sized
screen: whole without scrolling, beside the pixel, never over its window; hover shows the
window and its sum without a click."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QTableView,
)

from convlab.engine.kernels import Kernel, gaussian_kernel
from convlab.ui.widgets.number_grid import format_number
from convlab.ui.widgets.popover import choose_place
from tests.ui.conftest import LAPTOP, wait_for_result


def _view_point(view, row: int, col: int) -> QPoint:
    """Where source pixel (row, col) is drawn in ``view``'s viewport."""
    return view.mapFromScene(view.viewbox.mapViewToScene(QPointF(col + 0.5, row + 0.5)))


def _hover_at(qtbot, window, view, row: int, col: int) -> None:
    """Move the mouse over source pixel (row, col) of ``view`` (again, should the platform
    drop a synthetic move) until the window has seen it."""

    def seen() -> bool:
        if window.hover_readout.position != (row, col):
            qtbot.mouseMove(view.viewport(), _view_point(view, row, col))
            return False
        return True

    qtbot.waitUntil(seen, timeout=3000)


def _in_window(widget) -> QRect:
    return QRect(widget.mapTo(widget.window(), QPoint(0, 0)), widget.size())


def _window_of(frame: np.ndarray, row: int, col: int, k: int) -> np.ndarray:
    r = k // 2
    return frame[row - r : row + r + 1, col - r : col + r + 1].astype(np.float64)


def test_a_7x7_kernel_on_three_channels_is_whole_at_1366x768(laptop, qtbot):
    window = laptop
    kernel = gaussian_kernel(3, 1.5)
    window.state.set_kernel(Kernel(np.rint(kernel.weights * 1000), divisor=1000.0))
    result = wait_for_result(qtbot, window)
    row, col = 40, 60
    qtbot.mouseClick(
        window.source_view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_view_point(window.source_view, row, col),
    )
    card = window.inspector_card.popover
    qtbot.waitUntil(
        lambda: card.isVisible() and window.inspector_panel.explanation is not None, timeout=3000
    )
    qtbot.wait(100)  # the card refits to its content after the layout settles
    panel = window.inspector_panel
    assert window.state.inspected_pixel == (row, col)
    assert window.rect().contains(card.geometry())
    assert card.size().width() <= LAPTOP[0] and card.size().height() < LAPTOP[1]
    # nothing scrolls: every grid and sum is inside the card
    assert not card.scroll.verticalScrollBar().isVisible()
    assert not card.scroll.horizontalScrollBar().isVisible()
    shown = card.geometry()
    for channel_row in panel.rows:
        assert channel_row.isVisible()
        for part in (channel_row.patch, channel_row.products, channel_row.sum_label):
            assert shown.contains(_in_window(part)), part
    assert shown.contains(_in_window(panel.kernel_grid))
    # it does not cover the window it explains, in either view
    for footprint in window.inspector_card.footprints():
        assert not shown.intersects(footprint)
    # the numbers, against an independent sum on the frame
    frame = result.frame
    weights = window.state.kernel.weights
    for channel, channel_row in enumerate(panel.rows):
        patch = _window_of(frame[..., channel], row, col, 7)
        np.testing.assert_array_equal(channel_row.patch.values, patch)
        np.testing.assert_allclose(channel_row.products.values, patch * weights)
        expected = float((patch * weights).sum() / 1000.0)
        assert format_number(expected, 6) in channel_row.sum_label.text()
        assert "✓" in channel_row.sum_label.text()


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_every_kernel_up_to_7x7_is_whole_wherever_the_pixel_is(laptop, qtbot, size):
    """Patch, weights, products and sum of each channel, no scroll bar, for the first
    kernels a newcomer types (integers, and a blur with a divisor), wherever the click."""
    window = laptop
    card, panel = window.inspector_card.popover, window.inspector_panel
    weights = np.arange(size * size, dtype=np.float64).reshape(size, size) - size
    for kernel in (Kernel(weights), Kernel(np.ones((size, size)), divisor=size * size + 0.5)):
        window.state.set_kernel(kernel)
        wait_for_result(qtbot, window)
        for row, col in ((2, 3), (50, 64), (90, 122)):  # a corner, the middle, a corner
            view = window.source_view if col < 100 else window.output_view
            window.state.set_inspected_pixel(None)  # the card never hides the next pixel
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                             pos=_view_point(view, row, col))  # fmt: skip
            qtbot.waitUntil(
                lambda r=row, c=col: (
                    window.state.inspected_pixel == (r, c)
                    and card.isVisible()
                    and panel.explanation is not None
                ),
                timeout=3000,
            )
            qtbot.wait(80)  # the card refits to its content after the layout settles
            assert not card.scroll.verticalScrollBar().isVisible(), (size, row, col)
            assert not card.scroll.horizontalScrollBar().isVisible(), (size, row, col)
            shown = card.geometry()
            assert window.rect().contains(shown)
            assert shown.contains(_in_window(panel.kernel_grid))
            assert shown.contains(_in_window(panel.result_label))
            for channel_row in panel.rows:
                for part in (channel_row.patch, channel_row.products, channel_row.sum_label):
                    assert shown.contains(_in_window(part)), (size, row, col, part)
                label = channel_row.sum_label
                assert label.height() >= label.heightForWidth(label.width()), (size, row, col)


@pytest.mark.parametrize("how", ["one channel", "sum channels", "convolve, zeros border"])
def test_a_7x7_card_is_whole_however_it_is_shown(laptop, qtbot, how):
    """One channel (patch, weights and products in a row), a CNN layer's summed channels
    (a longer result line) and the flipped kernel with hatched border cells: still whole."""
    window = laptop
    card, panel = window.inspector_card.popover, window.inspector_panel
    window.state.set_kernel(Kernel(np.arange(49, dtype=np.float64).reshape(7, 7) - 24, divisor=7))
    if how == "sum channels":
        window.state.update_conv(channels="sum")
    elif how == "convolve, zeros border":
        window.state.update_conv(mode="convolve", border="constant")
    wait_for_result(qtbot, window)
    view = window.source_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_view_point(view, 1, 2))
    qtbot.waitUntil(lambda: card.isVisible() and panel.explanation is not None, timeout=3000)
    if how == "one channel":
        panel.channel_box.setCurrentText("R")
    qtbot.wait(120)  # the card refits to its content after the layout settles
    assert not card.scroll.verticalScrollBar().isVisible(), how
    assert not card.scroll.horizontalScrollBar().isVisible(), how
    shown = card.geometry()
    assert window.rect().contains(shown)
    parts = [panel.kernel_grid, panel.kernel_info, panel.result_label]
    for channel_row in panel.rows:
        if channel_row.isVisible():
            parts += [channel_row.patch, channel_row.products, channel_row.sum_label]
    assert len(parts) == (6 if how == "one channel" else 12)
    for part in parts:
        assert shown.contains(_in_window(part)), (how, part)
        if part.hasHeightForWidth():  # wrapped text has the height it needs
            assert part.height() >= part.heightForWidth(part.width()), (how, part)


def test_on_a_full_hd_window_the_numbers_are_larger_and_still_whole(laptop, qtbot):
    window = laptop
    card, panel = window.inspector_card.popover, window.inspector_panel
    window.state.set_kernel(Kernel(np.arange(49, dtype=np.float64).reshape(7, 7) - 24))
    wait_for_result(qtbot, window)
    view = window.source_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_view_point(view, 40, 60))
    qtbot.waitUntil(lambda: card.isVisible() and panel.explanation is not None, timeout=3000)
    laptop_cell = panel.kernel_grid._font.pointSizeF()
    laptop_width = panel.rows[0].patch.width()
    window.resize(1880, 1020)  # what a 1920x1080 screen gives the window
    qtbot.waitUntil(lambda: panel.kernel_grid._font.pointSizeF() > laptop_cell, timeout=3000)
    qtbot.waitUntil(lambda: panel.rows[0].patch.width() > laptop_width, timeout=3000)
    qtbot.wait(120)  # the card refits to its content after the layout settles
    assert not card.scroll.verticalScrollBar().isVisible()
    assert not card.scroll.horizontalScrollBar().isVisible()
    shown = card.geometry()
    assert window.rect().contains(shown)
    for channel_row in panel.rows:
        for part in (channel_row.patch, channel_row.products, channel_row.sum_label):
            assert shown.contains(_in_window(part)), part
    window.resize(*LAPTOP)  # and back to the usual size on a laptop
    qtbot.waitUntil(lambda: panel.kernel_grid._font.pointSizeF() == laptop_cell, timeout=3000)


def _open_card(qtbot, window):
    """Click the input's pixel (20, 30) and wait for the inspector card: the card."""
    view = window.source_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_view_point(view, 20, 30))
    card = window.inspector_card.popover
    qtbot.waitUntil(card.isVisible, timeout=3000)
    return card


def test_esc_and_the_close_button_put_the_card_away(laptop, qtbot):
    window = laptop
    view = window.source_view
    card = _open_card(qtbot, window)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert window.state.inspected_pixel is None and card.isHidden()
    assert not view._footprint.item.isVisible()
    _open_card(qtbot, window)
    qtbot.mouseClick(window.inspector_panel.close_button, Qt.MouseButton.LeftButton)
    assert window.state.inspected_pixel is None and card.isHidden()


def test_esc_anywhere_in_the_window_puts_the_card_away_but_an_open_editor_keeps_its_esc(
    laptop, qtbot
):
    window = laptop
    card = window.inspector_card.popover
    grid = window.kernel_panel.findChild(QTableView, "kernelEditor")
    places = [
        window.kernel_panel.findChild(QComboBox),  # the kernel dock
        window.maps_panel.findChild(QCheckBox),  # the feature-map dock
        window.findChild(QComboBox, "compareMode"),  # the toolbar
        grid,  # the weight grid, no cell being edited
    ]
    for widget in places:
        _open_card(qtbot, window)
        widget.setFocus()
        qtbot.keyClick(widget, Qt.Key.Key_Escape)
        assert window.state.inspected_pixel is None and card.isHidden(), widget
    _open_card(qtbot, window)
    grid.edit(grid.model().index(0, 0))
    editor = QApplication.focusWidget()
    assert editor is not None and grid.isAncestorOf(editor)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)  # cancels the edit only
    assert grid.state() != QAbstractItemView.State.EditingState
    assert window.state.inspected_pixel is not None and card.isVisible()


def test_a_dragged_card_stays_where_it_was_put(laptop, qtbot):
    window = laptop
    view = window.source_view
    card = _open_card(qtbot, window)
    start = card.pos()
    grip = QPoint(card.width() // 2, 1)  # the frame: nothing there takes the mouse
    qtbot.mousePress(card, Qt.MouseButton.LeftButton, pos=grip)
    qtbot.mouseMove(card, grip + QPoint(-40, -30))
    qtbot.mouseRelease(card, Qt.MouseButton.LeftButton, pos=grip + QPoint(-40, -30))
    moved = card.pos()
    assert moved != start and card.user_placed
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_view_point(view, 60, 90))
    qtbot.waitUntil(lambda: window.state.inspected_pixel == (60, 90), timeout=3000)
    assert card.pos() == moved  # a new pixel, the card stays put
    window.state.set_inspected_pixel(None)
    _open_card(qtbot, window)
    assert not card.user_placed  # closed and opened again: beside the pixel once more


def test_hovering_the_output_outlines_the_window_on_the_input_and_gives_its_sum(laptop, qtbot):
    window = laptop
    window.state.set_kernel(Kernel([[0, 1, 0], [2, -3, 1], [0, 4, 0]], divisor=2, offset=5))
    result = wait_for_result(qtbot, window)
    row, col = 30, 50
    output = window.output_view
    _hover_at(qtbot, window, output, row, col)
    hover = window.source_view._hover_window.item
    qtbot.waitUntil(hover.isVisible, timeout=3000)
    assert hover.path().boundingRect().getRect() == (col - 1.0, row - 1.0, 3.0, 3.0)
    assert window.state.inspected_pixel is None  # no click needed
    tip = output.tip_text()
    weights = window.state.kernel.weights
    sums = [
        float((_window_of(result.frame[..., c], row, col, 3) * weights).sum()) for c in range(3)
    ]
    assert tip is not None and f"({row}, {col})" in tip
    assert "Σ w·x = " + " · ".join(format_number(s, 5) for s in sums) in tip
    assert " · ".join(format_number(s / 2 + 5, 5) for s in sums) in tip
    assert "click: every product" in tip
    window.state.set_inspected_pixel((row, col))  # clicked: the card shows every product
    qtbot.waitUntil(lambda: "click" not in (output.tip_text() or "click"), timeout=3000)
    assert f"({row}, {col})" in output.tip_text()
    window.state.set_inspected_pixel(None)
    # moving on moves the outline; leaving clears it
    _hover_at(qtbot, window, output, row + 10, col)
    qtbot.waitUntil(lambda: hover.path().boundingRect().top() == row + 9.0, timeout=3000)
    output.leaveEvent(QEvent(QEvent.Type.Leave))
    assert not hover.isVisible() and output.tip_text() is None


def test_choose_place_never_covers_what_it_explains():
    bounds = QRect(0, 60, 1326, 620)
    anchor = QRect(200, 150, 12, 12)
    kernel_dock = QRect(910, 60, 416, 620)
    views = [QRect(0, 75, 450, 280), QRect(455, 75, 450, 280)]
    for size in (QSize(660, 290), QSize(955, 450)):
        placed = choose_place(
            size, anchor, bounds, protect=[anchor], avoid=[kernel_dock], spare=views
        )
        assert bounds.contains(placed) and placed.size() == size
        assert not placed.intersects(anchor.adjusted(-4, -4, 4, 4))
    small = choose_place(
        QSize(660, 290), anchor, bounds, protect=[anchor], avoid=[kernel_dock], spare=views
    )
    assert not small.intersects(kernel_dock)  # it fits beside the kernel, so it stays off it
    huge = choose_place(QSize(3000, 3000), anchor, bounds)
    assert huge == bounds  # never larger than the window: the content scrolls instead

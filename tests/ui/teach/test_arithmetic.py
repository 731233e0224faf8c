"""The animated grid computes what convolve and textbook loops compute, and explains failures."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from convlab.engine import presets
from convlab.engine.arithmetic import GUIDE_TRANSPOSED, ZERO_INSERTED, kernel_pattern
from convlab.engine.convolve import convolve
from convlab.engine.kernels import Kernel
from convlab.engine.layer import LayerScene, conv_layer
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.arithmetic import LAYER, MODES, ArithmeticPanel, formula_html, step_html
from convlab.ui.widgets.number_grid import format_number


@pytest.fixture
def panel(qtbot):
    widget = ArithmeticPanel(PlaygroundState())
    qtbot.addWidget(widget)
    return widget


@pytest.mark.parametrize(
    ("n", "k", "p", "s", "d"),
    [
        (5, 3, 1, 1, 1),
        (7, 3, 0, 2, 1),
        (9, 3, 2, 2, 2),
        (6, 4, 1, 1, 1),
        (4, 1, 0, 3, 1),
        (8, 5, 3, 3, 1),
        (9, 2, 0, 1, 3),
    ],
)
@pytest.mark.parametrize("pattern", ["random", "edge"])
def test_convolution_grid_equals_convolve(panel, n, k, p, s, d, pattern):
    panel.set_config(mode="convolution", n=n, k=k, padding=p, stride=s, dilation=d, pattern=pattern)
    assert panel.scene.error is None
    panel.run_to_end()
    expected = convolve(
        panel.input_grid().astype(np.float32),
        panel.kernel_weights(),
        border="constant",
        padding=p,
        stride=s,
        dilation=d,
    )
    np.testing.assert_allclose(panel.output_grid(), expected, atol=1e-4)
    assert f"= <b>{expected.shape[0]}</b>" in panel.formula.text()


def test_steps_fill_the_output_one_cell_at_a_time(panel):
    panel.set_config(mode="convolution", n=5, k=3, padding=0, stride=1, dilation=1)
    assert len(panel.scene.steps) == 9
    assert not panel.output_grid().any() or panel.scene.done == 0
    panel.step_forward()
    panel.step_forward()
    step = panel.scene.current
    assert (step.out_row, step.out_col) == (0, 1)
    grid, kernel = panel.input_grid(), panel.kernel_weights()
    assert step.value == pytest.approx((grid[0:3, 1:4] * kernel).sum())
    assert "output[0, 1]" in step_html(panel.scene)
    panel.go_to(0)
    assert panel.scene.done == 0 and "Press" in panel.step_text.text()


def _loop_pool(grid, k, s, p, kind):
    n = grid.shape[0]
    padded = np.full((n + 2 * p, n + 2 * p), np.nan)
    padded[p : p + n, p : p + n] = grid
    out = (n + 2 * p - k) // s + 1
    result = np.zeros((out, out))
    for i in range(out):
        for j in range(out):
            window = padded[i * s : i * s + k, j * s : j * s + k]
            result[i, j] = np.nanmax(window) if kind == "max" else np.nansum(window) / (k * k)
    return result


@pytest.mark.parametrize("mode", ["max_pool", "avg_pool"])
@pytest.mark.parametrize(
    ("n", "k", "p", "s"), [(6, 2, 0, 2), (7, 3, 1, 2), (9, 3, 0, 3), (5, 2, 1, 1)]
)
def test_pooling_grid_equals_a_loop(panel, mode, n, k, p, s):
    panel.set_config(mode=mode, n=n, k=k, padding=p, stride=s, dilation=1)
    panel.run_to_end()
    expected = _loop_pool(panel.input_grid(), k, s, p, mode[:3])
    np.testing.assert_allclose(panel.output_grid(), expected)


@pytest.mark.parametrize(
    ("n", "k", "p", "s"), [(2, 3, 0, 2), (3, 3, 1, 2), (4, 2, 0, 2), (3, 4, 1, 1)]
)
def test_transposed_grid_equals_a_loop(panel, n, k, p, s):
    panel.set_config(mode="transposed", n=n, k=k, padding=p, stride=s, dilation=1)
    panel.run_to_end()
    grid, kernel = panel.input_grid(), panel.kernel_weights()
    full = (n - 1) * s + k
    expected = np.zeros((full, full))
    for i in range(n):
        for j in range(n):
            expected[i * s : i * s + k, j * s : j * s + k] += grid[i, j] * kernel
    np.testing.assert_allclose(panel.output_grid(), expected[p : full - p, p : full - p])


def test_impossible_settings_are_explained_not_crashed(panel):
    panel.set_config(mode="convolution", n=4, k=5, padding=0, stride=1, dilation=1)
    assert "does not fit" in panel.scene.error
    assert not panel.player.step_button.isEnabled() and not panel.player.play_button.isEnabled()
    assert "negative" in panel.formula.text()
    panel.grab()  # paints the explanation instead of an output grid
    panel.set_config(padding=1)
    assert panel.scene.error is None and panel.player.step_button.isEnabled()
    panel.set_config(mode="max_pool", n=6, k=2, padding=2, stride=2)
    assert "half" in panel.scene.error


def test_uneven_stride_is_pointed_out(panel):
    panel.set_config(mode="convolution", n=6, k=3, padding=0, stride=2, dilation=1)
    assert "never" in formula_html(panel.scene)


def test_play_advances_and_pause_stops(qtbot, panel):
    panel.set_config(mode="convolution", n=5, k=3, padding=1, stride=1, dilation=1)
    panel.player.speed.setValue(10.0)
    panel.player.play_button.setChecked(True)
    qtbot.waitUntil(lambda: panel.scene.done >= 2, timeout=3000)
    panel.player.play_button.setChecked(False)
    done = panel.scene.done
    qtbot.wait(300)
    assert panel.scene.done == done and not panel.player.timer.isActive()


def test_every_mode_paints(panel):
    for mode in ("convolution", "max_pool", "avg_pool", "transposed"):
        panel.mode_box.setCurrentIndex(
            ["convolution", "max_pool", "avg_pool", "transposed"].index(mode)
        )
        assert panel.mode == mode and panel.scene.error is None
        panel.step_forward()
        assert panel.grab().width() > 0
        assert step_html(panel.scene)


def test_kernel_patterns():
    identity = kernel_pattern("identity", 3, 0)
    assert identity[1, 1] == 1 and identity.sum() == 1
    assert kernel_pattern("edge", 3, 0).tolist() == [[-1, 0, 1]] * 3
    assert kernel_pattern("ones", 2, 0).sum() == 4


def test_editor_kernel_is_animated_and_followed(qtbot):
    state = PlaygroundState()
    panel = ArithmeticPanel(state)
    qtbot.addWidget(panel)
    state.set_kernel(presets.get("sobel_x"))
    panel.set_config(mode="convolution", n=6, padding=1, pattern="editor kernel")
    np.testing.assert_array_equal(panel.kernel_weights(), presets.get("sobel_x").effective)
    assert panel.kernel_spin.value() == 3 and not panel.kernel_spin.isEnabled()
    panel.run_to_end()
    expected = convolve(
        panel.input_grid().astype(np.float32), presets.get("sobel_x"), border="constant", padding=1
    )
    np.testing.assert_allclose(panel.output_grid(), expected, atol=1e-4)
    state.set_kernel(Kernel(np.ones((5, 5)), divisor=25.0))
    np.testing.assert_allclose(panel.kernel_weights(), np.full((5, 5), 0.04))
    assert panel.kernel_spin.value() == 5
    state.set_kernel(Kernel(np.ones((3, 7))))  # not square: explained, random weights instead
    assert "3×7" in panel.formula.text() and panel.kernel_spin.isEnabled()


def test_clicking_a_cell_jumps_to_its_step(qtbot, panel):
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_config(mode="convolution", n=6, k=3, padding=0, stride=1, dilation=1)
    panel.canvas.grab()  # lays the grids out
    _, output_rect, cell = panel.canvas._geometry
    point = QPoint(int(output_rect.left() + 2.5 * cell), int(output_rect.top() + 1.5 * cell))
    qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=point)
    step = panel.scene.current
    assert (step.out_row, step.out_col) == (1, 2)
    panel.set_config(mode="transposed", n=3, k=2, padding=0, stride=2)
    panel.canvas.grab()
    input_rect, _, cell = panel.canvas._geometry
    point = QPoint(int(input_rect.left() + 0.5 * cell), int(input_rect.top() + 2.5 * cell))
    qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=point)
    assert (panel.scene.current.in_row, panel.scene.current.in_col) == (2, 0)


def test_keyboard_steps(qtbot, panel):
    panel.set_config(mode="convolution", n=5, k=3, padding=0, stride=1, dilation=1)
    qtbot.keyClick(panel.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(panel.canvas, Qt.Key.Key_Right)
    assert panel.scene.done == 2
    qtbot.keyClick(panel.canvas, Qt.Key.Key_End)
    assert panel.scene.done == len(panel.scene.steps)
    qtbot.keyClick(panel.canvas, Qt.Key.Key_Home)
    assert panel.scene.done == 0


def _scatter_loop(grid, kernel, p, s, a):
    n, k = grid.shape[0], kernel.shape[0]
    full = (n - 1) * s + k
    out = np.zeros((full + a + p, full + a + p))
    for i in range(n):
        for j in range(n):
            out[i * s : i * s + k, j * s : j * s + k] += grid[i, j] * kernel
    size = full - 2 * p + a
    return out[p : p + size, p : p + size]


@pytest.mark.parametrize("name", list(GUIDE_TRANSPOSED))
def test_the_guides_transposed_cases_come_out_right_in_both_views(panel, name):
    panel.set_config(mode="transposed")
    panel.transposed_row.guide_box.setCurrentIndex(panel.transposed_row.guide_box.findData(name))
    panel.transposed_row.guide_box.activated.emit(panel.transposed_row.guide_box.currentIndex())
    n, k, p, s, a, size = GUIDE_TRANSPOSED[name]
    assert panel.scene.error is None and panel.scene.output_shape == (size, size)
    assert f"<b>{size}</b>" in panel.formula.text()
    panel.run_to_end()
    scatter = panel.output_grid()
    expected = _scatter_loop(panel.input_grid(), panel.kernel_weights(), p, s, a)
    np.testing.assert_allclose(scatter, expected)
    panel.set_config(view=ZERO_INSERTED)
    assert panel.scene.mode == ZERO_INSERTED and panel.scene.kinds is not None
    spread = (n - 1) * s + 1
    assert panel.scene.grid.shape[0] == spread + 2 * (k - 1 - p) + a
    panel.run_to_end()
    np.testing.assert_allclose(panel.output_grid(), scatter)
    assert "turned 180°" in panel.formula.text()
    panel.canvas.grab()  # paints without error


def test_output_padding_is_offered_only_below_the_stride(panel):
    panel.set_config(mode="transposed", n=3, k=3, padding=1, stride=2)
    assert panel.transposed_row.isVisibleTo(panel)
    assert panel.transposed_row.output_padding_spin.maximum() == 1
    panel.set_config(output_padding=1)
    assert panel.scene.output_shape == (6, 6)
    assert "picks which one" not in panel.formula.text()
    panel.set_config(output_padding=0)
    assert panel.scene.output_shape == (5, 5) and "picks which one" in panel.formula.text()
    panel.set_config(stride=1)
    assert panel.transposed_row.output_padding_spin.maximum() == 0
    panel.set_config(mode="convolution")
    assert not panel.transposed_row.isVisibleTo(panel)


def test_the_cnn_layer_mode_is_the_slides_demo_summed_over_channels(panel):
    panel.mode_box.setCurrentIndex(list(MODES).index(LAYER))
    scene = panel.scene
    assert isinstance(scene, LayerScene) and scene.error is None
    assert scene.image.shape == (5, 5, 3) and scene.weights.shape == (2, 3, 3, 3)
    assert (scene.padding, scene.stride) == (1, 2) and scene.output_shape == (3, 3)
    assert panel.canvases.currentWidget() is panel.layer_canvas
    assert "= <b>56</b>" in panel.formula.text()  # K(k·k·D + 1) = 2·(27 + 1)
    panel.run_to_end()
    values, filled = panel.scene.output()
    assert filled.all()
    expected = conv_layer(scene.image, scene.weights, scene.bias, padding=1, stride=2)
    np.testing.assert_allclose(values, expected)
    panel.go_to(10)  # filter 1, first position
    text = panel.step_text.text()
    assert text.startswith("o[0, 0, 1] =") and text.count("x[:, :,") == 3 and "bias" in text
    step = panel.scene.current
    assert f"<b>{format_number(step.value)}</b>" in text
    panel.layer_canvas.grab()


def test_layer_channels_and_filters_change_the_volumes_and_the_count(panel):
    panel.slides_demo()
    panel.layer_row.channels_spin.setValue(1)
    panel.layer_row.filters_spin.setValue(3)
    scene = panel.scene
    assert scene.image.shape[2] == 1 and scene.weights.shape == (3, 1, 3, 3)
    assert "= <b>30</b>" in panel.formula.text()  # 3·(9 + 1)
    assert len(scene.steps) == 3 * 9
    panel.set_config(padding=0, n=4, k=5)
    assert panel.scene.error is not None and not panel.player.play_button.isEnabled()
    panel.layer_canvas.grab()
    panel.set_config(mode="convolution")
    assert panel.canvases.currentWidget() is panel.canvas


def test_clicking_a_layer_output_cell_jumps_to_its_step(qtbot, panel):
    panel.slides_demo()
    panel.resize(1000, 600)
    panel.show()
    panel.layer_canvas.grab()
    rect = panel.layer_canvas._outputs[1]
    cell = rect.width() / 3
    point = QPoint(int(rect.left() + 2.5 * cell), int(rect.top() + 1.5 * cell))
    qtbot.mouseClick(panel.layer_canvas, Qt.MouseButton.LeftButton, pos=point)
    step = panel.scene.current
    assert (step.filter_index, step.out_row, step.out_col) == (1, 1, 2)


def test_a_new_panel_shows_only_the_options_of_its_mode(qtbot):
    panel = ArithmeticPanel(PlaygroundState())
    qtbot.addWidget(panel)
    panel.show()
    assert panel.mode == "convolution"
    assert not panel.transposed_row.isVisibleTo(panel)
    assert not panel.layer_row.isVisibleTo(panel)

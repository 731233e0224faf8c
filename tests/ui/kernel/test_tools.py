"""The kernel dock's tools as a person drives them: clipboard, whole-kernel tools, size,
presets, generators, divisor and offset, files, readouts and the convolution settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from convlab.engine import presets
from convlab.engine.kernels import Kernel, gabor_kernel, gaussian_kernel, log_kernel
from convlab.engine.pipeline import PipelineResult
from convlab.ui.kernel.panel import KernelEditorPanel
from tests.ui.kernel.conftest import SOBEL


@pytest.mark.parametrize("fmt", ["numpy", "csv", "text"])
def test_copy_and_paste_round_trip_through_the_clipboard(panel, state, fmt):
    kernel = Kernel(np.array([[0.1, -1 / 3, 2.5], [1e-7, 0, 7]]), divisor=3, offset=1)
    state.set_kernel(kernel)
    text = panel.actions_bar.copy(fmt)
    assert QGuiApplication.clipboard().text() == text
    state.set_kernel(presets.get("identity"))
    assert panel.actions_bar.paste()
    np.testing.assert_array_equal(state.kernel.weights, kernel.weights)
    assert (state.kernel.divisor, state.kernel.offset) == (3.0, 1.0)
    assert grid_shape(panel) == (2, 3)


def grid_shape(panel) -> tuple[int, int]:
    return panel.model.rowCount(), panel.model.columnCount()


@pytest.mark.parametrize(
    "text",
    [
        "[[1, 2, 3],\n [4, 5, 6]]",
        "1,2,3\n4,5,6",
        "1 2 3\n4 5 6",
    ],
)
def test_paste_reads_all_three_formats(panel, state, text):
    assert panel.actions_bar.paste(text)
    np.testing.assert_array_equal(state.kernel.weights, [[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize(
    "garbage",
    ["", "hello", "1 2\n3", "[[1, nan]]", "1e999 1", "x" * 200_000, "[[" + "1," * 1000 + "1]]"],
)
def test_garbage_pasted_leaves_the_kernel(panel, state, messages, garbage):
    before = state.kernel
    assert not panel.actions_bar.paste(garbage)
    assert state.kernel is before
    assert messages and "Paste" in messages[-1][0]


def test_normalize_all_zero_and_zero_sum(qtbot, panel, state, messages):
    state.set_kernel(Kernel(np.zeros((3, 3))))
    before = state.kernel
    with np.errstate(all="raise"):
        panel.actions_bar.normalize()
    assert state.kernel is before
    assert "all zeros" in messages[-1][0]
    state.set_kernel(presets.get("laplacian"))
    with np.errstate(all="raise"):
        panel.actions_bar.normalize()
    assert (state.kernel.divisor, state.kernel.offset) == (1.0, 128.0)
    assert "plus 128" in panel.description.text()
    qtbot.waitUntil(lambda: "flat areas → 128" in panel.readouts.sum_label.text(), timeout=1000)
    state.set_kernel(Kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]]))
    panel.actions_bar.normalize()
    assert state.kernel.divisor == 16.0
    assert panel.fields.divisor.text() == "16"


def test_whole_kernel_tools(panel, state):
    tools = panel.actions_bar
    tools.flip()
    np.testing.assert_array_equal(state.kernel.weights, SOBEL[::-1, ::-1])
    tools.transpose()
    np.testing.assert_array_equal(state.kernel.weights, SOBEL[::-1, ::-1].T)
    state.set_kernel(Kernel([[1, 2, 3], [4, 5, 6]]))
    tools.rotate()
    np.testing.assert_array_equal(state.kernel.weights, [[3, 6], [2, 5], [1, 4]])
    tools.negate()
    np.testing.assert_array_equal(state.kernel.weights, [[-3, -6], [-2, -5], [-1, -4]])
    tools.randomize()
    assert state.kernel.shape == (3, 2)
    assert np.all(np.abs(state.kernel.weights) <= 1)
    tools.clear()
    assert state.kernel.shape == (3, 2) and not state.kernel.weights.any()
    for _ in range(4):  # clear, randomize, negate, rotate
        state.undo_stack.undo()
    np.testing.assert_array_equal(state.kernel.weights, [[1, 2, 3], [4, 5, 6]])


def test_convolve_toggle_and_the_mode_setting_agree(panel, state):
    toggle = panel.actions_bar.buttons["convolve"]
    toggle.click()
    assert state.pipeline.conv.mode == "convolve"
    assert panel.conv.mode.currentData() == "convolve"
    state.undo_stack.undo()
    assert state.pipeline.conv.mode == "correlate" and not toggle.isChecked()


def test_resize_keeps_the_centre_values(panel, state):
    panel.size_controls.rows.setValue(5)
    panel.size_controls.cols.setValue(5)
    assert state.kernel.shape == (5, 5)
    np.testing.assert_array_equal(state.kernel.weights[1:4, 1:4], SOBEL)
    assert state.kernel.weights.sum() == 0 and np.count_nonzero(state.kernel.weights) == 6
    panel.size_controls.rows.setValue(1)
    assert state.kernel.shape == (1, 5)
    np.testing.assert_array_equal(state.kernel.weights, [[0, -2, 0, 2, 0]])
    assert grid_shape(panel) == (1, 5)
    assert panel.size_controls.rows.maximum() == 15


def test_growing_back_after_a_shrink_outlives_the_panel_that_shrank(qtbot, state):
    """The weights a shrink cut off belong to the playground, not to one panel's spin boxes:
    a panel built anew (a dock rebuilt, the layout reset) grows the kernel back to them."""
    big = Kernel(np.arange(25.0).reshape(5, 5), name="mine")
    state.set_kernel(big)
    first = KernelEditorPanel(state)
    qtbot.addWidget(first)
    first.size_controls.resize_kernel(3, 3)
    np.testing.assert_array_equal(state.kernel.weights, big.weights[1:4, 1:4])
    first.close()
    first.deleteLater()
    second = KernelEditorPanel(state)
    qtbot.addWidget(second)
    second.size_controls.resize_kernel(5, 5)
    assert state.kernel == big  # not the 3x3 centre padded with zeros
    state.resize_kernel(4, 4)
    state.set_kernel(state.kernel.replace(offset=1.0))  # any other edit ends the memory
    state.resize_kernel(5, 5)
    assert np.count_nonzero(state.kernel.weights[0]) == 0


def test_size_controls_follow_a_kernel_from_elsewhere(panel, state):
    learned = Kernel(np.arange(20.0).reshape(4, 5), name="learned filter 3")
    state.set_kernel(learned)
    assert (panel.size_controls.rows.value(), panel.size_controls.cols.value()) == (4, 5)
    assert grid_shape(panel) == (4, 5)
    assert panel.presets.currentText() == "learned filter 3"


def test_presets_load_and_editing_switches_to_custom(panel, state):
    combo = panel.presets
    index = combo.findData("sharpen")
    assert presets.description("sharpen") in combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    assert state.kernel == presets.get("sharpen")
    assert presets.description("sharpen") in panel.description.text()
    panel.model.setData(panel.model.index(0, 0), 1)
    assert state.kernel.name == "custom"
    assert combo.currentText() == "custom"


def _gaussian_reference(radius: int, sigma: float) -> np.ndarray:
    weights = np.empty((2 * radius + 1, 2 * radius + 1))
    for y in range(-radius, radius + 1):
        for x in range(-radius, radius + 1):
            weights[y + radius, x + radius] = math.exp(-(x * x + y * y) / (2 * sigma * sigma))
    return weights / weights.sum()


def test_gaussian_generator_is_the_slides_demo(panel, state):
    panel.generators.set_values("gaussian", radius=5, sigma=3.0)
    assert state.kernel.shape == (11, 11)
    np.testing.assert_allclose(state.kernel.effective, _gaussian_reference(5, 3.0), atol=1e-12)
    panel.generators.set_values("gaussian", radius=2, sigma=0.8)
    np.testing.assert_allclose(state.kernel.effective, _gaussian_reference(2, 0.8), atol=1e-12)
    assert state.undo_stack.count() == 1  # one slider session, one undo step
    state.undo_stack.undo()
    np.testing.assert_array_equal(state.kernel.weights, SOBEL)


def test_log_and_gabor_generators(panel, state):
    panel.generators.set_values("log", radius=3, sigma=1.2)
    np.testing.assert_allclose(state.kernel.weights, log_kernel(3, 1.2).weights)
    panel.generators.set_values("gabor", size=9, sigma=2.5, theta=45, wavelength=5.0, phase=90)
    expected = gabor_kernel(9, 2.5, math.radians(45), 5.0, math.radians(90))
    np.testing.assert_allclose(state.kernel.weights, expected.weights)


def test_divisor_and_offset_fields(panel, state, messages):
    fields = panel.fields
    assert not fields.apply("divisor", "0")
    assert state.kernel.divisor == 1.0 and fields.divisor.text() == "1"
    assert not fields.apply("offset", "inf")
    assert fields.apply("divisor", "1/8") and state.kernel.divisor == 0.125
    assert fields.apply("offset", "128") and state.kernel.offset == 128.0
    assert len(messages) == 2


def file_io(qtbot, actions, call, path) -> bool:
    """Run a kernel file load or save (on its helper thread) and wait for the outcome."""
    with qtbot.waitSignal(actions.fileFinished, timeout=5000) as outcome:
        call(path)
    return outcome.args[0]


def test_json_save_and_load(qtbot, panel, state, messages, tmp_path):
    kernel = Kernel([[1, 2], [3, 4.5]], divisor=2, offset=-1, name="mine")
    state.set_kernel(kernel)
    path = tmp_path / "ü kernel.json"
    actions = panel.actions_bar
    assert file_io(qtbot, actions, actions.save_to, path)
    state.set_kernel(presets.get("box"))
    assert file_io(qtbot, actions, actions.load_from, path)
    assert state.kernel == kernel
    (tmp_path / "bad.json").write_text("not json")
    before = state.kernel
    assert not file_io(qtbot, actions, actions.load_from, tmp_path / "bad.json")
    assert state.kernel is before
    assert "bad.json" in messages[-1][0] and messages[-1][1] == "error"


def test_readouts_follow_the_kernel(qtbot, panel, state):
    readouts = panel.readouts
    assert "Sum 0" in readouts.sum_label.text()
    assert "rank 1" in readouts.separable_label.text()
    state.set_kernel(presets.get("box"))
    qtbot.waitUntil(lambda: "keeps brightness" in readouts.sum_label.text(), timeout=1000)
    state.set_kernel(Kernel([[1, 0], [0, 1]]))
    qtbot.waitUntil(lambda: "rank 2" in readouts.separable_label.text(), timeout=1000)
    assert "Not separable" in readouts.separable_label.text()
    # |FFT| of [[1, 0], [0, 1]] at frequency (u, v) is |1 + exp(-2πi(u + v)/64)|
    u, v = np.meshgrid(np.arange(64) - 32, np.arange(64) - 32, indexing="ij")
    magnitude = np.abs(1 + np.exp(-2j * np.pi * (u + v) / 64))
    brightest = np.unravel_index(np.argmax(readouts.response_rgb.sum(axis=2)), (64, 64))
    assert magnitude[brightest] == pytest.approx(2.0, abs=0.01)
    assert readouts.response_rgb.dtype == np.uint8 and readouts.response_rgb.shape == (64, 64, 3)
    assert not readouts.response.pixmap().isNull()
    state.set_kernel(presets.get("log"))  # float weights whose sum is rounding noise
    assert abs(float(presets.get("log").weights.sum())) > 0
    qtbot.waitUntil(lambda: readouts.sum_label.text().startswith("Sum 0: "), timeout=1000)


def test_conv_controls_update_the_pipeline_and_the_formula(qtbot, panel, state):
    conv = panel.conv
    conv.stride.setValue(2)
    assert state.pipeline.conv.stride == 2
    assert "240×320" in conv.output.text()
    conv.dilation.setValue(3)
    assert state.pipeline.conv.dilation == 3
    conv.padding.setCurrentIndex(conv.padding.findData("custom"))
    conv.padding.activated.emit(conv.padding.currentIndex())
    conv.pad_amount.setValue(4)
    assert state.pipeline.conv.padding == 4
    # n = 480, p = 4, d = 3, k = 3, s = 2: floor((480 + 8 - 6 - 1) / 2) + 1 = 241
    assert "= 241" in conv.output.text()
    conv.mode.setCurrentIndex(conv.mode.findData("convolve"))
    conv.mode.activated.emit(conv.mode.currentIndex())
    assert state.pipeline.conv.mode == "convolve"
    conv.channels.setCurrentIndex(conv.channels.findData("gray"))
    conv.channels.activated.emit(conv.channels.currentIndex())
    assert state.pipeline.conv.channels == "gray"
    state.undo_stack.undo()
    assert conv.channels.currentData() == "per_channel"


def test_impossible_sizes_are_explained_in_red(qtbot, panel, state):
    state.update_conv(padding="valid")
    state.set_kernel(Kernel(np.ones((15, 15))))
    frame = np.zeros((10, 40, 3), np.uint8)
    state.publish_result(
        PipelineResult(
            frame, np.zeros((1, 1), np.float32), np.zeros((1, 1, 3), np.uint8), (), None, 0, 0.0
        )
    )
    qtbot.waitUntil(lambda: "No output" in panel.conv.output.text(), timeout=2000)
    text = panel.conv.output.text()
    assert "height" in text and "#d03030" in text
    assert "10 + 2·0" in text
    assert "→" not in text


def _drag(widget, xs: list[int], moved) -> None:
    """Press at the first x, move through the others, release at the last (middle height);
    ``moved`` is called after each step."""
    y = widget.height() // 2
    left = Qt.MouseButton.LeftButton
    for kind, x in (
        [(QEvent.Type.MouseButtonPress, xs[0])]
        + [(QEvent.Type.MouseMove, x) for x in xs[1:]]
        + [(QEvent.Type.MouseButtonRelease, xs[-1])]
    ):
        pos = QPointF(x, y)
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else left
        event = QMouseEvent(
            kind, pos, widget.mapToGlobal(pos), left, buttons, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(widget, event)
        QApplication.processEvents()
        moved()


def test_one_drag_of_a_generator_slider_acts_live_and_is_one_undo_step(qtbot, panel, state):
    from PySide6.QtWidgets import QSlider

    panel.tabs.setCurrentWidget(panel.generators)
    sigma = panel.generators.findChild(QWidget, "gaussian_sigma")
    inner = sigma.findChild(QSlider)
    before = state.undo_stack.count()
    seen = []
    width = inner.width()
    _drag(
        inner,
        [int(width * f) for f in (0.28, 0.4, 0.55, 0.7, 0.85)],
        lambda: seen.append(state.kernel),
    )
    assert len({k.weights.tobytes() for k in seen if k.shape == (11, 11)}) >= 3  # live
    assert state.undo_stack.count() == before + 1  # the whole drag: one step
    value = panel.generators.values()["sigma"]
    assert value == round(value, 1)
    np.testing.assert_allclose(state.kernel.weights, gaussian_kernel(5, value).weights)
    assert state.undo_stack.undoText() == f"Generate {state.kernel.name}"  # where it ended
    state.undo_stack.undo()
    np.testing.assert_array_equal(state.kernel.weights, SOBEL)


def test_a_typed_generator_value_is_applied_as_one_step_and_says_what_the_window_keeps(
    qtbot, panel, state
):
    from PySide6.QtWidgets import QLabel

    from convlab.ui.widgets.sliders import number_field

    panel.tabs.setCurrentWidget(panel.generators)
    note = panel.generators.findChild(QLabel, "gaussianWindowNote")
    assert note.text() == "The 11×11 window keeps 87% of the bell's mass."
    sigma = panel.generators.findChild(QWidget, "gaussian_sigma")
    field = number_field(sigma)
    before = state.undo_stack.count()
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClicks(field, "1.7")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    np.testing.assert_allclose(state.kernel.weights, gaussian_kernel(5, 1.7).weights)
    assert state.undo_stack.count() == before + 1
    assert note.text() == "The 11×11 window keeps all of the bell (99.8% of its mass)."

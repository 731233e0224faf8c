"""The pixel inspector shows exactly the engine's breakdown, and it equals the output pixel."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.engine.convolve import BORDERS, convolve
from convlab.engine.explain import pixel_breakdown
from convlab.engine.kernels import Kernel, gaussian_kernel
from convlab.ui.explain_panel import PixelInspectorPanel
from convlab.ui.state import PlaygroundState

KERNEL = Kernel([[1, 2, 0], [-1, 3, 1], [0, -2, 4]], divisor=4.0, offset=10.0, name="odd")


@pytest.fixture
def frame() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (12, 17, 3), dtype=np.uint8)


@pytest.fixture
def state(frame) -> PlaygroundState:
    state = PlaygroundState()
    state.set_kernel(KERNEL)
    state.publish_result(state.pipeline.run(frame))
    return state


def _publish(state: PlaygroundState, frame: np.ndarray) -> None:
    state.publish_result(state.pipeline.run(frame))


def _corners_and_middle(frame: np.ndarray) -> list[tuple[int, int]]:
    h, w = frame.shape[:2]
    return [(0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1), (h // 2, w // 2), (0, w // 2)]


@pytest.mark.parametrize("border", BORDERS)
def test_numbers_equal_pixel_breakdown_and_convolve_at_corners(qtbot, state, frame, border):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.update_conv(border=border)
    _publish(state, frame)
    expected_output = convolve(frame, KERNEL, border=border)
    for pixel in _corners_and_middle(frame):
        state.set_inspected_pixel(pixel)
        explanation = panel.explanation
        assert explanation is not None and explanation.channels == ("R", "G", "B")
        for channel, parts in enumerate(explanation.parts):
            reference = pixel_breakdown(frame, KERNEL, *pixel, border=border, channel=channel)
            for key in ("patch", "weights", "products", "in_bounds"):
                np.testing.assert_array_equal(parts[key], reference[key])
            assert parts["total"] == reference["total"]
            assert np.isclose(parts["result"], expected_output[pixel][channel], rtol=1e-6,
                              atol=1e-3)
            row = panel.rows[channel]
            np.testing.assert_array_equal(row.patch.values, reference["patch"])
            np.testing.assert_array_equal(row.products.values, reference["products"])
            assert "✓ equals the output pixel" in row.sum_label.text()
        np.testing.assert_array_equal(panel.kernel_grid.values, KERNEL.weights)


def test_corner_marks_the_cells_outside_the_image(qtbot, state):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.set_inspected_pixel((0, 0))
    marked = panel.rows[0].patch._marked
    assert marked[0].all() and marked[:, 0].all() and not marked[1:, 1:].any()
    assert "outside the image" in panel.kernel_info.text()


def test_channel_selector_shows_one_channel(qtbot, state, frame):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.set_inspected_pixel((5, 6))
    panel.channel_box.setCurrentText("G")
    assert panel.explanation.channels == ("G",)
    assert panel.rows[0].isVisibleTo(panel) and not panel.rows[1].isVisibleTo(panel)
    reference = pixel_breakdown(frame, KERNEL, 5, 6, border="reflect101", channel=1)
    np.testing.assert_array_equal(panel.rows[0].patch.values, reference["patch"])


@pytest.mark.parametrize("changes", [
    {"mode": "convolve"},
    {"channels": "gray"},
    {"stride": 2},
    {"padding": "valid", "dilation": 2},
    {"padding": 2, "stride": 3, "border": "wrap"},
])
def test_result_equals_the_output_pixel_for_other_settings(qtbot, state, frame, changes):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.update_conv(**changes)
    _publish(state, frame)
    output = state.latest_result.output
    for pixel in _corners_and_middle(frame):
        state.set_inspected_pixel(pixel)
        explanation = panel.explanation
        out_row, out_col = explanation.output_pixel
        assert 0 <= out_row < output.shape[0] and 0 <= out_col < output.shape[1]
        for index, parts in enumerate(explanation.parts):
            value = output[out_row, out_col] if output.ndim == 2 else output[out_row, out_col,
                                                                             index]
            assert np.isclose(parts["result"], value, rtol=1e-5, atol=1e-3), (pixel, index)
            assert "✓" in panel.rows[index].sum_label.text()
    if changes.get("mode") == "convolve":
        np.testing.assert_array_equal(panel.kernel_grid.values, KERNEL.weights[::-1, ::-1])
    if changes.get("channels") == "gray":
        assert panel.explanation.channels == ("gray",)
        assert not panel.channel_box.isEnabled()


def test_live_follows_new_frames_and_frozen_does_not(qtbot, state, frame):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.set_inspected_pixel((3, 4))
    before = panel.explanation.parts[0]["patch"].copy()
    brighter = (255 - frame).astype(np.uint8)
    _publish(state, brighter)
    qtbot.waitUntil(lambda: not np.array_equal(panel.explanation.parts[0]["patch"], before),
                    timeout=2000)
    panel.live_box.setChecked(False)
    frozen = panel.explanation.parts[0]["patch"].copy()
    _publish(state, frame)
    qtbot.wait(250)
    np.testing.assert_array_equal(panel.explanation.parts[0]["patch"], frozen)


def test_large_kernel_builds_and_stays_exact(qtbot, state, frame):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    big = gaussian_kernel(7, 2.5)
    state.set_kernel(big)
    _publish(state, frame)
    state.set_inspected_pixel((11, 16))
    assert panel.rows[0].patch.values.shape == (15, 15)
    assert np.isclose(panel.explanation.parts[2]["result"],
                      convolve(frame, big)[11, 16, 2], rtol=1e-5, atol=1e-3)


def test_messages_without_image_or_pixel(qtbot):
    state = PlaygroundState()
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    assert "No image" in panel.title.text() and panel.explanation is None
    state.publish_result(state.pipeline.run(np.zeros((4, 5, 3), np.uint8)))
    assert "Click a pixel" in panel.title.text()
    state.set_inspected_pixel((40, 40))
    assert "outside" in panel.title.text() and panel.explanation is None
    assert panel.HELP_TITLE and "<p>" in panel.HELP_HTML


def test_hidden_inspector_catches_up_when_shown(qtbot, state, frame):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    state.set_inspected_pixel((2, 2))
    assert panel.explanation is None
    panel.show()
    assert panel.explanation is not None and panel.explanation.pixel == (2, 2)


def test_note_when_the_output_view_shows_a_feature_map(qtbot, state, frame):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.set_bank([KERNEL])
    state.select_map(0)
    _publish(state, frame)
    state.set_inspected_pixel((1, 1))
    assert "feature map" in panel.kernel_info.text()
    np.testing.assert_array_equal(panel.kernel_grid.values, KERNEL.weights)


@pytest.mark.parametrize(("border", "source"), [("reflect101", "copies pixel (row 1, col 1)"),
                                                 ("replicate", "copies pixel (row 0, col 0)"),
                                                 ("constant", "reads 0")])
def test_patch_tooltips_say_where_border_values_come_from(qtbot, state, frame, border, source):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.update_conv(border=border)
    state.set_inspected_pixel((0, 0))
    corner = panel.rows[0].patch._describe(0, 0)
    assert "outside the image at (row -1, col -1)" in corner and source in corner
    inside = panel.rows[0].patch._describe(1, 1)
    value = int(frame[0, 0, 0])
    assert inside.startswith("image pixel (row 0, col 0)")
    assert f"value {value} × weight 3 = {3 * value}" in inside
    assert panel.rows[0].patch.cell_at(5, panel.rows[0].patch.height() - 5) == (2, 0)

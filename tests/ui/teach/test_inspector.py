"""The pixel inspector shows exactly the engine's breakdown, and it equals the output pixel."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from convlab.engine.convolve import BORDERS, convolve
from convlab.engine.explain import pixel_breakdown
from convlab.engine.kernels import Kernel, gaussian_kernel
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.inspector import PixelInspectorPanel
from convlab.ui.widgets.image_view import place_output
from convlab.ui.widgets.number_grid import cell_text
from tests.ui.conftest import wait_for_result

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
            assert np.isclose(
                parts["result"], expected_output[pixel][channel], rtol=1e-6, atol=1e-3
            )
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


@pytest.mark.parametrize(
    "changes",
    [
        {"mode": "convolve"},
        {"channels": "gray"},
        {"stride": 2},
        {"padding": "valid", "dilation": 2},
        {"padding": 2, "stride": 3, "border": "wrap"},
    ],
)
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
            value = (
                output[out_row, out_col] if output.ndim == 2 else output[out_row, out_col, index]
            )
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
    qtbot.waitUntil(
        lambda: not np.array_equal(panel.explanation.parts[0]["patch"], before), timeout=2000
    )
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
    assert np.isclose(
        panel.explanation.parts[2]["result"], convolve(frame, big)[11, 16, 2], rtol=1e-5, atol=1e-3
    )


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


@pytest.mark.parametrize(
    ("border", "source"),
    [
        ("reflect101", "copies pixel (row 1, col 1)"),
        ("replicate", "copies pixel (row 0, col 0)"),
        ("constant", "reads 0"),
    ],
)
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


@pytest.mark.parametrize(
    "changes",
    [{"stride": 2}, {"stride": 3, "padding": "valid"}, {"stride": 2, "dilation": 2, "padding": 1}],
)
def test_the_inspected_output_pixel_is_the_one_drawn_over_the_click(qtbot, state, frame, changes):
    """Clicking a pixel in either view inspects the output pixel the output view shows there."""
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    big = gaussian_kernel(2, 1.0)  # 5x5: an even padding split is not needed to be interesting
    state.set_kernel(big)
    state.update_conv(**changes)
    _publish(state, frame)
    output_shape = state.latest_result.output.shape[:2]
    conv = state.pipeline.conv
    rect = place_output(
        frame.shape[:2],
        output_shape,
        big.shape,
        padding=conv.padding,
        stride=conv.stride,
        dilation=conv.dilation,
    )
    for pixel in [(0, 0), (5, 6), (11, 16), (6, 9)]:
        state.set_inspected_pixel(pixel)
        out_row, out_col = panel.explanation.output_pixel
        # the drawn output pixel spans conv.stride source pixels from the rect's corner
        left = rect.left() + out_col * conv.stride
        top = rect.top() + out_row * conv.stride
        centre_x, centre_y = pixel[1] + 0.5, pixel[0] + 0.5
        inside_x = left <= centre_x < left + conv.stride
        inside_y = top <= centre_y < top + conv.stride
        clamped_x = out_col in (0, output_shape[1] - 1)
        clamped_y = out_row in (0, output_shape[0] - 1)
        assert inside_x or clamped_x, (pixel, out_col)
        assert inside_y or clamped_y, (pixel, out_row)


def _moving_video(path, frames: int = 30) -> None:
    """An MJPG clip whose every pixel changes from frame to frame (a stand-in for a webcam)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (64, 48))
    rows, cols = np.mgrid[0:48, 0:64]
    for t in range(frames):
        picture = np.zeros((48, 64, 3), np.uint8)
        picture[..., 0] = (cols * 4 + 8 * t) % 256
        picture[..., 1] = (rows * 5 + 6 * t) % 256
        picture[..., 2] = (128 + 100 * np.sin((rows + cols + 3 * t) / 6.0)).astype(np.uint8)
        writer.write(picture)
    writer.release()


def test_a_pinned_pixel_follows_a_playing_video_in_the_real_window(qtbot, tmp_path):
    from convlab.app import build_window

    path = tmp_path / "moving.avi"
    _moving_video(path)
    window = build_window([str(path)])
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    wait_for_result(qtbot, window)
    window.state.set_inspected_pixel((0, 0))  # a corner: the patch reaches into the border
    panel = window.inspector_panel
    patches: list[bytes] = []

    def several_frames_inspected() -> None:
        explanation = panel.explanation
        assert explanation is not None and explanation.pixel == (0, 0)
        patch = explanation.parts[0]["patch"].tobytes()
        if not patches or patches[-1] != patch:
            patches.append(patch)
        assert len(patches) >= 3

    qtbot.waitUntil(several_frames_inspected, timeout=6000)
    assert panel.rows[0].patch._marked[0].all()  # the border row is hatched
    for row in panel.rows:
        assert "✓ equals the output pixel" in row.sum_label.text()
    window.close()


def test_the_result_line_on_top_gives_every_channel_and_checks_the_output(qtbot, state, frame):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.set_inspected_pixel((0, 16))
    expected = convolve(frame, KERNEL)[0, 16]
    text = panel.result_label.text()
    for value, name in zip(expected, "RGB"):
        shown = float(text.split(f"</b> ({name})")[0].rsplit("<b>", 1)[1])
        assert shown == pytest.approx(float(value), abs=1e-3)
    assert "✓ matches the output" in text
    state.update_conv(border="wrap")  # the shown output is now stale until the next frame
    assert "✓" not in panel.result_label.text() and "✗" not in panel.result_label.text()
    _publish(state, frame)
    qtbot.waitUntil(lambda: "✓" in panel.result_label.text(), timeout=2000)


def test_cells_drop_the_leading_zero_of_fractions():
    assert [cell_text(v) for v in (0.0124, -0.5, 3.0, -2.25, 0.0)] == [
        ".0124",
        "-.5",
        "3",
        "-2.25",
        "0",
    ]


def test_a_7x7_kernel_fits_a_dock(qtbot, state, frame):
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.set_kernel(gaussian_kernel(3, 1.5))
    state.set_inspected_pixel((5, 5))
    # 44 px a column: four digits and a sign at 9 pt, the smallest text the window draws
    assert panel.kernel_grid.sizeHint().width() <= 7 * 44
    assert panel.rows[0].products.sizeHint().width() <= 7 * 44


def test_a_float32_output_is_shown_to_the_digits_it_has(qtbot, state, frame):
    """-7.99999 in the float32 output image reads -8, like the exact sum it equals."""
    from convlab.ui.teach.inspector import _ChannelRow

    row = _ChannelRow()
    qtbot.addWidget(row)
    parts = pixel_breakdown(frame, Kernel([[1.0]], divisor=1.0), 2, 3)
    parts = {**parts, "result": -8.0, "total": -8.0}
    row.show_parts("R", parts, (2, 3), float(np.float32(-7.9999952)), fresh=True)
    text = row.sum_label.text()
    assert "output holds -8 " in text and "✓" in text


@pytest.mark.parametrize("border", ["reflect101", "constant"])
def test_sum_channels_shows_three_partial_sums_that_make_one_output_value(
    qtbot, state, frame, border
):
    """A CNN layer's k x k x 3 filter: R, G and B partial sums, one result, plus the bias."""
    panel = PixelInspectorPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    state.update_conv(channels="sum", border=border)
    _publish(state, frame)
    output = convolve(frame, KERNEL, channels="sum", border=border)
    assert state.latest_result.output.ndim == 2
    for pixel in _corners_and_middle(frame):
        state.set_inspected_pixel(pixel)
        explanation = panel.explanation
        assert explanation.summed and explanation.channels == ("R", "G", "B")
        partials = []
        for channel, parts in enumerate(explanation.parts):
            reference = pixel_breakdown(frame, KERNEL, *pixel, border=border, channel=channel)
            assert parts["total"] == reference["total"]
            partials.append(reference["total"])
            assert "partial sum" in panel.rows[channel].sum_label.text()
        expected = sum(partials) / KERNEL.divisor + KERNEL.offset
        assert explanation.result == pytest.approx(expected)
        assert np.isclose(explanation.result, output[pixel], rtol=1e-5, atol=1e-3)
        assert "✓ matches the output" in panel.result_label.text()
        assert "bias" in panel.result_label.text()
    assert not panel.channel_box.isEnabled()  # all three channels always take part

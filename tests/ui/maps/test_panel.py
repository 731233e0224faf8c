"""The feature-map panel shows and edits exactly what the bank computes (its export and layout:
test_export.py, test_layout.py).

References are independent of the pipeline: a plain numpy sliding-window correlation with
reflect-101 borders, ReLU as max(0, v), pooling as the max over each 2x2 block written out,
and the display module's ``to_rgb`` for the pixel mapping.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox

from convlab.engine import presets
from convlab.engine.bank_presets import BANK_PRESETS, blur_ladder, edge_bank, gabor_bank
from convlab.engine.display import histogram, to_rgb
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import COMBINED_MAP, robust_range
from convlab.ui.maps.panel import stage_sizes
from convlab.ui.maps.tile import COMBINED_INDEX
from convlab.ui.playground.output_controls import OutputDisplayControls
from convlab.ui.state import PlaygroundState
from tests.ui.maps.conftest import kernel_tiles, publish, test_frame


# ---------------------------------------------------------------------------------- references
def correlate_reference(gray: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """out[i, j] = sum_uv w[u, v] * pad[i + u, j + v], reflect-101 padding, 'same' size."""
    rows, cols = weights.shape
    top, left = (rows - 1) // 2, (cols - 1) // 2
    padded = np.pad(
        gray.astype(np.float64),
        ((top, rows - 1 - top), (left, cols - 1 - left)),
        mode="reflect",  # numpy's "reflect" is OpenCV's reflect-101 (edge not repeated)
    )
    height, width = gray.shape
    out = np.zeros((height, width))
    for u in range(rows):
        for v in range(cols):
            out += weights[u, v] * padded[u : u + height, v : v + width]
    return out


def pool_reference(values: np.ndarray) -> np.ndarray:
    height, width = values.shape[0] // 2, values.shape[1] // 2
    out = np.empty((height, width))
    for i in range(height):
        for j in range(width):
            out[i, j] = values[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].max()
    return out


def map_reference(gray: np.ndarray, kernel: Kernel, *, relu: bool, pool: bool) -> np.ndarray:
    values = correlate_reference(gray, kernel.effective) + kernel.offset
    if relu:
        values = np.maximum(values, 0.0)
    if pool:
        values = pool_reference(values)
    return values


def assert_image_close(shown: np.ndarray, expected: np.ndarray) -> None:
    """Pixels equal up to one level: float32 vs float64 sums may round a tie differently."""
    assert shown.shape == expected.shape
    difference = np.abs(shown.astype(int) - expected.astype(int))
    assert difference.max() <= 1
    assert (difference == 0).mean() > 0.99


def gray_of(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


# ---------------------------------------------------------------------------------- content
@pytest.mark.parametrize(
    ("relu", "pool", "mode", "colormap"),
    [
        (False, False, "signed", "diverging"),
        (True, False, "minmax", "viridis"),
        (False, True, "abs", "gray"),
        (True, True, "offset", "magma"),
    ],
)
def test_tiles_show_each_kernels_map_with_the_bank_display(
    panel, state, relu, pool, mode, colormap
):
    frame = test_frame()
    state.set_bank(edge_bank())
    state.set_stages(relu=relu, pool=pool)
    # The plain per-frame range here; the robust default has its own test below.
    state.update_bank_display(mode=mode, colormap=colormap, robust=False)
    publish(state, frame)
    gray = gray_of(frame)
    tiles = kernel_tiles(panel)
    assert [tile.name for tile in tiles] == [  # plain names; the code names in the tooltips
        f"{i + 1}. {presets.title(name)}"
        for i, name in enumerate(["sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplacian"])
    ]
    assert "(sobel_x, 3x3)" in tiles[0].toolTip()
    for tile, feature_map, kernel in zip(tiles, state.latest_result.maps, state.bank):
        expected = map_reference(gray, kernel, relu=relu, pool=pool)
        np.testing.assert_allclose(feature_map.values, expected, rtol=1e-5, atol=1e-3)
        assert_image_close(tile.view.image, to_rgb(expected, mode, colormap=colormap))
        assert feature_map.value_range == pytest.approx((expected.min(), expected.max()), abs=1e-3)
        assert (
            tile.range_label.text() == f"{feature_map.value_range[0]:.4g} … "
            f"{feature_map.value_range[1]:.4g}"
        )


def test_a_fixed_bank_range_puts_every_map_on_the_same_scale(panel, state):
    frame = test_frame()
    state.set_bank([presets.get("sobel_x"), presets.get("laplacian")])
    state.update_bank_display(mode="minmax", colormap="gray")
    publish(state, frame)
    panel.display_controls.fixed_check.setChecked(True)
    low, high = state.pipeline.bank_display.fixed_range
    gray = gray_of(frame)
    references = [map_reference(gray, k, relu=False, pool=False) for k in state.bank]
    assert low == pytest.approx(min(r.min() for r in references), abs=1e-2)
    assert high == pytest.approx(max(r.max() for r in references), abs=1e-2)
    publish(state, frame)
    for tile, expected in zip(kernel_tiles(panel), references):
        assert_image_close(
            tile.view.image,
            to_rgb(expected, "minmax", colormap="gray", value_range=(low, high)),
        )


def test_stage_label_gives_the_size_after_each_stage(panel, state):
    state.set_bank(edge_bank()[:2])
    state.set_stages(relu=True, pool=True)
    publish(state, test_frame(61, 83))
    assert panel.stage_label.text() == (
        "maps at full scale (83×61) · conv 83×61 → ReLU 83×61 → max-pool 2×2 41×30"
    )
    assert stage_sizes(720, 1280, relu=False, pool=True) == "conv 1280×720 → max-pool 2×2 640×360"
    assert state.latest_result.maps[0].values.shape == (30, 41)


def test_combined_tile_is_the_gradient_magnitude_of_the_first_two_maps(panel, state):
    frame = test_frame()
    state.set_bank([presets.get("sobel_x"), presets.get("sobel_y"), presets.get("laplacian")])
    state.set_stages(combine=True, relu=True, pool=True)
    publish(state, frame)
    gray = gray_of(frame)
    gx = map_reference(gray, state.bank[0], relu=False, pool=False)
    gy = map_reference(gray, state.bank[1], relu=False, pool=False)
    expected = pool_reference(np.sqrt(gx**2 + gy**2))
    combined = [tile for tile in panel.grid.tiles if tile.index == COMBINED_INDEX]
    assert len(combined) == 1
    np.testing.assert_allclose(state.latest_result.combined.values, expected, rtol=1e-5, atol=1e-3)
    assert_image_close(combined[0].view.image, to_rgb(expected, "minmax", colormap="magma"))
    state.set_stages(combine=False)
    assert all(tile.index != COMBINED_INDEX for tile in panel.grid.tiles)


def test_frames_reuse_the_tiles_and_a_bank_change_rebuilds_them(panel, state):
    state.set_bank(edge_bank())
    publish(state, test_frame(seed=1))
    tiles = list(panel.grid.tiles)
    items = [tile.view for tile in tiles]
    publish(state, test_frame(seed=2))
    assert panel.grid.tiles == tiles
    assert [tile.view for tile in tiles] == items
    state.add_to_bank(presets.get("box"))
    assert len(panel.grid.tiles) == 6
    assert not set(panel.grid.tiles) & set(tiles)


# ---------------------------------------------------------------------------------- editing
def test_add_remove_reorder_clear_and_presets_edit_the_bank_undoably(panel, state, qtbot):
    state.set_kernel(presets.get("sharpen"))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert [k.name for k in state.bank] == ["sharpen"]

    panel.load_preset("Edge bank")
    names = ["sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplacian"]
    assert [k.name for k in state.bank] == names

    qtbot.mouseClick(kernel_tiles(panel)[0].right_button, Qt.MouseButton.LeftButton)
    assert [k.name for k in state.bank] == ["sobel_y", "sobel_x", *names[2:]]
    kernel_tiles(panel)[4].moveRequested.emit(4, 0)  # what a drop of tile 5 on tile 1 sends
    assert [k.name for k in state.bank] == ["laplacian", "sobel_y", "sobel_x", *names[2:4]]
    qtbot.mouseClick(kernel_tiles(panel)[1].remove_button, Qt.MouseButton.LeftButton)
    assert [k.name for k in state.bank] == ["laplacian", "sobel_x", "prewitt_x", "prewitt_y"]
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert state.bank == ()
    assert panel.stack.currentWidget() is panel.empty_label

    expected_history = [
        ["laplacian", "sobel_x", "prewitt_x", "prewitt_y"],
        ["laplacian", "sobel_y", "sobel_x", "prewitt_x", "prewitt_y"],
        ["sobel_y", "sobel_x", *names[2:]],
        names,
        ["sharpen"],
        [],
    ]
    for expected in expected_history:
        state.undo_stack.undo()
        assert [k.name for k in state.bank] == expected
        shown = [tile.name.split(". ", 1)[1] for tile in kernel_tiles(panel)]
        assert shown == [presets.title(name) for name in expected]


def test_presets_build_the_promised_banks():
    assert [k.name for k in edge_bank()] == [
        "sobel_x",
        "sobel_y",
        "prewitt_x",
        "prewitt_y",
        "laplacian",
    ]
    gabors = gabor_bank()
    assert len(gabors) == 8
    assert len({k.weights.tobytes() for k in gabors}) == 8
    for kernel in gabors:
        assert abs(kernel.effective.sum()) < 1e-9  # zero-mean: flat areas give no response
    # a Gabor rotated by 90 degrees is the 90-degree-later member of the bank (up to sampling)
    np.testing.assert_allclose(np.rot90(gabors[0].weights), gabors[4].weights, atol=1e-9)
    ladder = blur_ladder()
    assert [k.shape[0] for k in ladder] == sorted(k.shape[0] for k in ladder)
    assert all(abs(k.effective.sum() - 1.0) < 1e-9 for k in ladder)
    assert all(len(factory()) <= 16 for factory, _ in BANK_PRESETS.values())


def test_add_button_is_disabled_when_the_bank_is_full(panel, state):
    state.set_bank([presets.get("box")] * 16)
    assert not panel.add_button.isEnabled()
    state.remove_from_bank(0)
    assert panel.add_button.isEnabled()


def test_stage_checkboxes_follow_and_edit_the_state(panel, state):
    panel.relu_check.setChecked(True)
    panel.pool_check.setChecked(True)
    assert (state.pipeline.relu, state.pipeline.pool) == (True, True)
    state.set_stages(relu=False)
    assert not panel.relu_check.isChecked()


# ---------------------------------------------------------------------------------- mouse
def test_click_selects_a_map_and_double_click_loads_its_kernel(panel, state, qtbot):
    state.set_bank(edge_bank())
    publish(state, test_frame())
    tile = kernel_tiles(panel)[2]
    centre = tile.rect().center()
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=centre)
    assert state.pipeline.selected_map == 2
    assert panel.main_output_button.isEnabled()
    assert kernel_tiles(panel)[2] is tile  # selecting does not rebuild the tiles
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=centre)
    assert state.pipeline.selected_map is None

    qtbot.mouseClick(kernel_tiles(panel)[1], Qt.MouseButton.LeftButton, pos=centre)
    assert state.pipeline.selected_map == 1
    qtbot.mouseClick(panel.main_output_button, Qt.MouseButton.LeftButton)
    assert state.pipeline.selected_map is None

    qtbot.mouseClick(kernel_tiles(panel)[4], Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(kernel_tiles(panel)[4], Qt.MouseButton.LeftButton, pos=centre)
    assert state.kernel == presets.get("laplacian")
    assert state.pipeline.selected_map is None  # back to the main output, with the new kernel
    state.undo_stack.undo()
    assert state.kernel == presets.get("identity")


def test_clicking_the_combined_tile_selects_the_combined_map(panel, state, qtbot):
    state.set_bank(edge_bank())
    state.set_stages(combine=True)
    frame = test_frame()
    publish(state, frame)
    combined = panel.grid.tiles[-1]
    assert combined.index == COMBINED_INDEX
    qtbot.mouseClick(combined, Qt.MouseButton.LeftButton, pos=combined.rect().center())
    assert state.pipeline.selected_map == COMBINED_MAP
    publish(state, frame)
    assert state.latest_result.selected is state.latest_result.combined
    qtbot.mouseDClick(combined, Qt.MouseButton.LeftButton, pos=combined.rect().center())
    assert state.kernel == presets.get("identity")  # it has no kernel to load


def test_a_result_for_an_older_bank_order_is_not_shown(panel, state):
    state.set_bank(edge_bank())
    old = state.pipeline.run(test_frame())
    state.move_in_bank(0, 4)
    state.publish_result(old)
    assert all(tile.view.image is None for tile in panel.grid.tiles)
    publish(state, test_frame())
    assert all(tile.view.image is not None for tile in panel.grid.tiles)


def test_escape_and_delete_act_on_the_selected_map(panel, state, qtbot):
    state.set_bank(edge_bank())
    tile = kernel_tiles(panel)[1]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=tile.rect().center())
    qtbot.keyClick(tile, Qt.Key.Key_Delete)
    assert [k.name for k in state.bank] == ["sobel_x", "prewitt_x", "prewitt_y", "laplacian"]
    tile = kernel_tiles(panel)[0]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=tile.rect().center())
    qtbot.keyClick(tile, Qt.Key.Key_Escape)
    assert state.pipeline.selected_map is None
    assert len(state.bank) == 4


def test_a_selected_map_is_computed_at_full_resolution(panel, state, qtbot):
    frame = test_frame(300, 500)  # larger than the preview size: tiles are reduced copies
    state.set_bank(edge_bank())
    publish(state, frame)
    assert state.latest_result.maps[1].values.shape[1] < 500
    qtbot.mouseClick(kernel_tiles(panel)[1], Qt.MouseButton.LeftButton, pos=QPoint(40, 60))
    publish(state, frame)
    expected = map_reference(gray_of(frame), state.bank[1], relu=False, pool=False)
    selected = state.latest_result.selected
    assert selected is state.latest_result.maps[1]
    np.testing.assert_allclose(selected.values, expected, rtol=1e-5, atol=1e-3)


# ---------------------------------------------------------------------------------- output
def test_output_display_controls_edit_the_main_display(qtbot, state):
    controls = OutputDisplayControls(state)
    qtbot.addWidget(controls)
    controls.show()
    qtbot.waitExposed(controls)
    state.set_kernel(presets.get("laplacian"))
    frame = test_frame()
    publish(state, frame)
    combo = controls.controls.mode_combo
    combo.setCurrentIndex(combo.findData("minmax"))
    assert state.pipeline.display.mode == "minmax"
    cmap = controls.controls.colormap_combo
    cmap.setCurrentIndex(cmap.findData("inferno"))
    assert state.pipeline.display.colormap == "inferno"

    controls.controls.fixed_check.setChecked(True)
    output = state.latest_result.output
    low, high = state.pipeline.display.fixed_range
    assert (low, high) == pytest.approx((output.min(), output.max()), abs=1e-3)
    controls.controls.high_spin.setValue(50.0)
    assert state.pipeline.display.fixed_range == pytest.approx((low, 50.0))
    controls.controls.fixed_check.setChecked(False)
    assert state.pipeline.display.fixed_range is None

    state.update_display(mode="abs")  # edits from elsewhere show in the controls
    assert combo.currentData() == "abs"
    assert not controls.controls.fixed_check.isEnabled()


def test_histogram_counts_the_output_and_shades_the_shown_range(qtbot, state):
    controls = OutputDisplayControls(state)
    qtbot.addWidget(controls)
    controls.show()
    qtbot.waitExposed(controls)
    state.set_kernel(presets.get("sobel_x"))
    state.update_display(mode="offset")
    publish(state, test_frame())
    output = state.latest_result.output
    qtbot.waitUntil(lambda: controls.histogram.counts.sum() == output.size, timeout=2000)
    expected, edges = np.histogram(
        output.astype(np.float64), bins=64, range=(float(output.min()), float(output.max()))
    )
    np.testing.assert_array_equal(controls.histogram.counts, expected)
    np.testing.assert_allclose(controls.histogram.edges, edges, rtol=1e-6)
    assert controls.histogram.band == pytest.approx((-128.0, 127.0))
    counts, _ = histogram(output, 64)
    assert counts.sum() == output.size


def test_bank_maps_ignore_a_few_outliers_by_default(panel, state):
    """A handful of very strong responses must not wash every other response out to white."""
    frame = test_frame()
    frame[10:12, 10:12] = 255  # a tiny, very bright spot next to darker structure
    frame[10:12, 12:14] = 0
    state.set_bank([presets.get("sobel_x")])
    assert state.pipeline.bank_display.robust and state.pipeline.bank_display.mode == "auto"
    state.update_bank_display(colormap="coolwarm")  # other edits keep the robust range
    assert state.pipeline.bank_display.robust
    publish(state, frame)
    assert state.latest_result.bank_display.mode == "signed"  # Auto: Sobel sums to 0
    values = state.latest_result.maps[0].values
    magnitude = np.sort(np.abs(values).ravel())
    reference = magnitude[int(0.995 * (magnitude.size - 1))]  # all values, no sampling
    low, high = robust_range(values, "signed")
    assert low == -high
    assert high == pytest.approx(reference, rel=0.1)
    assert high < 0.8 * magnitude[-1]  # the outliers really were left out
    assert_image_close(
        kernel_tiles(panel)[0].view.image,
        to_rgb(values, "signed", colormap="coolwarm", value_range=(low, high)),
    )
    saturated = np.mean(np.abs(values) > high)
    assert saturated <= 0.02


def test_the_scale_choice_computes_the_maps_there_and_the_line_says_which(panel, state, qtbot):
    """Full frame: each map is the kernel on the frame itself, reduced for the tile; preview:
    the kernel on a shrunk frame. The stage line names the scale; the choice is saved."""
    from convlab.engine.pipeline import reduce_for_tile, shrink

    state.set_bank(edge_bank()[:2])
    frame = test_frame(300, 840)
    gray = gray_of(frame)
    combo = panel.findChild(QComboBox, "mapScale")
    assert combo is not None and combo.currentData() == "auto"

    combo.setCurrentIndex(combo.findData("full"))
    assert state.pipeline.map_scale == "full"
    publish(state, frame)
    assert panel.stage_label.text().startswith("maps at full scale (840×300) · conv 840×300")
    full = map_reference(gray, state.bank[0], relu=False, pool=False).astype(np.float32)
    shown = state.latest_result.maps[0]
    np.testing.assert_allclose(shown.values, reduce_for_tile(full, 480), rtol=0, atol=1e-3)
    assert shown.value_range == pytest.approx((full.min(), full.max()), abs=1e-3)

    combo.setCurrentIndex(combo.findData("preview"))
    publish(state, frame)
    assert panel.stage_label.text().startswith("maps on a 480×171 preview · conv 840×300")
    small = shrink(gray.astype(np.float32), 480)
    preview = map_reference(small, state.bank[0], relu=False, pool=False)
    np.testing.assert_allclose(state.latest_result.maps[0].values, preview, rtol=0, atol=1e-3)
    assert not np.allclose(preview, shrink(full, 480), atol=1.0)  # the two scales differ

    restored = PlaygroundState()
    restored.restore(state.to_dict())
    assert restored.pipeline.map_scale == "preview"
    state.set_map_scale("full")
    assert combo.currentData() == "full"  # the combo follows the state
    with pytest.raises(ValueError, match="map scale"):
        state.set_map_scale("huge")

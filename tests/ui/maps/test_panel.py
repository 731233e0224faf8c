"""The feature-map panel shows, edits and exports exactly what the bank computes.

References are independent of the pipeline: a plain numpy sliding-window correlation with
reflect-101 borders, ReLU as max(0, v), pooling as the max over each 2x2 block written out,
and the display module's ``to_rgb`` for the pixel mapping.
"""

from __future__ import annotations

import os
import sys
import threading

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QComboBox, QLabel

from convlab.engine import presets
from convlab.engine.bank_presets import BANK_PRESETS, blur_ladder, edge_bank, gabor_bank
from convlab.engine.display import histogram, to_rgb
from convlab.engine.export import write_atomic
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import COMBINED_MAP, robust_range
from convlab.ui.maps.panel import FeatureMapsPanel, stage_sizes
from convlab.ui.maps.tile import COMBINED_INDEX, kernel_colors
from convlab.ui.playground.output_controls import OutputDisplayControls
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.priority import BACKGROUND_NICE, MAX_NICE


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


def test_frame(height: int = 60, width: int = 84, seed: int = 1) -> np.ndarray:
    """A smooth gradient with a bright square and noise: edges in both directions."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 40 + 120 * xx / width + 50 * yy / height
    base[height // 4 : height // 2, width // 3 : width // 2] += 80
    rgb = np.stack([base, base * 0.8, 255 - base], axis=2) + rng.normal(0, 6, (height, width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


test_frame.__test__ = False  # a helper, not a test


def gray_of(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


@pytest.fixture
def state(qtbot) -> PlaygroundState:
    return PlaygroundState()


@pytest.fixture
def panel(qtbot, state) -> FeatureMapsPanel:
    widget = FeatureMapsPanel(state)
    qtbot.addWidget(widget)
    widget.resize(1000, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def publish(state: PlaygroundState, frame: np.ndarray) -> None:
    """What the window does for every displayed frame."""
    state.publish_result(state.pipeline.run(frame))


def kernel_tiles(panel: FeatureMapsPanel) -> list:
    return [tile for tile in panel.grid.tiles if tile.index != COMBINED_INDEX]


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
        assert_image_close(tile.image_item.image, to_rgb(expected, mode, colormap=colormap))
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
            tile.image_item.image,
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
    assert_image_close(combined[0].image_item.image, to_rgb(expected, "minmax", colormap="magma"))
    state.set_stages(combine=False)
    assert all(tile.index != COMBINED_INDEX for tile in panel.grid.tiles)


def test_frames_reuse_the_tiles_and_a_bank_change_rebuilds_them(panel, state):
    state.set_bank(edge_bank())
    publish(state, test_frame(seed=1))
    tiles = list(panel.grid.tiles)
    items = [tile.image_item for tile in tiles]
    publish(state, test_frame(seed=2))
    assert panel.grid.tiles == tiles
    assert [tile.image_item for tile in tiles] == items
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
    assert all(tile.image_item.image is None for tile in panel.grid.tiles)
    publish(state, test_frame())
    assert all(tile.image_item.image is not None for tile in panel.grid.tiles)


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


# ---------------------------------------------------------------------------------- export
def test_export_writes_full_resolution_png_and_npy(panel, state, qtbot, tmp_path):
    frame = test_frame(300, 500)
    state.set_bank([presets.get("sobel_x"), presets.get("sobel_y")])
    state.set_stages(relu=True, combine=True)
    state.update_bank_display(mode="minmax", colormap="viridis", robust=False)
    publish(state, frame)
    with qtbot.waitSignal(panel.exportFinished, timeout=10_000) as finished:
        assert panel.export_to(tmp_path)
    written = sorted(p.name for p in finished.args[0])
    assert written == sorted(p.name for p in tmp_path.iterdir())  # no temporary files left
    assert written == [
        "01_sobel_x.npy",
        "01_sobel_x.png",
        "02_sobel_y.npy",
        "02_sobel_y.png",
        "combined_gradient_magnitude.npy",
        "combined_gradient_magnitude.png",
    ]
    gray = gray_of(frame)
    for stem, kernel in (("01_sobel_x", state.bank[0]), ("02_sobel_y", state.bank[1])):
        expected = map_reference(gray, kernel, relu=True, pool=False)
        raw = np.load(tmp_path / f"{stem}.npy")
        assert raw.shape == (300, 500)
        np.testing.assert_allclose(raw, expected, rtol=1e-5, atol=1e-3)
        png = cv2.cvtColor(cv2.imread(str(tmp_path / f"{stem}.png")), cv2.COLOR_BGR2RGB)
        assert_image_close(png, to_rgb(expected, "minmax", colormap="viridis"))
    gx, gy = (map_reference(gray, k, relu=False, pool=False) for k in state.bank)
    magnitude = np.load(tmp_path / "combined_gradient_magnitude.npy")
    np.testing.assert_allclose(magnitude, np.hypot(gx, gy), rtol=1e-5, atol=1e-3)


def test_exporting_one_map_writes_only_that_map(panel, state, qtbot, tmp_path):
    frame = test_frame()
    state.set_bank(edge_bank())
    publish(state, frame)
    with qtbot.waitSignal(panel.exportFinished, timeout=10_000):
        panel.export_to(tmp_path, ("npy",), only=4)
    assert [p.name for p in tmp_path.iterdir()] == ["05_laplacian.npy"]
    expected = map_reference(gray_of(frame), presets.get("laplacian"), relu=False, pool=False)
    np.testing.assert_allclose(np.load(tmp_path / "05_laplacian.npy"), expected, atol=1e-3)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_an_export_runs_below_the_gui_thread(panel, qtbot):
    """A 100 MP export takes minutes: on a busy machine the window must win the cores."""
    niceness: list[int] = []

    def job() -> list:
        niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return []

    with qtbot.waitSignal(panel.exportFinished, timeout=10_000):
        panel.exporter.start(job, "Export feature maps")
    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert niceness[0] >= min(MAX_NICE, gui + BACKGROUND_NICE)


def test_export_without_a_frame_says_so(panel, state, qtbot, tmp_path):
    state.set_bank(edge_bank())
    with qtbot.waitSignal(state.message) as message:
        assert not panel.export_to(tmp_path)
    assert "no frame" in message.args[0]


def test_export_to_a_missing_folder_reports_an_error(panel, state, qtbot, tmp_path):
    state.set_bank(edge_bank())
    publish(state, test_frame())
    with qtbot.waitSignal(panel.exporter.failed, timeout=10_000) as failed:
        panel.export_to(tmp_path / "missing")
    assert "missing" in failed.args[0]


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "map.npy"
    target.write_bytes(b"old")

    def broken(temp):
        temp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(Exception, match="No space left"):
        write_atomic(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.npy"]


# ---------------------------------------------------------------------------------- layout
def test_tiles_reflow_with_the_dock_shape(panel, state, qtbot):
    state.set_bank(edge_bank()[:4])
    publish(state, test_frame(60, 80))
    panel.resize(1200, 260)  # a wide, short bottom dock: one row
    qtbot.waitUntil(lambda: panel.grid.columns == 4)
    panel.resize(300, 1000)  # a tall, narrow side dock: one column
    qtbot.waitUntil(lambda: panel.grid.columns == 1)


def visible_whole(panel: FeatureMapsPanel, tile) -> bool:
    """The tile lies entirely inside the scroll area's viewport."""
    viewport = panel.scroll.viewport()
    corner = tile.mapTo(viewport, tile.rect().topLeft())
    placed = tile.rect().translated(corner)
    return viewport.rect().contains(placed)


@pytest.mark.parametrize("count", [5, 8, 16])
def test_every_map_of_the_bank_is_whole_in_a_short_laptop_dock(panel, state, qtbot, count):
    """A 1366x768 screen leaves the bottom dock about 960 x 230 pixels."""
    bank = [presets.get(name) for name in presets.names()][:count]
    state.set_bank(bank)
    publish(state, test_frame(64, 64))
    panel.resize(966, 230)
    qtbot.waitUntil(lambda: panel.grid.plan is not None and len(panel.grid.tiles) == count)
    qtbot.wait(50)
    plan = panel.grid.plan
    assert not plan.scrolls
    assert not panel.scroll.verticalScrollBar().isVisible()
    assert all(visible_whole(panel, tile) for tile in panel.grid.tiles)
    assert plan.map_side >= 40
    # each map's picture gets the room planned for it
    for tile in panel.grid.tiles:
        assert tile.view.width() >= plan.map_width - 1
        assert tile.view.height() >= plan.map_height - 1
    assert all(tile.range_label.isVisible() != plan.compact for tile in panel.grid.tiles)


def test_tiles_with_room_to_spare_show_their_whole_names(panel, state, qtbot):
    """Five edge maps in a wide, short dock: the tiles grow sideways for their names."""
    state.set_bank(edge_bank())
    publish(state, test_frame(64, 64))
    panel.resize(1200, 230)

    def names_whole() -> bool:  # as drawn, not cut: "1. Sobel, vertical edges"
        tiles = panel.grid.tiles
        return len(tiles) == 5 and all(QLabel.text(t.title) == t.name for t in tiles)

    qtbot.waitUntil(names_whole)
    plan = panel.grid.plan
    assert plan.tile_width > plan.map_width + 20
    for tile in panel.grid.tiles:
        assert visible_whole(panel, tile)
        assert tile.view.height() >= plan.map_height - 1
    assert panel.grid.tiles[0].name == "1. Sobel, vertical edges"


def test_small_tiles_show_their_number_and_keep_the_values_in_the_tooltip(panel, state, qtbot):
    state.set_bank([presets.get(name) for name in presets.names()][:16])
    publish(state, test_frame(64, 64))
    panel.resize(966, 230)
    qtbot.waitUntil(lambda: panel.grid.plan is not None and panel.grid.plan.compact)
    tile = panel.grid.tiles[2]
    assert tile.title.text() == "3"  # its name does not fit beside the kernel
    low, high = (float(v) for v in tile.range_label.text().split(" … "))
    assert low <= high
    tile.event(QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), QPoint(5, 5)))
    assert tile.range_label.text() in tile.toolTip()
    panel.resize(1800, 900)  # room again: names come back
    qtbot.waitUntil(lambda: not panel.grid.plan.compact)
    qtbot.waitUntil(lambda: tile.title.text().startswith("3. "))


def test_a_bank_that_cannot_fit_scrolls_and_the_scroll_bar_does_not_change_the_plan(
    panel, state, qtbot
):
    state.set_bank([presets.get(name) for name in presets.names()][:16])
    publish(state, test_frame(64, 64))
    panel.resize(260, 300)  # a narrow floating dock
    qtbot.waitUntil(lambda: panel.grid.plan is not None and panel.grid.plan.scrolls)
    plan = panel.grid.plan
    assert panel.scroll.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOn
    qtbot.wait(50)
    assert panel.grid.plan == plan
    viewport = panel.scroll.viewport().width()
    columns = plan.columns
    assert columns * plan.tile_width + (columns - 1) * 6 <= viewport


def test_kernel_thumbnail_colours_are_diverging_with_zero_neutral():
    colors = kernel_colors(np.array([[-2.0, 0.0, 2.0]]))
    blue, neutral, red = (tuple(int(v) for v in c) for c in colors[0])
    assert neutral == (221, 221, 221)
    assert blue[2] > blue[0] and red[0] > red[2]


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
        kernel_tiles(panel)[0].image_item.image,
        to_rgb(values, "signed", colormap="coolwarm", value_range=(low, high)),
    )
    saturated = np.mean(np.abs(values) > high)
    assert saturated <= 0.02


def test_the_scale_choice_computes_the_maps_there_and_the_line_says_which(panel, state, qtbot):
    """Full frame: each map is the kernel on the frame itself, reduced for the tile; preview:
    the kernel on a shrunk frame. The stage line names the scale; the choice is saved."""
    from convlab.engine.pipeline import shrink

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
    np.testing.assert_allclose(shown.values, shrink(full, 480), rtol=0, atol=1e-3)
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

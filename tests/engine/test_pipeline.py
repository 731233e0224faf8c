"""Pipeline: the bank's maps, CNN stages, combined magnitude and selection, against loops."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from convlab.engine import presets
from convlab.engine.display import to_rgb
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import (
    COMBINED_MAP,
    MAX_BANK_SIZE,
    DisplaySettings,
    Pipeline,
    apply_stages,
    robust_range,
)


def correlate_loop(gray: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """'same' correlation with reflect-101 borders, one output pixel at a time."""
    rows, cols = weights.shape
    top, left = (rows - 1) // 2, (cols - 1) // 2
    padded = np.pad(
        gray.astype(np.float64), ((top, rows - 1 - top), (left, cols - 1 - left)), mode="reflect"
    )
    out = np.empty(gray.shape)
    for i in range(gray.shape[0]):
        for j in range(gray.shape[1]):
            out[i, j] = (padded[i : i + rows, j : j + cols] * weights).sum()
    return out


def pool_loop(values: np.ndarray) -> np.ndarray:
    out = np.empty((values.shape[0] // 2, values.shape[1] // 2))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = max(
                values[2 * i, 2 * j],
                values[2 * i, 2 * j + 1],
                values[2 * i + 1, 2 * j],
                values[2 * i + 1, 2 * j + 1],
            )
    return out


def frame_of(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 60 + 100 * np.sin(xx / 7.0) * np.cos(yy / 5.0) + 60
    return np.clip(base[..., None] + rng.normal(0, 10, (height, width, 3)), 0, 255).astype(np.uint8)


SOBELS = (presets.get("sobel_x"), presets.get("sobel_y"))


@pytest.mark.parametrize("shape", [(7, 9), (6, 8), (1, 5)])
def test_stages_match_relu_and_pooling_loops(shape):
    values = np.random.default_rng(3).normal(size=shape).astype(np.float32)
    np.testing.assert_array_equal(
        apply_stages(values, relu=True, pool=False), np.maximum(values, 0)
    )
    pooled = apply_stages(values, relu=False, pool=True)
    if shape[0] < 2:
        assert pooled.shape == shape  # no complete 2x2 block: pooling leaves it alone
    else:
        np.testing.assert_array_equal(pooled, pool_loop(values))
    both = apply_stages(values, relu=True, pool=True)
    assert both.dtype == np.float32 and both.flags.c_contiguous
    assert both.min() >= 0


def test_bank_maps_on_a_small_frame_are_full_size_and_exact():
    frame = frame_of(23, 31)
    kernel = Kernel(np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]]), divisor=2.0, offset=5.0)
    pipeline = Pipeline(
        bank=(kernel, SOBELS[0]),
        relu=True,
        pool=True,
        bank_display=DisplaySettings("minmax", "viridis"),
    )
    result = pipeline.run(frame)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    for feature_map, k in zip(result.maps, pipeline.bank):
        expected = pool_loop(np.maximum(correlate_loop(gray, k.effective) + k.offset, 0))
        np.testing.assert_allclose(feature_map.values, expected, rtol=1e-5, atol=1e-3)
        assert feature_map.value_range == pytest.approx((expected.min(), expected.max()), abs=1e-3)
        np.testing.assert_array_equal(
            feature_map.image, to_rgb(feature_map.values, "minmax", colormap="viridis")
        )
    assert result.combined is None and result.selected is None


def test_previews_shrink_with_the_bank_size_and_export_is_full_size():
    frame = frame_of(300, 600)
    four = Pipeline(bank=SOBELS * 2)
    sixteen = Pipeline(bank=SOBELS * (MAX_BANK_SIZE // 2))
    assert four.run(frame).maps[0].values.shape == (240, 480)
    # 320 for sixteen tiles: 2x2 blocks of the 600-wide frame (300 >= 3/4 of 320)
    assert sixteen.evolve(map_scale="full").run(frame).maps[0].values.shape == (150, 300)
    assert sixteen.evolve(map_scale="preview").run(frame).maps[0].values.shape == (160, 320)
    maps, _ = sixteen.feature_maps(frame, max_side=None)
    assert maps[0].values.shape == (300, 600)


def test_selected_map_is_full_resolution_and_exact():
    frame = frame_of(120, 700)
    pipeline = Pipeline(bank=SOBELS, selected_map=1)
    result = pipeline.run(frame)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    assert result.selected is result.maps[1]
    np.testing.assert_allclose(
        result.selected.values, correlate_loop(gray, SOBELS[1].weights), rtol=1e-5, atol=1e-3
    )
    assert result.maps[0].values.shape[1] == 480  # the others stay previews


def test_combined_map_is_the_magnitude_before_relu_pooled_like_the_maps():
    frame = frame_of(40, 50)
    pipeline = Pipeline(bank=SOBELS, combine=True, relu=True, pool=True)
    result = pipeline.run(frame)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    gx, gy = (correlate_loop(gray, k.weights) for k in SOBELS)
    np.testing.assert_allclose(
        result.combined.values, pool_loop(np.hypot(gx, gy)), rtol=1e-5, atol=1e-3
    )
    assert Pipeline(bank=SOBELS[:1], combine=True).run(frame).combined is None


def test_selecting_the_combined_map_computes_it_at_full_resolution():
    frame = frame_of(100, 640)
    pipeline = Pipeline(bank=SOBELS, combine=True, selected_map=COMBINED_MAP)
    result = pipeline.run(frame)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    gx, gy = (correlate_loop(gray, k.weights) for k in SOBELS)
    assert result.selected is result.combined
    np.testing.assert_allclose(result.selected.values, np.hypot(gx, gy), rtol=1e-5, atol=1e-3)
    assert COMBINED_MAP >= MAX_BANK_SIZE  # never a valid index into maps


def test_combined_map_uses_a_sequential_colormap_for_a_magnitude():
    frame = frame_of(20, 20)
    diverging = Pipeline(bank=SOBELS, combine=True).run(frame).combined
    np.testing.assert_array_equal(
        diverging.image, to_rgb(diverging.values, "minmax", colormap="magma")
    )
    gray = (
        Pipeline(bank=SOBELS, combine=True, bank_display=DisplaySettings("abs", "gray"))
        .run(frame)
        .combined
    )
    np.testing.assert_array_equal(gray.image, to_rgb(gray.values, "minmax", colormap="gray"))


def test_shrink_averages_blocks_and_leaves_small_images_alone():
    from convlab.engine.pipeline import shrink

    rng = np.random.default_rng(3)
    image = rng.random((60, 100), dtype=np.float32)
    small = shrink(image, 50)
    assert small.shape == (30, 50)
    block_means = image.reshape(30, 2, 50, 2).mean(axis=(1, 3))  # a 2x2 box average by hand
    np.testing.assert_allclose(small, block_means, rtol=1e-5, atol=1e-6)
    assert shrink(image, 100) is image
    assert shrink(np.zeros((1000, 500, 3), np.uint8), 480).shape == (480, 240, 3)


def test_full_scale_maps_are_computed_on_the_frame_and_reduced_for_the_tiles():
    """A 3x3 edge kernel acts at the frame's own scale; the tile shows that map shrunk, and
    its range label is the full map's."""
    from convlab.engine.pipeline import shrink

    frame = frame_of(240, 640)
    pipeline = Pipeline(bank=SOBELS, map_scale="full", relu=True)
    result = pipeline.run(frame)
    assert result.maps_size == (240, 640) and result.maps_full_scale
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    for feature_map, kernel in zip(result.maps, SOBELS):
        full = np.maximum(correlate_loop(gray, kernel.weights), 0).astype(np.float32)
        assert feature_map.values.shape == (180, 480)  # the tile's picture
        np.testing.assert_allclose(feature_map.values, shrink(full, 480), rtol=1e-5, atol=1e-3)
        assert feature_map.value_range == pytest.approx((full.min(), full.max()), abs=1e-3)
        shown = pipeline.bank_display.ranged(result.bank_display, feature_map.values)
        np.testing.assert_array_equal(
            feature_map.image, pipeline.bank_display.render(feature_map.values, shown)
        )


def test_a_preview_is_computed_on_a_shrunk_frame_and_says_so():
    frame = frame_of(240, 640)
    result = Pipeline(bank=SOBELS, map_scale="preview").run(frame)
    assert result.maps_size == (180, 480) and not result.maps_full_scale
    assert result.maps[0].values.shape == (180, 480)


def test_full_scale_selected_map_reuses_the_full_response():
    frame = frame_of(120, 700)
    result = Pipeline(bank=SOBELS, map_scale="full", selected_map=0).run(frame)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    assert result.selected is result.maps[0]
    assert result.selected.values.shape == (120, 700)
    np.testing.assert_allclose(
        result.selected.values, correlate_loop(gray, SOBELS[0].weights), rtol=1e-5, atol=1e-3
    )
    assert result.maps[1].values.shape == (82, 480)  # the other tiles: reduced


def test_auto_scale_is_full_where_the_measured_costs_keep_twenty_fps():
    from convlab.engine import calibration
    from tests.engine.test_dispatch import table

    pipeline = Pipeline(bank=SOBELS * 8)
    try:
        cheap = table(uint8_per_tap=1e-3, float32_per_tap=1e-3, separable_per_tap=1e-3)
        calibration.use_table(dataclasses.replace(cheap, to_float=1e-3, accumulate=1e-3))
        assert pipeline.map_scale_for((720, 1280, 3)) == "full"
        assert pipeline.run(frame_of(72, 128)).maps_full_scale
        calibration.use_table(table(uint8_per_tap=5, float32_per_tap=5, separable_per_tap=5))
        assert pipeline.map_scale_for((720, 1280, 3)) == "preview"
        assert pipeline.map_scale_for((60, 80, 3)) == "full"  # a small frame stays cheap
        assert Pipeline(bank=SOBELS * 8, map_scale="full").map_scale_for((720, 1280)) == "full"
    finally:
        calibration.use_table(None)


def test_auto_counts_every_stage_of_the_frame_not_only_the_convolutions():
    """Free convolutions, dear float32 passes: the output's picture, the gray copy and each
    map's range, thumbnail and picture decide, and "full" means the whole frame keeps 20 fps."""
    from convlab.engine import calibration
    from convlab.engine.frame_cost import full_scale_cost
    from tests.engine.test_dispatch import table

    free = table(uint8_per_tap=1e-6, float32_per_tap=1e-6, separable_per_tap=1e-6, dft=1e-6)
    free = dataclasses.replace(free, to_float=1e-6, pad=1e-6, output=1e-6, call=1e-3)
    four = Pipeline(bank=SOBELS * 2)
    shape = (720, 1280, 3)
    try:
        for per_pass, scale in ((1.0, "full"), (3.0, "preview")):
            calibration.use_table(dataclasses.replace(free, accumulate=per_pass))
            cost = full_scale_cost(four, shape)
            stages = dict(cost.stages)
            convolutions = stages["main kernel"] + stages["bank convolutions"]
            assert convolutions < 0.01 * cost.total_ns
            assert four.map_scale_for(shape) == scale == ("full" if cost.fps() >= 20 else "preview")
        # four maps at 720p: 4 x (range + thumbnail) passes over the frame at least
        assert stages["maps: stages, ranges, thumbnails, pictures"] >= 4 * 1.5 * 720 * 1280 * 3.0
        assert stages["output picture and histogram"] >= 720 * 1280 * 3 * 3.0
        more = [
            four.evolve(relu=True),
            four.evolve(pool=False, relu=True, combine=True),
            four.evolve(selected_map=0),
            four.evolve(combine=True, selected_map=COMBINED_MAP),
        ]
        for pipeline in more:
            assert full_scale_cost(pipeline, shape).total_ns > cost.total_ns
        large = dict(full_scale_cost(more[3], shape).stages)["combined map"]
        assert large > dict(full_scale_cost(more[1], shape).stages)["combined map"]
    finally:
        calibration.use_table(None)


# ----------------------------------------------------------------------------- display choice
def test_auto_draws_the_output_with_the_mapping_it_names():
    frame = frame_of(40, 50)
    outline = presets.get("outline")
    result = Pipeline(kernel=outline).run(frame)
    assert result.display.auto and result.display.mode == "offset"
    assert result.display.line() == "Auto: Offset +128 — this kernel sums to 0, so negatives matter"
    np.testing.assert_array_equal(result.output_image, to_rgb(result.output, "offset"))


def test_auto_draws_a_mostly_negative_colour_output_by_brightness_on_a_diverging_map():
    frame = frame_of(40, 50)
    weights = np.array(presets.get("outline").weights)
    weights[1, 1] = 4.0
    result = Pipeline(kernel=Kernel(weights)).run(frame)
    choice = result.display
    assert (choice.mode, choice.colormap) == ("signed", "bkr")
    low, high = robust_range(result.output, "signed")
    assert choice.value_range == (low, high)
    expected = to_rgb(result.output, "signed", colormap="bkr", value_range=(low, high))
    np.testing.assert_array_equal(result.output_image, expected)
    # readable: not a pale wash, most pixels are clearly blue (negative)
    blue = result.output_image[..., 2].astype(int) - result.output_image[..., 0]
    assert np.mean(blue > 40) > 0.8


def test_a_mode_chosen_by_hand_is_kept_and_says_what_it_hides():
    weights = np.array(presets.get("outline").weights)
    weights[1, 1] = 4.0
    pipeline = Pipeline(kernel=Kernel(weights), display=DisplaySettings("clip", "gray"))
    result = pipeline.run(frame_of(40, 50))
    assert not result.display.auto and result.display.mode == "clip"
    assert result.display.line().startswith("Clip 0–255 — ")
    assert result.display.line().endswith("of the output is below 0 and shows black")
    np.testing.assert_array_equal(result.output_image, to_rgb(result.output, "clip"))


def test_auto_gives_the_bank_one_mapping():
    frame = frame_of(40, 50)
    edges = Pipeline(bank=SOBELS).run(frame)
    assert edges.bank_display.mode == "signed"
    assert edges.bank_display.line() == "Auto: Signed (diverging) — 2 of 2 kernels sum to 0"
    for feature_map in edges.maps:
        value_range = robust_range(feature_map.values, "signed")
        expected = to_rgb(feature_map.values, "signed", colormap="bkr", value_range=value_range)
        np.testing.assert_array_equal(feature_map.image, expected)
    blurs = Pipeline(bank=(presets.get("box"), presets.get("gaussian"))).run(frame)
    assert blurs.bank_display.mode == "clip"
    for feature_map in blurs.maps:
        np.testing.assert_array_equal(feature_map.image, to_rgb(feature_map.values, "clip"))


def test_a_tile_is_reduced_by_whole_blocks_where_that_keeps_most_of_its_side():
    from convlab.engine.pipeline import reduce_for_tile

    rng = np.random.default_rng(4)
    values = rng.normal(0, 50, (72, 128)).astype(np.float32)
    tile = reduce_for_tile(values, 48)  # 3x3 blocks: 42 columns (the last 2 are left out)
    assert tile.shape == (24, 42)
    blocks = values[:72, :126].reshape(24, 3, 42, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(tile, blocks, rtol=1e-5, atol=1e-4)
    # 128 / 2 = 64 > 60 and 128 / 3 = 42 < 3/4 of 60: the general area resize to exactly 60
    assert reduce_for_tile(values, 60).shape == (34, 60)
    assert reduce_for_tile(values, 128) is values


def test_full_scale_tiles_of_a_720p_frame_are_block_means_and_the_range_is_the_full_maps():
    frame = frame_of(720, 1280)
    pipeline = Pipeline(bank=SOBELS, map_scale="full")
    result = pipeline.run(frame)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    full = cv2.filter2D(gray, cv2.CV_32F, SOBELS[1].weights, borderType=cv2.BORDER_REFLECT_101)
    tile = result.maps[1]
    assert tile.values.shape == (240, 426)
    blocks = full[:, :1278].reshape(240, 3, 426, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(tile.values, blocks, rtol=1e-5, atol=1e-2)
    assert tile.value_range == pytest.approx((full.min(), full.max()), abs=1e-2)

"""Display mappings against values worked out by hand (ties avoided: rounding is to nearest)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from convlab.engine import display
from convlab.errors import ConvlabError


def row(*values: float) -> np.ndarray:
    return np.array([values], dtype=np.float32)


def test_clip_saturates_and_rounds() -> None:
    out = display.to_uint8(row(-5.2, 0.0, 3.4, 3.6, 254.6, 300.0), "clip")
    assert out.tolist() == [[0, 0, 3, 4, 255, 255]]
    assert out.dtype == np.uint8


def test_abs_shows_both_signs_bright() -> None:
    out = display.to_uint8(row(-5.2, -300.0, 3.6, 0.0), "abs")
    assert out.tolist() == [[5, 255, 4, 0]]


def test_offset_puts_zero_at_mid_grey() -> None:
    out = display.to_uint8(row(-200.0, -10.0, 0.0, 10.2, 127.0, 130.0), "offset")
    assert out.tolist() == [[0, 118, 128, 138, 255, 255]]


def test_minmax_per_frame_stretches_own_range() -> None:
    # lo=2, hi=6: (v - 2) * 255 / 4 -> 0, 63.75, 255
    out = display.to_uint8(row(2.0, 3.0, 6.0), "minmax")
    assert out.tolist() == [[0, 64, 255]]


def test_minmax_fixed_range_clips_outside() -> None:
    # (v - 0) * 25.5 -> -25.5, 0, 130.05, 255, 280.5
    out = display.to_uint8(row(-1.0, 0.0, 5.1, 10.0, 11.0), "minmax", value_range=(0, 10))
    assert out.tolist() == [[0, 0, 130, 255, 255]]


def test_minmax_flat_map_is_mid_grey_without_division() -> None:
    with np.errstate(all="raise"):
        out = display.to_uint8(np.full((3, 4), 7.0), "minmax")
    assert (out == 128).all()


def test_minmax_zero_width_fixed_range_is_a_step() -> None:
    out = display.to_uint8(row(2.0, 3.0, 4.0), "minmax", value_range=(3, 3))
    assert out.tolist() == [[0, 128, 255]]


def test_signed_per_frame_is_symmetric_about_128() -> None:
    # m = 4: 128 + v * 127 / 4 -> 1, 96.25, 128, 223.25, 255
    out = display.to_uint8(row(-4.0, -1.0, 0.0, 3.0, 4.0), "signed")
    assert out.tolist() == [[1, 96, 128, 223, 255]]


def test_signed_fixed_range_uses_largest_end() -> None:
    # range (-10, 5) -> m = 10: 128 + v * 12.7 -> 0 (sat), 89.9, 128, 178.8, 255 (sat)
    out = display.to_uint8(row(-20.0, -3.0, 0.0, 4.0, 20.0), "signed", value_range=(-10, 5))
    assert out.tolist() == [[0, 90, 128, 179, 255]]


def test_signed_all_zero_is_neutral() -> None:
    assert (display.to_uint8(np.zeros((2, 3)), "signed") == 128).all()


def test_nan_is_zero_response_and_infinities_saturate() -> None:
    values = row(np.nan, np.inf, -np.inf, 5.0)
    assert display.to_uint8(values, "clip").tolist() == [[0, 255, 0, 5]]
    assert display.to_uint8(values, "abs").tolist() == [[0, 255, 255, 5]]
    assert display.to_uint8(values, "offset").tolist() == [[128, 255, 0, 133]]
    # per-frame range comes from the finite values only: m = 5
    assert display.to_uint8(values, "signed").tolist() == [[128, 255, 0, 255]]
    assert display.to_uint8(row(np.nan, 1.0, 3.0, np.inf), "minmax").tolist() == [[0, 0, 255, 255]]


def test_all_nan_map_does_not_fail() -> None:
    out = display.to_uint8(np.full((2, 2), np.nan), "minmax")
    assert out.shape == (2, 2)


@pytest.mark.parametrize("mode", display.DISPLAY_MODES)
@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 1), (5, 7, 3), (5, 7, 6)])
def test_shape_preserved_and_contiguous(mode: str, shape: tuple[int, ...]) -> None:
    values = np.random.default_rng(0).normal(0, 100, size=shape).astype(np.float32)
    out = display.to_uint8(values, mode)
    assert out.shape == shape
    assert out.dtype == np.uint8
    assert out.flags.c_contiguous


@pytest.mark.parametrize("mode", display.DISPLAY_MODES)
def test_matches_elementwise_reference_on_random_multichannel(mode: str) -> None:
    values = np.random.default_rng(1).normal(0, 120, size=(9, 11, 3))
    lo, hi = values.min(), values.max()
    m = max(abs(lo), abs(hi))
    reference = {
        "clip": values,
        "abs": np.abs(values),
        "offset": values + 128,
        "minmax": (values - lo) * 255 / (hi - lo),
        "signed": 128 + values * 127 / m,
    }[mode]
    expected = np.clip(np.rint(reference), 0, 255)
    out = display.to_uint8(values, mode)
    assert np.abs(out.astype(int) - expected).max() <= 1  # float rounding at .5 boundaries
    assert (out.astype(int) == expected).mean() > 0.98


def test_non_contiguous_and_integer_inputs() -> None:
    values = np.arange(12, dtype=np.float32).reshape(3, 4).T * 30  # transposed view
    out = display.to_uint8(values, "clip")
    assert out.flags.c_contiguous
    assert out.tolist() == np.clip(values, 0, 255).astype(np.uint8).tolist()
    assert display.to_uint8(np.array([[0, 1000]], np.uint16), "clip").tolist() == [[0, 255]]
    assert display.to_uint8(np.array([[-7, 3]], np.int16), "abs").tolist() == [[7, 3]]


def test_empty_map() -> None:
    assert display.to_uint8(np.zeros((0, 5), np.float32), "minmax").shape == (0, 5)


def test_bad_arguments_raise_convlab_error() -> None:
    with pytest.raises(ConvlabError, match="bogus"):
        display.to_uint8(row(1.0), "bogus")
    with pytest.raises(ConvlabError, match="finite"):
        display.to_uint8(row(1.0), "minmax", value_range=(0, np.nan))
    with pytest.raises(ConvlabError, match="above"):
        display.to_uint8(row(1.0), "minmax", value_range=(5, 1))
    with pytest.raises(ConvlabError, match="shape"):
        display.to_uint8(np.zeros(5), "clip")
    with pytest.raises(ConvlabError, match="nosuchmap"):
        display.to_rgb(row(1.0), "clip", colormap="nosuchmap")


def test_colormap_tables() -> None:
    names = display.colormap_names()
    for required in ("gray", "viridis", "magma", "inferno", "coolwarm", "jet"):
        assert required in names
    for name in names:
        lut = display.COLORMAPS[name]
        assert lut.shape == (256, 3)
        assert lut.dtype == np.uint8
    assert display.COLORMAPS["gray"][77].tolist() == [77, 77, 77]
    # viridis runs from dark purple to yellow (RGB, not OpenCV's BGR)
    viridis = display.COLORMAPS["viridis"].astype(int)
    assert np.abs(viridis[0] - [68, 1, 84]).max() <= 3
    assert np.abs(viridis[255] - [253, 231, 37]).max() <= 3
    assert display.colormap_lut("diverging") is display.COLORMAPS["bkr"]


def test_diverging_tables_are_neutral_at_128() -> None:
    coolwarm = display.COLORMAPS["coolwarm"]
    assert coolwarm[128].tolist() == [221, 221, 221]
    assert coolwarm[1].tolist() == [59, 76, 192]  # blue end
    assert coolwarm[255].tolist() == [180, 4, 38]  # red end
    bwr = display.COLORMAPS["bwr"]
    assert bwr[128].tolist() == [255, 255, 255]
    assert bwr[1].tolist() == [0, 0, 255]
    assert bwr[255].tolist() == [255, 0, 0]


def _luminance(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=np.float64)
    return 0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]


def test_the_signed_map_has_a_dark_zero_and_light_saturated_ends() -> None:
    """Zero is near black; lightness grows with |value| on both sides alike, so a sparse
    edge map reads as bright edges on dark, not as a pale fog; the sign is the hue."""
    bkr = display.COLORMAPS["bkr"].astype(int)
    assert _luminance(bkr[128]) < 20
    below, above = _luminance(bkr[1:128][::-1]), _luminance(bkr[129:256])
    assert np.all(np.diff(below) >= 0) and np.all(np.diff(above) >= 0)
    assert np.abs(below - above).max() < 40  # symmetric: neither sign looks stronger
    assert _luminance(bkr[1]) > 150 and _luminance(bkr[255]) > 150
    blue, red = bkr[1], bkr[255]
    assert blue[2] > blue[0] + 100 and red[0] > red[2] + 100  # saturated, blue − and red +
    # a response at a tenth of the range is already a fifth of the way to full lightness
    tenth = _luminance(bkr[128 + 13])
    assert tenth - _luminance(bkr[128]) > 0.12 * (_luminance(bkr[255]) - _luminance(bkr[128]))


def test_to_rgb_gray_single_channel_repeats() -> None:
    out = display.to_rgb(row(-3.0, 10.4, 300.0), "clip")
    assert out.shape == (1, 3, 3)
    assert out[0].tolist() == [[0, 0, 0], [10, 10, 10], [255, 255, 255]]
    assert out.flags.c_contiguous


def test_to_rgb_keeps_rgb_under_gray() -> None:
    values = np.random.default_rng(2).normal(100, 80, size=(6, 5, 3)).astype(np.float32)
    assert np.array_equal(display.to_rgb(values, "offset"), display.to_uint8(values, "offset"))


def test_to_rgb_colormap_uses_channel_mean() -> None:
    values = np.array([[[30.0, 60.0, 90.0], [0.0, 0.0, 3.0]]], dtype=np.float32)  # means 60, 1
    out = display.to_rgb(values, "clip", colormap="viridis")
    ramp = np.array([[60, 1]], dtype=np.uint8)
    expected = cv2.applyColorMap(ramp, cv2.COLORMAP_VIRIDIS)[..., ::-1]  # OpenCV draws BGR
    assert out.tolist() == expected.tolist()


def test_to_rgb_signed_is_diverging_with_neutral_zero() -> None:
    values = row(-5.0, 0.0, 5.0)
    out = display.to_rgb(values, "signed")  # colormap "gray" is not diverging -> bkr
    bkr = display.COLORMAPS["bkr"]
    assert out[0].tolist() == [bkr[1].tolist(), bkr[128].tolist(), bkr[255].tolist()]
    out = display.to_rgb(values, "signed", colormap="coolwarm")
    assert out[0].tolist() == [[59, 76, 192], [221, 221, 221], [180, 4, 38]]
    out = display.to_rgb(values, "signed", colormap="bwr")
    assert out[0].tolist() == [[0, 0, 255], [255, 255, 255], [255, 0, 0]]
    # channel mean: (3, -3, 0) averages to 0 -> neutral, (6, 6, 6) -> the positive end
    multi = np.array([[[3.0, -3.0, 0.0], [6.0, 6.0, 6.0]]], dtype=np.float32)
    out = display.to_rgb(multi, "signed", colormap="bwr")
    assert out[0].tolist() == [[255, 255, 255], [255, 0, 0]]


@pytest.mark.parametrize("mode", display.DISPLAY_MODES)
@pytest.mark.parametrize("colormap", ["gray", "magma", "coolwarm"])
def test_to_rgb_hd_frame_shape(mode: str, colormap: str) -> None:
    frame = np.random.default_rng(3).normal(0, 90, size=(72, 128, 3)).astype(np.float32)
    out = display.to_rgb(frame, mode, colormap=colormap)
    assert out.shape == (72, 128, 3)
    assert out.dtype == np.uint8
    assert out.flags.c_contiguous


def test_histogram_small_counts() -> None:
    counts, edges = display.histogram(row(0.0, 0.0, 1.0, 2.0, 3.0, np.nan), bins=3)
    assert counts.tolist() == [2, 1, 2]
    assert np.allclose(edges, [0, 1, 2, 3])


def test_histogram_fixed_range_and_flat() -> None:
    counts, edges = display.histogram(row(-1.0, 0.5, 1.5, 9.0), bins=2, value_range=(0, 2))
    assert counts.tolist() == [1, 1]
    assert np.allclose(edges, [0, 1, 2])
    counts, edges = display.histogram(np.full((4, 4), 5.0), bins=4)
    assert counts.sum() == 16
    assert edges[0] == 4.5
    assert edges[-1] == 5.5


def test_histogram_subsamples_big_maps() -> None:
    values = np.zeros((1500, 1500), np.float32)
    values[:, 750:] = 1.0
    counts, _ = display.histogram(values, bins=2)
    assert counts.sum() <= 300_000
    assert abs(counts[0] - counts[1]) <= counts.sum() * 0.01  # still half and half


def test_weight_colours_are_the_signed_display_of_the_weights() -> None:
    """Every weight display uses one palette: the same colours a signed map of them shows."""
    weights = np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 2.0]])
    expected = display.to_rgb(weights, "signed", colormap="coolwarm", value_range=(-2.0, 2.0))
    np.testing.assert_array_equal(display.weight_colours(weights), expected)
    neutral = display.colormap_lut("coolwarm")[128]
    np.testing.assert_array_equal(display.weight_colours(weights)[0, 2], neutral)


def test_weight_colours_limit_saturates_and_odd_inputs_stay_neutral() -> None:
    lut = display.colormap_lut("coolwarm")
    shared = display.weight_colours(np.array([0.5, 3.0, -3.0]), limit=1.0)
    np.testing.assert_array_equal(shared, lut[[192, 255, 1]])  # 128 + 127 * 0.5 rounds to 192
    np.testing.assert_array_equal(
        display.weight_colours(np.zeros((2, 2))), np.tile(lut[128], (2, 2, 1))
    )
    np.testing.assert_array_equal(display.weight_colours(np.array([np.nan]), limit=1.0), lut[[128]])
    assert display.weight_colours(np.zeros((0, 3))).shape == (0, 3, 3)


def test_dark_text_on_light_cells_light_text_on_dark_ones() -> None:
    colours = np.array([[255, 255, 255], [0, 0, 0], [59, 76, 192], [221, 221, 221]])
    assert display.dark_text_reads_better(colours).tolist() == [True, False, False, True]


# ----------------------------------------------------------------------------- Auto
def photo() -> np.ndarray:
    """A picture with what photos have: smooth shading, edges both ways, texture, noise."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:96, 0:128]
    image = 60 + 100 * xx / 128 + 40 * np.sin(yy / 9.0)
    image[20:60, 30:70] += 70
    image[50:80, 80:110] -= 40
    image += rng.normal(0, 4, image.shape)
    return np.clip(image, 0, 255).astype(np.float32)


def auto_for(weights, offset: float = 0.0, image: np.ndarray | None = None):
    from convlab.engine.convolve import convolve
    from convlab.engine.kernels import Kernel

    kernel = Kernel(np.asarray(weights, dtype=np.float64), offset=offset)
    response = convolve(photo() if image is None else image, kernel)
    return display.auto_mode(kernel.effective, kernel.offset, display.response_stats(response))


def test_auto_shows_a_zero_sum_kernels_negatives_around_mid_grey() -> None:
    outline = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
    sobel = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    for weights in (outline, sobel):
        mode, reason = auto_for(weights)
        assert mode == "offset"
        assert reason == "this kernel sums to 0, so negatives matter"


def test_auto_stretches_a_zero_sum_kernels_weak_responses() -> None:
    tiny = np.array([[-1, 0, 1]]) / 100.0  # a derivative scaled down: responses near 0
    assert auto_for(tiny)[0] == "signed"


def test_auto_keeps_a_margin_between_weak_and_strong_zero_sum_responses() -> None:
    """On the sample photo, full size and as a gallery preview: the Laplacian of Gaussian is
    stretched, the 3x3 edge kernels sit around mid-grey, none of them near the threshold."""
    from convlab.engine import presets
    from convlab.engine.assets import resource_path
    from convlab.engine.convolve import convolve
    from convlab.engine.pipeline import shrink
    from convlab.engine.thumbnails import PREVIEW_SIDE

    path = resource_path("images", "astronaut.jpg")
    full = cv2.imread(str(path))[:, :, ::-1].astype(np.float32)
    for image in (full, shrink(full, PREVIEW_SIDE)):
        for name in ("log", "laplacian", "sobel_x", "outline"):
            kernel = presets.get(name)
            stats = display.response_stats(convolve(image, kernel))
            mode, _ = display.auto_mode(kernel.effective, kernel.offset, stats)
            assert mode == ("signed" if name == "log" else "offset")
            ratio = stats.strong / display.WEAK_RESPONSE
            assert ratio < 0.7 or ratio > 2, (name, stats.strong)


def test_auto_shows_a_mostly_negative_output_signed_and_says_how_much() -> None:
    centre_four = [[-1, -1, -1], [-1, 4, -1], [-1, -1, -1]]  # sums to -4: all goes negative
    assert auto_for(centre_four) == (
        "signed",
        "all of the output is below 0 (weights sum to −4)",
    )
    image = photo()
    share = np.mean(image - 150.0 < -0.5)  # the identity kernel, minus 150
    assert 0.3 < share < 0.9
    mode, reason = auto_for([[1.0]], offset=-150.0)
    assert mode == "signed"
    assert reason == f"{100 * share:.0f}% of the output is below 0 (weights sum to 1)"


def test_auto_clips_blurs_and_sharpening_as_an_image_editor_does() -> None:
    box = np.ones((3, 3)) / 9
    sharpen = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    assert auto_for(box) == ("clip", "a blur: no negative weights, the output stays in 0–255")
    assert auto_for(sharpen) == ("clip", "weights sum to 1: brightness is kept, overshoots clip")


def test_auto_says_when_a_kernel_is_not_normalized() -> None:
    mode, reason = auto_for(np.ones((3, 3)))  # box without its divisor: 9 times too bright
    assert mode == "clip"
    assert reason.startswith("weights sum to 9: ") and "above 255" in reason


def test_auto_leaves_a_zero_sum_kernel_with_its_own_offset_alone() -> None:
    sobel = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert auto_for(sobel, offset=128.0)[0] == "clip"  # Normalize's answer to zero-sum kernels


def test_response_stats_count_against_the_whole_array() -> None:
    values = np.linspace(-100, 400, 50_001).reshape(1, -1)
    stats = display.response_stats(values)
    assert stats.below == pytest.approx(np.mean(values < -0.5), abs=0.002)
    assert stats.above == pytest.approx(np.mean(values > 255.5), abs=0.002)
    assert stats.strong == pytest.approx(np.quantile(np.abs(values), 0.995), rel=0.01)
    assert display.response_stats(np.full((3, 3), np.nan)) == display.ResponseStats()


def test_zero_sum_allows_float_rounding_only() -> None:
    from convlab.engine.kernels import sums_to_zero

    assert sums_to_zero(np.array([[0.1, 0.2, -0.3]]))
    assert not sums_to_zero(np.array([[1.0, -0.99]]))
    assert not sums_to_zero(np.zeros((3, 3)))


def test_the_colormap_used_always_suits_the_mode() -> None:
    assert display.colormap_for("signed", "gray") == "bkr"
    assert display.colormap_for("signed", "bwr") == "bwr"
    assert display.colormap_for("clip", "coolwarm") == "gray"
    assert display.colormap_for("offset", "coolwarm") == "coolwarm"
    assert display.colormap_for("minmax", "viridis") == "viridis"
    assert display.colormaps_for("signed") == ["bkr", "coolwarm", "bwr"]
    assert "coolwarm" not in display.colormaps_for("abs")
    for mode in display.DISPLAY_MODES:
        for name in display.colormap_names():
            assert display.colormap_for(mode, name) in display.colormaps_for(mode)


def test_the_choice_line_names_the_mode_and_the_reason() -> None:
    choice = display.DisplayChoice("offset", "gray", "this kernel sums to 0", auto=True)
    assert choice.line() == "Auto: Offset +128 — this kernel sums to 0"
    by_hand = display.DisplayChoice(
        "clip", "gray", display.mode_note("clip", display.ResponseStats(below=0.9))
    )
    assert by_hand.line() == "Clip 0–255 — 90% of the output is below 0 and shows black"

"""pixel_breakdown against convolve and np.pad, output_size against counting, and the slides'
parameter counts."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.engine import Kernel, convolve, output_size, parameter_counts, pixel_breakdown
from convlab.engine.explain import source_index
from convlab.errors import ConvlabError

NUMPY_BORDER = {
    "reflect101": "reflect",
    "reflect": "symmetric",
    "replicate": "edge",
    "constant": "constant",
    "wrap": "wrap",
}
BORDERS = tuple(NUMPY_BORDER)

# -- the slides' numbers ----------------------------------------------------------------------


def test_slides_32x32_image_needs_a_1000_by_1024_weight_matrix() -> None:
    counts = parameter_counts(32, 32, hidden=1000)
    assert counts["inputs"] == 1024
    assert counts["fully_connected"] == 1000 * 1024


def test_slides_720x960_image_needs_a_1000_by_691200_weight_matrix() -> None:
    counts = parameter_counts(720, 960, hidden=1000)
    assert counts["inputs"] == 691_200
    assert counts["fully_connected"] == 1000 * 691_200


def test_slides_megapixel_image_with_a_million_hidden_units() -> None:
    counts = parameter_counts(1000, 1000, hidden=1_000_000, filters=100, kernel=10)
    assert counts["fully_connected"] == 10**12
    assert counts["locally_connected"] == 10**8
    assert counts["convolutional"] == 10_000


def test_parameter_counts_scale_with_colour_channels() -> None:
    counts = parameter_counts(32, 32, hidden=10, channels=3, filters=4, kernel=5)
    assert counts == {"inputs": 3072, "fully_connected": 30720, "locally_connected": 250,
                      "convolutional": 300}


@pytest.mark.parametrize("kwargs", [{"hidden": 0}, {"channels": -1}, {"kernel": 40},
                                    {"filters": 2.5}])
def test_parameter_counts_reject_impossible_layers(kwargs: dict) -> None:
    with pytest.raises(ConvlabError):
        parameter_counts(32, 32, **kwargs)


# -- output size ------------------------------------------------------------------------------


def count_positions(n: int, k: int, padding: int, stride: int, dilation: int) -> int:
    """Slide the window by hand and count where it fits."""
    count = 0
    start = 0
    while start + dilation * (k - 1) <= n + 2 * padding - 1:
        count += 1
        start += stride
    return count


@pytest.mark.parametrize("n", [1, 4, 7, 9])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("dilation", [1, 2])
def test_output_size_counts_window_positions(n: int, k: int, padding: int, stride: int,
                                             dilation: int) -> None:
    expected = count_positions(n, k, padding, stride, dilation)
    if expected < 1:
        with pytest.raises(ConvlabError, match="does not fit"):
            output_size(n, k, padding=padding, stride=stride, dilation=dilation)
        return
    assert output_size(n, k, padding=padding, stride=stride, dilation=dilation) == expected
    image = np.zeros((n, 3), dtype=np.float32)
    height = convolve(image, np.ones((k, 1)), padding=padding, stride=stride,
                      dilation=dilation).shape[0]
    assert height == expected


def test_output_size_examples_from_the_arithmetic_guide() -> None:
    assert output_size(5, 3) == 3
    assert output_size(5, 3, padding=1) == 5
    assert output_size(7, 3, padding=1, stride=2) == 4
    assert output_size(7, 3, dilation=2) == 3


@pytest.mark.parametrize(("kwargs", "word"),
                         [({"n": 0, "k": 3}, "input size"), ({"n": 5, "k": 0}, "kernel size"),
                          ({"n": 5, "k": 3, "stride": 0}, "stride"),
                          ({"n": 5, "k": 3, "dilation": 0}, "dilation"),
                          ({"n": 5, "k": 3, "padding": -1}, "padding"),
                          ({"n": 5, "k": 3, "padding": 0.5}, "padding"),
                          ({"n": 3, "k": 5}, "does not fit")])
def test_output_size_explains_bad_arguments(kwargs: dict, word: str) -> None:
    with pytest.raises(ConvlabError, match=word):
        output_size(**kwargs)


# -- border rule and pixel breakdown ----------------------------------------------------------


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("length", [1, 2, 5])
def test_source_index_agrees_with_np_pad(border: str, length: int) -> None:
    values = np.arange(1, length + 1)
    extra = 13
    padded = np.pad(values, extra, mode=NUMPY_BORDER[border])
    index = source_index(np.arange(-extra, length + extra), length, border)
    looked_up = np.where(index >= 0, values[np.clip(index, 0, length - 1)], 0)
    np.testing.assert_array_equal(looked_up, padded)


def _positions(height: int, width: int) -> list[tuple[int, int]]:
    """Corners, edge midpoints and the centre."""
    rows, cols = (0, height // 2, height - 1), (0, width // 2, width - 1)
    return sorted({(r, c) for r in rows for c in cols})


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("kshape", [(3, 3), (4, 4), (5, 2), (7, 7)], ids=str)
def test_breakdown_equals_convolve_at_corners_and_edges(border: str,
                                                        kshape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    kernel = Kernel(rng.integers(-3, 4, kshape), divisor=3.0, offset=2.0)
    output = convolve(image, kernel, border=border)
    for row, col in _positions(6, 8):
        for channel in range(3):
            info = pixel_breakdown(image, kernel, row, col, border=border, channel=channel)
            assert info["result"] == pytest.approx(float(output[row, col, channel]),
                                                   abs=1e-3)
            assert info["total"] == pytest.approx(float(info["products"].sum()))
            assert info["result"] == pytest.approx(info["total"] / 3.0 + 2.0)


@pytest.mark.parametrize("border", BORDERS)
def test_breakdown_patch_is_the_padded_image_window(border: str) -> None:
    image = np.arange(20, dtype=np.float64).reshape(4, 5)
    kernel = Kernel(np.arange(1, 13).reshape(4, 3))
    top, left = 1, 1  # "same" for a 4x3 kernel pads (1, 2) rows and (1, 1) columns
    padded = np.pad(image, ((top, 2), (left, 1)), mode=NUMPY_BORDER[border])
    for row, col in _positions(4, 5):
        info = pixel_breakdown(image, kernel, row, col, border=border)
        np.testing.assert_array_equal(info["patch"], padded[row:row + 4, col:col + 3])
        np.testing.assert_array_equal(info["weights"], kernel.weights)
        np.testing.assert_array_equal(info["products"], info["patch"] * kernel.weights)
        np.testing.assert_array_equal(info["rows"], np.arange(row - 1, row + 3))
        np.testing.assert_array_equal(info["cols"], np.arange(col - 1, col + 2))
        inside = ((info["rows"] >= 0) & (info["rows"] < 4))[:, None] & (
            (info["cols"] >= 0) & (info["cols"] < 5))[None, :]
        np.testing.assert_array_equal(info["in_bounds"], inside)


def test_breakdown_at_the_top_left_corner_shows_the_border() -> None:
    image = np.arange(1, 10, dtype=np.uint8).reshape(3, 3)
    info = pixel_breakdown(image, np.ones((3, 3)), 0, 0, border="constant")
    np.testing.assert_array_equal(info["patch"], [[0, 0, 0], [0, 1, 2], [0, 4, 5]])
    assert info["total"] == 12.0 and info["result"] == 12.0
    assert info["in_bounds"].sum() == 4
    np.testing.assert_array_equal(info["source_rows"], [-1, 0, 1])


def test_breakdown_rejects_pixels_and_channels_that_do_not_exist() -> None:
    image = np.zeros((4, 5, 3), dtype=np.uint8)
    with pytest.raises(ConvlabError, match="outside"):
        pixel_breakdown(image, np.ones((3, 3)), 4, 0)
    with pytest.raises(ConvlabError, match="outside"):
        pixel_breakdown(image, np.ones((3, 3)), 0, -1)
    with pytest.raises(ConvlabError, match="channel"):
        pixel_breakdown(image, np.ones((3, 3)), 0, 0, channel=3)
    with pytest.raises(ConvlabError, match="border"):
        pixel_breakdown(image, np.ones((3, 3)), 0, 0, border="mirror")
    with pytest.raises(ConvlabError, match="image"):
        pixel_breakdown(np.zeros((0, 3)), np.ones((3, 3)), 0, 0)

"""pixel_breakdown against convolve and np.pad, output_size against counting, and the slides'
parameter counts."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.engine import Kernel, convolve, output_size, parameter_counts, pixel_breakdown
from convlab.engine.explain import (
    nearest_output_pixel,
    source_index,
    window_breakdown,
    window_taps,
)
from convlab.errors import ConvlabError
from tests.engine.test_convolve import NUMPY_BORDER  # our border names -> np.pad's modes

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
    """Every count includes the input channels: an RGB window is k x k x 3 numbers."""
    counts = parameter_counts(32, 32, hidden=10, channels=3, filters=4, kernel=5)
    gray = parameter_counts(32, 32, hidden=10, channels=1, filters=4, kernel=5)
    # 1024 locations, one unit each, 5 x 5 x 3 = 75 weights per unit (per 10 units: 750, not 250)
    assert counts == {
        "inputs": 3072,
        "fully_connected": 30720,
        "locally_connected": 76_800,
        "convolutional": 300,
    }
    for key in ("fully_connected", "locally_connected", "convolutional"):
        assert counts[key] == 3 * gray[key]


def test_a_locally_connected_layer_has_one_unit_per_location() -> None:
    """The hidden-unit count belongs to the fully connected layer; locations set the local one."""
    for hidden in (1, 1000, 1_000_000):
        counts = parameter_counts(1000, 1000, hidden=hidden, filters=100, kernel=10)
        assert counts["locally_connected"] == 1000 * 1000 * 10 * 10 == 10**8
    assert parameter_counts(20, 30, kernel=3)["locally_connected"] == 20 * 30 * 9


@pytest.mark.parametrize(
    "kwargs", [{"hidden": 0}, {"channels": -1}, {"kernel": 40}, {"filters": 2.5}]
)
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
def test_output_size_counts_window_positions(
    n: int, k: int, padding: int, stride: int, dilation: int
) -> None:
    expected = count_positions(n, k, padding, stride, dilation)
    if expected < 1:
        with pytest.raises(ConvlabError, match="does not fit"):
            output_size(n, k, padding=padding, stride=stride, dilation=dilation)
        return
    assert output_size(n, k, padding=padding, stride=stride, dilation=dilation) == expected
    image = np.zeros((n, 3), dtype=np.float32)
    height = convolve(
        image, np.ones((k, 1)), padding=padding, stride=stride, dilation=dilation
    ).shape[0]
    assert height == expected


def test_output_size_examples_from_the_arithmetic_guide() -> None:
    assert output_size(5, 3) == 3
    assert output_size(5, 3, padding=1) == 5
    assert output_size(7, 3, padding=1, stride=2) == 4
    assert output_size(7, 3, dilation=2) == 3


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"n": 0, "k": 3}, "input size"),
        ({"n": 5, "k": 0}, "kernel size"),
        ({"n": 5, "k": 3, "stride": 0}, "stride"),
        ({"n": 5, "k": 3, "dilation": 0}, "dilation"),
        ({"n": 5, "k": 3, "padding": -1}, "padding"),
        ({"n": 5, "k": 3, "padding": 0.5}, "padding"),
        ({"n": 3, "k": 5}, "does not fit"),
    ],
)
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
def test_breakdown_equals_convolve_at_corners_and_edges(
    border: str, kshape: tuple[int, int]
) -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    kernel = Kernel(rng.integers(-3, 4, kshape), divisor=3.0, offset=2.0)
    output = convolve(image, kernel, border=border)
    for row, col in _positions(6, 8):
        for channel in range(3):
            info = pixel_breakdown(image, kernel, row, col, border=border, channel=channel)
            assert info["result"] == pytest.approx(float(output[row, col, channel]), abs=1e-3)
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
        np.testing.assert_array_equal(info["patch"], padded[row : row + 4, col : col + 3])
        np.testing.assert_array_equal(info["weights"], kernel.weights)
        np.testing.assert_array_equal(info["products"], info["patch"] * kernel.weights)
        np.testing.assert_array_equal(info["rows"], np.arange(row - 1, row + 3))
        np.testing.assert_array_equal(info["cols"], np.arange(col - 1, col + 2))
        inside = ((info["rows"] >= 0) & (info["rows"] < 4))[:, None] & (
            (info["cols"] >= 0) & (info["cols"] < 5)
        )[None, :]
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


# -- any padding, stride and dilation ----------------------------------------------------------


def _loop_window(image, weights, row, col, border, top, left, stride, dilation):
    """The sum for one output pixel, reading from an image numpy padded with the border rule."""
    margin = 8
    padded = np.pad(image, margin, mode=NUMPY_BORDER[border])
    total = 0.0
    for u in range(weights.shape[0]):
        for v in range(weights.shape[1]):
            r = row * stride + u * dilation - top + margin
            c = col * stride + v * dilation - left + margin
            total += weights[u, v] * padded[r, c]
    return total


@pytest.mark.parametrize("border", BORDERS)
def test_window_breakdown_matches_a_loop_at_corners(border):
    image = np.random.default_rng(5).integers(0, 256, (9, 11)).astype(float)
    kernel = Kernel(np.arange(15.0).reshape(3, 5) - 7, divisor=3.0, offset=2.0)
    for row, col in [(0, 0), (0, 10), (8, 0), (8, 10), (4, 5)]:
        parts = window_breakdown(image, kernel, row, col, border=border)
        expected = _loop_window(image, kernel.weights, row, col, border, 1, 2, 1, 1)
        assert np.isclose(parts["total"], expected)
        assert np.isclose(parts["result"], expected / 3.0 + 2.0)
        np.testing.assert_allclose(parts["products"], parts["patch"] * kernel.weights)
    corner = window_breakdown(image, kernel, 0, 0, border=border)
    assert not corner["in_bounds"][0].any() and corner["in_bounds"][1:, 2:].all()


def test_window_breakdown_with_stride_dilation_and_valid_padding():
    image = np.random.default_rng(6).integers(0, 256, (12, 12)).astype(float)
    kernel = Kernel(np.random.default_rng(1).normal(size=(3, 3)))
    parts = window_breakdown(
        image, kernel, 2, 3, border="reflect", padding="valid", stride=2, dilation=2
    )
    assert parts["rows"].tolist() == [4, 6, 8] and parts["cols"].tolist() == [6, 8, 10]
    assert np.isclose(
        parts["total"], _loop_window(image, kernel.weights, 2, 3, "reflect", 0, 0, 2, 2)
    )


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize(
    ("padding", "stride", "dilation"),
    [("same", 1, 1), ("same", 2, 1), ("valid", 1, 2), (3, 3, 1), ("same", 1, 3)],
)
def test_window_breakdown_matches_convolve_everywhere_on_the_edge(
    border, padding, stride, dilation
):
    image = np.random.default_rng(8).integers(0, 256, (13, 16)).astype(np.uint8)
    kernel = Kernel(np.random.default_rng(9).normal(size=(3, 4)), divisor=2.0, offset=5.0)
    expected = convolve(
        image, kernel, border=border, padding=padding, stride=stride, dilation=dilation
    )
    height, width = expected.shape
    edge = [
        (r, c)
        for r in range(height)
        for c in range(width)
        if r in (0, height - 1) or c in (0, width - 1)
    ]
    for r, c in edge:
        parts = window_breakdown(
            image, kernel, r, c, border=border, padding=padding, stride=stride, dilation=dilation
        )
        assert np.isclose(parts["result"], expected[r, c], rtol=1e-5, atol=1e-3), (r, c)


@pytest.mark.parametrize(
    ("padding", "stride", "dilation", "k"),
    [
        ("same", 1, 1, 3),
        ("same", 2, 1, 7),
        ("same", 3, 1, 4),
        ("valid", 1, 1, 5),
        ("valid", 2, 2, 3),
        (2, 3, 1, 3),
        (0, 2, 1, 2),
    ],
)
def test_nearest_output_pixel_is_the_output_pixel_whose_window_centre_is_closest(
    padding, stride: int, dilation: int, k: int
) -> None:
    height, width = 11, 14
    out_h, out_w = convolve(
        np.zeros((height, width)),
        np.ones((k, k)),
        padding=padding,
        stride=stride,
        dilation=dilation,
    ).shape
    top = {"same": dilation * (k - 1) // 2, "valid": 0}.get(padding, padding)
    # window centres from the definition; a pixel exactly between two centres goes to the later
    centres = [i * stride - top + dilation * (k - 1) / 2 for i in range(max(out_h, out_w))]

    def closest(value: int, count: int) -> int:
        distances = [abs(value - centres[i]) for i in range(count)]
        best = min(distances)
        return max(i for i in range(count) if distances[i] == best)

    for row in range(height):
        for col in range(width):
            found = nearest_output_pixel(
                (row, col),
                (height, width, 3),
                (k, k),
                padding=padding,
                stride=stride,
                dilation=dilation,
            )
            assert found == (closest(row, out_h), closest(col, out_w)), (row, col)


def test_nearest_output_pixel_is_the_pixel_itself_by_default_and_none_when_nothing_fits() -> None:
    assert nearest_output_pixel((4, 7), (9, 9), (3, 5)) == (4, 7)
    assert nearest_output_pixel((0, 0), (3, 3), (5, 5), padding="valid") is None


def test_window_taps_follow_the_padding_stride_and_dilation() -> None:
    rows, cols = window_taps(2, 1, (3, 4), padding="same", stride=2, dilation=2)
    # "same" pads 2*(3-1)//2 = 2 rows above and 2*(4-1)//2 = 3 columns left
    assert rows.tolist() == [2 * 2 - 2 + 2 * u for u in range(3)]
    assert cols.tolist() == [1 * 2 - 3 + 2 * v for v in range(4)]
    rows, cols = window_taps(0, 0, (3, 3), padding="valid")
    assert rows.tolist() == [0, 1, 2] and cols.tolist() == [0, 1, 2]

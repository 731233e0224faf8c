"""Convolution strip by strip gives the numbers of one call on the whole image, bit for bit,
for every border, padding, stride, dilation, mode, channel mode and method."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from convlab.engine import Kernel, convolve, gaussian_kernel
from convlab.engine.convolve import BORDERS
from convlab.engine.strips import strip_convolution, strip_limits
from convlab.errors import ConvlabError, KernelError
from tests.engine.test_convolve import reference

RNG = np.random.default_rng(7)
PADDINGS = ("same", "valid", 0, 1, 6)  # 6: more than the 5-row image has
KERNELS = (
    Kernel(RNG.normal(size=(3, 3)), divisor=1.7, offset=-3.0),
    Kernel(RNG.normal(size=(2, 4)), offset=2.5),  # even: "same" puts the extra row below
    gaussian_kernel(2, 1.2),  # separable and symmetric: OpenCV's symmetric column filter
)
IMAGES = (
    RNG.integers(0, 256, (23, 19, 3), dtype=np.uint8),
    RNG.integers(0, 256, (5, 40, 3), dtype=np.uint8),  # fewer rows than some paddings
    RNG.integers(0, 65536, (17, 9), dtype=np.uint16),
    RNG.normal(size=(11, 13, 1)).astype(np.float64),  # H x W x 1, not a native depth
)


def in_strips(strips, rows: int) -> np.ndarray:
    limits = strip_limits(strips.shape[0], strips.row_unit, rows=rows)
    return np.concatenate([strips.rows(first, stop) for first, stop in limits])


@pytest.mark.parametrize(("border", "padding"), list(itertools.product(BORDERS, PADDINGS)))
def test_strips_equal_the_whole_image_bit_for_bit(border, padding):
    checked = 0
    for image, kernel, stride, dilation, (mode, channels) in itertools.product(
        IMAGES, KERNELS, (1, 2, 3), (1, 2),
        (("correlate", "per_channel"), ("convolve", "gray"), ("correlate", "sum")),
    ):  # fmt: skip
        settings = {"border": border, "padding": padding, "stride": stride,
                    "dilation": dilation, "mode": mode, "channels": channels}  # fmt: skip
        try:
            whole = convolve(image, kernel, **settings)
        except ConvlabError:  # e.g. "valid" with a kernel taller than the image
            with pytest.raises(ConvlabError):
                strip_convolution(image, kernel, **settings)
            continue
        strips = strip_convolution(image, kernel, **settings)
        assert strips.shape == whole.shape
        whole = convolve(image, kernel, method=strips.method, **settings)
        for rows in (1, 4):  # one row at a time, and strips that end inside the border
            assert np.array_equal(in_strips(strips, rows), whole), (settings, rows)
        checked += 1
    assert checked > 150


# Kernels of 50 taps and more: OpenCV filters them through its DFT, in tiles; strips start on
# a tile and read whole tiles, so the tiles (and their rounding) are the whole image's.
@pytest.mark.parametrize(
    ("shape", "size", "settings"),
    [
        ((620, 31), 8, {"method": "filter2d"}),  # uint8 through OpenCV's DFT
        ((620, 31), 8, {"method": "filter2d", "stride": 2, "border": "constant"}),
        ((620, 23, 3), 12, {"method": "filter2d_f32", "padding": 3}),
        ((620, 31), 8, {"method": "dilated", "dilation": 2, "stride": 3, "border": "reflect"}),
        ((620, 29, 3), 9, {"method": "auto", "channels": "gray", "mode": "convolve"}),
        ((620, 31), 9, {"method": "multi_separable", "dilation": 3, "border": "wrap"}),
    ],
)
def test_strips_of_dft_sized_kernels_are_exact_too(shape, size, settings):
    image = RNG.integers(0, 256, shape, dtype=np.uint8)
    kernel = Kernel(RNG.normal(size=(size, size)), offset=1.0)
    method = settings.pop("method")
    strips = strip_convolution(image, kernel, method=method, **settings)
    whole = convolve(image, kernel, method=strips.method, **settings)
    for rows in (1, 300):
        assert np.array_equal(in_strips(strips, rows), whole)


def test_strips_of_the_tiled_dft_agree_to_float32_rounding():
    """ConvLab's own DFT may size its tiles by the plane it is given: a strip's rounding can
    differ from the whole image's in the last bits, never more."""
    image = RNG.integers(0, 256, (700, 37), dtype=np.uint8)
    kernel = Kernel(RNG.normal(size=(15, 15)))
    strips = strip_convolution(image, kernel, method="dft", border="wrap")
    exact = reference(image, kernel.weights, border="wrap")
    np.testing.assert_allclose(in_strips(strips, 1), exact, rtol=0, atol=2e-3)
    np.testing.assert_allclose(convolve(image, kernel, border="wrap", method="dft"), exact,
                               rtol=0, atol=2e-3)  # fmt: skip


def test_a_strip_reads_only_its_rows_and_the_border_rule():
    """Rows above and below the image come from the border rule, one by one."""
    image = np.arange(4 * 3, dtype=np.float32).reshape(4, 3)
    for border, expected_top in (("reflect101", 1), ("reflect", 0), ("replicate", 0),
                                 ("wrap", 3), ("constant", None)):  # fmt: skip
        strips = strip_convolution(image, np.ones((3, 1)), border=border)
        top = strips.rows(0, 1)[0]
        above = np.zeros(3) if expected_top is None else image[expected_top]
        np.testing.assert_array_equal(top, above + image[0] + image[1])


def test_misplaced_strips_and_bad_arguments_are_refused():
    image = RNG.integers(0, 256, (620, 31), dtype=np.uint8)
    strips = strip_convolution(image, RNG.normal(size=(8, 8)), method="filter2d")
    assert strips.row_unit > 1
    with pytest.raises(ValueError, match="not a strip"):
        strips.rows(1, 5)  # not on a DFT tile
    with pytest.raises(ValueError, match="not a strip"):
        strips.rows(0, 621)
    with pytest.raises(KernelError, match="border"):
        strip_convolution(image, np.ones((3, 3)), border="mirror")
    with pytest.raises(KernelError, match="method"):
        strip_convolution(image, np.ones((3, 3)), method="fft")


def test_strip_limits_cover_the_rows_on_whole_units():
    assert strip_limits(10, rows=4) == [(0, 4), (4, 8), (8, 10)]
    assert strip_limits(10, 3, rows=4) == [(0, 3), (3, 6), (6, 10)]  # no strip of 1 row
    assert strip_limits(7, 249, rows=4) == [(0, 7)]
    assert strip_limits(100, row_bytes=1 << 30) == [(i, i + 1) for i in range(100)]


def test_while_trials_run_strips_follow_the_method_of_the_latest_call(monkeypatch) -> None:
    """A still picture is filtered once per change, each time by the next method on trial: an
    export strip by strip must give the frame on screen, the latest call's, bit for bit."""
    from convlab.engine import calibration, dispatch
    from tests.engine.test_dispatch import table

    calibration.use_table(table(uint8_per_tap=4.0, separable_per_tap=99.0))
    dispatch.forget_trials()
    try:
        image = RNG.integers(0, 256, (200, 300, 3), dtype=np.uint8)  # predicted slow: trials
        kernel = Kernel(RNG.normal(size=(7, 7)))
        methods = set()
        for _ in range(3):
            shown = convolve(image, kernel)
            strips = strip_convolution(image, kernel)
            methods.add(strips.method)
            exported = np.concatenate([strips.rows(a, b) for a, b in strip_limits(200, rows=64)])
            np.testing.assert_array_equal(exported, shown)
        assert len(methods) > 1  # the calls did run different methods
    finally:
        calibration.use_table(None)
        dispatch.forget_trials()

"""Every convolve method against a plain numpy loop written straight from DESIGN.md's formula."""

from __future__ import annotations

import importlib
import itertools
from concurrent.futures import Future

import numpy as np
import pytest

from convlab.engine import (
    Kernel,
    calibration,
    convolve,
    gaussian_kernel,
    output_shape,
    plan,
)
from convlab.engine.convolve import METHODS
from convlab.errors import ConvlabError, KernelError

NUMPY_BORDER = {
    "reflect101": "reflect",
    "reflect": "symmetric",
    "replicate": "edge",
    "constant": "constant",
    "wrap": "wrap",
}
BORDERS = tuple(NUMPY_BORDER)
FORCED_METHODS = tuple(m for m in METHODS if m != "auto")
methods_module = importlib.import_module("convlab.engine.conv_methods")


def reference(
    image: np.ndarray,
    weights: np.ndarray,
    *,
    border: str = "reflect101",
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
    divisor: float = 1.0,
    offset: float = 0.0,
) -> np.ndarray:
    """out[i, j] = sum_uv K[u, v] * Xpad[i*s + u*d, j*s + v*d] / divisor + offset, in float64."""
    x = np.asarray(image, dtype=np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[:, :, None]
    kh, kw = weights.shape
    if padding == "same":
        total_rows, total_cols = dilation * (kh - 1), dilation * (kw - 1)
        pads = (
            (total_rows // 2, total_rows - total_rows // 2),
            (total_cols // 2, total_cols - total_cols // 2),
        )
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding, padding), (padding, padding))
    xpad = np.pad(x, (*pads, (0, 0)), mode=NUMPY_BORDER[border])
    out_rows = (xpad.shape[0] - dilation * (kh - 1) - 1) // stride + 1
    out_cols = (xpad.shape[1] - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((out_rows, out_cols, x.shape[2]))
    for u in range(kh):
        for v in range(kw):
            # Xpad[i*s + u*d, j*s + v*d] for every output (i, j) at once
            rows = slice(u * dilation, u * dilation + (out_rows - 1) * stride + 1, stride)
            cols = slice(v * dilation, v * dilation + (out_cols - 1) * stride + 1, stride)
            out += weights[u, v] * xpad[rows, cols]
    out = out / divisor + offset
    return out[:, :, 0] if squeeze else out


def tolerance(image: np.ndarray, weights: np.ndarray) -> float:
    """float32 arithmetic (and float32 FFTs) against a float64 loop."""
    return 2e-5 * float(np.abs(weights).sum()) * max(float(np.abs(image).max()), 1.0) + 1e-5


def test_image(
    shape: tuple[int, ...] = (9, 11, 3), dtype: type = np.uint8, seed: int = 0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.uniform(-2.0, 3.0, shape).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max // 2, shape).astype(dtype)


test_image.__test__ = False  # a helper, not a test


def kernel_for(method: str, shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Rank 1 for the separable method (it requires it), full rank for the others."""
    rng = np.random.default_rng(seed + 100)
    if method in ("separable", "separable_f32"):
        return np.outer(rng.uniform(-1, 1, shape[0]), rng.uniform(-1, 1, shape[1]))
    return rng.uniform(-1, 1, shape)


GEOMETRIES = [
    pytest.param("same", 1, 1, id="same"),
    pytest.param("same", 2, 1, id="same-s2"),
    pytest.param("same", 1, 2, id="same-d2"),
    pytest.param("same", 3, 2, id="same-s3-d2"),
    pytest.param("valid", 1, 1, id="valid"),
    pytest.param("valid", 2, 1, id="valid-s2"),
    pytest.param(2, 2, 2, id="pad2-s2-d2"),
    pytest.param(3, 1, 1, id="pad3"),
]
KERNEL_SHAPES = [(3, 3), (4, 4), (2, 5), (5, 1), (1, 1)]


@pytest.mark.parametrize("method", ("auto", *FORCED_METHODS))
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("kshape", KERNEL_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(("padding", "stride", "dilation"), GEOMETRIES)
def test_every_method_matches_reference(
    method: str,
    border: str,
    kshape: tuple[int, int],
    padding: str | int,
    stride: int,
    dilation: int,
) -> None:
    image = test_image()
    weights = kernel_for(method, kshape)
    expected = reference(
        image, weights, border=border, padding=padding, stride=stride, dilation=dilation
    )
    result = convolve(
        image,
        weights,
        border=border,
        padding=padding,
        stride=stride,
        dilation=dilation,
        method=method,
    )
    assert result.dtype == np.float32
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


@pytest.mark.parametrize("method", ("auto", *FORCED_METHODS))
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("image_shape", [(1, 1), (2, 3), (3, 2, 3)], ids=str)
@pytest.mark.parametrize("kshape", [(7, 7), (9, 4)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_kernel_larger_than_image(
    method: str, border: str, image_shape: tuple[int, ...], kshape: tuple[int, int]
) -> None:
    image = test_image(image_shape, seed=3)
    weights = kernel_for(method, kshape, seed=3)
    for stride, dilation in ((1, 1), (2, 2)):
        expected = reference(image, weights, border=border, stride=stride, dilation=dilation)
        result = convolve(
            image, weights, border=border, stride=stride, dilation=dilation, method=method
        )
        assert result.shape == expected.shape
        np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


@pytest.mark.parametrize("method", ("auto", *FORCED_METHODS))
@pytest.mark.parametrize("border", ["reflect101", "wrap", "constant"])
@pytest.mark.parametrize(("stride", "dilation"), [(1, 1), (2, 1), (3, 2), (1, 3)])
def test_large_kernels_split_into_blocks_and_use_dfts(
    method: str, border: str, stride: int, dilation: int
) -> None:
    """11x13 has more than 50 taps: cv2.filter2D goes to its DFT, the strided method splits the
    rows into blocks, and the multi-separable method sums 11 terms."""
    image = test_image((24, 29, 3), seed=11)
    weights = kernel_for(method, (11, 13), seed=11)
    expected = reference(image, weights, border=border, stride=stride, dilation=dilation)
    result = convolve(
        image, weights, border=border, stride=stride, dilation=dilation, method=method
    )
    np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


@pytest.mark.parametrize("method", ("auto", *FORCED_METHODS))
@pytest.mark.parametrize("stride", [2, 3, 4])
@pytest.mark.parametrize("shape", [(12, 24, 3), (13, 25), (12, 24, 5)], ids=str)
def test_strides_that_divide_the_image_and_strides_that_do_not(
    method: str, stride: int, shape: tuple[int, ...]
) -> None:
    """Subsampling has a fast path (cv2.resize, nearest) when the stride divides the size."""
    image = test_image(shape, seed=12)
    weights = kernel_for(method, (3, 5), seed=12)
    expected = reference(image, weights, stride=stride)
    result = convolve(image, weights, stride=stride, method=method)
    np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


@pytest.mark.parametrize("method", ("auto", *FORCED_METHODS))
@pytest.mark.parametrize(
    "dtype", [np.uint8, np.uint16, np.int16, np.float32, np.float64, np.int32, np.bool_]
)
def test_input_dtypes(method: str, dtype: type) -> None:
    if dtype is np.bool_:
        image = np.random.default_rng(5).random((8, 10, 3)) > 0.5
    else:
        image = test_image((8, 10, 3), dtype)
    weights = kernel_for(method, (3, 4), seed=5)
    for padding, stride, dilation in (("same", 1, 1), ("same", 2, 2)):
        expected = reference(image, weights, padding=padding, stride=stride, dilation=dilation)
        result = convolve(
            image, weights, padding=padding, stride=stride, dilation=dilation, method=method
        )
        assert result.dtype == np.float32
        np.testing.assert_allclose(
            result, expected, rtol=0, atol=tolerance(image.astype(np.float64), weights)
        )


@pytest.mark.parametrize("method", ("auto", *FORCED_METHODS))
@pytest.mark.parametrize("shape", [(7, 6), (7, 6, 1), (7, 6, 2), (7, 6, 4), (7, 6, 5)], ids=str)
def test_channel_layouts_per_channel(method: str, shape: tuple[int, ...]) -> None:
    image = test_image(shape, seed=7)
    weights = kernel_for(method, (3, 3), seed=7)
    result = convolve(image, weights, method=method, stride=2)
    expected = reference(image, weights, stride=2)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


@pytest.mark.parametrize("method", ("auto", *FORCED_METHODS))
def test_gray_mode_converts_with_bt601_weights(method: str) -> None:
    image = test_image((6, 7, 4), seed=8)
    weights = kernel_for(method, (3, 3), seed=8)
    luma = image[:, :, 0] * 0.299 + image[:, :, 1] * 0.587 + image[:, :, 2] * 0.114
    result = convolve(image, weights, channels="gray", method=method)
    assert result.shape == (6, 7)
    np.testing.assert_allclose(
        result, reference(luma, weights), rtol=0, atol=tolerance(luma, weights)
    )
    gray_only = convolve(image[:, :, :1], weights, channels="gray", method=method)
    np.testing.assert_allclose(
        gray_only, reference(image[:, :, 0], weights), rtol=0, atol=tolerance(image, weights)
    )


@pytest.mark.parametrize("method", ("auto", *FORCED_METHODS))
def test_divisor_offset_and_convolve_mode(method: str) -> None:
    image = test_image((7, 8, 3), seed=9)
    weights = kernel_for(method, (3, 4), seed=9)
    kernel = Kernel(weights, divisor=-4.0, offset=10.5)
    result = convolve(image, kernel, mode="convolve", stride=2, method=method)
    expected = reference(image, weights[::-1, ::-1], stride=2, divisor=-4.0, offset=10.5)
    np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


def test_convolution_of_an_impulse_draws_the_kernel_and_correlation_draws_it_flipped() -> None:
    image = np.zeros((7, 7), dtype=np.float32)
    image[3, 3] = 1.0
    weights = np.arange(9, dtype=np.float64).reshape(3, 3)
    convolved = convolve(image, weights, mode="convolve", border="constant")
    correlated = convolve(image, weights, mode="correlate", border="constant")
    np.testing.assert_array_equal(convolved[2:5, 2:5], weights)
    np.testing.assert_array_equal(correlated[2:5, 2:5], weights[::-1, ::-1])


def test_even_kernel_sits_as_pytorch_same_padding_puts_it() -> None:
    """A 2x2 kernel with a single 1 at (0, 0): "same" pads 0 above/left, 1 below/right."""
    image = np.arange(20, dtype=np.float32).reshape(4, 5)
    result = convolve(image, [[1.0, 0.0], [0.0, 0.0]], border="constant")
    np.testing.assert_array_equal(result, image)
    shifted = convolve(image, [[0.0, 0.0], [0.0, 1.0]], border="constant")
    np.testing.assert_array_equal(shifted[:-1, :-1], image[1:, 1:])
    assert np.all(shifted[-1] == 0) and np.all(shifted[:, -1] == 0)


def test_all_zero_kernel_gives_the_offset_everywhere() -> None:
    image = test_image((5, 6, 3))
    for method in FORCED_METHODS:
        result = convolve(image, Kernel(np.zeros((3, 3)), offset=7.0), method=method, stride=2)
        assert result.shape == (3, 3, 3)
        np.testing.assert_array_equal(result, 7.0)


def test_output_is_unclipped_contiguous_and_input_untouched() -> None:
    image = test_image((6, 6, 3))
    before = image.copy()
    result = convolve(image, [[-10.0, 0.0, 10.0]], stride=2)
    assert result.min() < 0 and result.max() > 255
    assert result.flags.c_contiguous
    np.testing.assert_array_equal(image, before)


def test_non_contiguous_input() -> None:
    image = test_image((9, 12, 3))[:, ::-2]
    weights = kernel_for("auto", (3, 3))
    np.testing.assert_allclose(
        convolve(image, weights), reference(image, weights), rtol=0, atol=tolerance(image, weights)
    )


@pytest.mark.parametrize(
    ("image_shape", "kshape", "padding", "stride", "dilation"),
    [
        ((480, 640, 3), (3, 3), "same", 2, 1),
        ((5, 7), (4, 2), "valid", 1, 1),
        ((5, 7), (3, 3), 2, 3, 2),
        ((1, 1, 3), (31, 31), "same", 4, 3),
        ((9, 9), (2, 2), 0, 2, 1),
    ],
)
def test_output_shape_matches_convolve(
    image_shape: tuple[int, ...],
    kshape: tuple[int, int],
    padding: str | int,
    stride: int,
    dilation: int,
) -> None:
    predicted = output_shape(image_shape, kshape, padding=padding, stride=stride, dilation=dilation)
    image = np.zeros(image_shape, dtype=np.uint8)
    actual = convolve(
        image, np.ones(kshape), padding=padding, stride=stride, dilation=dilation
    ).shape
    assert predicted == actual
    if padding == "same":
        assert predicted[:2] == (-(-image_shape[0] // stride), -(-image_shape[1] // stride))


def test_auto_picks_the_cheap_methods_by_the_provisional_costs() -> None:
    """With the costs measured for OpenCV 5.1 (the table used while calibration runs)."""
    calibration.use_table(calibration.PROVISIONAL)
    try:
        frame = (480, 640, 3)
        random7 = np.random.default_rng(0).uniform(-1, 1, (7, 7))
        assert plan(frame, gaussian_kernel(3, 1.5)) == "separable"
        assert plan(frame, gaussian_kernel(3, 1.5), stride=2) == "separable"
        # OpenCV 5 filters float32 frames 3-4x faster than uint8 ones: the copy pays
        assert plan(frame, random7[:3, :3]) == "filter2d_f32"
        assert plan(frame, random7) == "filter2d_f32"
        assert plan(frame, random7, dtype=np.float32) == "filter2d"
        assert plan(frame, random7[:3, :3], dilation=2) != "dft"
        assert plan(frame, random7, stride=2).startswith("strided")
        narrow, wide = (np.exp(-(np.arange(-7, 8) ** 2) / (2 * s**2)) for s in (1.5, 3.0))
        difference_of_gaussians = np.outer(narrow, narrow) - 0.5 * np.outer(wide, wide)  # rank 2
        assert plan(frame, difference_of_gaussians) == "multi_separable"
        profile = np.exp(-(np.linspace(-2, 2, 9) ** 2)).astype(np.float32)
        float32_gaussian = np.outer(profile, profile)  # rounded in float32: rank 1 only to ~1e-8
        assert plan(frame, float32_gaussian) == "separable"
    finally:
        calibration.use_table(None)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"border": "mirror"}, "border"),
        ({"padding": "full"}, "padding"),
        ({"padding": -1}, "padding"),
        ({"padding": 1.5}, "padding"),
        ({"stride": 0}, "stride"),
        ({"stride": 1.0}, "stride"),
        ({"dilation": 0}, "dilation"),
        ({"mode": "xcorr"}, "mode"),
        ({"channels": "rgb"}, "channels"),
        ({"method": "fast"}, "method"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs: dict, word: str) -> None:
    with pytest.raises(KernelError, match=word):
        convolve(np.zeros((5, 5), np.uint8), np.ones((3, 3)), **kwargs)


def test_bad_images_and_kernels_raise_convlab_errors() -> None:
    weights = np.ones((3, 3))
    for image in (
        np.zeros((2, 2, 2, 2)),
        np.zeros((0, 4)),
        np.zeros(5),
        np.zeros((3, 3), dtype=complex),
        np.array([["a"]]),
    ):
        with pytest.raises(ConvlabError, match="image"):
            convolve(image, weights)
    with pytest.raises(ConvlabError, match="no output pixel fits"):
        convolve(np.zeros((4, 4)), np.ones((5, 5)), padding="valid")
    with pytest.raises(KernelError):
        convolve(np.zeros((4, 4)), np.ones((40, 40)))
    with pytest.raises(KernelError, match="rank-1"):
        convolve(np.zeros((4, 4)), np.eye(3), method="separable")
    with pytest.raises(ConvlabError, match="gray"):
        convolve(np.zeros((4, 4, 5)), weights, channels="gray")


@pytest.mark.parametrize("shape", [(1, 30, 3), (2, 17), (7, 9, 3), (23, 31, 4)], ids=str)
@pytest.mark.parametrize(
    ("kshape", "stride", "dilation"),
    [((3, 3), 2, 1), ((4, 5), 3, 1), ((3, 3), 2, 2), ((9, 7), 2, 1)],
)
def test_strided_bands_stitch_exactly(
    monkeypatch: pytest.MonkeyPatch,
    shape: tuple[int, ...],
    kshape: tuple[int, int],
    stride: int,
    dilation: int,
) -> None:
    """Large frames run the strided method in bands of output rows on threads; forcing bands on
    small images checks the seams (and a band count above the row count) against the loop."""
    monkeypatch.setattr(methods_module, "_BAND_MIN_ELEMENTS", 0)
    monkeypatch.setattr(methods_module, "_band_threads", lambda: 3)
    image = test_image(shape, seed=5)
    weights = kernel_for("strided", kshape, seed=5)
    expected = reference(image, weights, stride=stride, dilation=dilation, offset=0.5)
    result = convolve(
        image, Kernel(weights, offset=0.5), stride=stride, dilation=dilation, method="strided"
    )
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


def test_band_limits_cover_every_row_once() -> None:
    for rows in (1, 2, 5, 540):
        bands = methods_module._band_limits(rows, 10**9)
        assert bands[0][0] == 0 and bands[-1][1] == rows
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(bands))
    assert methods_module._band_limits(540, 10) == [(0, 540)]


def test_bands_no_pool_thread_started_are_done_by_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a busy machine the pool may not start a band in time: the caller takes it back."""

    class IdlePool:  # accepts work and never runs it, like a pool whose threads get no CPU
        def submit(self, *_: object) -> Future:
            return Future()

    monkeypatch.setattr(methods_module, "_BAND_MIN_ELEMENTS", 0)
    monkeypatch.setattr(methods_module, "_band_threads", lambda: 3)
    monkeypatch.setattr(methods_module, "_band_pool", IdlePool)
    image = test_image((17, 19, 3), seed=6)
    weights = kernel_for("strided", (3, 3), seed=6)
    result = convolve(image, weights, stride=2, method="strided")
    np.testing.assert_allclose(
        result, reference(image, weights, stride=2), rtol=0, atol=tolerance(image, weights)
    )

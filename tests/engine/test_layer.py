"""A CNN layer (K filters of k x k x C, channel sums plus bias) against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn.functional import conv2d_forward
from convlab.engine import Kernel, conv_layer, convolve, output_shape, parameter_counts
from convlab.engine.layer import (
    layer_breakdown,
    layer_demo,
    layer_parameter_count,
    layer_steps,
    slides_layer_demo,
)
from convlab.errors import ConvlabError


def direct_sum(image, weights, bias, padding, stride, dilation):
    """out[i, j, f] = bias[f] + sum over c, u, v of W[f, c, u, v] * Xpad[i*s+u*d, j*s+v*d, c]."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        image = image[:, :, None]
    height, width, channels = image.shape
    count, _, kh, kw = weights.shape
    padded = np.zeros((height + 2 * padding, width + 2 * padding, channels))
    padded[padding : padding + height, padding : padding + width] = image
    out_h = (height + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    out_w = (width + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((out_h, out_w, count))
    for i in range(out_h):
        for j in range(out_w):
            for f in range(count):
                total = bias[f]
                for c in range(channels):
                    for u in range(kh):
                        for v in range(kw):
                            total += (
                                weights[f, c, u, v]
                                * padded[i * stride + u * dilation, j * stride + v * dilation, c]
                            )
                out[i, j, f] = total
    return out


def test_the_slides_demo_gives_a_3x3x2_output_of_channel_sums_plus_bias():
    image, weights, bias = slides_layer_demo()
    assert image.shape == (5, 5, 3) and weights.shape == (2, 3, 3, 3) and bias.shape == (2,)
    out = conv_layer(image, weights, bias, padding=1, stride=2)
    assert out.shape == (3, 3, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out, direct_sum(image, weights, bias, 1, 2, 1))
    # the top-left value by hand: the window covers the padding ring and input rows/cols 0-1
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)))
    by_hand = sum((padded[:3, :3, c] * weights[1, c]).sum() for c in range(3)) + bias[1]
    assert out[0, 0, 1] == by_hand


@pytest.mark.parametrize(
    ("shape", "filters", "kernel", "padding", "stride", "dilation"),
    [
        ((7, 6, 3), 2, (3, 3), 1, 2, 1),
        ((8, 9, 2), 3, (3, 2), 0, 1, 1),
        ((9, 9, 4), 1, (3, 3), 2, 1, 2),
        ((6, 6), 2, (1, 1), 0, 1, 1),
        ((10, 7, 3), 4, (5, 5), 2, 3, 1),
    ],
)
def test_conv_layer_matches_the_direct_sum(shape, filters, kernel, padding, stride, dilation):
    rng = np.random.default_rng(sum(shape) + filters)
    image = rng.normal(size=shape).astype(np.float32)
    channels = 1 if len(shape) == 2 else shape[2]
    weights = rng.normal(size=(filters, channels, *kernel))
    bias = rng.normal(size=filters)
    out = conv_layer(image, weights, bias, padding=padding, stride=stride, dilation=dilation)
    expected = direct_sum(image, weights, bias, padding, stride, dilation)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-4, rtol=1e-5)


def test_conv_layer_agrees_with_the_cnn_library_conv2d():
    """The numpy CNN's conv2d (checked against PyTorch) computes the same numbers, NCHW."""
    rng = np.random.default_rng(5)
    image = rng.random((12, 10, 3), dtype=np.float32)
    weights = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    ours = conv_layer(image, weights, bias, padding=1, stride=2)
    theirs, _ = conv2d_forward(image.transpose(2, 0, 1)[None].copy(), weights, bias, 2, 1)
    np.testing.assert_allclose(ours, theirs[0].transpose(1, 2, 0), atol=1e-5)


def test_one_filter_with_equal_slices_is_the_kernel_on_the_channel_sum():
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (20, 16, 3)).astype(np.uint8)
    kernel = rng.normal(size=(3, 3))
    out = conv_layer(image, np.stack([kernel] * 3)[None], [0.5], padding=1)
    expected = (
        convolve(image.astype(np.float32).sum(axis=2), kernel, border="constant", padding=1) + 0.5
    )
    np.testing.assert_allclose(out[:, :, 0], expected, rtol=1e-5, atol=1e-2)


def test_breakdown_gives_each_channels_partial_sum_and_the_same_total():
    image, weights, bias = slides_layer_demo(seed=3)
    out = conv_layer(image, weights, bias, padding=1, stride=2)
    for row, col, index in ((0, 0, 0), (1, 2, 1), (2, 2, 0)):
        parts = layer_breakdown(
            image, weights, bias, row, col, filter_index=index, padding=1, stride=2
        )
        assert parts["partial_sums"].shape == (3,)
        assert parts["total"] == pytest.approx(out[row, col, index])
        assert parts["total"] == pytest.approx(parts["partial_sums"].sum() + bias[index])
        for channel in range(3):
            alone = convolve(
                image[:, :, channel],
                weights[index, channel],
                border="constant",
                padding=1,
                stride=2,
            )
            assert parts["partial_sums"][channel] == pytest.approx(alone[row, col])
    corner = layer_breakdown(image, weights, bias, 0, 0, padding=1, stride=2)
    assert list(corner["rows"]) == [-1, 0, 1]
    assert not corner["in_bounds"][0].any() and corner["in_bounds"][1:, 1:].all()
    assert (corner["patches"][:, 0, :] == 0).all()


def test_parameter_count_is_filters_times_one_filter_plus_its_bias():
    assert layer_parameter_count(3, 3, 2) == 2 * (3 * 3 * 3 + 1) == 56
    assert layer_parameter_count(10, 1, 100) == 100 * 101
    # the weights alone are what parameter_counts calls "convolutional"
    counts = parameter_counts(32, 32, channels=3, filters=6, kernel=5)
    assert layer_parameter_count(5, 3, 6) == counts["convolutional"] + 6


@pytest.mark.parametrize(
    ("image", "weights", "bias", "match"),
    [
        (np.zeros((5, 5, 3)), np.zeros((2, 2, 3, 3)), [0, 0], "channel"),
        (np.zeros((5, 5, 3)), np.zeros((2, 3, 3, 3)), [0], "one bias per filter"),
        (np.zeros((5, 5, 3)), np.zeros((3, 3)), [0], "shaped"),
        (np.zeros((0, 5)), np.zeros((1, 1, 3, 3)), [0], "non-empty"),
        (np.zeros((5, 5)), np.full((1, 1, 3, 3), np.nan), [0], "finite"),
        (np.zeros((2, 2)), np.ones((1, 1, 3, 3)), [0], "fit"),
    ],
)
def test_bad_layers_are_explained(image, weights, bias, match):
    with pytest.raises(ConvlabError, match=match):
        conv_layer(image, weights, bias)


def test_bad_settings_and_pixels_are_explained():
    image, weights, bias = slides_layer_demo()
    with pytest.raises(ConvlabError, match="stride"):
        conv_layer(image, weights, bias, stride=0)
    with pytest.raises(ConvlabError, match="outside"):
        layer_breakdown(image, weights, bias, 3, 0, padding=1, stride=2)
    with pytest.raises(ConvlabError, match="filter 2"):
        layer_breakdown(image, weights, bias, 0, 0, filter_index=2)


@pytest.mark.parametrize("border", ["constant", "reflect101", "wrap"])
@pytest.mark.parametrize("stride", [1, 2])
def test_convolve_sum_mode_is_a_layer_filter_with_equal_slices(border, stride):
    """channels="sum": the kernel on every channel, the results added, divisor and offset
    (the bias) once: what conv_layer computes for one filter whose slices are all the kernel."""
    rng = np.random.default_rng(stride)
    image = rng.integers(0, 256, (9, 11, 3)).astype(np.uint8)
    weights = rng.normal(size=(3, 3))
    kernel = Kernel(weights, divisor=2.0, offset=5.0)
    out = convolve(image, kernel, channels="sum", border=border, stride=stride)
    assert out.shape == output_shape(image.shape, (3, 3), stride=stride, channels="sum")
    assert out.ndim == 2
    if border == "constant":
        filters = np.stack([weights / 2.0] * 3)[None]
        layer = conv_layer(image, filters, [5.0], padding=1, stride=stride)[:, :, 0]
        np.testing.assert_allclose(out, layer, rtol=1e-5, atol=1e-3)
    parts = [convolve(image[:, :, c], weights, border=border, stride=stride) for c in range(3)]
    np.testing.assert_allclose(out, sum(parts) / 2.0 + 5.0, rtol=1e-5, atol=1e-3)


def test_layer_steps_go_filter_by_filter_and_assemble_the_layers_output():
    image, weights, bias = slides_layer_demo(seed=5)
    steps = layer_steps(image, weights, bias, padding=1, stride=2)
    assert len(steps) == 2 * 3 * 3
    assert [step.filter_index for step in steps] == [0] * 9 + [1] * 9
    assert [(step.out_row, step.out_col) for step in steps[:3]] == [(0, 0), (0, 1), (0, 2)]
    out = conv_layer(image, weights, bias, padding=1, stride=2)
    for step in steps:
        assert step.value == pytest.approx(out[step.out_row, step.out_col, step.filter_index])
        assert step.value == pytest.approx(step.partial_sums.sum() + step.bias)
        assert step.patches.shape == (3, 3, 3)
    assert steps[0].rows == (-1, 0, 1) and steps[-1].rows == (3, 4, 5)
    image, weights, bias = layer_demo(6, 2, 3, 3, seed=1)
    assert image.shape == (6, 6, 2) and weights.shape == (3, 2, 3, 3)
    assert list(bias) == [1.0, 0.0, 1.0]

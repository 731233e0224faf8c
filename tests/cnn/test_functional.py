"""The vectorised maths against the plain-loop references in reference.py."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn import functional as fn
from tests.cnn import reference


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.mark.parametrize(("k", "stride", "padding"), [(3, 1, 0), (3, 1, 1), (5, 2, 2), (2, 2, 0)])
def test_im2col_and_col2im_match_loops(rng, k, stride, padding):
    x = rng.standard_normal((2, 3, 7, 6))
    cols = fn.im2col(x, k, stride, padding)
    np.testing.assert_allclose(cols, reference.im2col(x, k, stride, padding))
    back = fn.col2im(cols * 0.5 + 1.0, x.shape, k, stride, padding)
    expected = reference.col2im(cols * 0.5 + 1.0, x.shape, k, stride, padding)
    assert back.shape == x.shape
    np.testing.assert_allclose(back, expected)


def test_col2im_is_the_adjoint_of_im2col(rng):
    """<im2col(x), c> == <x, col2im(c)>: what makes col2im the right backward pass."""
    x = rng.standard_normal((3, 2, 6, 5))
    cols = rng.standard_normal(fn.im2col(x, 3, 1, 1).shape)
    left = np.sum(fn.im2col(x, 3, 1, 1) * cols)
    right = np.sum(x * fn.col2im(cols, x.shape, 3, 1, 1))
    assert left == pytest.approx(right, rel=1e-12)


@pytest.mark.parametrize(("k", "stride", "padding"), [(3, 1, 1), (5, 1, 2), (3, 2, 0), (1, 1, 0)])
def test_conv2d_forward_matches_loops(rng, k, stride, padding):
    x = rng.standard_normal((2, 3, 8, 7))
    weight = rng.standard_normal((4, 3, k, k))
    bias = rng.standard_normal(4)
    out, _ = fn.conv2d_forward(x, weight, bias, stride, padding)
    np.testing.assert_allclose(out, reference.conv2d(x, weight, bias, stride, padding), atol=1e-12)


def test_conv2d_is_cross_correlation_not_convolution():
    """A kernel with a single 1 at its top-left picks the top-left neighbour (no flip)."""
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    weight = np.zeros((1, 1, 3, 3))
    weight[0, 0, 0, 0] = 1.0
    out, _ = fn.conv2d_forward(x, weight, np.zeros(1), 1, 0)
    np.testing.assert_array_equal(out[0, 0], x[0, 0, :3, :3])


@pytest.mark.parametrize(("k", "stride"), [(2, 2), (3, 2), (3, 3), (2, 1)])
def test_max_pool_matches_loops(rng, k, stride):
    x = rng.standard_normal((2, 3, 7, 8))
    out, winner = fn.max_pool2d_forward(x, k, stride)
    expected, expected_winner = reference.max_pool2d(x, k, stride)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(winner, expected_winner)
    dout = rng.standard_normal(out.shape)
    dx = fn.max_pool2d_backward(dout, winner, x.shape, k, stride)
    np.testing.assert_allclose(
        dx, reference.max_pool2d_backward(dout, expected_winner, x.shape, k, stride)
    )


def test_max_pool_ties_go_to_the_first_pixel_like_pytorch():
    x = np.zeros((1, 1, 2, 2))
    out, winner = fn.max_pool2d_forward(x, 2)
    dx = fn.max_pool2d_backward(np.ones_like(out), winner, x.shape, 2)
    np.testing.assert_array_equal(dx[0, 0], [[1.0, 0.0], [0.0, 0.0]])


@pytest.mark.parametrize(("k", "stride"), [(2, 2), (3, 1)])
def test_avg_pool_matches_loops(rng, k, stride):
    x = rng.standard_normal((2, 2, 6, 7))
    np.testing.assert_allclose(
        fn.avg_pool2d_forward(x, k, stride), reference.avg_pool2d(x, k, stride)
    )


def test_cross_entropy_matches_the_definition(rng):
    logits = rng.standard_normal((5, 4)) * 3
    labels = np.array([0, 3, 1, 1, 2])
    loss, _ = fn.cross_entropy(logits, labels)
    assert loss == pytest.approx(reference.cross_entropy(logits, labels), rel=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1e4, 0.0]], dtype=np.float32)
    loss, grad = fn.cross_entropy(logits, np.array([0, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx(1e4 / 2, rel=1e-6)  # first row ~0, second row 1e4


def test_layout_trick_keeps_float32_and_logical_nchw(rng):
    x = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
    weight = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    out, _ = fn.conv2d_forward(x, weight, np.zeros(5, np.float32), 1, 1)
    assert out.dtype == np.float32 and out.shape == (4, 5, 8, 8)
    np.testing.assert_allclose(
        out, reference.conv2d(x, weight, np.zeros(5), 1, 1), rtol=1e-4, atol=1e-4
    )


def test_output_size():
    assert fn.output_size(28, 5, padding=2) == 28
    assert fn.output_size(28, 2, stride=2) == 14
    assert fn.output_size(7, 3, stride=2, padding=0) == 3

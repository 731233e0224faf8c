"""Finite-difference gradient checks, in float64, for every layer and for the loss.

For a layer f and a fixed random "upstream gradient" g, the scalar L = sum(f(x) * g) has
dL/dx = backward(g). Central differences (L(x + h) - L(x - h)) / 2h estimate the same thing
with no knowledge of the backward code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from convlab.cnn import (
    AvgPool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    cross_entropy,
)
from convlab.cnn.layers import Layer

STEP = 1e-6


def numerical_gradient(loss: Callable[[], float], array: np.ndarray) -> np.ndarray:
    """dloss/darray by central differences, perturbing ``array`` in place."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + STEP
        plus = loss()
        array[index] = saved - STEP
        minus = loss()
        array[index] = saved
        grad[index] = (plus - minus) / (2 * STEP)
    return grad


def check_layer(layer: Layer, x: np.ndarray, before_forward: Callable[[], None] = lambda: None):
    layer.astype(np.float64)
    rng = np.random.default_rng(7)
    before_forward()
    upstream = rng.standard_normal(layer.forward(x, training=True).shape)

    def loss() -> float:
        before_forward()
        return float(np.sum(layer.forward(x, training=True) * upstream))

    before_forward()
    layer.forward(x, training=True)
    dx = layer.backward(upstream)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-6, atol=1e-8)
    for name, param in layer.params.items():
        analytic = layer.grads[name].copy()
        np.testing.assert_allclose(
            analytic, numerical_gradient(loss, param), rtol=1e-6, atol=1e-8, err_msg=name
        )


def away_from_zero(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random values with |x| >= 0.1, so a step of 1e-6 never crosses ReLU's kink."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.1, 1.0, shape)
    return values * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize(("kernel", "padding", "stride"), [(3, 1, 1), (5, 2, 1), (3, 0, 2)])
def test_conv2d_gradients(kernel, padding, stride):
    layer = Conv2D(2, 3, kernel, padding=padding, stride=stride, rng=1)
    layer.params["bias"] = np.array([0.1, -0.2, 0.3])
    check_layer(layer, np.random.default_rng(2).standard_normal((2, 2, 6, 5)))


def test_dense_gradients():
    layer = Dense(6, 4, rng=3)
    check_layer(layer, np.random.default_rng(4).standard_normal((3, 6)))


def test_relu_gradients():
    check_layer(ReLU(), away_from_zero((2, 3, 4, 4)))


@pytest.mark.parametrize(("kernel", "stride"), [(2, None), (3, 2), (2, 1)])
def test_max_pool_gradients(kernel, stride):
    # distinct values: no two pixels of a window tie, so max is differentiable everywhere
    x = np.random.default_rng(5).permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6) / 10.0
    check_layer(MaxPool2D(kernel, stride), x)


@pytest.mark.parametrize(("kernel", "stride"), [(2, None), (3, 1)])
def test_avg_pool_gradients(kernel, stride):
    check_layer(AvgPool2D(kernel, stride), np.random.default_rng(6).standard_normal((2, 2, 6, 6)))


def test_flatten_gradients():
    check_layer(Flatten(), np.random.default_rng(8).standard_normal((2, 3, 2, 2)))


def test_dropout_gradients_with_a_fixed_mask():
    layer = Dropout(0.4, rng=0)

    def same_mask() -> None:
        layer._rng = np.random.default_rng(11)

    check_layer(layer, np.random.default_rng(9).standard_normal((4, 5)), same_mask)


def test_cross_entropy_gradient():
    rng = np.random.default_rng(10)
    logits = rng.standard_normal((4, 5)) * 2
    labels = np.array([1, 0, 4, 4])
    _, analytic = cross_entropy(logits, labels)
    numeric = numerical_gradient(lambda: cross_entropy(logits, labels)[0], logits)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_whole_network_gradient_through_every_layer():
    """The chain rule across layers, including the batch-innermost layout between them."""
    rng = np.random.default_rng(12)
    model = Sequential(
        Conv2D(1, 3, 3, padding=1, rng=1),
        ReLU(),
        MaxPool2D(2),
        Conv2D(3, 4, 3, padding=1, rng=2),
        ReLU(),
        AvgPool2D(2),
        Flatten(),
        Dense(4 * 2 * 2, 3, rng=3),
    ).astype(np.float64)
    x = rng.standard_normal((2, 1, 8, 8))
    labels = np.array([2, 0])

    def loss() -> float:
        return cross_entropy(model.forward(x), labels)[0]

    _, dlogits = cross_entropy(model.forward(x), labels)
    dx = model.backward(dlogits)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-5, atol=1e-9)
    for layer in (model.layers[0], model.layers[3], model.layers[7]):
        analytic = layer.grads["weight"].copy()
        numeric = numerical_gradient(loss, layer.params["weight"])
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)

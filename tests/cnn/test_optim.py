"""Optimizer steps against numbers worked out by hand from the update rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convlab.cnn import SGD, Adam, Dense, Sequential
from convlab.errors import ConvlabError


def one_weight_model(value: float = 1.0) -> Sequential:
    """A model whose only trainable numbers are one weight and one bias."""
    layer = Dense(1, 1, rng=0)
    layer.params["weight"][...] = value
    layer.params["bias"][...] = 0.0
    return Sequential(layer)


def set_grad(model: Sequential, weight_grad: float, bias_grad: float = 0.0) -> None:
    model.layers[0].grads["weight"] = np.full((1, 1), weight_grad, np.float32)
    model.layers[0].grads["bias"] = np.full(1, bias_grad, np.float32)


def weight(model: Sequential) -> float:
    return float(model.layers[0].params["weight"][0, 0])


def test_sgd_with_momentum_by_hand():
    model = one_weight_model(1.0)
    optimizer = SGD(model, lr=0.1, momentum=0.9)
    set_grad(model, 0.5)
    optimizer.step()  # v = 0.5;              w = 1 - 0.1 * 0.5 = 0.95
    assert weight(model) == pytest.approx(0.95)
    optimizer.step()  # v = 0.9 * 0.5 + 0.5 = 0.95;  w = 0.95 - 0.095 = 0.855
    assert weight(model) == pytest.approx(0.855)
    set_grad(model, -1.0)
    optimizer.step()  # v = 0.9 * 0.95 - 1 = -0.145;  w = 0.855 + 0.0145 = 0.8695
    assert weight(model) == pytest.approx(0.8695)


def test_sgd_weight_decay_adds_to_the_gradient():
    model = one_weight_model(2.0)
    optimizer = SGD(model, lr=0.1, momentum=0.0, weight_decay=0.5)
    set_grad(model, 1.0)
    optimizer.step()  # g = 1 + 0.5 * 2 = 2;  w = 2 - 0.2 = 1.8
    assert weight(model) == pytest.approx(1.8)


def test_adam_by_hand():
    model = one_weight_model(1.0)
    optimizer = Adam(model, lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    set_grad(model, 0.5)
    optimizer.step()
    # m = 0.05, v = 0.00025; bias-corrected m_hat = 0.5, v_hat = 0.25: step = 0.1 * 0.5 / 0.5
    assert weight(model) == pytest.approx(0.9, abs=1e-6)
    set_grad(model, -1.0)
    optimizer.step()
    m = 0.9 * 0.05 - 0.1 * 1.0  # -0.055
    v = 0.999 * 0.00025 + 0.001 * 1.0  # 0.00124975
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    assert weight(model) == pytest.approx(0.9 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), abs=1e-6)


def test_adam_weight_decay_is_l2_added_to_the_gradient():
    model = one_weight_model(2.0)
    optimizer = Adam(model, lr=0.01, weight_decay=0.1)
    set_grad(model, 0.0)  # the gradient is then all weight decay: 0.1 * 2 > 0
    optimizer.step()
    assert weight(model) == pytest.approx(2.0 - 0.01, abs=1e-6)


def test_optimizers_skip_frozen_layers_and_update_in_place():
    for optimizer_class in (SGD, Adam):
        model = one_weight_model(1.0)
        array = model.layers[0].params["weight"]
        model.layers[0].trainable = False
        set_grad(model, 1.0)
        optimizer_class(model).step()
        assert weight(model) == 1.0
        model.layers[0].trainable = True
        optimizer_class(model).step()
        assert weight(model) < 1.0
        assert model.layers[0].params["weight"] is array


def test_optimizers_reject_bad_hyper_parameters():
    model = one_weight_model()
    with pytest.raises(ConvlabError, match="learning rate"):
        SGD(model, lr=0.0)
    with pytest.raises(ConvlabError, match="momentum"):
        SGD(model, momentum=1.0)
    with pytest.raises(ConvlabError, match="betas"):
        Adam(model, betas=(0.9, 1.0))
    with pytest.raises(ConvlabError, match="weight decay"):
        Adam(model, weight_decay=-1.0)

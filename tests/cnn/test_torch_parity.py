"""Layer by layer against PyTorch, when it happens to be installed (it is not a dependency)."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn import (
    SGD,
    Adam,
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    cross_entropy,
    lenet,
)

torch = pytest.importorskip("torch")


def compare(layer, torch_layer, x: np.ndarray, atol: float = 1e-5) -> None:
    """Same forward output, input gradient and parameter gradients for the same upstream grad."""
    for name, value in layer.params.items():
        getattr(torch_layer, name).data = torch.tensor(value)
    upstream = np.random.default_rng(1).standard_normal(layer.forward(x).shape).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    tout = torch_layer(tx)
    tout.backward(torch.tensor(upstream))
    out = layer.forward(x)
    dx = layer.backward(upstream)
    np.testing.assert_allclose(out, tout.detach().numpy(), atol=atol, rtol=1e-5)
    np.testing.assert_allclose(dx, tx.grad.numpy(), atol=atol, rtol=1e-5)
    for name in layer.params:
        torch_grad = getattr(torch_layer, name).grad.numpy()
        np.testing.assert_allclose(layer.grads[name], torch_grad, atol=atol * 10, rtol=1e-4)


def batch(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize(("kernel", "padding", "stride"), [(5, 2, 1), (3, 0, 1), (3, 1, 2)])
def test_conv2d(kernel, padding, stride):
    layer = Conv2D(3, 4, kernel, padding=padding, stride=stride, rng=0)
    layer.params["bias"] = np.array([0.1, 0.2, -0.3, 0.0], np.float32)
    compare(layer, torch.nn.Conv2d(3, 4, kernel, padding=padding, stride=stride), batch(2, 3, 9, 8))


@pytest.mark.parametrize(("layer", "torch_layer"), [
    (MaxPool2D(2), torch.nn.MaxPool2d(2)),
    (MaxPool2D(3, 2), torch.nn.MaxPool2d(3, 2)),
    (AvgPool2D(2), torch.nn.AvgPool2d(2)),
    (ReLU(), torch.nn.ReLU()),
    (Flatten(), torch.nn.Flatten()),
])  # fmt: skip
def test_parameter_free_layers(layer, torch_layer):
    compare(layer, torch_layer, batch(2, 3, 8, 7))


def test_max_pool_after_relu_with_many_ties():
    x = np.maximum(batch(2, 2, 6, 6), 0)  # about half the values are exactly 0: ties
    compare(MaxPool2D(2), torch.nn.MaxPool2d(2), x)


def test_dense():
    compare(Dense(7, 3, rng=0), torch.nn.Linear(7, 3), batch(4, 7))


def test_cross_entropy():
    logits = batch(6, 10) * 4
    labels = np.array([0, 9, 3, 3, 5, 1])
    loss, dlogits = cross_entropy(logits, labels)
    tlogits = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tlogits, torch.tensor(labels))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-6)
    np.testing.assert_allclose(dlogits, tlogits.grad.numpy(), atol=1e-7)


def torch_lenet(model: Sequential):
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, 10),
    )  # fmt: skip
    for index in (0, 3, 7):
        for name, value in model.layers[index].params.items():
            getattr(net[index], name).data = torch.tensor(value)
    return net


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_lenet_training_steps_match(optimizer):
    model = lenet(seed=4)
    net = torch_lenet(model)
    if optimizer == "sgd":
        ours = SGD(model, lr=0.05, momentum=0.9, weight_decay=1e-3)
        theirs = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    else:
        ours = Adam(model, lr=0.01, weight_decay=1e-3)
        theirs = torch.optim.Adam(net.parameters(), lr=0.01, weight_decay=1e-3)
    rng = np.random.default_rng(5)
    for _ in range(3):
        x = rng.random((8, 1, 28, 28), dtype=np.float32)
        labels = rng.integers(0, 10, 8)
        _, dlogits = cross_entropy(model.forward(x), labels)
        model.backward(dlogits, input_grad=False)
        ours.step()
        theirs.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(labels)).backward()
        theirs.step()
    for index in (0, 3, 7):
        np.testing.assert_allclose(
            model.layers[index].params["weight"], net[index].weight.detach().numpy(), atol=1e-4
        )

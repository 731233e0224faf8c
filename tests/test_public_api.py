"""The "Public API" section of DESIGN.md, checked the way an outside check would call it.

Imports are spelled exactly as DESIGN.md writes them; signatures and defaults are compared with
``inspect``; every name is also called once and its answer compared with a value worked out
independently here (a plain loop, a formula, a hand-made file).
"""

from __future__ import annotations

import gzip
import inspect
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from convlab.cnn import (
    SGD,
    Adam,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    cross_entropy,
    fit_kernel,
    lenet,
    lenet5,
)
from convlab.cnn.data import load_idx, synthetic_digits
from convlab.cnn.train import train
from convlab.engine import (
    Kernel,
    convolve,
    gaussian_kernel,
    output_size,
    parameter_counts,
    pixel_breakdown,
    presets,
)
from convlab.engine.sources import load_image, open_source
from convlab.errors import ConvlabError

EMPTY = inspect.Parameter.empty


def parameters(function: object) -> list[tuple[str, object, str]]:
    """(name, default, kind) of each parameter, in order; ``self`` left out."""
    signature = inspect.signature(function)  # type: ignore[arg-type]
    return [
        (p.name, p.default, p.kind.name) for p in signature.parameters.values() if p.name != "self"
    ]


def leading(function: object, count: int) -> list[tuple[str, object, str]]:
    return parameters(function)[:count]


POS = "POSITIONAL_OR_KEYWORD"
KW = "KEYWORD_ONLY"


# ----------------------------------------------------------------------------- engine


def test_errors_are_one_family() -> None:
    assert issubclass(ConvlabError, Exception)
    with pytest.raises(ConvlabError):
        Kernel([[np.nan]])


def test_kernel_signature_effective_and_immutability() -> None:
    assert leading(Kernel, 4) == [
        ("weights", EMPTY, POS),
        ("divisor", 1.0, POS),
        ("offset", 0.0, POS),
        ("name", "", POS),
    ]
    kernel = Kernel([[1, 2], [3, 4]], divisor=2.0, offset=1.0, name="k")
    assert isinstance(kernel.effective, np.ndarray)
    np.testing.assert_array_equal(kernel.effective, [[0.5, 1.0], [1.5, 2.0]])
    with pytest.raises(ValueError):
        kernel.weights[0, 0] = 9.0  # read-only array
    with pytest.raises(AttributeError):
        kernel.divisor = 3.0  # type: ignore[misc]
    for bad in ([], [1.0, 2.0], [[np.inf]], [[np.nan, 1.0]]):
        with pytest.raises(ConvlabError):
            Kernel(bad)


def test_presets_names_and_get() -> None:
    names = presets.names()
    assert isinstance(names, list) and all(isinstance(name, str) for name in names)
    required = {
        "identity",
        "box",
        "gaussian",
        "sharpen",
        "laplacian",
        "sobel_x",
        "sobel_y",
        "prewitt_x",
        "prewitt_y",
        "emboss",
        "outline",
    }
    assert required <= set(names)
    for name in names:
        assert isinstance(presets.get(name), Kernel)
    slides_gaussian = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16.0
    np.testing.assert_allclose(presets.get("gaussian").effective, slides_gaussian)
    np.testing.assert_array_equal(
        presets.get("identity").effective, [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    )
    with pytest.raises(ConvlabError):
        presets.get("no such kernel")


def test_gaussian_kernel() -> None:
    assert leading(gaussian_kernel, 2) == [("radius", EMPTY, POS), ("sigma", EMPTY, POS)]
    kernel = gaussian_kernel(2, 1.0)
    assert isinstance(kernel, Kernel) and kernel.effective.shape == (5, 5)
    assert kernel.effective.sum() == pytest.approx(1.0)
    profile = np.exp(-(np.arange(-2, 3) ** 2) / 2.0)
    expected = np.outer(profile, profile)
    np.testing.assert_allclose(kernel.effective, expected / expected.sum(), atol=1e-12)


def test_convolve_signature() -> None:
    assert parameters(convolve)[:8] == [
        ("image", EMPTY, POS),
        ("kernel", EMPTY, POS),
        ("border", "reflect101", KW),
        ("padding", "same", KW),
        ("stride", 1, KW),
        ("dilation", 1, KW),
        ("mode", "correlate", KW),
        ("channels", "per_channel", KW),
    ]


def loop_convolve(
    image: np.ndarray,
    weights: np.ndarray,
    pads: tuple[int, int, int, int],
    stride: int,
    numpy_border: str,
) -> np.ndarray:
    """DESIGN.md's formula with dilation 1, one output pixel at a time."""
    top, bottom, left, right = pads
    xpad = np.pad(image.astype(np.float64), ((top, bottom), (left, right)), mode=numpy_border)
    kh, kw = weights.shape
    rows = (xpad.shape[0] - kh) // stride + 1
    cols = (xpad.shape[1] - kw) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = sum(
                weights[u, v] * xpad[i * stride + u, j * stride + v]
                for u in range(kh)
                for v in range(kw)
            )
    return out


def test_convolve_follows_the_formula() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (7, 9), dtype=np.uint8)
    weights = rng.uniform(-1, 1, (2, 4))  # even sizes: same pads (0, 1) rows, (1, 2) columns
    result = convolve(image, weights, stride=2)
    assert result.dtype == np.float32 and result.shape == (4, 5)  # ceil(7/2), ceil(9/2)
    np.testing.assert_allclose(
        result, loop_convolve(image, weights, (0, 1, 1, 2), 2, "reflect"), atol=1e-3
    )
    valid = convolve(image, weights, padding="valid", border="constant", mode="convolve")
    np.testing.assert_allclose(
        valid, loop_convolve(image, weights[::-1, ::-1], (0, 0, 0, 0), 1, "constant"), atol=1e-3
    )
    kernel = Kernel(weights, divisor=4.0, offset=10.0)
    padded = convolve(image, kernel, padding=1, border="replicate")
    np.testing.assert_allclose(
        padded, loop_convolve(image, weights, (1,) * 4, 1, "edge") / 4 + 10, atol=1e-3
    )
    rgb = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
    assert convolve(rgb, weights).shape == (5, 6, 3)
    assert convolve(rgb, weights, channels="gray").shape == (5, 6)
    assert convolve(rgb.astype(np.uint16) * 257, weights).dtype == np.float32


def test_pixel_breakdown_explains_one_output_pixel() -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    weights = rng.uniform(-1, 1, (3, 3))
    breakdown = pixel_breakdown(image, weights, 0, 4, border="reflect", channel=2)
    assert {"patch", "weights", "products", "total"} <= set(breakdown)
    assert isinstance(breakdown["total"], float)
    for key in ("patch", "weights", "products"):
        assert np.shape(breakdown[key]) == (3, 3)
    expected = convolve(image, weights, border="reflect")[0, 4, 2]
    assert breakdown["total"] == pytest.approx(float(expected), abs=1e-3)
    xpad = np.pad(image[:, :, 2].astype(float), 1, mode="symmetric")
    np.testing.assert_allclose(breakdown["patch"], xpad[0:3, 4:7])


def test_output_size_and_parameter_counts() -> None:
    assert parameters(output_size) == [
        ("n", EMPTY, POS),
        ("k", EMPTY, POS),
        ("padding", 0, KW),
        ("stride", 1, KW),
        ("dilation", 1, KW),
    ]
    for n, k, p, s, d in [(32, 5, 0, 1, 1), (224, 7, 3, 2, 1), (28, 3, 2, 1, 2), (10, 4, 1, 3, 1)]:
        assert output_size(n, k, padding=p, stride=s, dilation=d) == (
            (n + 2 * p - d * (k - 1) - 1) // s + 1
        )
    assert parameters(parameter_counts) == [
        ("height", EMPTY, POS),
        ("width", EMPTY, POS),
        ("hidden", 1000, KW),
        ("channels", 1, KW),
        ("filters", 100, KW),
        ("kernel", 10, KW),
    ]
    slides = parameter_counts(1000, 1000, hidden=1_000_000)
    assert slides["fully_connected"] == 10**12
    assert slides["locally_connected"] == 10**8
    assert slides["convolutional"] == 10_000
    assert parameter_counts(32, 32)["fully_connected"] == 1000 * 1024


def test_load_image_gives_rgb_uint8(tmp_path: Path) -> None:
    bgr = np.zeros((4, 5, 3), dtype=np.uint8)
    bgr[:, :, 0] = 200  # blue in OpenCV's order
    path = tmp_path / "blue.png"
    assert cv2.imwrite(str(path), bgr)
    image = load_image(path)
    assert image.shape == (4, 5, 3) and image.dtype == np.uint8
    assert image[0, 0].tolist() == [0, 0, 200]
    with pytest.raises(ConvlabError, match=r"missing\.png"):
        load_image(tmp_path / "missing.png")


def test_open_source_reads_rgb_frames(tmp_path: Path) -> None:
    pattern = open_source("pattern")
    try:
        frame = pattern.read()
        assert frame is not None and frame.ndim == 3 and frame.shape[2] == 3
        assert frame.dtype == np.uint8
    finally:
        pattern.close()
    path = tmp_path / "gray.png"
    assert cv2.imwrite(str(path), np.full((3, 4), 77, dtype=np.uint8))
    still = open_source(str(path))
    try:
        frame = still.read()
        assert frame is not None and frame.shape == (3, 4, 3) and (frame == 77).all()
    finally:
        still.close()
    with pytest.raises(ConvlabError):
        open_source(str(tmp_path / "nothing-here.mp4"))


def test_app_entry_points_import() -> None:
    from convlab.app import build_window, main

    assert [name for name, _, _ in parameters(build_window)] == ["argv"]
    assert parameters(main) == [("argv", None, POS)]


# ----------------------------------------------------------------------------- cnn


def test_layer_signatures_and_parameter_layout() -> None:
    assert leading(Conv2D, 4) == [
        ("in_channels", EMPTY, POS),
        ("out_channels", EMPTY, POS),
        ("kernel_size", EMPTY, POS),
        ("padding", 0, POS),
    ]
    assert leading(Dense, 2) == [("in_features", EMPTY, POS), ("out_features", EMPTY, POS)]
    conv = Conv2D(3, 4, 5, padding=2)
    assert conv.params["weight"].shape == (4, 3, 5, 5) and conv.params["bias"].shape == (4,)
    dense = Dense(6, 2)
    assert dense.params["weight"].shape == (2, 6) and dense.params["bias"].shape == (2,)
    for layer in (conv, dense):
        assert set(layer.grads) == set(layer.params)


def test_sequential_forward_backward_and_cross_entropy() -> None:
    rng = np.random.default_rng(3)
    conv, dense = Conv2D(1, 2, 3, padding=1), Dense(2 * 2 * 2, 3)
    model = Sequential(conv, ReLU(), MaxPool2D(2), Flatten(), dense)
    assert isinstance(model.layers, list) and len(model.layers) == 5
    x = rng.standard_normal((4, 1, 4, 4)).astype(np.float32)
    logits = model.forward(x)
    assert logits.shape == (4, 3)
    # the same network by hand: conv (loops), relu, 2x2 max, flatten, dense
    w, b = conv.params["weight"].astype(float), conv.params["bias"].astype(float)
    xpad = np.pad(x.astype(float), ((0, 0), (0, 0), (1, 1), (1, 1)))
    hidden = np.zeros((4, 2, 4, 4))
    for n in range(4):
        for o in range(2):
            for i in range(4):
                for j in range(4):
                    hidden[n, o, i, j] = b[o] + (w[o, 0] * xpad[n, 0, i : i + 3, j : j + 3]).sum()
    pooled = np.maximum(hidden, 0).reshape(4, 2, 2, 2, 2, 2).max(axis=(3, 5))
    expected = pooled.reshape(4, -1) @ dense.params["weight"].T.astype(float) + dense.params["bias"]
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)

    labels = np.array([0, 2, 1, 2])
    loss, dlogits = cross_entropy(logits, labels)
    assert isinstance(loss, float)
    z = expected - expected.max(axis=1, keepdims=True)
    probabilities = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(probabilities[np.arange(4), labels]).mean(), rel=1e-4)
    np.testing.assert_allclose(dlogits, (probabilities - np.eye(3)[labels]) / 4, atol=1e-6)
    dx = model.backward(dlogits)
    assert dx.shape == x.shape
    assert np.abs(conv.grads["weight"]).sum() > 0 and dense.grads["bias"].shape == (3,)
    np.testing.assert_allclose(dense.grads["bias"], dlogits.sum(axis=0), atol=1e-6)


def test_lenet_layers_as_documented() -> None:
    assert parameters(lenet)[:4] == [
        ("in_channels", 1, POS),
        ("num_classes", 10, POS),
        ("filters", (8, 16), POS),
        ("kernel_size", 5, POS),
    ]
    model = lenet()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Conv2D",
        "ReLU",
        "MaxPool2D",
        "Conv2D",
        "ReLU",
        "MaxPool2D",
        "Flatten",
        "Dense",
    ]
    first, second, dense = model.layers[0], model.layers[3], model.layers[7]
    assert (first.in_channels, first.out_channels, first.kernel_size, first.padding) == (1, 8, 5, 2)
    assert (second.in_channels, second.out_channels, second.kernel_size, second.padding) == (
        8,
        16,
        5,
        2,
    )
    assert (dense.in_features, dense.out_features) == (16 * 7 * 7, 10)
    assert model.layers[2].kernel_size == 2 and model.layers[5].kernel_size == 2
    logits = model.forward(np.zeros((2, 1, 28, 28), dtype=np.float32))
    assert logits.shape == (2, 10)
    rgb = lenet(in_channels=3, num_classes=4, filters=(5, 6), kernel_size=3)
    assert rgb.layers[0].params["weight"].shape == (5, 3, 3, 3)
    assert rgb.layers[-1].params["weight"].shape == (4, 6 * 7 * 7)


def test_lenet5_is_lenet5() -> None:
    model = lenet5()
    assert isinstance(model, Sequential)
    assert model.num_parameters == 61_706
    assert model.forward(np.zeros((1, 1, 32, 32), dtype=np.float32)).shape == (1, 10)
    widths = [layer.out_channels for layer in model.layers if isinstance(layer, Conv2D)]
    widths += [layer.out_features for layer in model.layers if isinstance(layer, Dense)]
    assert widths == [6, 16, 120, 84, 10]


def test_fit_kernel_learns_a_kernel_as_documented() -> None:
    assert parameters(fit_kernel)[:5] == [
        ("image", EMPTY, POS),
        ("target", EMPTY, POS),
        ("shape", EMPTY, POS),
        ("start", "zeros", KW),
        ("seed", 0, KW),
    ]
    image = np.random.default_rng(0).random((24, 30, 3), dtype=np.float32)
    hidden = presets.get("sobel_x").effective
    target = convolve(image, hidden)
    assert target.dtype == np.float32 and target.shape == image.shape
    history = list(fit_kernel(image, target, (3, 3)))
    step, loss, weights = history[-1]
    assert history[0][0] == 0 and step == len(history) - 1 and loss < history[0][1]
    assert weights.shape == (3, 3) and np.abs(weights - hidden).max() < 1e-3


def test_optimizers_update_params_in_place() -> None:
    assert leading(Adam, 2) == [("model", EMPTY, POS), ("lr", 1e-3, POS)]
    assert leading(SGD, 3) == [("model", EMPTY, POS), ("lr", 0.01, POS), ("momentum", 0.9, POS)]
    dense = Dense(3, 2)
    model = Sequential(dense)
    weight = dense.params["weight"]
    before = weight.copy()
    gradient = np.full_like(weight, 0.5)
    dense.grads["weight"] = gradient.copy()
    dense.grads["bias"] = np.zeros_like(dense.params["bias"])
    optimizer = SGD(model, lr=0.1, momentum=0.9)
    optimizer.step()  # first step: velocity = g, p -= lr * g
    assert dense.params["weight"] is weight
    np.testing.assert_allclose(weight, before - 0.05, atol=1e-7)
    optimizer.step()  # velocity = 0.9 g + g
    np.testing.assert_allclose(weight, before - 0.05 - 0.1 * 1.9 * 0.5, atol=1e-6)
    adam_before = weight.copy()
    Adam(model, lr=0.01).step()  # Adam's first step moves every weight by lr * sign(g)
    np.testing.assert_allclose(weight, adam_before - 0.01, atol=1e-6)


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx(tmp_path: Path, compress: bool) -> None:
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"images{suffix}", images, compress)
    write_idx(tmp_path / f"labels{suffix}", labels, compress)
    got_images, got_labels = load_idx(tmp_path / f"images{suffix}", tmp_path / f"labels{suffix}")
    assert got_images.dtype == np.uint8 and got_labels.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    (tmp_path / "bad").write_bytes(b"\x12\x34\x56\x78" + bytes(20))
    with pytest.raises(ConvlabError):
        load_idx(tmp_path / "bad", tmp_path / f"labels{suffix}")
    write_idx(tmp_path / "two-labels", labels[:2], False)
    with pytest.raises(ConvlabError):
        load_idx(tmp_path / f"images{suffix}", tmp_path / "two-labels")


def test_synthetic_digits() -> None:
    assert parameters(synthetic_digits) == [("n", EMPTY, POS), ("seed", 0, POS)]
    images, labels = synthetic_digits(20)
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (20,) and labels.dtype == np.int64
    assert set(labels.tolist()) <= set(range(10))
    again, _ = synthetic_digits(20, seed=0)
    np.testing.assert_array_equal(images, again)


def test_train_yields_progress_dicts() -> None:
    names = parameters(train)
    assert names[:4] == [
        ("model", EMPTY, POS),
        ("optimizer", EMPTY, POS),
        ("images", EMPTY, POS),
        ("labels", EMPTY, POS),
    ]
    keyword = {name: (default, kind) for name, default, kind in names[4:]}
    assert keyword["epochs"] == (EMPTY, KW) and keyword["batch_size"] == (EMPTY, KW)
    assert keyword["validation"] == (None, KW) and keyword["seed"] == (0, KW)
    images, labels = synthetic_digits(32, seed=1)
    model = lenet()
    progress = train(
        model,
        Adam(model),
        images,
        labels,
        epochs=2,
        batch_size=16,
        validation=(images[:8], labels[:8]),
    )
    assert inspect.isgenerator(progress)
    reports = list(progress)
    assert reports
    for report in reports:
        assert {"epoch", "step", "loss", "accuracy", "val_accuracy", "images_per_s"} <= set(report)
    assert reports[-1]["epoch"] == 2 and reports[-1]["step"] == 4
    assert 0.0 <= reports[-1]["val_accuracy"] <= 1.0

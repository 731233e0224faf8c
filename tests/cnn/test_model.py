"""Sequential, the builders, model files and frozen layers."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn import (
    Adam,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    build_cnn,
    cross_entropy,
    lenet,
    lenet5,
    load_model,
    mlp,
    small_cnn,
)
from convlab.cnn.data import pad_to, synthetic_digits
from convlab.cnn.model import FIRST_LAYER_START
from convlab.errors import ConvlabError


def test_lenet_has_the_documented_layers_and_parameter_counts():
    model = lenet()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Conv2D", "ReLU", "MaxPool2D", "Conv2D", "ReLU", "MaxPool2D", "Flatten", "Dense",
    ]  # fmt: skip
    counts = [count for _, count in model.parameter_counts()]
    assert counts == [1 * 8 * 25 + 8, 0, 0, 8 * 16 * 25 + 16, 0, 0, 0, 16 * 7 * 7 * 10 + 10]
    assert model.num_parameters == sum(counts)
    assert model.layers[0].params["weight"].shape == (8, 1, 5, 5)
    assert model.layers[7].params["weight"].shape == (10, 16 * 7 * 7)
    assert model.layers[0].params["weight"].dtype == np.float32
    assert model.forward(np.zeros((3, 1, 28, 28), np.float32)).shape == (3, 10)


def test_he_initialisation_is_seeded_and_scaled():
    first, second, other = lenet(seed=1), lenet(seed=1), lenet(seed=2)
    w = first.layers[3].params["weight"]
    np.testing.assert_array_equal(w, second.layers[3].params["weight"])
    assert not np.array_equal(w, other.layers[3].params["weight"])
    assert np.std(w) == pytest.approx(np.sqrt(2 / (8 * 25)), rel=0.1)


def test_the_first_convolution_starts_at_a_tenth_of_the_he_scale():
    """Small first-layer filters at the start, so what training writes into them shows."""
    small = build_cnn(filters=(32, 16), seed=4).layers[0].params["weight"]
    plain = build_cnn(filters=(32, 16), seed=4, first_layer_start=1.0).layers[0].params["weight"]
    assert FIRST_LAYER_START == 0.1
    np.testing.assert_allclose(small, plain * np.float32(0.1), rtol=1e-6)
    assert np.std(plain) == pytest.approx(np.sqrt(2 / 25), rel=0.1)
    assert np.std(lenet5(seed=0).layers[0].params["weight"]) == pytest.approx(
        0.1 * np.sqrt(2 / 25), rel=0.2
    )


def test_small_cnn_is_the_old_lenet_under_its_honest_name():
    for a, b in zip(small_cnn(seed=3).state(), lenet(seed=3).state(), strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert small_cnn().num_parameters == 11_274


def test_lenet5_has_the_papers_layers_shapes_and_61706_parameters():
    model = lenet5()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Conv2D", "ReLU", "AvgPool2D", "Conv2D", "ReLU", "AvgPool2D", "Conv2D", "ReLU",
        "Flatten", "Dense", "ReLU", "Dense",
    ]  # fmt: skip
    counts = [count for _, count in model.parameter_counts() if count]
    assert counts == [6 * 26, 16 * (6 * 25 + 1), 120 * (16 * 25 + 1), 84 * 121, 10 * 85]
    assert model.num_parameters == 61_706
    shapes = model.output_shapes((1, 32, 32))
    assert [shapes[i] for i in (0, 2, 3, 5, 6, 8, 9, 11)] == [
        (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1), (120,), (84,), (10,),
    ]  # fmt: skip
    assert model.forward(np.zeros((2, 1, 32, 32), np.float32)).shape == (2, 10)
    assert lenet5(in_channels=3, num_classes=4).forward(np.zeros((1, 3, 32, 32))).shape == (1, 4)


def test_lenet5_learns_a_few_padded_digits():
    images, labels = synthetic_digits(40, seed=2)
    x = pad_to(images, 32)[:, None].astype(np.float32) / 255
    model = lenet5(seed=0)
    optimizer = Adam(model, lr=0.003)
    for _ in range(80):
        _, dlogits = cross_entropy(model.forward(x, training=True), labels)
        model.backward(dlogits, input_grad=False)
        optimizer.step()
    assert (model.predict(x) == labels).mean() == 1.0


def test_pad_to_centres_the_images():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    padded = pad_to(images, 32)
    assert padded.shape == (2, 32, 32) and padded.dtype == np.uint8
    np.testing.assert_array_equal(padded[:, 2:30, 2:30], images)
    assert padded[:, :2].sum() == 0 and padded[:, :, 30:].sum() == 0
    assert pad_to(np.ones((1, 3, 5, 4)), 7).shape == (1, 3, 7, 7)
    with pytest.raises(ConvlabError, match="do not fit"):
        pad_to(images, 20)


@pytest.mark.parametrize("conv_layers", [1, 2, 3])
@pytest.mark.parametrize("kernel_size", [3, 5, 7])
@pytest.mark.parametrize("pool", [True, False])
def test_build_cnn_variants_give_logits(conv_layers, kernel_size, pool):
    model = build_cnn(conv_layers, (4, 6, 8), kernel_size, pool, (1, 28, 28), 7)
    shapes = model.output_shapes((1, 28, 28))
    assert shapes[-1] == (7,)
    side = 28 // 2**conv_layers if pool else 28
    assert model.layers[-1].in_features == (4, 6, 8)[conv_layers - 1] * side * side
    assert model.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 7)


def test_build_cnn_rejects_impossible_settings():
    with pytest.raises(ConvlabError, match="filter counts"):
        build_cnn(conv_layers=3, filters=(8, 16))
    with pytest.raises(ConvlabError, match="odd"):
        build_cnn(kernel_size=4)


def test_mlp_counts_show_the_parameter_explosion():
    model = mlp((1, 28, 28), hidden=(128,), num_classes=10)
    assert model.num_parameters == 784 * 128 + 128 + 128 * 10 + 10
    assert model.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)


def test_small_cnn_overfits_a_tiny_batch():
    images, labels = synthetic_digits(20, seed=3)
    x = images[:, None].astype(np.float32) / 255
    model = lenet(filters=(4, 8), seed=0)
    optimizer = Adam(model, lr=0.01)
    for _ in range(60):
        _, dlogits = cross_entropy(model.forward(x, training=True), labels)
        model.backward(dlogits, input_grad=False)
        optimizer.step()
    assert (model.predict(images) == labels).mean() == 1.0
    loss, accuracy = model.evaluate(images, labels)
    assert accuracy == 1.0 and loss < 0.1


def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    model = build_cnn(3, (3, 5, 6), 3, True, (1, 28, 28), 4, seed=5)
    model.layers[0].trainable = False
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = load_model(path)
    assert [repr(layer) for layer in loaded.layers] == [repr(layer) for layer in model.layers]
    assert not loaded.layers[0].trainable and loaded.layers[3].trainable
    x = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(loaded.forward(x), model.forward(x))


def test_loading_something_else_fails_clearly(tmp_path):
    not_a_model = tmp_path / "junk.npz"
    not_a_model.write_bytes(b"certainly not a zip file")
    with pytest.raises(ConvlabError, match=r"junk\.npz"):
        Sequential.load(not_a_model)
    with pytest.raises(ConvlabError, match=r"missing\.npz"):
        Sequential.load(tmp_path / "missing.npz")
    wrong_shapes = tmp_path / "wrong.npz"
    lenet().save(wrong_shapes)
    archive = dict(np.load(wrong_shapes))
    archive["0.weight"] = np.zeros((2, 2), np.float32)
    np.savez(wrong_shapes, **archive)
    with pytest.raises(ConvlabError, match="damaged"):
        Sequential.load(wrong_shapes)


def test_feature_maps_give_every_layer_for_one_image():
    model = lenet()
    image = np.random.default_rng(1).integers(0, 256, (28, 28), dtype=np.uint8)
    maps = model.feature_maps(image[None])  # (C, H, W)
    assert [array.shape for _, array in maps] == [
        (8, 28, 28), (8, 28, 28), (8, 14, 14),
        (16, 14, 14), (16, 14, 14), (16, 7, 7), (784,), (10,),
    ]  # fmt: skip
    assert maps[0][0].startswith("Conv2D")
    expected = model.forward(image[None, None].astype(np.float32) / 255)
    np.testing.assert_allclose(maps[-1][1], expected[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(ConvlabError, match="one image"):
        model.feature_maps(np.zeros((2, 1, 28, 28), np.float32))


def test_frozen_layer_keeps_its_weights_but_passes_gradients():
    model = lenet()
    model.layers[0].frozen = True
    before = model.layers[0].params["weight"].copy()
    optimizer = Adam(model, lr=0.1)
    x = np.random.default_rng(2).random((4, 1, 28, 28), dtype=np.float32)
    _, dlogits = cross_entropy(model.forward(x), np.array([0, 1, 2, 3]))
    dx = model.backward(dlogits)
    assert dx is not None and np.abs(dx).sum() > 0
    optimizer.step()
    np.testing.assert_array_equal(model.layers[0].params["weight"], before)
    assert np.abs(model.layers[3].grads["weight"]).sum() > 0


def test_backward_can_skip_the_input_gradient():
    model = lenet()
    x = np.random.default_rng(4).random((2, 1, 28, 28), dtype=np.float32)
    _, dlogits = cross_entropy(model.forward(x), [1, 2])
    assert model.backward(dlogits, input_grad=False) is None
    assert np.abs(model.layers[0].grads["weight"]).sum() > 0


def test_dropout_only_acts_while_training():
    layer = Dropout(0.5, rng=0)
    x = np.ones((1000, 10), np.float32)
    np.testing.assert_array_equal(layer.forward(x), x)
    dropped = layer.forward(x, training=True)
    assert set(np.unique(dropped)) == {0.0, 2.0}
    assert (dropped == 0).mean() == pytest.approx(0.5, abs=0.02)


def test_layers_reject_wrong_shapes_with_a_clear_message():
    with pytest.raises(ConvlabError, match=r"\(N, 3, H, W\)"):
        Conv2D(3, 4, 3).forward(np.zeros((1, 1, 5, 5), np.float32))
    with pytest.raises(ConvlabError, match=r"\(N, 5\)"):
        Dense(5, 2).forward(np.zeros((1, 4), np.float32))
    with pytest.raises(ConvlabError, match="does not fit a 2x2 input"):
        Conv2D(1, 4, 5).forward(np.zeros((1, 1, 2, 2), np.float32))
    with pytest.raises(ConvlabError, match="kernel size"):
        MaxPool2D(16)
    with pytest.raises(ConvlabError):
        Conv2D(0, 4, 3)
    with pytest.raises(ConvlabError):
        Dropout(1.0)


def test_state_and_set_state_copy_in_place():
    model = Sequential(Flatten(), Dense(4, 2, rng=0), ReLU())
    weight = model.layers[1].params["weight"]
    saved = model.state()
    weight += 1.0
    model.set_state(saved)
    assert model.layers[1].params["weight"] is weight  # same array: views others hold stay valid
    np.testing.assert_array_equal(weight, saved[1]["weight"])


def test_predict_accepts_uint8_and_float():
    model = Sequential(MaxPool2D(2), Flatten(), Dense(4, 3, rng=0))
    images = np.random.default_rng(3).integers(0, 256, (5, 4, 4), dtype=np.uint8)
    np.testing.assert_array_equal(
        model.predict(images), model.predict(images.astype(np.float32) / 255)
    )


def test_copy_is_independent_and_identical():
    model = lenet(seed=2)
    model.layers[0].trainable = False
    twin = model.copy()
    x = np.random.default_rng(5).random((2, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(twin.forward(x), model.forward(x))
    assert not twin.layers[0].trainable
    twin.layers[3].params["weight"] += 1.0
    assert not np.array_equal(twin.forward(x), model.forward(x))


def test_a_truncated_model_file_fails_clearly(tmp_path):
    saved = tmp_path / "model.npz"
    lenet().save(saved)
    truncated = tmp_path / "cut.npz"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(ConvlabError, match=r"cut\.npz"):
        Sequential.load(truncated)

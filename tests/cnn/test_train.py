"""The train() generator: reports, determinism, validation, divergence."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn import SGD, Adam, lenet, mlp
from convlab.cnn.data import shapes
from convlab.cnn.train import train
from convlab.errors import DataError, TrainingError

KEYS = {
    "epoch", "epochs", "step", "total_steps", "loss", "accuracy", "val_accuracy",
    "images_per_s", "epoch_end", "done",
}  # fmt: skip


@pytest.fixture(scope="module")
def data():
    return shapes(120, seed=1)


def small_model(seed: int = 0):
    return lenet(num_classes=8, filters=(4, 8), seed=seed)


def test_reports_every_epoch_end_and_finishes_with_done(data):
    images, labels = data
    model = small_model()
    reports = list(
        train(
            model, Adam(model, lr=0.01), images[:100], labels[:100], epochs=3, batch_size=32,
            validation=(images[100:], labels[100:]), progress_interval=1e9,
        )
    )  # fmt: skip
    assert len(reports) == 3  # a huge interval leaves only the end-of-epoch reports
    assert all(set(report) == KEYS for report in reports)
    assert [report["epoch"] for report in reports] == [1, 2, 3]
    assert [report["step"] for report in reports] == [4, 8, 12]
    assert all(report["total_steps"] == 12 for report in reports)
    assert [report["done"] for report in reports] == [False, False, True]
    assert all(0.0 <= report["val_accuracy"] <= 1.0 for report in reports)
    assert all(report["images_per_s"] > 0 for report in reports)
    assert reports[-1]["loss"] < reports[0]["loss"]


def test_validation_is_none_until_the_first_epoch_ends(data):
    images, labels = data
    model = small_model()
    reports = list(
        train(
            model, SGD(model), images, labels, epochs=1, batch_size=40,
            validation=(images[:20], labels[:20]), progress_interval=0.0,
        )
    )  # fmt: skip
    assert len(reports) == 3  # interval 0: a report after every batch
    assert reports[0]["val_accuracy"] is None and reports[1]["val_accuracy"] is None
    assert reports[-1]["val_accuracy"] is not None and reports[-1]["epoch_end"]


def test_same_seed_same_run_and_different_seed_different_run(data):
    images, labels = data

    def final_weights(seed: int, augment: bool) -> np.ndarray:
        model = small_model()
        for _ in train(
            model, Adam(model), images, labels, epochs=2, batch_size=16, seed=seed,
            augment=augment,
        ):  # fmt: skip
            pass
        return model.layers[0].params["weight"]

    np.testing.assert_array_equal(final_weights(3, True), final_weights(3, True))
    assert not np.array_equal(final_weights(3, False), final_weights(4, False))


def test_pausing_is_not_asking_for_the_next_report(data):
    images, labels = data
    model = small_model()
    progress = train(model, Adam(model), images, labels, epochs=2, batch_size=60)
    first = next(progress)
    weights = model.layers[3].params["weight"].copy()
    np.testing.assert_array_equal(model.layers[3].params["weight"], weights)  # nothing runs
    second = next(progress)
    assert second["step"] > first["step"]
    assert not np.array_equal(model.layers[3].params["weight"], weights)


def test_nan_loss_stops_with_a_clear_error_and_keeps_good_weights(data):
    images, labels = data
    float_images = images.astype(np.float32) / 255
    float_images[0, 0, 0] = np.nan  # poisons the first batch containing image 0
    model = small_model()
    before = model.state()
    with pytest.raises(TrainingError, match=r"NaN|nan") as failure:
        for _ in train(model, SGD(model), float_images, labels, epochs=1, batch_size=120):
            pass
    assert "step 1" in str(failure.value)
    for saved, layer in zip(before, model.layers):
        for key, value in saved.items():
            np.testing.assert_array_equal(layer.params[key], value)


def test_exploding_learning_rate_raises_training_error_with_finite_weights(data):
    images, labels = data
    model = mlp((1, 28, 28), hidden=(), num_classes=8)  # softmax regression: cannot "die"
    with pytest.raises(TrainingError, match="diverged") as failure:
        for _ in train(model, SGD(model, lr=1e37, momentum=0.0), images, labels, epochs=5,
                       batch_size=8):  # fmt: skip
            pass
    assert "step 1 " not in str(failure.value)  # the first steps were fine, then it blew up
    assert all(np.all(np.isfinite(v)) for layer in model.layers for v in layer.params.values())


def test_bad_arguments_are_reported(data):
    images, labels = data
    model = small_model()
    with pytest.raises(DataError, match="labels"):
        next(train(model, SGD(model), images, labels[:5], epochs=1, batch_size=8))
    with pytest.raises(DataError, match="no training images"):
        next(train(model, SGD(model), images[:0], labels[:0], epochs=1, batch_size=8))
    with pytest.raises(TrainingError, match="epochs"):
        next(train(model, SGD(model), images, labels, epochs=0, batch_size=8))
    with pytest.raises(DataError, match="validation"):
        next(
            train(
                model, SGD(model), images, labels, epochs=1, batch_size=8,
                validation=(images[:3], labels[:2]),
            )
        )  # fmt: skip


def test_a_huge_but_finite_loss_counts_as_diverged(data):
    images, labels = data
    model = small_model()
    losses = []
    with pytest.raises(TrainingError, match="diverged"):
        for report in train(model, SGD(model, lr=1e6, momentum=0.9), images, labels, epochs=5,
                            batch_size=8, progress_interval=0.0):  # fmt: skip
            losses.append(report["loss"])
    assert all(np.isfinite(loss) and loss <= 1e3 for loss in losses)

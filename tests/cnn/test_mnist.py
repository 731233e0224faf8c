"""Real handwritten digits: the MNIST test set, in the folder CONVLAB_MNIST_DIR names (else
shared/data/mnist beside the checkout; ``convlab.cnn.data.mnist_test_dir``).

Skipped, saying where it looked, when the files are absent (they are not part of the project).
The target: lenet() trained on the first 8,000 digits reaches >= 97.5% on the last 2,000
within 8 epochs.
Training uses one BLAS thread (conftest), which is steadier under load.
"""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn import Adam, lenet, lenet5
from convlab.cnn.data import (
    MNIST_DIR_VARIABLE,
    MNIST_TEST_FILES,
    load_idx,
    mnist_test_dir,
    pad_to,
)
from convlab.cnn.train import train

MNIST = mnist_test_dir()
IMAGES, LABELS = (MNIST / name for name in MNIST_TEST_FILES)

pytestmark = pytest.mark.skipif(
    not IMAGES.exists(), reason=f"no MNIST files in {MNIST} (set {MNIST_DIR_VARIABLE})"
)


def test_load_idx_reads_the_real_mnist_test_set():
    images, labels = load_idx(IMAGES, LABELS)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_lenet_learns_real_digits():
    """Stops at the first epoch that reaches the target, as "within 8 epochs"
    allows (typically epoch 1-4: a few seconds instead of ~15 s for all 8 on a quiet machine).
    Stopping is just not asking the generator for more."""
    images, labels = load_idx(IMAGES, LABELS)
    model = lenet(seed=0)
    progress = train(
        model, Adam(model, lr=2e-3), images[:8000], labels[:8000], epochs=8, batch_size=32,
        validation=(images[8000:], labels[8000:]), seed=0, augment=True,
        progress_interval=1e9,
    )  # fmt: skip
    accuracies = []
    for report in progress:
        assert report["epoch_end"]  # progress_interval=1e9: one report per epoch
        accuracies.append(report["val_accuracy"])
        if report["val_accuracy"] >= 0.975:
            break
    progress.close()
    _, accuracy = model.evaluate(images[8000:], labels[8000:])
    assert accuracy == accuracies[-1]  # the report measured the model we now hold
    assert accuracy >= 0.975, f"accuracy per epoch on the last 2,000 real digits: {accuracies}"


def test_lenet5_learns_real_digits_centred_in_32x32():
    """LeNet-5 on its own terms: 28 x 28 digits centred in 32 x 32, first 8,000 to learn."""
    images, labels = load_idx(IMAGES, LABELS)
    images = pad_to(images, 32)
    model = lenet5(seed=0)
    progress = train(
        model, Adam(model, lr=2e-3), images[:8000], labels[:8000], epochs=3, batch_size=32,
        validation=(images[8000:], labels[8000:]), seed=0, progress_interval=1e9,
    )  # fmt: skip
    accuracies = []
    for report in progress:
        accuracies.append(report["val_accuracy"])
        if report["val_accuracy"] >= 0.96:
            break
    progress.close()
    assert accuracies[-1] >= 0.96, f"accuracy per epoch on the last 2,000 real digits: {accuracies}"

"""Shuffled pixels and shifted digits: the probes of what a network relies on."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn import Adam, build_cnn, mlp
from convlab.cnn.data import synthetic_digits
from convlab.cnn.probes import (
    permute_first_dense,
    shift_images,
    shift_test,
    shuffle_images,
)
from convlab.cnn.train import train
from convlab.engine.arithmetic import shuffle_pixels
from convlab.errors import ConvlabError


def test_one_fixed_permutation_moves_every_images_pixels():
    images = np.random.default_rng(0).integers(0, 256, (5, 6, 7), dtype=np.uint8)
    shuffled = shuffle_images(images, seed=3)
    assert shuffled.shape == images.shape and shuffled.dtype == images.dtype
    for image, moved in zip(images, shuffled):
        np.testing.assert_array_equal(moved, shuffle_pixels(image, seed=3))
    colour = np.random.default_rng(1).random((2, 3, 6, 7))
    moved = shuffle_images(colour, seed=3)
    for channel in range(3):  # the channels of a pixel move together
        np.testing.assert_array_equal(moved[:, channel], shuffle_images(colour[:, channel], 3))


def test_an_mlp_follows_the_same_curve_on_shuffled_pixels():
    images, labels = synthetic_digits(300, seed=2)
    plain = mlp((1, 28, 28), hidden=(32,), seed=0)
    permuted = mlp((1, 28, 28), hidden=(32,), seed=0)
    permute_first_dense(permuted, (1, 28, 28), seed=5)
    shuffled = shuffle_images(images, seed=5)
    np.testing.assert_allclose(
        permuted.predict_logits(shuffled), plain.predict_logits(images), atol=1e-5
    )

    def losses(model, x):
        run = train(
            model, Adam(model, lr=0.003), x, labels, epochs=2, batch_size=32, progress_interval=0.0
        )
        return np.array([report["loss"] for report in run])

    np.testing.assert_allclose(losses(permuted, shuffled), losses(plain, images), atol=1e-4)


def test_only_networks_that_start_dense_can_be_permuted():
    with pytest.raises(ConvlabError, match="dense"):
        permute_first_dense(build_cnn(), (1, 28, 28))
    with pytest.raises(ConvlabError, match="784"):
        permute_first_dense(mlp((1, 28, 28)), (1, 20, 20))


@pytest.mark.parametrize(("rows", "cols"), [(0, 3), (3, 0), (-2, 1), (0, -3), (7, 7), (0, 0)])
def test_shift_images_moves_and_fills_with_black(rows, cols):
    images = np.random.default_rng(4).integers(1, 256, (3, 7, 7), dtype=np.uint8)
    moved = shift_images(images, rows, cols)
    for r in range(7):
        for c in range(7):
            source = (r - rows, c - cols)
            inside = 0 <= source[0] < 7 and 0 <= source[1] < 7
            expected = images[:, source[0], source[1]] if inside else 0
            np.testing.assert_array_equal(moved[:, r, c], expected)


def test_the_shift_test_reports_four_directions_and_their_mean():
    images, labels = synthetic_digits(60, seed=1)
    model = build_cnn(filters=(4, 8), seed=0)
    results = shift_test(model, images, labels, distance=2)
    assert set(results) == {"right", "left", "down", "up", "mean"}
    directions = [results[name] for name in ("right", "left", "down", "up")]
    assert results["mean"] == pytest.approx(np.mean(directions))
    _, moved_right = model.evaluate(shift_images(images, 0, 2), labels)
    assert results["right"] == moved_right

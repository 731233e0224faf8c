"""Probes of what a network relies on: shuffled pixels and shifted digits.

The slides say an MLP "loses spatial orientation": it flattens the image, so pixel positions
mean nothing to it. Two experiments measure that claim instead of stating it.

*Shuffle pixels.* Put every pixel of every image (train and test) in a new place, the same
fixed permutation for all. An MLP started from the same function (its first weight columns
permuted the same way, ``permute_first_dense``) then trains to exactly the same numbers: it
never used the layout. A CNN looks at neighbours, and after the shuffle neighbours are random
pixels: it loses what made it better.

*Shift test.* Move every test digit a few pixels (``shift_test``). A convolution slides the same
filters everywhere, so a shifted stroke gives the same (shifted) response and pooling absorbs
some of the move; an MLP's weights are tied to positions. Trained on digits jittered by a
couple of pixels, the CNN recognises digits moved farther; the MLP much less so.
"""

from __future__ import annotations

import numpy as np

from convlab.cnn.layers import Dense
from convlab.cnn.model import Sequential
from convlab.engine.arithmetic import pixel_permutation
from convlab.errors import ConvlabError

#: how far the shift test moves each test digit (pixels)
SHIFT_TEST_PIXELS = 3
#: the four directions of the shift test: (rows, columns) per pixel of distance
DIRECTIONS = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}


def _batch(images: np.ndarray) -> np.ndarray:
    array = np.asarray(images)
    if array.ndim not in (3, 4) or array.size == 0:
        raise ConvlabError(
            f"images must be a non-empty N x H x W or N x C x H x W batch, got {array.shape}"
        )
    return array


def shuffle_images(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """Every image with its pixels moved by one fixed permutation (channels move together)."""
    array = _batch(images)
    height, width = array.shape[-2:]
    order = pixel_permutation(height * width, seed)
    flat = array.reshape(*array.shape[:-2], height * width)
    return np.ascontiguousarray(flat[..., order].reshape(array.shape))


def permute_first_dense(model: Sequential, image_shape: tuple[int, ...], seed: int = 0) -> None:
    """Reorder the first Dense layer's input columns as ``shuffle_images(seed)`` reorders pixels.

    The model then computes on shuffled images exactly what it computed on the originals, so
    an MLP trained on shuffled pixels follows the very same curve. Only for models whose first
    weighted layer is Dense (an MLP); ``image_shape`` is (C, H, W) or (H, W).
    """
    dense = next((layer for layer in model.layers if layer.params), None)
    if not isinstance(dense, Dense):
        raise ConvlabError("only a network that starts with a dense layer can be permuted this way")
    height, width = image_shape[-2:]
    channels = int(np.prod(image_shape[:-2], dtype=np.int64))
    if dense.in_features != channels * height * width:
        raise ConvlabError(
            f"the first dense layer takes {dense.in_features} inputs, not "
            f"{channels * height * width} ({image_shape})"
        )
    order = pixel_permutation(height * width, seed)
    columns = (np.arange(channels)[:, None] * height * width + order[None, :]).ravel()
    weight = dense.params["weight"]
    weight[...] = weight[:, columns]


def shift_images(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Every image moved down by ``rows`` and right by ``cols`` pixels (negative: up / left);
    what moves out is lost, what comes in is black (0)."""
    array = _batch(images)
    height, width = array.shape[-2:]
    moved = np.zeros_like(array)
    if abs(rows) >= height or abs(cols) >= width:
        return moved
    source = (
        ...,
        slice(max(-rows, 0), height - max(rows, 0)),
        slice(max(-cols, 0), width - max(cols, 0)),
    )
    target = (
        ...,
        slice(max(rows, 0), height - max(-rows, 0)),
        slice(max(cols, 0), width - max(-cols, 0)),
    )
    moved[target] = array[source]
    return moved


def shift_test(
    model: Sequential, images: np.ndarray, labels: np.ndarray, distance: int = SHIFT_TEST_PIXELS
) -> dict[str, float]:
    """Accuracy on the test images moved ``distance`` pixels right, left, down and up, and the
    mean of the four ("mean"); the model is only run forward (use a copy while training)."""
    results = {}
    for name, (down, right) in DIRECTIONS.items():
        moved = shift_images(images, down * distance, right * distance)
        _, results[name] = model.evaluate(moved, labels)
    results["mean"] = float(np.mean(list(results.values())))
    return results

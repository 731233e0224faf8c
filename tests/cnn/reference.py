"""Plain-loop references for the vectorised maths in ``convlab.cnn.functional``.

Written the slow, obvious way, one output element at a time, straight from the definitions;
used only by the tests.
"""

from __future__ import annotations

import numpy as np


def pad(x: np.ndarray, padding: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int, padding: int):
    """out[n, o, i, j] = bias[o] + sum_{c,u,v} weight[o, c, u, v] * xpad[n, c, i*s + u, j*s + v]"""
    n_batch, _, height, width = x.shape
    out_channels, in_channels, k, _ = weight.shape
    xp = pad(x, padding)
    out_h = (height + 2 * padding - k) // stride + 1
    out_w = (width + 2 * padding - k) // stride + 1
    out = np.zeros((n_batch, out_channels, out_h, out_w))
    for n in range(n_batch):
        for o in range(out_channels):
            for i in range(out_h):
                for j in range(out_w):
                    total = bias[o]
                    for c in range(in_channels):
                        for u in range(k):
                            for v in range(k):
                                total += (
                                    weight[o, c, u, v] * xp[n, c, i * stride + u, j * stride + v]
                                )
                    out[n, o, i, j] = total
    return out


def _patch_entries(shape: tuple[int, ...], k: int, stride: int, padding: int):
    """Every entry of the im2col matrix: (row (c, u, v), column (i, j, n), padded pixel index
    (n, c, y, x)) - the layout documented in functional.py, one element at a time."""
    n_batch, channels, height, width = shape
    out_h = (height + 2 * padding - k) // stride + 1
    out_w = (width + 2 * padding - k) // stride + 1
    for c in range(channels):
        for u in range(k):
            for v in range(k):
                for i in range(out_h):
                    for j in range(out_w):
                        for n in range(n_batch):
                            row = (c * k + u) * k + v
                            column = (i * out_w + j) * n_batch + n
                            yield row, column, (n, c, i * stride + u, j * stride + v)


def im2col(x: np.ndarray, k: int, stride: int, padding: int) -> np.ndarray:
    """Row (c, u, v), column (i, j, n): copy each padded pixel to every place it appears."""
    n_batch, channels, height, width = x.shape
    xp = pad(x, padding)
    out_h = (height + 2 * padding - k) // stride + 1
    out_w = (width + 2 * padding - k) // stride + 1
    cols = np.zeros((channels * k * k, out_h * out_w * n_batch))
    for row, column, pixel in _patch_entries(x.shape, k, stride, padding):
        cols[row, column] = xp[pixel]
    return cols


def col2im(cols: np.ndarray, shape: tuple[int, ...], k: int, stride: int, padding: int):
    """The adjoint: add each entry back onto the padded pixel it came from, then crop."""
    n_batch, channels, height, width = shape
    xp = np.zeros((n_batch, channels, height + 2 * padding, width + 2 * padding))
    for row, column, pixel in _patch_entries(shape, k, stride, padding):
        xp[pixel] += cols[row, column]
    return xp[:, :, padding : padding + height, padding : padding + width]


def max_pool2d(x: np.ndarray, k: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Output and, per window, the flat index u*k + v of its first maximal pixel."""
    n_batch, channels, height, width = x.shape
    out_h = (height - k) // stride + 1
    out_w = (width - k) // stride + 1
    out = np.zeros((n_batch, channels, out_h, out_w))
    winner = np.zeros(out.shape, dtype=int)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, c, i * stride : i * stride + k, j * stride : j * stride + k]
                    winner[n, c, i, j] = int(np.argmax(window))  # argmax: first on ties
                    out[n, c, i, j] = window.max()
    return out, winner


def max_pool2d_backward(dout, winner, shape, k, stride):
    dx = np.zeros(shape)
    n_batch, channels, out_h, out_w = dout.shape
    for n in range(n_batch):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    u, v = divmod(int(winner[n, c, i, j]), k)
                    dx[n, c, i * stride + u, j * stride + v] += dout[n, c, i, j]
    return dx


def avg_pool2d(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    n_batch, channels, height, width = x.shape
    out_h = (height - k) // stride + 1
    out_w = (width - k) // stride + 1
    out = np.zeros((n_batch, channels, out_h, out_w))
    for n in range(n_batch):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, c, i * stride : i * stride + k, j * stride : j * stride + k]
                    out[n, c, i, j] = window.sum() / (k * k)
    return out


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """-mean(log softmax(logits)[label]) using Python floats (math.exp/log), one row at a time."""
    import math

    total = 0.0
    for row, label in zip(logits, labels):
        top = max(row)
        log_sum = top + math.log(sum(math.exp(value - top) for value in row))
        total += log_sum - row[label]
    return total / len(labels)

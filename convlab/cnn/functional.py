"""The maths of a small CNN as plain functions on numpy arrays (no state, no classes).

Every tensor is *logically* NCHW (batch, channels, height, width), like PyTorch. Convolution
turns into one big matrix product with the im2col trick:

    cols[(c, u, v), (i, j, n)] = xpad[n, c, i*stride + u, j*stride + v]
    out[o, (i, j, n)] = sum over (c, u, v) of weight[o, (c, u, v)] * cols[(c, u, v), (i, j, n)]

which is exactly ``torch.nn.functional.conv2d`` (a cross-correlation: the kernel is not flipped).

One layout detail makes it fast. The product above yields a buffer ordered (channel, row,
column, sample): the batch is the *innermost* axis. Instead of copying it into NCHW order, the
functions return a transposed view of it: you index it as NCHW as usual, but in memory each
pixel's 64 samples sit side by side. numpy's element-wise operations keep that memory order,
and every strided operation below (taking windows, pooling, adding gradients back) then runs
over long contiguous runs of memory instead of short 14-pixel rows, which is what makes numpy
fast. The same code accepts ordinary C-ordered NCHW arrays; they only cost an extra copy.

Each ``*_forward`` has a ``*_backward`` partner for backpropagation: it takes dL/d(output), the
gradient of the loss with respect to what the forward pass returned, and returns dL/d(input)
(plus dL/d(weight) and dL/d(bias) for layers with parameters), by the chain rule. The layers
in ``layers.py`` keep whatever the backward pass needs (``cols``, the pooling winners, the
ReLU output) from their forward pass.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convlab.engine.sizes import output_size


def batch_innermost(x: np.ndarray) -> np.ndarray:
    """An (N, C, H, W) array seen as (C, H, W, N): free for arrays this module produced."""
    return x.transpose(1, 2, 3, 0)


def as_nchw(buffer: np.ndarray) -> np.ndarray:
    """A (C, H, W, N) buffer seen as (N, C, H, W) without copying."""
    return buffer.transpose(3, 0, 1, 2)


# ----------------------------------------------------------------------------- convolution


def _padded(x: np.ndarray, padding: int) -> np.ndarray:
    """``x`` (N, C, H, W) as a (C, H + 2p, W + 2p, N) array with a border of zeros."""
    n, c, h, w = x.shape
    if padding == 0:
        return batch_innermost(x)
    padded = np.zeros((c, h + 2 * padding, w + 2 * padding, n), dtype=x.dtype)
    padded[:, padding : padding + h, padding : padding + w, :] = batch_innermost(x)
    return padded


def im2col(x: np.ndarray, kernel_size: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Every k x k input patch as one column: (C*k*k, Ho*Wo*N), rows ordered (c, u, v).

    ``sliding_window_view`` gives all the windows as a view without copying; one reshape then
    copies them, in the row/column order the matrix product needs, into a contiguous array.
    """
    padded = _padded(x, padding)
    channels, batch = padded.shape[0], padded.shape[3]
    windows = sliding_window_view(padded, (kernel_size, kernel_size), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]  # (C, Ho, Wo, N, k, k)
    out_h, out_w = windows.shape[1:3]
    return windows.transpose(0, 4, 5, 1, 2, 3).reshape(
        channels * kernel_size * kernel_size, out_h * out_w * batch
    )


def col2im(
    cols: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
) -> np.ndarray:
    """The adjoint of im2col: add every column back onto the pixels it was copied from.

    A pixel belongs to up to k*k windows, so its gradient is a sum. Rather than scattering
    element by element (``np.add.at`` is slow), loop over the k*k kernel offsets (u, v): for a
    fixed offset, the windows' pixels form one strided slice of the input, added in one go.
    Returns (N, C, H, W) stored batch-innermost (see the module docstring).
    """
    n, c, h, w = input_shape
    out_h = output_size(h, kernel_size, padding=padding, stride=stride)
    out_w = output_size(w, kernel_size, padding=padding, stride=stride)
    cols = cols.reshape(c, kernel_size, kernel_size, out_h, out_w, n)
    padded = np.zeros((c, h + 2 * padding, w + 2 * padding, n), dtype=cols.dtype)
    for u in range(kernel_size):
        for v in range(kernel_size):
            rows = slice(u, u + stride * out_h, stride)
            columns = slice(v, v + stride * out_w, stride)
            padded[:, rows, columns, :] += cols[:, u, v]
    return as_nchw(padded[:, padding : padding + h, padding : padding + w, :])


def conv2d_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int = 1, padding: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Convolve (N, C, H, W) with weight (O, C, k, k); returns (output (N, O, Ho, Wo), cols).

    ``cols`` is kept by the caller for the backward pass, so the patches are copied only once.
    """
    n, _, h, w = x.shape
    out_channels, _, kernel_size, _ = weight.shape
    out_h = output_size(h, kernel_size, padding=padding, stride=stride)
    out_w = output_size(w, kernel_size, padding=padding, stride=stride)
    cols = im2col(x, kernel_size, stride, padding)
    out = weight.reshape(out_channels, -1) @ cols  # (O, Ho*Wo*N): one BLAS call for the batch
    out += bias[:, None]
    return as_nchw(out.reshape(out_channels, out_h, out_w, n)), cols


def conv2d_backward(
    dout: np.ndarray,
    cols: np.ndarray,
    input_shape: tuple[int, int, int, int],
    weight: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    input_grad: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients (dx, dweight, dbias) of a convolution, given dL/dout (N, O, Ho, Wo).

    The forward pass was ``out = W @ cols``, so ``dW = dout @ cols.T`` and ``dcols = W.T @ dout``;
    col2im then sums ``dcols`` back onto the input pixels. ``input_grad=False`` skips dx (the
    first layer of a network never needs it, and it is the most expensive part).
    """
    out_channels = weight.shape[0]
    dout_2d = batch_innermost(dout).reshape(out_channels, -1)  # free when batch-innermost
    # (cols @ dout.T).T is the same matrix as dout @ cols.T, but OpenBLAS computes it almost
    # twice as fast here: the long shared dimension (every pixel of the batch) is then the
    # contiguous one in both operands.
    dweight = (cols @ dout_2d.T).T.reshape(weight.shape)
    dbias = dout_2d.sum(axis=1)
    if not input_grad:
        return None, dweight, dbias
    dcols = weight.reshape(out_channels, -1).T @ dout_2d
    return col2im(dcols, input_shape, weight.shape[2], stride, padding), dweight, dbias


# ----------------------------------------------------------------------------- pooling


def _window_offsets(
    x_shape: tuple[int, ...], kernel_size: int, stride: int
) -> list[tuple[slice, slice]]:
    """For each kernel offset (u, v), the row and column slices of the pixels it sees.

    Pooling loops over the k*k offsets instead of the pixels: for a fixed offset, the pixels of
    all windows form one strided slice, so each step is a whole-array numpy operation.
    """
    out_h = output_size(x_shape[2], kernel_size, stride=stride)
    out_w = output_size(x_shape[3], kernel_size, stride=stride)
    return [
        (slice(u, u + stride * out_h, stride), slice(v, v + stride * out_w, stride))
        for u in range(kernel_size)
        for v in range(kernel_size)
    ]


def _pool_backward_start(
    input_shape: tuple[int, ...],
    kernel_size: int,
    stride: int | None,
    like: np.ndarray | None,
    dtype: np.dtype,
) -> tuple[list[tuple[slice, slice]], np.ndarray]:
    """What both pooling backward passes start from: the window offsets and a zero gradient,
    stored in the same memory order as the forward input when ``like`` is given."""
    offsets = _window_offsets(input_shape, kernel_size, stride or kernel_size)
    if like is not None:
        return offsets, np.zeros_like(like, dtype=dtype)
    return offsets, np.zeros(input_shape, dtype=dtype)


def max_pool2d_forward(
    x: np.ndarray, kernel_size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Max over each k x k window; returns (output, winner) where ``winner`` is the index
    (u*k + v) of the pixel that won each window, the first one on ties, as PyTorch does."""
    stride = stride or kernel_size
    offsets = _window_offsets(x.shape, kernel_size, stride)
    rows, columns = offsets[0]
    out = x[:, :, rows, columns].copy(order="K")
    winner = np.zeros_like(out, dtype=np.uint8)
    for index, (rows, columns) in enumerate(offsets[1:], start=1):
        candidate = x[:, :, rows, columns]
        larger = candidate > out  # strictly: on a tie the earlier pixel keeps the window
        # Offsets are visited in increasing order, so a new winner always has the largest index
        # so far: max() records it without a (slow) masked assignment.
        np.maximum(winner, larger.view(np.uint8) * np.uint8(index), out=winner)
        np.maximum(out, candidate, out=out)
    return out, winner


def max_pool2d_backward(
    dout: np.ndarray,
    winner: np.ndarray,
    input_shape: tuple[int, ...],
    kernel_size: int = 2,
    stride: int | None = None,
    like: np.ndarray | None = None,
) -> np.ndarray:
    """Route each window's gradient to the pixel that won it; every other pixel gets zero.

    ``like`` (the forward input, optional) gives the result the same memory order.
    """
    offsets, dx = _pool_backward_start(input_shape, kernel_size, stride, like, dout.dtype)
    for index, (rows, columns) in enumerate(offsets):
        dx[:, :, rows, columns] += dout * (winner == index)
    return dx


def avg_pool2d_forward(
    x: np.ndarray, kernel_size: int = 2, stride: int | None = None
) -> np.ndarray:
    """Mean over each k x k window (no padding)."""
    stride = stride or kernel_size
    offsets = _window_offsets(x.shape, kernel_size, stride)
    rows, columns = offsets[0]
    total = x[:, :, rows, columns].copy(order="K")
    for rows, columns in offsets[1:]:
        total += x[:, :, rows, columns]
    total *= x.dtype.type(1.0 / (kernel_size * kernel_size))
    return total


def avg_pool2d_backward(
    dout: np.ndarray,
    input_shape: tuple[int, ...],
    kernel_size: int = 2,
    stride: int | None = None,
    like: np.ndarray | None = None,
) -> np.ndarray:
    """Every pixel of a window gets an equal 1/(k*k) share of the window's gradient."""
    offsets, dx = _pool_backward_start(input_shape, kernel_size, stride, like, dout.dtype)
    share = dout * dout.dtype.type(1.0 / (kernel_size * kernel_size))
    for rows, columns in offsets:
        dx[:, :, rows, columns] += share
    return dx


# ----------------------------------------------------------------------------- the rest


def relu_forward(x: np.ndarray) -> np.ndarray:
    """max(x, 0), element-wise."""
    return np.maximum(x, x.dtype.type(0))


def relu_backward(dout: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The gradient passes where the unit was active (output > 0) and stops elsewhere.

    (Multiplying by the boolean mask is several times faster than ``np.where`` here.)
    """
    return dout * (out > 0)


def dense_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """x (N, in) @ weight.T (in, out) + bias: weight is (out, in), as in torch.nn.Linear."""
    return x @ weight.T + bias


def dense_backward(
    dout: np.ndarray, x: np.ndarray, weight: np.ndarray, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients (dx, dweight, dbias) of a fully connected layer."""
    dx = dout @ weight if input_grad else None
    return dx, dout.T @ x, dout.sum(axis=0)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log(softmax(logits)) along axis 1, without overflow: subtract each row's max first."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities for each row of logits."""
    return np.exp(log_softmax(logits))


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy over the batch and its gradient dL/dlogits.

    Same value as ``torch.nn.functional.cross_entropy(logits, labels)``. The gradient has the
    famously simple form (softmax(logits) - one_hot(labels)) / N.
    """
    labels = np.asarray(labels, dtype=np.int64)
    batch = logits.shape[0]
    log_probs = log_softmax(logits)
    rows = np.arange(batch)
    loss = float(-log_probs[rows, labels].mean())
    dlogits = np.exp(log_probs)
    dlogits[rows, labels] -= 1
    dlogits /= batch
    return loss, dlogits

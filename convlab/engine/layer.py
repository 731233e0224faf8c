"""A CNN convolution layer in the engine's terms: K filters of k x k x C weights, plus biases.

``convolve`` runs one 2-D kernel over each channel separately, as an image editor does. A CNN
layer does something else: each of its K filters holds its own k x k weights *for every input
channel*, and adds the C per-channel results together, plus one bias, into ONE output map::

    out[i, j, f] = bias[f] + sum_c sum_uv W[f, c, u, v] * Xpad[i*s + u*d, j*s + v*d, c]

with zero padding, which is what PyTorch's ``conv2d`` computes. So a layer with K filters on a
C-channel input has K * (k*k*C + 1) parameters, and its output has K channels whatever C was.

``conv_layer`` computes that with ``convolve`` (K*C fast OpenCV passes, summed);
``layer_breakdown`` works one output value out by hand, channel by channel, so the pixel
inspector and the arithmetic panel can show the C partial sums, and the tests have an
independent check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convlab.engine.convolve import convolve, output_shape
from convlab.engine.sizes import whole_number
from convlab.errors import ConvlabError


def _layer_arrays(image: Any, weights: Any, bias: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H x W x C float32 image, (K, C, kh, kw) float64 weights, (K,) float64 bias), checked."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.size == 0:
        raise ConvlabError(
            f"a layer's input must be a non-empty HxW or HxWxC array, got shape {array.shape}"
        )
    if not (np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
        raise ConvlabError(f"a layer's input must hold real numbers, got {array.dtype}")
    filters = np.asarray(weights, dtype=np.float64)
    if filters.ndim != 4 or filters.size == 0:
        raise ConvlabError(
            f"layer weights must be shaped (filters, channels, kh, kw), got {filters.shape}"
        )
    if filters.shape[1] != array.shape[2]:
        raise ConvlabError(
            f"the filters have {filters.shape[1]} channel(s) but the input has "
            f"{array.shape[2]}: each filter needs one k x k slice per input channel"
        )
    biases = np.asarray(bias, dtype=np.float64).reshape(-1)
    if biases.shape != (filters.shape[0],):
        raise ConvlabError(
            f"there must be one bias per filter: {filters.shape[0]} filter(s), "
            f"{biases.size} bias value(s)"
        )
    if not (np.isfinite(filters).all() and np.isfinite(biases).all()):
        raise ConvlabError("layer weights and biases must be finite numbers")
    return array.astype(np.float32, copy=False), filters, biases


def conv_layer(
    image: Any, weights: Any, bias: Any, *, padding: int = 0, stride: int = 1, dilation: int = 1
) -> np.ndarray:
    """A CNN layer's output, H' x W' x K float32: per filter, the channel sums plus its bias.

    ``image`` is HxW or HxWxC (any real dtype, used as is: no scaling of uint8), ``weights``
    (K, C, kh, kw) as PyTorch lays them out, ``bias`` (K,). Zero padding of ``padding`` on
    every side; H' = floor((H + 2p - d(kh-1) - 1) / s) + 1 (and W' likewise).
    """
    array, filters, biases = _layer_arrays(image, weights, bias)
    padding = whole_number(padding, "padding", minimum=0)
    stride = whole_number(stride, "stride", minimum=1)
    dilation = whole_number(dilation, "dilation", minimum=1)
    count, channels, kh, kw = filters.shape
    out_h, out_w = output_shape(
        array.shape[:2], (kh, kw), padding=padding, stride=stride, dilation=dilation
    )
    out = np.empty((out_h, out_w, count), dtype=np.float32)
    for index in range(count):
        total = np.full((out_h, out_w), biases[index], dtype=np.float32)
        for channel in range(channels):
            if not filters[index, channel].any():
                continue  # a zero slice adds nothing (and a zero Kernel is not worth a pass)
            total += convolve(
                array[:, :, channel],
                filters[index, channel],
                border="constant",
                padding=padding,
                stride=stride,
                dilation=dilation,
            )
        out[:, :, index] = total
    return out


def layer_breakdown(
    image: Any,
    weights: Any,
    bias: Any,
    out_row: int,
    out_col: int,
    *,
    filter_index: int = 0,
    padding: int = 0,
    stride: int = 1,
    dilation: int = 1,
) -> dict[str, Any]:
    """One output value of ``conv_layer``, worked out channel by channel by hand.

    Returns ``patches`` (C, kh, kw: the input under the window, zeros on the padding),
    ``weights`` (C, kh, kw: this filter), ``products`` (their element-wise product),
    ``partial_sums`` (C,: each channel's sum of products), ``bias``, ``total`` (the partial
    sums plus the bias, = ``conv_layer(...)[out_row, out_col, filter_index]``), ``rows`` and
    ``cols`` (the window's input coordinates, outside the image on the padding) and
    ``in_bounds`` (kh, kw: the taps that read real pixels).
    """
    array, filters, biases = _layer_arrays(image, weights, bias)
    padding = whole_number(padding, "padding", minimum=0)
    stride = whole_number(stride, "stride", minimum=1)
    dilation = whole_number(dilation, "dilation", minimum=1)
    filter_index = whole_number(filter_index, "filter", minimum=0)
    if filter_index >= filters.shape[0]:
        raise ConvlabError(
            f"filter {filter_index} does not exist; the layer has {filters.shape[0]}"
        )
    _, _, kh, kw = filters.shape
    out_h, out_w = output_shape(
        array.shape[:2], (kh, kw), padding=padding, stride=stride, dilation=dilation
    )
    out_row = whole_number(out_row, "row", minimum=0)
    out_col = whole_number(out_col, "col", minimum=0)
    if not (out_row < out_h and out_col < out_w):
        raise ConvlabError(
            f"output pixel ({out_row}, {out_col}) is outside the {out_h}x{out_w} output"
        )
    height, width = array.shape[:2]
    rows = out_row * stride + np.arange(kh) * dilation - padding
    cols = out_col * stride + np.arange(kw) * dilation - padding
    in_bounds = np.outer((rows >= 0) & (rows < height), (cols >= 0) & (cols < width))
    grid = array.astype(np.float64).transpose(2, 0, 1)
    patches = np.zeros((grid.shape[0], kh, kw))
    for u, row in enumerate(rows):
        for v, col in enumerate(cols):
            if in_bounds[u, v]:
                patches[:, u, v] = grid[:, row, col]
    products = patches * filters[filter_index]
    partial_sums = products.sum(axis=(1, 2))
    return {
        "patches": patches,
        "weights": filters[filter_index].copy(),
        "products": products,
        "partial_sums": partial_sums,
        "bias": float(biases[filter_index]),
        "total": float(partial_sums.sum() + biases[filter_index]),
        "rows": rows,
        "cols": cols,
        "in_bounds": in_bounds,
    }


def layer_parameter_count(kernel: int, channels: int, filters: int) -> int:
    """K * (k*k*D + 1): each of K filters has k*k weights per input channel and one bias."""
    kernel = whole_number(kernel, "kernel size", minimum=1)
    channels = whole_number(channels, "channels", minimum=1)
    filters = whole_number(filters, "filters", minimum=1)
    return filters * (kernel * kernel * channels + 1)


def slides_layer_demo(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lecture slides' convolution demo: (5x5x3 input, (2, 3, 3, 3) weights, (2,) biases).

    Small integers as on the slides (inputs 0-2, weights -1..1, biases 1 and 0). With
    ``padding=1, stride=2`` ``conv_layer`` turns it into a 3x3x2 output.
    """
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 3, (5, 5, 3)).astype(np.float32)
    weights = rng.integers(-1, 2, (2, 3, 3, 3)).astype(np.float64)
    return image, weights, np.array([1.0, 0.0])

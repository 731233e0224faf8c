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

from dataclasses import dataclass
from typing import Any

import numpy as np

from convlab.engine.convolve import convolve, output_shape
from convlab.engine.sizes import whole_number, window_settings
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
    padding, stride, dilation = window_settings(padding, stride, dilation)
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
    padding, stride, dilation = window_settings(padding, stride, dilation)
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
    top, left = out_row * stride - padding, out_col * stride - padding
    rows, cols, in_bounds, patches = _window_at(array, (top, left), (kh, kw), dilation)
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


def _window_at(
    array: np.ndarray, corner: tuple[int, int], size: tuple[int, int], dilation: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The input under a window whose top-left tap is at ``corner`` (negative on the
    padding): its rows and columns, which taps read real pixels, and the C x kh x kw patch
    (zeros on the padding)."""
    (top, left), (kh, kw) = corner, size
    height, width = array.shape[:2]
    rows = top + np.arange(kh) * dilation
    cols = left + np.arange(kw) * dilation
    in_bounds = np.outer((rows >= 0) & (rows < height), (cols >= 0) & (cols < width))
    grid = array.astype(np.float64).transpose(2, 0, 1)
    patches = np.zeros((grid.shape[0], kh, kw))
    for u, row in enumerate(rows):
        for v, col in enumerate(cols):
            if in_bounds[u, v]:
                patches[:, u, v] = grid[:, row, col]
    return rows, cols, in_bounds, patches


def layer_parameter_count(kernel: int, channels: int, filters: int) -> int:
    """K * (k*k*D + 1): each of K filters has k*k weights per input channel and one bias."""
    kernel = whole_number(kernel, "kernel size", minimum=1)
    channels = whole_number(channels, "channels", minimum=1)
    filters = whole_number(filters, "filters", minimum=1)
    return filters * (kernel * kernel * channels + 1)


def layer_demo(
    size: int = 5, channels: int = 3, filters: int = 2, kernel: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Small integers to multiply in your head: (size x size x channels input 0-2,
    (filters, channels, kernel, kernel) weights -1..1, biases 1, 0, 1, ...)."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 3, (size, size, channels)).astype(np.float32)
    weights = rng.integers(-1, 2, (filters, channels, kernel, kernel)).astype(np.float64)
    return image, weights, (np.arange(filters) % 2 == 0).astype(np.float64)


def slides_layer_demo(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lecture slides' convolution demo: (5x5x3 input, (2, 3, 3, 3) weights, (2,) biases).

    Small integers as on the slides (inputs 0-2, weights -1..1, biases 1 and 0). With
    ``padding=1, stride=2`` ``conv_layer`` turns it into a 3x3x2 output.
    """
    return layer_demo(5, 3, 2, 3, seed)


@dataclass(frozen=True)
class LayerStep:
    """One output value of a CNN layer: filter ``filter_index`` at (out_row, out_col).

    ``rows``/``cols`` are the input coordinates under the window (outside on the padding),
    ``partial_sums`` one per input channel, ``value`` their sum plus ``bias``.
    """

    filter_index: int
    out_row: int
    out_col: int
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    in_bounds: np.ndarray
    patches: np.ndarray
    partial_sums: np.ndarray
    bias: float
    value: float


def layer_steps(
    image: Any, weights: Any, bias: Any, *, padding: int = 0, stride: int = 1, dilation: int = 1
) -> list[LayerStep]:
    """Every output value of ``conv_layer``, filter by filter, each row-major (the order the
    slides' animation takes), worked out channel by channel by ``layer_breakdown``."""
    array, filters, _ = _layer_arrays(image, weights, bias)
    _, _, kh, kw = filters.shape
    padding, stride, dilation = window_settings(padding, stride, dilation)
    out_h, out_w = output_shape(
        array.shape[:2], (kh, kw), padding=padding, stride=stride, dilation=dilation
    )
    steps = []
    for index in range(filters.shape[0]):
        for row in range(out_h):
            for col in range(out_w):
                parts = layer_breakdown(
                    image,
                    weights,
                    bias,
                    row,
                    col,
                    filter_index=index,
                    padding=padding,
                    stride=stride,
                    dilation=dilation,
                )
                steps.append(
                    LayerStep(
                        index,
                        row,
                        col,
                        tuple(int(r) for r in parts["rows"]),
                        tuple(int(c) for c in parts["cols"]),
                        parts["in_bounds"],
                        parts["patches"],
                        parts["partial_sums"],
                        parts["bias"],
                        parts["total"],
                    )
                )
    return steps


@dataclass(frozen=True)
class LayerScene:
    """What the arithmetic panel's CNN-layer mode draws: the layer, its steps, how many done."""

    image: np.ndarray  # n x n x D
    weights: np.ndarray  # K x D x k x k
    bias: np.ndarray  # K
    padding: int
    stride: int
    dilation: int
    steps: tuple[LayerStep, ...]
    output_shape: tuple[int, int]
    done: int
    error: str | None

    @property
    def current(self) -> LayerStep | None:
        return self.steps[self.done - 1] if self.done > 0 else None

    def output(self) -> tuple[np.ndarray, np.ndarray]:
        """(values m x m x K, filled m x m x K): the output as written so far."""
        rows, cols = self.output_shape
        values = np.zeros((rows, cols, len(self.bias)))
        filled = np.zeros(values.shape, dtype=bool)
        for step in self.steps[: self.done]:
            values[step.out_row, step.out_col, step.filter_index] = step.value
            filled[step.out_row, step.out_col, step.filter_index] = True
        return values, filled


def build_layer_scene(
    image: Any, weights: Any, bias: Any, *, padding: int, stride: int, dilation: int
) -> LayerScene:
    """All the steps of one layer; settings that cannot work become ``error``."""
    settings = {"padding": padding, "stride": stride, "dilation": dilation}
    biases = np.asarray(bias, dtype=np.float64)
    try:
        steps = layer_steps(image, weights, biases, **settings)
        kh, kw = np.shape(weights)[2:]
        shape = output_shape(np.shape(image)[:2], (kh, kw), **settings)
    except ConvlabError as error:
        return LayerScene(image, weights, biases, *settings.values(), (), (0, 0), 0, str(error))
    return LayerScene(image, weights, biases, *settings.values(), tuple(steps), shape, 0, None)

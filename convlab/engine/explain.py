"""The arithmetic behind the pictures: one pixel's multiply-accumulate, output sizes, and
why fully connected layers explode on images (parameter counts).

``pixel_breakdown`` and ``window_breakdown`` deliberately do not call ``convolve``: they work the
sum out by hand, with their own border rule, so that the inspector panel and the tests have an
independent check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convlab.engine.convolve import BORDERS, output_shape, padding_amounts
from convlab.engine.kernels import Kernel
from convlab.engine.sizes import whole_number
from convlab.errors import ConvlabError


def source_index(position: np.ndarray, length: int, border: str) -> np.ndarray:
    """Where each (possibly outside) coordinate reads from under ``border``; -1 means zero.

    Written from the definitions (numpy's np.pad names in brackets): reflect101 mirrors about
    the edge pixel (reflect), reflect repeats it (symmetric), replicate clamps (edge), wrap is
    periodic, constant reads zeros. Mirrors repeat for coordinates farther than one image away.
    """
    position = np.asarray(position, dtype=np.int64)
    if border == "constant":
        return np.where((position >= 0) & (position < length), position, -1)
    if border == "replicate":
        return np.clip(position, 0, length - 1)
    if border == "wrap":
        return np.mod(position, length)
    if border == "reflect":
        period = 2 * length
        folded = np.mod(position, period)
        return np.where(folded < length, folded, period - 1 - folded)
    if border == "reflect101":
        if length == 1:
            return np.zeros_like(position)
        period = 2 * (length - 1)
        folded = np.mod(position, period)
        return np.where(folded < length, folded, period - folded)
    raise ConvlabError(f"border must be one of {', '.join(BORDERS)}; got {border!r}")


def pixel_breakdown(
    image: Any,
    kernel: Kernel | Any,
    row: int,
    col: int,
    *,
    border: str = "reflect101",
    channel: int = 0,
) -> dict[str, Any]:
    """The multiply-accumulate behind ``convolve(image, kernel, border=border)[row, col, channel]``.

    The default settings ("same" padding, stride 1, no dilation), where output pixel (row, col)
    sits on input pixel (row, col); ``window_breakdown`` has the keys it returns.
    """
    kernel = kernel if isinstance(kernel, Kernel) else Kernel(kernel)
    if border not in BORDERS:
        raise ConvlabError(f"border must be one of {', '.join(BORDERS)}; got {border!r}")
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0:
        raise ConvlabError(f"image must be a non-empty HxW or HxWxC array, got shape {array.shape}")
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    row, col = whole_number(row, "row"), whole_number(col, "col")
    channel = whole_number(channel, "channel")
    if not (0 <= row < height and 0 <= col < width):
        raise ConvlabError(f"pixel ({row}, {col}) is outside the {height}x{width} image")
    if not 0 <= channel < channels:
        raise ConvlabError(f"channel {channel} does not exist; the image has {channels}")
    plane = array if array.ndim == 2 else array[:, :, channel]
    return window_breakdown(plane, kernel, row, col, border=border)


def window_taps(
    out_row: int,
    out_col: int,
    kernel_shape: tuple[int, int],
    *,
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols): the input coordinates output pixel (out_row, out_col) reads, tap by tap.

    ``convolve``'s rule: row ``out_row * stride + u * dilation - top`` for kernel row u, ``top``
    being the padding above. Coordinates outside the image are where the border rule invents
    values; the source view outlines exactly these taps.
    """
    (top, _), (left, _) = padding_amounts(kernel_shape, padding, dilation)
    rows = out_row * stride + np.arange(kernel_shape[0]) * dilation - top
    cols = out_col * stride + np.arange(kernel_shape[1]) * dilation - left
    return rows, cols


def nearest_output_pixel(
    pixel: tuple[int, int],
    image_shape: tuple[int, ...],
    kernel_shape: tuple[int, int],
    *,
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
) -> tuple[int, int] | None:
    """The output pixel drawn on top of input ``pixel`` (None when no output pixel fits).

    The output view draws output pixel i ``stride`` input pixels wide, centred on its window's
    centre ``i * stride - top + dilation * (k - 1) / 2``; this picks the one covering the
    centre of ``pixel``, so a click inspects the output pixel the person sees there. With
    "same" padding and stride 1 that is ``pixel`` itself.
    """
    try:
        extent = output_shape(
            image_shape[:2], kernel_shape, padding=padding, stride=stride, dilation=dilation
        )
    except ConvlabError:
        return None
    pads = padding_amounts(kernel_shape, padding, dilation)
    nearest = []
    for value, k, (top, _), count in zip(pixel, kernel_shape, pads, extent):
        first_start = -top + dilation * (k - 1) / 2 + 0.5 - stride / 2  # left edge of pixel 0
        index = int(np.floor((value + 0.5 - first_start) / stride))
        nearest.append(min(max(index, 0), count - 1))
    return nearest[0], nearest[1]


def window_breakdown(
    plane: Any,
    kernel: Kernel,
    out_row: int,
    out_col: int,
    *,
    border: str = "reflect101",
    padding: str | int = "same",
    stride: int = 1,
    dilation: int = 1,
) -> dict[str, Any]:
    """The multiply-accumulate behind one output pixel of ``convolve`` on one 2-D channel.

    Worked out by hand, with its own border rule (``source_index``), so that the inspector
    panel and the tests have an independent check of ``convolve``. Returns ``patch`` (the
    input values under the kernel, border-extended), ``weights`` (the kernel as typed),
    ``products`` (their element-wise product), ``total`` (the sum of the products),
    ``divisor``, ``offset`` and ``result = total / divisor + offset``. ``rows`` and ``cols``
    are the patch's image coordinates (outside the image where the window covers the border,
    so the UI can draw the padded border), ``source_rows``/``source_cols`` where the border
    rule reads each from (-1: a constant zero) and ``in_bounds`` marks the taps inside the
    image.
    """
    grid = np.asarray(plane)  # not converted whole: only the k x k taps are read
    if grid.ndim != 2:
        raise ConvlabError(f"window_breakdown needs one 2-D channel, got shape {grid.shape}")
    height, width = grid.shape
    rows, cols = window_taps(
        out_row, out_col, kernel.shape, padding=padding, stride=stride, dilation=dilation
    )
    source_rows = source_index(rows, height, border)
    source_cols = source_index(cols, width, border)
    readable = np.outer(source_rows >= 0, source_cols >= 0)
    taps = grid[np.ix_(np.maximum(source_rows, 0), np.maximum(source_cols, 0))]
    patch = np.where(readable, taps.astype(np.float64), 0.0)
    weights = np.array(kernel.weights, dtype=np.float64)
    products = patch * weights
    total = float(products.sum())
    return {
        "patch": patch,
        "weights": weights,
        "products": products,
        "total": total,
        "divisor": kernel.divisor,
        "offset": kernel.offset,
        "result": total / kernel.divisor + kernel.offset,
        "rows": rows,
        "cols": cols,
        "source_rows": source_rows,
        "source_cols": source_cols,
        "in_bounds": np.outer((rows >= 0) & (rows < height), (cols >= 0) & (cols < width)),
    }


def parameter_counts(
    height: int,
    width: int,
    *,
    hidden: int = 1000,
    channels: int = 1,
    filters: int = 100,
    kernel: int = 10,
) -> dict[str, int]:
    """Weights (no biases) a first layer needs on an ``height`` x ``width`` x ``channels`` image.

    A *unit* is one neuron of the layer: it multiplies the inputs it sees by its own weights,
    adds them up (plus a bias, not counted here) and passes the sum on; a layer's output is one
    number per unit.

    ``fully_connected``: ``hidden`` units, each sees every input value (hidden x H x W x C).
    ``locally_connected``: one unit per location (H x W of them, each centred on its pixel),
    each sees only the k x k x C window around it and has its own weights, none shared
    (H x W x k x k x C; the slides' 1000x1000 image with 10x10 windows: 10^6 x 100 = 10^8).
    ``convolutional``: ``filters`` k x k x C kernels shared by every location
    (filters x k x k x C): the count no longer depends on the image size.
    """
    values = {
        "height": height,
        "width": width,
        "hidden": hidden,
        "channels": channels,
        "filters": filters,
        "kernel": kernel,
    }
    height, width, hidden, channels, filters, kernel = (
        whole_number(value, what, minimum=1) for what, value in values.items()
    )
    if kernel > min(height, width):
        raise ConvlabError(f"a {kernel}x{kernel} kernel does not fit in a {height}x{width} image")
    return {
        "inputs": height * width * channels,
        "fully_connected": hidden * height * width * channels,
        "locally_connected": height * width * kernel * kernel * channels,
        "convolutional": filters * kernel * kernel * channels,
    }

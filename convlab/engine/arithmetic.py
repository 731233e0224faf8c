"""The sliding window, one step at a time: what the arithmetic animation shows.

``convolve`` computes a whole image at once with OpenCV, which is right for speed and useless for
teaching. These functions spell the same operations out step by step (where the window sits,
which input cells it covers, which of them are padding, what it writes), so the animation can
replay them cell by cell and the tests can check every step against plain loops and ``convolve``.
Everything is numpy on small grids; nothing here is meant to be fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convlab.errors import ConvlabError

OPERATIONS = ("convolution", "max_pool", "avg_pool", "transposed")
"""What the arithmetic panel can animate; the first three gather, ``transposed`` scatters."""


@dataclass(frozen=True)
class WindowStep:
    """One position of a gathering window (convolution or pooling) and the value it writes.

    ``rows``/``cols`` are input-image coordinates of the sampled rows/columns; they fall outside
    ``0..n-1`` where the window covers padding, and ``in_bounds`` marks the real input cells.
    ``patch`` holds the values under the window (0 on padding, as zero padding reads them).
    """

    out_row: int
    out_col: int
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    patch: np.ndarray
    in_bounds: np.ndarray
    value: float


@dataclass(frozen=True)
class ScatterStep:
    """One input cell of a transposed convolution spreading ``value * kernel`` into the output.

    ``rows``/``cols`` are the output coordinates the kernel cells land on; ``in_bounds`` marks the
    ones inside the output (the rest is cropped away by the padding).
    """

    in_row: int
    in_col: int
    value: float
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    contributions: np.ndarray
    in_bounds: np.ndarray


def _whole(value: object, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConvlabError(f"{what} must be a whole number, got {value!r}")
    if int(value) < minimum:
        raise ConvlabError(f"{what} must be at least {minimum}, got {value}")
    return int(value)


def _grid(image: np.ndarray) -> np.ndarray:
    grid = np.asarray(image, dtype=np.float64)
    if grid.ndim != 2 or grid.size == 0:
        raise ConvlabError(f"the input grid must be a non-empty 2-D array, got shape {grid.shape}")
    return grid


def gather_output_size(n: int, k: int, *, padding: int, stride: int, dilation: int) -> int:
    """floor((n + 2p - d(k-1) - 1) / s) + 1, or a ConvlabError that says why it cannot be."""
    n = _whole(n, "input size", 1)
    k = _whole(k, "kernel size", 1)
    padding = _whole(padding, "padding", 0)
    stride = _whole(stride, "stride", 1)
    dilation = _whole(dilation, "dilation", 1)
    span = dilation * (k - 1) + 1
    if span > n + 2 * padding:
        raise ConvlabError(
            f"the kernel does not fit: with dilation {dilation} a {k}-wide kernel spans "
            f"{dilation}·({k}-1)+1 = {span} cells, but the padded input is only "
            f"{n}+2·{padding} = {n + 2 * padding} cells wide"
        )
    return (n + 2 * padding - span) // stride + 1


def transposed_output_size(n: int, k: int, *, padding: int, stride: int, dilation: int) -> int:
    """(n-1)s - 2p + d(k-1) + 1: the size a convolution with these settings would shrink back to n.

    Raises ConvlabError when the padding crops away everything.
    """
    n = _whole(n, "input size", 1)
    k = _whole(k, "kernel size", 1)
    padding = _whole(padding, "padding", 0)
    stride = _whole(stride, "stride", 1)
    dilation = _whole(dilation, "dilation", 1)
    size = (n - 1) * stride + dilation * (k - 1) + 1 - 2 * padding
    if size < 1:
        raise ConvlabError(
            f"nothing is left: the transposed convolution covers (n-1)·s + d(k-1) + 1 = "
            f"{size + 2 * padding} cells and a padding of {padding} crops 2·{padding} = "
            f"{2 * padding} of them"
        )
    return size


def convolution_steps(
    image: np.ndarray,
    weights: np.ndarray,
    *,
    padding: int = 0,
    stride: int = 1,
    dilation: int = 1,
) -> list[WindowStep]:
    """Every window position of a zero-padded correlation (what CNNs call convolution), row-major.

    Matches ``convolve(image, weights, border="constant", padding=padding, stride=stride,
    dilation=dilation)``.
    """
    grid = _grid(image)
    kernel = np.asarray(weights, dtype=np.float64)
    if kernel.ndim != 2 or kernel.size == 0:
        raise ConvlabError(f"the kernel must be a non-empty 2-D array, got shape {kernel.shape}")
    return [
        WindowStep(i, j, rows, cols, patch, inside, float((patch * kernel).sum()))
        for i, j, rows, cols, patch, inside in _windows(
            grid, kernel.shape, padding, stride, dilation
        )
    ]


def pooling_steps(
    image: np.ndarray,
    size: int,
    *,
    kind: str = "max",
    padding: int = 0,
    stride: int | None = None,
    dilation: int = 1,
) -> list[WindowStep]:
    """Every window of a max or average pooling, row-major (stride defaults to the window size).

    As in PyTorch: max pooling ignores padding cells; average pooling counts them as zeros
    (``count_include_pad=True``). Padding is limited to half the window so that no window sits
    entirely on padding.
    """
    if kind not in ("max", "avg"):
        raise ConvlabError(f"pooling kind must be 'max' or 'avg', got {kind!r}")
    size = _whole(size, "pooling window", 1)
    padding = _whole(padding, "padding", 0)
    if padding > size // 2:
        raise ConvlabError(
            f"pooling padding {padding} is more than half the {size}-wide window "
            f"({size}//2 = {size // 2}): some windows would see nothing but padding"
        )
    stride = size if stride is None else stride
    steps = []
    for i, j, rows, cols, patch, inside in _windows(
        _grid(image), (size, size), padding, stride, dilation
    ):
        value = float(patch[inside].max() if kind == "max" else patch.sum() / patch.size)
        steps.append(WindowStep(i, j, rows, cols, patch, inside, value))
    return steps


def transposed_steps(
    image: np.ndarray,
    weights: np.ndarray,
    *,
    padding: int = 0,
    stride: int = 1,
    dilation: int = 1,
) -> list[ScatterStep]:
    """Every input cell of a transposed convolution, row-major: it adds value x kernel to a block.

    ``out[i*s + u*d - p, j*s + v*d - p] += x[i, j] * K[u, v]`` (PyTorch's ``conv_transpose2d``):
    the adjoint of the correlation with the same settings, which is why it "undoes" the shape.
    """
    grid = _grid(image)
    kernel = np.asarray(weights, dtype=np.float64)
    if kernel.ndim != 2 or kernel.size == 0:
        raise ConvlabError(f"the kernel must be a non-empty 2-D array, got shape {kernel.shape}")
    kh, kw = kernel.shape
    out_h = transposed_output_size(
        grid.shape[0], kh, padding=padding, stride=stride, dilation=dilation
    )
    out_w = transposed_output_size(
        grid.shape[1], kw, padding=padding, stride=stride, dilation=dilation
    )
    steps = []
    for i in range(grid.shape[0]):
        rows = tuple(i * stride + u * dilation - padding for u in range(kh))
        for j in range(grid.shape[1]):
            cols = tuple(j * stride + v * dilation - padding for v in range(kw))
            inside = np.outer([0 <= r < out_h for r in rows], [0 <= c < out_w for c in cols])
            steps.append(
                ScatterStep(i, j, float(grid[i, j]), rows, cols, grid[i, j] * kernel, inside)
            )
    return steps


def assemble(steps: list[WindowStep] | list[ScatterStep], shape: tuple[int, int]) -> np.ndarray:
    """The output grid after ``steps`` (all of them, or the first few during the animation)."""
    output = np.zeros(shape, dtype=np.float64)
    for step in steps:
        if isinstance(step, WindowStep):
            output[step.out_row, step.out_col] = step.value
            continue
        for u, row in enumerate(step.rows):
            for v, col in enumerate(step.cols):
                if step.in_bounds[u, v]:
                    output[row, col] += step.contributions[u, v]
    return output


def _windows(
    grid: np.ndarray, kernel_shape: tuple[int, int], padding: int, stride: int, dilation: int
):
    """Yield (i, j, rows, cols, patch, in_bounds) for every window of a zero-padded grid."""
    kh, kw = kernel_shape
    out_h = gather_output_size(grid.shape[0], kh, padding=padding, stride=stride, dilation=dilation)
    out_w = gather_output_size(grid.shape[1], kw, padding=padding, stride=stride, dilation=dilation)
    height, width = grid.shape
    for i in range(out_h):
        rows = tuple(i * stride + u * dilation - padding for u in range(kh))
        row_ok = np.array([0 <= r < height for r in rows])
        for j in range(out_w):
            cols = tuple(j * stride + v * dilation - padding for v in range(kw))
            col_ok = np.array([0 <= c < width for c in cols])
            inside = np.outer(row_ok, col_ok)
            patch = np.zeros((kh, kw))
            safe_rows = np.clip(rows, 0, height - 1)
            safe_cols = np.clip(cols, 0, width - 1)
            patch[inside] = grid[np.ix_(safe_rows, safe_cols)][inside]
            yield i, j, rows, cols, patch, inside


# -- the spatial-orientation demo ---------------------------------------------------------------


def pixel_permutation(count: int, seed: int = 0) -> np.ndarray:
    """A fixed shuffle of ``count`` pixel positions (the same ``seed`` gives the same order)."""
    return np.random.default_rng(seed).permutation(_whole(count, "pixel count", 1))


def shuffle_pixels(image: np.ndarray, seed: int = 0) -> np.ndarray:
    """Move every pixel (all its channels together) to a fixed random place.

    An MLP that gets the shuffled pixels and the same shuffle applied to its weight columns
    computes exactly what it computed before: it never knew where pixels were. A convolution
    only looks at neighbours, so it sees noise.
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.shape[0] == 0 or array.shape[1] == 0:
        raise ConvlabError(f"shuffle_pixels needs an HxW or HxWxC image, got shape {array.shape}")
    height, width = array.shape[:2]
    flat = array.reshape(height * width, *array.shape[2:])
    return np.ascontiguousarray(flat[pixel_permutation(height * width, seed)].reshape(array.shape))

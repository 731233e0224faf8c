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

from convlab.engine.sizes import output_size, whole_number, window_settings
from convlab.errors import ConvlabError

OPERATIONS = ("convolution", "max_pool", "avg_pool", "transposed")
#: the transposed convolution drawn as the guide's GIFs draw it (see ZeroInsertedView)
ZERO_INSERTED = "transposed_as_convolution"
"""What the arithmetic panel can animate; the first three gather, ``transposed`` scatters."""
KERNEL_PATTERNS = ("random", "ones", "identity", "edge")


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


def _grid(image: np.ndarray, what: str = "the input grid") -> np.ndarray:
    """``image`` as a float64 grid; a ConvlabError naming ``what`` unless it is non-empty 2-D."""
    grid = np.asarray(image, dtype=np.float64)
    if grid.ndim != 2 or grid.size == 0:
        raise ConvlabError(f"{what} must be a non-empty 2-D array, got shape {grid.shape}")
    return grid


def transposed_output_size(
    n: int, k: int, *, padding: int, stride: int, dilation: int, output_padding: int = 0
) -> int:
    """(n-1)s - 2p + d(k-1) + 1 + a: the size a convolution with these settings shrinks back to n.

    A strided convolution maps several input sizes to the same output size (5 and 6 both give 3
    with k=3, p=1, s=2), so going back needs to be told which: the output padding ``a``
    (0 <= a < max(s, d), as in PyTorch) adds a rows and columns at the bottom and right.
    Raises ConvlabError when the padding crops away everything.
    """
    n = whole_number(n, "input size", minimum=1)
    k = whole_number(k, "kernel size", minimum=1)
    padding, stride, dilation = window_settings(padding, stride, dilation)
    output_padding = whole_number(output_padding, "output padding", minimum=0)
    if output_padding >= max(stride, dilation):
        raise ConvlabError(
            f"output padding {output_padding} must be smaller than the stride ({stride}) or the "
            f"dilation ({dilation}): it only picks between the {max(stride, dilation)} input "
            "sizes a convolution maps to the same output size"
        )
    size = (n - 1) * stride + dilation * (k - 1) + 1 - 2 * padding + output_padding
    if size < 1:
        raise ConvlabError(
            f"nothing is left: the transposed convolution covers (n-1)·s + d(k-1) + 1 = "
            f"{size + 2 * padding - output_padding} cells and a padding of {padding} crops "
            f"2·{padding} = {2 * padding} of them"
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
    kernel = _grid(weights, "the kernel")
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
    size = whole_number(size, "pooling window", minimum=1)
    padding = whole_number(padding, "padding", minimum=0)
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
    output_padding: int = 0,
) -> list[ScatterStep]:
    """Every input cell of a transposed convolution, row-major: it adds value x kernel to a block.

    ``out[i*s + u*d - p, j*s + v*d - p] += x[i, j] * K[u, v]`` (PyTorch's ``conv_transpose2d``):
    the adjoint of the correlation with the same settings, which is why it "undoes" the shape.
    ``output_padding`` extends the output at the bottom and right (see transposed_output_size).
    """
    grid = _grid(image)
    kernel = _grid(weights, "the kernel")
    kh, kw = kernel.shape
    settings = {"padding": padding, "stride": stride, "dilation": dilation,
                "output_padding": output_padding}  # fmt: skip
    out_h = transposed_output_size(grid.shape[0], kh, **settings)
    out_w = transposed_output_size(grid.shape[1], kw, **settings)
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


#: what a cell of the zero-inserted grid holds
INPUT_CELL, INSERTED_ZERO, PADDING_ZERO = 0, 1, 2


@dataclass(frozen=True)
class ZeroInsertedView:
    """A transposed convolution drawn as the guide's GIFs draw it: a plain convolution.

    The input's cells are spread ``stride`` apart (``stride - 1`` zeros inserted between
    neighbours), the result is framed by ``d(k-1) - p`` zeros on each side (plus the output
    padding at the bottom and right; a negative frame crops instead), and a stride-1
    convolution with the kernel turned by 180 degrees slides over it. It gives exactly the
    scatter view's output. ``kinds`` marks each cell: INPUT_CELL, INSERTED_ZERO or
    PADDING_ZERO; ``sources`` holds the input (row, col) of each INPUT_CELL, (-1, -1) elsewhere.
    """

    grid: np.ndarray
    kinds: np.ndarray
    sources: np.ndarray
    kernel: np.ndarray
    frame: tuple[int, int]  # zeros added (or cropped, when negative) before / after
    steps: tuple[WindowStep, ...]


def zero_inserted_view(
    image: np.ndarray,
    weights: np.ndarray,
    *,
    padding: int = 0,
    stride: int = 1,
    dilation: int = 1,
    output_padding: int = 0,
) -> ZeroInsertedView:
    """``transposed_steps``' transposed convolution as a convolution (see ZeroInsertedView)."""
    grid = _grid(image)
    kernel = np.asarray(weights, dtype=np.float64)
    if kernel.ndim != 2 or kernel.size == 0 or kernel.shape[0] != kernel.shape[1]:
        raise ConvlabError(f"the kernel must be a non-empty square array, got {kernel.shape}")
    k = kernel.shape[0]
    transposed_output_size(grid.shape[0], k, padding=padding, stride=stride, dilation=dilation,
                           output_padding=output_padding)  # fmt: skip
    n_rows, n_cols = grid.shape
    spread = np.zeros(((n_rows - 1) * stride + 1, (n_cols - 1) * stride + 1))
    kinds = np.full(spread.shape, INSERTED_ZERO, dtype=np.int8)
    sources = np.full((*spread.shape, 2), -1, dtype=np.int64)
    spread[::stride, ::stride] = grid
    kinds[::stride, ::stride] = INPUT_CELL
    rows, cols = np.meshgrid(np.arange(n_rows), np.arange(n_cols), indexing="ij")
    sources[::stride, ::stride] = np.stack([rows, cols], axis=-1)
    before = dilation * (k - 1) - padding
    after = before + output_padding
    spread, kinds, sources = (
        _frame(array, before, after, fill)
        for array, fill in ((spread, 0.0), (kinds, PADDING_ZERO), (sources, -1))
    )
    turned = kernel[::-1, ::-1].copy()
    steps = convolution_steps(spread, turned, padding=0, stride=1, dilation=dilation)
    return ZeroInsertedView(spread, kinds, sources, turned, (before, after), tuple(steps))


def _frame(array: np.ndarray, before: int, after: int, fill: float) -> np.ndarray:
    """Add ``before``/``after`` rows and columns of ``fill`` around the first two axes, or crop
    them away where the amount is negative."""
    grow = ((max(before, 0), max(after, 0)), (max(before, 0), max(after, 0)))
    grow += ((0, 0),) * (array.ndim - 2)
    framed = np.pad(array, grow, constant_values=fill)
    top, bottom = max(-before, 0), framed.shape[0] - max(-after, 0)
    left, right = max(-before, 0), framed.shape[1] - max(-after, 0)
    return framed[top:bottom, left:right]


#: the seven transposed convolutions of Dumoulin & Visin's "A guide to convolution arithmetic
#: for deep learning" (the animations' names), each the transpose of a convolution of an
#: ``input`` x ``input`` image: (n, k, padding, stride, output_padding, input)
GUIDE_TRANSPOSED = {
    "no_padding_no_strides_transposed": (2, 3, 0, 1, 0, 4),
    "arbitrary_padding_no_strides_transposed": (6, 4, 2, 1, 0, 5),
    "same_padding_no_strides_transposed": (5, 3, 1, 1, 0, 5),
    "full_padding_no_strides_transposed": (7, 3, 2, 1, 0, 5),
    "no_padding_strides_transposed": (2, 3, 0, 2, 0, 5),
    "padding_strides_transposed": (3, 3, 1, 2, 0, 5),
    "padding_strides_odd_transposed": (3, 3, 1, 2, 1, 6),
}


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
    out_h = output_size(grid.shape[0], kh, padding=padding, stride=stride, dilation=dilation)
    out_w = output_size(grid.shape[1], kw, padding=padding, stride=stride, dilation=dilation)
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
    return np.random.default_rng(seed).permutation(whole_number(count, "pixel count", minimum=1))


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


def kernel_pattern(name: str, size: int, seed: int) -> np.ndarray:
    """Small integer kernels that are easy to multiply in your head."""
    if name == "ones":
        return np.ones((size, size))
    if name == "identity":
        weights = np.zeros((size, size))
        weights[(size - 1) // 2, (size - 1) // 2] = 1
        return weights
    if name == "edge":
        row = np.sign(np.arange(size) - (size - 1) / 2.0)
        return np.tile(row, (size, 1))
    if name == "random":
        return np.random.default_rng(seed + 1000).integers(-1, 3, (size, size)).astype(float)
    raise ConvlabError(f"unknown kernel pattern {name!r}; use one of {', '.join(KERNEL_PATTERNS)}")


@dataclass(frozen=True)
class Scene:
    """Everything the canvas draws: settings, numbers, the steps and how many are done.

    ``mode`` is one of OPERATIONS or ZERO_INSERTED; for ZERO_INSERTED ``grid`` is the
    zero-inserted, framed input, ``kernel`` the turned kernel, ``kinds`` marks each grid cell
    (INPUT_CELL, INSERTED_ZERO, PADDING_ZERO) and ``padding``/``stride`` are the transposed
    convolution's (the steps themselves slide with stride 1 and no padding).
    """

    mode: str
    grid: np.ndarray
    kernel: np.ndarray
    padding: int
    stride: int
    dilation: int
    steps: tuple
    output_shape: tuple[int, int]
    done: int  # steps already taken; the step drawn as "current" is done - 1
    error: str | None
    output_padding: int = 0
    kinds: np.ndarray | None = None
    source_size: int = 0  # the transposed convolution's input size n (ZERO_INSERTED only)

    @property
    def current(self) -> WindowStep | ScatterStep | None:
        return self.steps[self.done - 1] if self.done > 0 else None

    def output(self) -> np.ndarray:
        return assemble(list(self.steps[: self.done]), self.output_shape)


def build_scene(
    mode: str,
    grid: np.ndarray,
    kernel: np.ndarray,
    *,
    padding: int,
    stride: int,
    dilation: int,
    output_padding: int = 0,
) -> Scene:
    """Run the engine for these settings; an impossible combination becomes ``error``."""
    n, k = grid.shape[0], kernel.shape[0]
    settings = {"padding": padding, "stride": stride, "dilation": dilation}
    extra: dict = {}
    try:
        if mode == "convolution":
            steps = convolution_steps(grid, kernel, **settings)
            size = output_size(n, k, **settings)
        elif mode in ("max_pool", "avg_pool"):
            steps = pooling_steps(grid, k, kind=mode[:3], **settings)
            size = output_size(n, k, **settings)
        elif mode == "transposed":
            steps = transposed_steps(grid, kernel, output_padding=output_padding, **settings)
            size = transposed_output_size(n, k, output_padding=output_padding, **settings)
        elif mode == ZERO_INSERTED:
            view = zero_inserted_view(grid, kernel, output_padding=output_padding, **settings)
            steps = list(view.steps)
            size = transposed_output_size(n, k, output_padding=output_padding, **settings)
            grid, kernel = view.grid, view.kernel
            extra = {"kinds": view.kinds, "source_size": n}
        else:
            raise ConvlabError(f"unknown mode {mode!r}")
    except ConvlabError as error:
        return Scene(
            mode, grid, kernel, padding, stride, dilation, (), (0, 0), 0, str(error), output_padding
        )
    return Scene(
        mode,
        grid,
        kernel,
        padding,
        stride,
        dilation,
        tuple(steps),
        (size, size),
        0,
        None,
        output_padding,
        **extra,
    )

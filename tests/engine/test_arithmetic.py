"""The step-by-step arithmetic against plain loops written from the textbook definitions."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.engine.arithmetic import (
    GUIDE_TRANSPOSED,
    INPUT_CELL,
    INSERTED_ZERO,
    PADDING_ZERO,
    assemble,
    convolution_steps,
    pixel_permutation,
    pooling_steps,
    shuffle_pixels,
    transposed_output_size,
    transposed_steps,
    zero_inserted_view,
)
from convlab.engine.convolve import convolve
from convlab.engine.sizes import output_size
from convlab.errors import ConvlabError

SETTINGS = [  # (n, k, padding, stride, dilation)
    (5, 3, 0, 1, 1),
    (5, 3, 1, 1, 1),
    (7, 3, 1, 2, 1),
    (7, 3, 2, 1, 2),
    (6, 2, 0, 2, 1),
    (9, 5, 2, 3, 1),
    (4, 1, 0, 1, 1),
    (8, 4, 3, 2, 2),
]


def _zero_pad(grid: np.ndarray, p: int) -> np.ndarray:
    padded = np.zeros((grid.shape[0] + 2 * p, grid.shape[1] + 2 * p))
    padded[p : p + grid.shape[0], p : p + grid.shape[1]] = grid
    return padded


def _loop_correlate(grid, kernel, p, s, d):
    padded = _zero_pad(grid, p)
    k = kernel.shape[0]
    out_n = (grid.shape[0] + 2 * p - d * (k - 1) - 1) // s + 1
    out = np.zeros((out_n, out_n))
    for i in range(out_n):
        for j in range(out_n):
            total = 0.0
            for u in range(k):
                for v in range(k):
                    total += kernel[u, v] * padded[i * s + u * d, j * s + v * d]
            out[i, j] = total
    return out


def _loop_pool(grid, k, p, s, d, kind):
    padded = np.full((grid.shape[0] + 2 * p, grid.shape[1] + 2 * p), np.nan)
    padded[p : p + grid.shape[0], p : p + grid.shape[1]] = grid
    out_n = (grid.shape[0] + 2 * p - d * (k - 1) - 1) // s + 1
    out = np.zeros((out_n, out_n))
    for i in range(out_n):
        for j in range(out_n):
            values = [padded[i * s + u * d, j * s + v * d] for u in range(k) for v in range(k)]
            if kind == "max":
                out[i, j] = max(v for v in values if not np.isnan(v))
            else:
                out[i, j] = sum(0.0 if np.isnan(v) else v for v in values) / (k * k)
    return out


def _loop_transposed(grid, kernel, p, s, d):
    n, k = grid.shape[0], kernel.shape[0]
    full = (n - 1) * s + d * (k - 1) + 1
    out = np.zeros((full, full))
    for i in range(n):
        for j in range(n):
            for u in range(k):
                for v in range(k):
                    out[i * s + u * d, j * s + v * d] += grid[i, j] * kernel[u, v]
    return out[p : full - p, p : full - p]


@pytest.mark.parametrize(("n", "k", "p", "s", "d"), SETTINGS)
def test_convolution_steps_match_loops(n, k, p, s, d):
    rng = np.random.default_rng(n * 100 + k)
    grid = rng.integers(0, 10, (n, n)).astype(float)
    kernel = rng.integers(-2, 3, (k, k)).astype(float)
    steps = convolution_steps(grid, kernel, padding=p, stride=s, dilation=d)
    out_n = output_size(n, k, padding=p, stride=s, dilation=d)
    assert len(steps) == out_n * out_n
    np.testing.assert_allclose(
        assemble(steps, (out_n, out_n)), _loop_correlate(grid, kernel, p, s, d)
    )


def test_window_step_marks_padding_cells():
    grid = np.arange(16.0).reshape(4, 4) + 1
    first = convolution_steps(grid, np.ones((3, 3)), padding=1)[0]
    assert first.rows == (-1, 0, 1) and first.cols == (-1, 0, 1)
    assert not first.in_bounds[0].any() and not first.in_bounds[:, 0].any()
    assert first.in_bounds[1:, 1:].all()
    assert first.patch[0].sum() == 0 and first.value == 1 + 2 + 5 + 6


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    ("n", "k", "p", "s", "d"), [(6, 2, 0, 2, 1), (7, 3, 1, 2, 1), (5, 3, 1, 1, 1), (9, 3, 1, 3, 2)]
)
def test_pooling_steps_match_loops(kind, n, k, p, s, d):
    grid = np.random.default_rng(7).integers(-5, 10, (n, n)).astype(float)
    steps = pooling_steps(grid, k, kind=kind, padding=p, stride=s, dilation=d)
    out_n = output_size(n, k, padding=p, stride=s, dilation=d)
    np.testing.assert_allclose(assemble(steps, (out_n, out_n)), _loop_pool(grid, k, p, s, d, kind))


def test_max_pool_ignores_padding_even_when_all_values_are_negative():
    grid = -np.arange(1.0, 17.0).reshape(4, 4)
    steps = pooling_steps(grid, 3, kind="max", padding=1, stride=1)
    assert steps[0].value == -1.0  # the zero padding would have won otherwise


@pytest.mark.parametrize(
    ("n", "k", "p", "s", "d"),
    [(3, 3, 0, 1, 1), (3, 3, 1, 2, 1), (4, 2, 0, 2, 1), (2, 3, 0, 2, 2), (4, 3, 1, 3, 1)],
)
def test_transposed_steps_match_loops(n, k, p, s, d):
    rng = np.random.default_rng(3)
    grid = rng.integers(0, 5, (n, n)).astype(float)
    kernel = rng.integers(-1, 3, (k, k)).astype(float)
    size = transposed_output_size(n, k, padding=p, stride=s, dilation=d)
    steps = transposed_steps(grid, kernel, padding=p, stride=s, dilation=d)
    assert len(steps) == n * n
    np.testing.assert_allclose(
        assemble(steps, (size, size)), _loop_transposed(grid, kernel, p, s, d)
    )


def test_transposed_is_the_adjoint_of_the_correlation():
    """<conv(x), y> == <x, conv_transpose(y)>: the defining property, checked numerically."""
    rng = np.random.default_rng(11)
    x, kernel = rng.normal(size=(7, 7)), rng.normal(size=(3, 3))
    settings = {"padding": 1, "stride": 2, "dilation": 1}
    conv = assemble(convolution_steps(x, kernel, **settings), (4, 4))
    y = rng.normal(size=conv.shape)
    back = assemble(transposed_steps(y, kernel, **settings), (7, 7))
    assert np.isclose((conv * y).sum(), (x * back).sum())


def test_output_sizes_follow_the_formula_and_explain_impossible_settings():
    assert output_size(5, 3, padding=0, stride=1, dilation=1) == 3
    assert output_size(7, 3, padding=1, stride=2, dilation=1) == 4
    assert output_size(7, 3, padding=0, stride=1, dilation=3) == 1
    with pytest.raises(ConvlabError, match="does not fit"):
        output_size(4, 5, padding=0, stride=1, dilation=1)
    with pytest.raises(ConvlabError, match="stride"):
        output_size(4, 3, padding=0, stride=0, dilation=1)
    assert transposed_output_size(3, 3, padding=1, stride=2, dilation=1) == 5
    with pytest.raises(ConvlabError, match="crops"):
        transposed_output_size(1, 1, padding=1, stride=1, dilation=1)
    with pytest.raises(ConvlabError, match="half"):
        pooling_steps(np.ones((5, 5)), 2, padding=2)


def test_shuffle_pixels_is_a_fixed_permutation_of_whole_pixels():
    image = np.random.default_rng(2).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    shuffled = shuffle_pixels(image, seed=4)
    assert shuffled.shape == image.shape and shuffled.dtype == image.dtype
    np.testing.assert_array_equal(shuffled, shuffle_pixels(image, seed=4))
    assert not np.array_equal(shuffled, image)
    order = pixel_permutation(30, seed=4)
    assert sorted(order.tolist()) == list(range(30))
    np.testing.assert_array_equal(shuffled.reshape(30, 3), image.reshape(30, 3)[order])


@pytest.mark.parametrize(("n", "k", "p", "s", "d"), SETTINGS)
def test_convolution_steps_match_convolve_with_zero_padding(n, k, p, s, d):
    rng = np.random.default_rng(k * 10 + n)
    grid = rng.integers(0, 10, (n, n)).astype(np.float32)
    kernel = rng.integers(-2, 3, (k, k)).astype(float)
    kernel[0, 0] = 3.0  # never all zeros
    out_n = output_size(n, k, padding=p, stride=s, dilation=d)
    steps = convolution_steps(grid, kernel, padding=p, stride=s, dilation=d)
    expected = convolve(grid, kernel, border="constant", padding=p, stride=s, dilation=d)
    np.testing.assert_allclose(assemble(steps, (out_n, out_n)), expected, atol=1e-4)


def _loop_transposed_padded(grid, kernel, p, s, d, a):
    """The scatter loop of ``_loop_transposed`` with a rows/columns more at the bottom/right."""
    n, k = grid.shape[0], kernel.shape[0]
    full = (n - 1) * s + d * (k - 1) + 1
    out = np.zeros((full + a + p, full + a + p))
    for i in range(n):
        for j in range(n):
            for u in range(k):
                for v in range(k):
                    out[i * s + u * d, j * s + v * d] += grid[i, j] * kernel[u, v]
    size = full - 2 * p + a
    return out[p : p + size, p : p + size]


TRANSPOSED_SETTINGS = [  # (n, k, p, s, d, output padding)
    (3, 3, 1, 2, 1, 1),
    (2, 3, 0, 2, 1, 1),
    (4, 3, 1, 3, 1, 2),
    (3, 3, 0, 1, 2, 1),
    (3, 2, 0, 2, 1, 0),
    (4, 3, 2, 1, 1, 0),
    (3, 3, 3, 2, 1, 0),  # p > k - 1: the zero-inserted grid is cropped, not framed
]


@pytest.mark.parametrize(("n", "k", "p", "s", "d", "a"), TRANSPOSED_SETTINGS)
def test_output_padding_adds_rows_and_columns_at_the_bottom_and_right(n, k, p, s, d, a):
    rng = np.random.default_rng(n + 10 * k + a)
    grid = rng.integers(0, 5, (n, n)).astype(float)
    kernel = rng.integers(-1, 3, (k, k)).astype(float)
    size = transposed_output_size(n, k, padding=p, stride=s, dilation=d, output_padding=a)
    assert size == (n - 1) * s - 2 * p + d * (k - 1) + 1 + a
    steps = transposed_steps(grid, kernel, padding=p, stride=s, dilation=d, output_padding=a)
    expected = _loop_transposed_padded(grid, kernel, p, s, d, a)
    np.testing.assert_allclose(assemble(steps, (size, size)), expected)


@pytest.mark.parametrize(("n", "k", "p", "s", "d", "a"), TRANSPOSED_SETTINGS)
def test_the_zero_inserted_convolution_gives_the_scatter_output(n, k, p, s, d, a):
    rng = np.random.default_rng(7 * n + k)
    grid = rng.integers(1, 6, (n, n)).astype(float)
    kernel = rng.integers(-2, 3, (k, k)).astype(float)
    settings = {"padding": p, "stride": s, "dilation": d, "output_padding": a}
    size = transposed_output_size(n, k, **settings)
    view = zero_inserted_view(grid, kernel, **settings)
    scatter = assemble(transposed_steps(grid, kernel, **settings), (size, size))
    assert len(view.steps) == size * size
    np.testing.assert_allclose(assemble(list(view.steps), (size, size)), scatter)
    np.testing.assert_array_equal(view.kernel, kernel[::-1, ::-1])
    # every input value sits in the grid once, where ``sources`` says it came from
    cells = view.kinds == INPUT_CELL
    for (row, col), (source_row, source_col) in zip(np.argwhere(cells), view.sources[cells]):
        assert view.grid[row, col] == grid[source_row, source_col]
    assert (view.grid[view.kinds != INPUT_CELL] == 0).all()
    assert (view.sources[view.kinds != INPUT_CELL] == -1).all()


def test_the_zero_inserted_grid_spreads_the_input_and_frames_it():
    grid = np.arange(1.0, 10.0).reshape(3, 3)
    view = zero_inserted_view(grid, np.ones((3, 3)), padding=1, stride=2, output_padding=1)
    # 3 cells spread 2 apart make 5; a frame of d(k-1) - p = 1 zero, one more at the end: 8
    assert view.grid.shape == (8, 8) and view.frame == (1, 2)
    assert (view.kinds[0] == PADDING_ZERO).all() and (view.kinds[-2:] == PADDING_ZERO).all()
    assert view.kinds[1, 1] == INPUT_CELL and view.grid[1, 1] == 1
    assert view.kinds[1, 2] == INSERTED_ZERO and view.kinds[2, 2] == INSERTED_ZERO
    assert view.kinds[1, 3] == INPUT_CELL and view.grid[1, 3] == 2
    assert view.grid[5, 5] == 9


@pytest.mark.parametrize("name", list(GUIDE_TRANSPOSED))
def test_the_seven_transposed_cases_of_the_convolution_arithmetic_guide(name):
    """Each transposes a convolution of an ``input`` x ``input`` image and gets its size back."""
    n, k, p, s, a, size = GUIDE_TRANSPOSED[name]
    assert transposed_output_size(n, k, padding=p, stride=s, dilation=1, output_padding=a) == size
    assert output_size(size, k, padding=p, stride=s, dilation=1) == n
    # a convolution's input and its transposed output have the same size: the adjoint pairing
    rng = np.random.default_rng(len(name))
    x, kernel = rng.normal(size=(size, size)), rng.normal(size=(k, k))
    y = rng.normal(size=(n, n))
    conv = assemble(convolution_steps(x, kernel, padding=p, stride=s), (n, n))
    back = assemble(
        transposed_steps(y, kernel, padding=p, stride=s, output_padding=a), (size, size)
    )
    assert np.isclose((conv * y).sum(), (x * back).sum())


def test_the_odd_case_needs_its_output_padding():
    assert transposed_output_size(3, 3, padding=1, stride=2, dilation=1) == 5
    assert transposed_output_size(3, 3, padding=1, stride=2, dilation=1, output_padding=1) == 6
    with pytest.raises(ConvlabError, match="smaller than the stride"):
        transposed_output_size(3, 3, padding=1, stride=2, dilation=1, output_padding=2)
    with pytest.raises(ConvlabError, match="smaller than the stride"):
        transposed_steps(np.ones((2, 2)), np.ones((3, 3)), output_padding=1)

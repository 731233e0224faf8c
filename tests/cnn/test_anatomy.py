"""The network as the slides draw it: parts, shapes, parameters and receptive fields."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn import AvgPool2D, Conv2D, Dense, Flatten, ReLU, Sequential, lenet5, small_cnn
from convlab.cnn.anatomy import (
    CLASSIFIER,
    FEATURES,
    blocks,
    part_parameters,
    receptive_field,
    spatial_autocorrelation,
)
from convlab.errors import ConvlabError


def test_lenet5_blocks_shapes_parameters_and_parts():
    described = blocks(lenet5(), (1, 32, 32))
    names = [block.name for block in described]
    assert names == [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3", "relu3", "flatten",
        "dense1", "relu4", "dense2",
    ]  # fmt: skip
    assert [block.shape for block in described][:9] == [
        (6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10), (16, 5, 5),
        (120, 1, 1), (120, 1, 1), (120,),
    ]  # fmt: skip
    assert [block.part for block in described] == [FEATURES] * 8 + [CLASSIFIER] * 4
    totals = part_parameters(described)
    assert totals == {FEATURES: 156 + 2416 + 48120, CLASSIFIER: 10164 + 850}
    assert sum(totals.values()) == 61_706
    assert described[0].detail == "6 filter(s) 5×5×1, pad 0"
    assert described[2].detail == "average 2×2, stride 2"


def brute_force_field(model, shape, layer_index, row, col):
    """The input pixels whose change moves unit (row, col): found by poking every pixel."""
    base = np.random.default_rng(0).random((1, *shape)).astype(np.float64)
    model = model.copy().astype(np.float64)
    for layer in model.layers:  # positive weights: no cancellation, ReLU never fully off
        for key, value in layer.params.items():
            value[...] = np.abs(value) + 0.01 if key == "weight" else 1.0

    def unit(x):
        for layer in model.layers[: layer_index + 1]:
            x = layer.forward(x)
        return x[0, 0, row, col] if x.ndim == 4 else x[0, 0]

    reference = unit(base)
    touched = np.zeros(shape[1:], dtype=bool)
    for r in range(shape[1]):
        for c in range(shape[2]):
            poked = base.copy()
            poked[0, 0, r, c] += 1.0
            touched[r, c] = unit(poked) != reference
    rows, cols = np.nonzero(touched)
    return rows.min(), cols.min(), rows.max(), cols.max()


@pytest.mark.parametrize(
    ("layer_index", "row", "col"),
    [(0, 0, 0), (0, 3, 5), (2, 6, 6), (3, 2, 3), (5, 1, 4), (7, 0, 0)],
)
def test_receptive_fields_match_the_pixels_that_move_the_unit(layer_index, row, col):
    # the small CNN's geometry with average pooling: a max only listens to its winner, but every
    # pixel of an average's window moves it, so poking finds the whole receptive field
    model = Sequential(
        Conv2D(1, 2, 5, padding=2, rng=1), ReLU(), AvgPool2D(2),
        Conv2D(2, 2, 5, padding=2, rng=2), ReLU(), AvgPool2D(2), Flatten(), Dense(98, 3, rng=3),
    )  # fmt: skip
    shape = (1, 28, 28)
    plain = small_cnn(filters=(2, 2))
    assert receptive_field(plain, shape, layer_index, row, col) == receptive_field(
        model, shape, layer_index, row, col
    )
    expected = brute_force_field(model, shape, layer_index, row, col)
    assert receptive_field(model, shape, layer_index, row, col) == tuple(int(v) for v in expected)


@pytest.mark.parametrize(
    ("layers", "shape", "layer_index", "row", "col"),
    [
        # pooling drops the odd last row and column; the padded conv after it never sees them
        ((AvgPool2D(2), Conv2D(1, 1, 3, padding=1, rng=4)), (1, 7, 7), 1, 2, 2),
        ((Conv2D(1, 1, 3, rng=5), AvgPool2D(2), Conv2D(1, 1, 3, padding=2, rng=6)),
         (1, 11, 11), 2, 5, 0),
        ((Conv2D(1, 1, 3, padding=1, stride=2, rng=7), Conv2D(1, 1, 3, padding=1, rng=8)),
         (1, 9, 9), 1, 4, 4),
    ],
)  # fmt: skip
def test_receptive_fields_stop_at_padding_and_at_rows_a_pooling_drops(
    layers, shape, layer_index, row, col
):
    model = Sequential(*layers)
    expected = tuple(int(v) for v in brute_force_field(model, shape, layer_index, row, col))
    assert receptive_field(model, shape, layer_index, row, col) == expected


@pytest.mark.parametrize(("layer_index", "row", "col"), [(0, 27, 27), (3, 0, 9), (5, 4, 2)])
def test_lenet5_receptive_fields_match_the_pixels_that_move_the_unit(layer_index, row, col):
    model = lenet5(seed=1)
    expected = brute_force_field(model, (1, 32, 32), layer_index, row, col)
    assert receptive_field(model, (1, 32, 32), layer_index, row, col) == tuple(
        int(v) for v in expected
    )


def test_a_unit_after_flatten_sees_the_whole_image_and_bad_layers_are_explained():
    model = lenet5()
    assert receptive_field(model, (1, 32, 32), 9, 0, 0) == (0, 0, 31, 31)
    assert receptive_field(model, (1, 32, 32), 6) == (0, 0, 31, 31)  # C5: 5x5 on 5x5 maps
    assert receptive_field(model, (1, 32, 32), 3, 0, 0) == (0, 0, 13, 13)
    with pytest.raises(ConvlabError, match="does not exist"):
        receptive_field(model, (1, 32, 32), 12)


def test_spatial_autocorrelation_tells_noise_from_strokes():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(64, 1, 5, 5))
    assert abs(spatial_autocorrelation(noise)) < 0.1
    ramp = np.tile(np.arange(5.0), (5, 1))
    edges = np.stack([ramp, ramp.T, -ramp, np.outer(np.hanning(5), np.hanning(5))])[:, None]
    assert spatial_autocorrelation(edges) > 0.5
    # by hand: a 2x2 [[1, 2], [3, 4]] pairs (1,2), (3,4) across and (1,3), (2,4) down
    pairs = np.array([[1, 2], [3, 4], [1, 3], [2, 4]], dtype=float)
    expected = np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1]
    assert spatial_autocorrelation(np.array([[1.0, 2.0], [3.0, 4.0]])) == pytest.approx(expected)
    assert spatial_autocorrelation(np.ones((2, 1, 3, 3))) == 0.0  # flat: left out
    with pytest.raises(ConvlabError, match="2x2"):
        spatial_autocorrelation(np.ones((3, 1)))

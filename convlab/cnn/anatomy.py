"""A network described the way the slides draw it: blocks, shapes, parameters, receptive fields.

The slides split a CNN into a *feature extractor* (convolutions, non-linearities, pooling: maps
that keep their layout) and a *classifier* (flatten, then fully connected layers). ``blocks``
lists every layer with the shape after it and its parameter count, tagged with its part;
``receptive_field`` says which input pixels one unit of a layer depends on, the window that
grows with every convolution and pooling until, after flatten, a unit sees the whole image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convlab.cnn.layers import Conv2D, Dense, Dropout, Flatten, Layer, ReLU, _Pool2D
from convlab.cnn.model import Sequential
from convlab.errors import ConvlabError

FEATURES = "feature extractor"
CLASSIFIER = "classifier"


@dataclass(frozen=True)
class Block:
    """One layer as drawn: short name, what it does, the shape after it, its parameters."""

    index: int
    name: str  # conv1, relu1, pool1, ..., flatten, dense1
    kind: str
    detail: str  # "6 filters 5×5, pad 0" and the like
    shape: tuple[int, ...]  # after this layer, one sample: (C, H, W) or (features,)
    parameters: int
    part: str  # FEATURES or CLASSIFIER


def _kind_and_detail(layer: Layer) -> tuple[str, str]:
    if isinstance(layer, Conv2D):
        k = layer.kernel_size
        return "conv", (
            f"{layer.out_channels} filter(s) {k}×{k}×{layer.in_channels}, pad {layer.padding}"
            + (f", stride {layer.stride}" if layer.stride != 1 else "")
        )
    if isinstance(layer, _Pool2D):
        kind = "max" if type(layer).__name__.startswith("Max") else "average"
        return "pool", f"{kind} {layer.kernel_size}×{layer.kernel_size}, stride {layer.stride}"
    if isinstance(layer, ReLU):
        return "relu", "max(x, 0)"
    if isinstance(layer, Flatten):
        return "flatten", "maps → one vector"
    if isinstance(layer, Dense):
        return "dense", f"{layer.in_features} → {layer.out_features}, fully connected"
    if isinstance(layer, Dropout):
        return "dropout", f"drops {layer.p:.0%} while training"
    return type(layer).__name__.lower(), ""


def blocks(model: Sequential, input_shape: tuple[int, int, int]) -> list[Block]:
    """Every layer of ``model`` for one input of ``input_shape`` (C, H, W), in order."""
    shapes = model.output_shapes(tuple(input_shape))
    counters: dict[str, int] = {}
    part = FEATURES
    described = []
    for index, (layer, shape) in enumerate(zip(model.layers, shapes, strict=True)):
        kind, detail = _kind_and_detail(layer)
        if kind in ("flatten", "dense"):
            part = CLASSIFIER
        counters[kind] = counters.get(kind, 0) + 1
        name = kind if kind == "flatten" else f"{kind}{counters[kind]}"
        described.append(
            Block(index, name, kind, detail, tuple(shape), layer.parameter_count(), part)
        )
    return described


def part_parameters(described: list[Block]) -> dict[str, int]:
    """Parameters of the feature extractor and of the classifier."""
    totals = {FEATURES: 0, CLASSIFIER: 0}
    for block in described:
        totals[block.part] += block.parameters
    return totals


def receptive_field(
    model: Sequential,
    input_shape: tuple[int, int, int],
    layer_index: int,
    row: int = 0,
    col: int = 0,
) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), inclusive, of the input pixels that unit (row, col) of
    layer ``layer_index``'s output depends on. A unit after flatten depends on every pixel.

    Walked back layer by layer: a window of k at stride s and padding p maps output rows
    a..b to input rows a*s - p .. b*s - p + k - 1, cut to the rows that exist there (padding
    is zeros, not pixels; a pooling that drops an odd last row never reads it).
    """
    if not 0 <= layer_index < len(model.layers):
        raise ConvlabError(f"layer {layer_index} does not exist; the model has {len(model.layers)}")
    layers = model.layers[: layer_index + 1]
    inputs = [tuple(input_shape), *model.output_shapes(tuple(input_shape))[:layer_index]]
    rows, cols = (row, row), (col, col)
    for layer, shape in zip(reversed(layers), reversed(inputs), strict=True):
        if isinstance(layer, (Flatten, Dense)):
            return 0, 0, input_shape[1] - 1, input_shape[2] - 1
        if isinstance(layer, (Conv2D, _Pool2D)):
            k, s = layer.kernel_size, layer.stride
            p = getattr(layer, "padding", 0)
            rows = (max(rows[0] * s - p, 0), min(rows[1] * s - p + k - 1, shape[1] - 1))
            cols = (max(cols[0] * s - p, 0), min(cols[1] * s - p + k - 1, shape[2] - 1))
    return rows[0], cols[0], rows[1], cols[1]


def spatial_autocorrelation(weights: np.ndarray) -> float:
    """How smooth first-layer filters are: the mean lag-1 spatial autocorrelation.

    For each k x k filter slice, the correlation between every weight and its right and lower
    neighbours (all such pairs pooled), averaged over the slices. Random numbers give about 0;
    strokes and edges, where neighbouring weights agree, give 0.5 and more. Slices with no
    variation (all equal) are left out.
    """
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim < 2 or min(array.shape[-2:]) < 2:
        raise ConvlabError(f"filters must be at least 2x2, got shape {array.shape}")
    values = []
    for kernel in array.reshape(-1, *array.shape[-2:]):
        first = np.concatenate([kernel[:, :-1].ravel(), kernel[:-1, :].ravel()])
        second = np.concatenate([kernel[:, 1:].ravel(), kernel[1:, :].ravel()])
        if first.std() > 0 and second.std() > 0:
            values.append(float(np.corrcoef(first, second)[0, 1]))
    return float(np.mean(values)) if values else 0.0

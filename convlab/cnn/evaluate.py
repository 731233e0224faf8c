"""What a trained network does with labelled images: predictions, probabilities, accuracy.

Used after every epoch (the confusion matrix and the mistakes come from it), after a filter is
edited by hand, and on every live webcam frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convlab.cnn.dataset import Dataset
from convlab.cnn.functional import softmax
from convlab.cnn.layers import Conv2D
from convlab.cnn.model import Sequential
from convlab.errors import ConvlabError


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A network's answers on a labelled set, image by image."""

    predictions: np.ndarray  # (N,) the most probable class of each image
    probabilities: np.ndarray  # (N, classes) float32
    accuracy: float  # fraction of predictions equal to the labels (0 for an empty set)


def evaluate(model: Sequential, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Predictions and class probabilities on a labelled set, for accuracy and the insight tabs."""
    logits = model.predict_logits(images, batch_size=256).astype(np.float64)
    probabilities = softmax(logits)
    predictions = probabilities.argmax(axis=1)
    accuracy = float((predictions == np.asarray(labels)).mean()) if len(labels) else 0.0
    return Evaluation(predictions, probabilities.astype(np.float32), accuracy)


def classify(model: Sequential, image: np.ndarray, class_names: list[str]) -> tuple[str, float]:
    """The most probable class of one grey image (H x W) and its probability."""
    logits = model.predict_logits(image[None, None], batch_size=1)
    probabilities = softmax(logits.astype(np.float64))[0]
    best = int(probabilities.argmax())
    return class_names[best], float(probabilities[best])


def first_conv_weights(model: Sequential) -> np.ndarray | None:
    """A copy of the first convolution's weights (out, in, k, k), or None for an MLP."""
    for layer in model.layers:
        if "weight" in layer.params and layer.params["weight"].ndim == 4:
            return layer.params["weight"].copy()
    return None


def fits(model: Sequential, dataset: Dataset) -> bool:
    """Whether ``model`` takes ``dataset``'s images and predicts its classes."""
    try:
        shapes = model.output_shapes(dataset.input_shape)
    except (ConvlabError, ValueError, IndexError):
        return False
    first = model.layers[0] if model.layers else None
    if isinstance(first, Conv2D) and first.in_channels != dataset.input_shape[0]:
        return False
    if not isinstance(first, Conv2D):
        dense = next((layer for layer in model.layers if hasattr(layer, "in_features")), None)
        if dense is not None and dense.in_features != int(np.prod(dataset.input_shape)):
            return False
    return bool(shapes) and shapes[-1] == (dataset.num_classes,)

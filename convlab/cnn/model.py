"""Sequential models, the builders the app offers (LeNet-style CNNs, an MLP), and model files.

Training is forward, loss, backward, step: ``forward`` runs the layers in order and each one
remembers what it needs; ``backward`` hands dL/dlogits to the last layer and walks back to the
first, each layer turning the gradient of its output into the gradient of its input (the
chain rule) and leaving its parameter gradients in ``layer.grads`` for the optimizer.

A model file is a ``.npz`` archive: the architecture as JSON under ``"architecture"`` and each
parameter under ``"<layer index>.<name>"`` (e.g. ``"0.weight"``). No pickle, so loading a file
never runs code from it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from convlab.cnn.blas import DEFAULT_THREADS, blas_threads
from convlab.cnn.functional import cross_entropy
from convlab.cnn.layers import (
    LAYER_TYPES,
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    MaxPool2D,
    RandomSource,
    ReLU,
)
from convlab.cnn.npz import read_npz
from convlab.errors import ConvlabError

FORMAT_VERSION = 1
#: the largest model file (and the most its weights may take in memory) ConvLab reads
MAX_MODEL_BYTES = 256 * 1024 * 1024

#: the first convolution's random start, as a fraction of the usual (He) scale
FIRST_LAYER_START = 0.1


class Sequential:
    """Layers applied one after another; backward walks them in reverse (the chain rule).

    ``threads``: BLAS threads for the matrix products inside forward and backward (see
    ``convlab.cnn.blas``: one keeps a busy machine from stalling them; None leaves BLAS alone).
    """

    threads: int | None = DEFAULT_THREADS

    def __init__(self, *layers: Layer) -> None:
        self.layers: list[Layer] = list(layers)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Logits for a float batch (N, C, H, W). ``training`` switches Dropout on."""
        with blas_threads(self.threads):
            for layer in self.layers:
                x = layer.forward(x, training=training)
        return x

    __call__ = forward

    def backward(self, dlogits: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Fill every layer's ``grads`` from dL/dlogits; returns dL/dinput.

        ``input_grad=False`` (used by training) skips the gradient of the network's input,
        which nobody needs there, and returns None.
        """
        grad: np.ndarray | None = dlogits
        with blas_threads(self.threads):
            for index in range(len(self.layers) - 1, -1, -1):
                needs_input_grad = input_grad or index > 0
                grad = self.layers[index].backward(grad, input_grad=needs_input_grad)
        return grad

    # ------------------------------------------------------------------ inference helpers

    def predict_logits(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Logits for many images, a batch at a time to keep memory small."""
        from convlab.cnn.data import normalize_images

        x = normalize_images(images)
        if len(x) == 0:
            raise ConvlabError("there are no images to predict")
        outputs = [
            self.forward(x[start : start + batch_size]) for start in range(0, len(x), batch_size)
        ]
        return np.concatenate(outputs)

    def predict(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Predicted class for each image (uint8 or float in [0, 1]; N x H x W or N x C x H x W)."""
        return self.predict_logits(images, batch_size).argmax(axis=1)

    def evaluate(
        self, images: np.ndarray, labels: np.ndarray, batch_size: int = 256
    ) -> tuple[float, float]:
        """(mean cross-entropy loss, accuracy in [0, 1]) over a labelled set."""
        labels = np.asarray(labels, dtype=np.int64)
        if len(labels) == 0:
            raise ConvlabError("cannot evaluate a model on an empty set of images")
        logits = self.predict_logits(images, batch_size)
        loss, _ = cross_entropy(logits, labels)
        return loss, float((logits.argmax(axis=1) == labels).mean())

    def feature_maps(self, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """Every layer's output for ONE input (C, H, W) or (1, C, H, W), batch axis removed.

        Returns (layer description, output) pairs: (C, H, W) maps for convolution and pooling
        layers, vectors after Flatten.
        """
        from convlab.cnn.data import normalize_images

        batch = normalize_images(x if x.ndim == 4 else x[None])
        if batch.shape[0] != 1:
            raise ConvlabError(f"feature_maps takes one image, got a batch of {batch.shape[0]}")
        maps = []
        for layer in self.layers:
            batch = layer.forward(batch)
            maps.append((repr(layer), np.ascontiguousarray(batch[0])))
        return maps

    # ------------------------------------------------------------------ bookkeeping

    def parameter_counts(self) -> list[tuple[str, int]]:
        """(layer description, number of weights and biases) for every layer."""
        return [(repr(layer), layer.parameter_count()) for layer in self.layers]

    @property
    def num_parameters(self) -> int:
        return sum(layer.parameter_count() for layer in self.layers)

    def output_shapes(self, input_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Each layer's output shape for one sample shaped ``input_shape`` (C, H, W)."""
        shapes = []
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
            shapes.append(shape)
        return shapes

    def astype(self, dtype: type) -> Sequential:
        """Convert every parameter (float64 for gradient checks); returns self."""
        for layer in self.layers:
            layer.astype(dtype)
        return self

    def copy(self) -> Sequential:
        """An independent copy (same architecture, copied weights, frozen flags kept).

        Layers remember their last input for ``backward``, so one model must not run
        ``forward`` from two threads at once: a GUI that wants predictions or feature maps while
        a worker trains should use a copy.
        """
        twin = Sequential(*(LAYER_TYPES[type(layer).__name__](**layer.config())
                            for layer in self.layers))  # fmt: skip
        for mine, theirs in zip(self.layers, twin.layers, strict=True):
            theirs.params = {key: value.copy() for key, value in mine.params.items()}
            theirs.trainable = mine.trainable
            theirs._zero_grads()
        return twin

    def state(self) -> list[dict[str, np.ndarray]]:
        """A copy of every layer's parameters (to restore later with ``set_state``)."""
        return [{key: value.copy() for key, value in layer.params.items()} for layer in self.layers]

    def set_state(self, state: Sequence[dict[str, np.ndarray]]) -> None:
        """Copy parameters back in place, so arrays other code holds stay valid."""
        for layer, saved in zip(self.layers, state, strict=True):
            for key, value in saved.items():
                np.copyto(layer.params[key], value)

    def architecture(self) -> list[dict[str, object]]:
        """The layer types and constructor arguments, as saved in model files."""
        return [
            {"type": type(layer).__name__, "config": layer.config(), "trainable": layer.trainable}
            for layer in self.layers
        ]

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"Sequential(\n{inner}\n)"

    # ------------------------------------------------------------------ files

    def save(self, path: str | Path) -> None:
        """Write the architecture and parameters to a ``.npz`` file."""
        arrays = {
            f"{index}.{key}": value
            for index, layer in enumerate(self.layers)
            for key, value in layer.params.items()
        }
        header = {"format": FORMAT_VERSION, "layers": self.architecture()}
        try:
            with open(path, "wb") as handle:
                np.savez(handle, architecture=np.array(json.dumps(header)), **arrays)
        except OSError as error:
            raise ConvlabError(f"cannot save the model to {path}: {error.strerror}") from error

    @classmethod
    def load(cls, path: str | Path) -> Sequential:
        """Rebuild a model saved with ``save``; ConvlabError if the file is not one.

        The file is checked before it is read (``read_npz``: no pipes, no oversized files, no
        arrays that declare more than ``MAX_MODEL_BYTES``), and every layer's description is
        checked against the weights saved for it before the layer is built, so a description
        cannot ask for a layer larger than the file.
        """
        label = f"Model file '{Path(path).name}'"
        arrays = read_npz(path, label, max_bytes=MAX_MODEL_BYTES)
        try:
            header = json.loads(str(arrays.pop("architecture")))
            layers = []
            for index, spec in enumerate(header["layers"]):
                _check_declared_size(index, spec, arrays)
                layer = LAYER_TYPES[spec["type"]](**spec["config"])
                layer.trainable = bool(spec.get("trainable", True))
                layers.append(layer)
            model = cls(*layers)
            for index, layer in enumerate(model.layers):
                for key, value in layer.params.items():
                    saved = arrays[f"{index}.{key}"]
                    if saved.shape != value.shape:
                        raise ValueError(
                            f"{index}.{key} has shape {saved.shape}, not {value.shape}"
                        )
                    layer.params[key] = saved.astype(value.dtype)
                layer.astype(np.float32)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ConvlabError(f"{label}: the model description is damaged ({error})") from error
        return model


def _check_declared_size(index: int, spec: dict, arrays: dict[str, np.ndarray]) -> None:
    """A layer's description must ask for exactly the weights saved for it (it is built, with
    fresh random weights, before they are copied in): ValueError otherwise."""
    config = spec["config"]
    sizes = [config[key] for key in _SIZE_KEYS.get(spec["type"], ())]
    if not all(isinstance(size, int) and size > 0 for size in sizes):
        raise ValueError(f"layer {index} ({spec['type']}) has sizes that are not counts")
    wanted = math.prod(sizes) + sizes[0] if sizes else 0  # the weights, then one bias each
    saved = sum(value.size for key, value in arrays.items() if key.startswith(f"{index}."))
    if wanted != saved:
        raise ValueError(
            f"layer {index} ({spec['type']}) asks for {wanted:,} weights, the file holds {saved:,}"
        )


#: the constructor arguments whose product is a layer's weight count (output count first)
_SIZE_KEYS = {
    "Conv2D": ("out_channels", "in_channels", "kernel_size", "kernel_size"),
    "Dense": ("out_features", "in_features"),
}


def load_model(path: str | Path) -> Sequential:
    """Same as ``Sequential.load``."""
    return Sequential.load(path)


# ---------------------------------------------------------------------- builders


def start_small(model: Sequential, fraction: float = FIRST_LAYER_START) -> Sequential:
    """Scale the first convolution's random weights down to ``fraction`` of their He size.

    Why: what gradient descent adds to a first-layer filter is a sum of image patches, each
    weighted by how much its output mattered (dL/dW = sum over positions of dL/dout x patch).
    Strokes and edges in images are smooth, so what learning writes into a filter is smooth too.
    A full-size random start is as large as everything a short run adds, and the filters keep
    looking like the noise they started as; started small, what you see is what the data wrote.
    The layers after it keep the He start: they are not shown as pictures, and ReLU networks
    do not care about the scale of one layer (the logits just start smaller). Returns ``model``.
    """
    conv = next((layer for layer in model.layers if isinstance(layer, Conv2D)), None)
    if conv is not None:
        conv.params["weight"] *= conv.params["weight"].dtype.type(fraction)
    return model


def build_cnn(
    conv_layers: int = 2,
    filters: Sequence[int] = (8, 16, 32),
    kernel_size: int = 5,
    pool: bool = True,
    input_shape: tuple[int, int, int] = (1, 28, 28),
    num_classes: int = 10,
    *,
    seed: RandomSource = 0,
    first_layer_start: float = FIRST_LAYER_START,
) -> Sequential:
    """[Conv (same padding) -> ReLU -> MaxPool 2] x conv_layers -> Flatten -> Dense.

    ``filters[i]`` is the number of filters of the i-th convolution; pooling is skipped where
    ``pool`` is False or the maps have shrunk below 2 pixels. The first convolution starts at
    ``first_layer_start`` times the He scale (see ``start_small``; 1.0 is the plain He start).
    """
    if not 1 <= conv_layers <= len(filters):
        raise ConvlabError(f"{conv_layers} convolution layers need at least as many filter counts")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ConvlabError(f"kernel size must be odd (3, 5, 7, ...), got {kernel_size}")
    rng = np.random.default_rng(seed)
    channels, height, width = input_shape
    layers: list[Layer] = []
    for count in filters[:conv_layers]:
        layers += [Conv2D(channels, count, kernel_size, padding=kernel_size // 2, rng=rng), ReLU()]
        channels = count
        if pool and min(height, width) >= 2:
            layers.append(MaxPool2D(2))
            height, width = height // 2, width // 2
    layers += [Flatten(), Dense(channels * height * width, num_classes, rng=rng)]
    return start_small(Sequential(*layers), first_layer_start)


def small_cnn(
    in_channels: int = 1,
    num_classes: int = 10,
    filters: tuple[int, int] = (8, 16),
    kernel_size: int = 5,
    *,
    seed: RandomSource = 0,
) -> Sequential:
    """The app's small, fast default for 28 x 28 images (LeNet's shape, a tenth of its size):

    Conv(in, 8, 5, pad 2) ReLU MaxPool2 Conv(8, 16, 5, pad 2) ReLU MaxPool2
    Flatten Dense(16*7*7, 10)   -- 11,274 parameters for digits, trains at thousands of images/s
    """
    return build_cnn(
        conv_layers=2,
        filters=filters,
        kernel_size=kernel_size,
        pool=True,
        input_shape=(in_channels, 28, 28),
        num_classes=num_classes,
        seed=seed,
    )


#: the small CNN under its old name (it is not LeNet-5: that is ``lenet5``)
lenet = small_cnn


#: LeNet-5's input side: MNIST's 28 x 28 digits are centred in 32 x 32, as LeCun et al. did
LENET5_INPUT = 32


def lenet5(in_channels: int = 1, num_classes: int = 10, *, seed: RandomSource = 0) -> Sequential:
    """LeNet-5 (LeCun et al., 1998) for 32 x 32 images: 61,706 parameters for 10 classes.

    C1 Conv(1, 6, 5)    -> 6 x 28 x 28    156 parameters
    S2 AvgPool 2        -> 6 x 14 x 14
    C3 Conv(6, 16, 5)   -> 16 x 10 x 10   2,416
    S4 AvgPool 2        -> 16 x 5 x 5
    C5 Conv(16, 120, 5) -> 120 x 1 x 1    48,120 (a 5 x 5 map: in effect fully connected)
    F6 Dense(120, 84)   -> 84             10,164
       Dense(84, 10)    -> 10             850
    C1-S4 extract features, C5-F6 classify. The paper's subsampling layers averaged, as
    AvgPool2D does; its squashing tanh becomes ReLU here, and its trainable subsampling
    coefficients and RBF output are left out, as in every modern LeNet-5. No padding: the
    28 x 28 digits are centred in 32 x 32 first (``convlab.cnn.data.pad_to``).
    """
    rng = np.random.default_rng(seed)
    model = Sequential(
        Conv2D(in_channels, 6, 5, rng=rng), ReLU(), AvgPool2D(2),
        Conv2D(6, 16, 5, rng=rng), ReLU(), AvgPool2D(2),
        Conv2D(16, 120, 5, rng=rng), ReLU(), Flatten(),
        Dense(120, 84, rng=rng), ReLU(),
        Dense(84, num_classes, rng=rng),
    )  # fmt: skip
    return start_small(model)


def mlp(
    input_shape: tuple[int, int, int] = (1, 28, 28),
    hidden: Sequence[int] = (128,),
    num_classes: int = 10,
    *,
    seed: RandomSource = 0,
) -> Sequential:
    """Flatten -> [Dense -> ReLU] per hidden size -> Dense: the "no convolution" baseline."""
    rng = np.random.default_rng(seed)
    features = int(np.prod(input_shape))
    layers: list[Layer] = [Flatten()]
    for size in hidden:
        layers += [Dense(features, size, rng=rng), ReLU()]
        features = size
    layers.append(Dense(features, num_classes, rng=rng))
    return Sequential(*layers)

"""Networks and optimisers described by plain values, and the names a student reads on screen.

A ``ModelRecipe`` and an ``OptimizerRecipe`` are what the app's settings produce: frozen values
that build the network and its optimiser wherever training runs. Hand-made first layers
(Sobel/Prewitt/Laplacian, Gabor) are scaled to the size of a random (He) initialisation, so a
comparison with free learning is fair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convlab.cnn.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from convlab.cnn.model import LENET5_INPUT, Sequential, build_cnn, lenet5, mlp
from convlab.cnn.optim import SGD, Adam, Optimizer
from convlab.engine import presets
from convlab.engine.kernels import Kernel, gabor_kernel
from convlab.errors import ConvlabError

#: hidden units of the "no convolution" baseline
MLP_HIDDEN = 128
#: the networks the app builds, as named on screen
ARCHITECTURES = {
    "small": "Small CNN (LeNet-style, the settings below)",
    "lenet5": "LeNet-5 (32×32 input, 6-16-120-84-10)",
}


def layer_names(model: Sequential) -> list[str]:
    """Short names a student can read: conv1, relu1, pool1, …, flatten, dense."""
    names, counters = [], {"conv": 0, "relu": 0, "pool": 0, "dense": 0}
    kinds = {Conv2D: "conv", ReLU: "relu", MaxPool2D: "pool", Dense: "dense"}
    for layer in model.layers:
        kind = kinds.get(type(layer))
        if kind is None:
            names.append("flatten" if isinstance(layer, Flatten) else type(layer).__name__.lower())
            continue
        counters[kind] += 1
        names.append(f"{kind}{counters[kind]}")
    return names


def conv_layers(model: Sequential) -> list[Conv2D]:
    """The model's convolutions, first to last (an MLP has none)."""
    return [layer for layer in model.layers if isinstance(layer, Conv2D)]


def hand_made_bank(kind: str, size: int) -> list[Kernel]:
    """Eight size x size kernels: edge detectors of both signs, or Gabors at four angles."""
    if kind == "edges":
        base = [presets.get(name) for name in ("sobel_x", "sobel_y", "prewitt_x", "prewitt_y")]
        laplacian = presets.get("laplacian")
        kernels = [
            *base,
            *(Kernel(-k.weights, name=f"-{k.name}") for k in base[:2]),
            laplacian,
            Kernel(-laplacian.weights, name="-laplacian"),
        ]
        return [_centre_in(kernel, size) for kernel in kernels]
    if kind == "gabor":
        return [
            gabor_kernel(
                size,
                sigma=max(size / 4.0, 0.8),
                theta=theta,
                wavelength=max(size / 1.5, 2.5),
                phase=phase,
            )
            for theta in (0.0, math.pi / 4, math.pi / 2, 3 * math.pi / 4)
            for phase in (0.0, math.pi / 2)
        ]
    raise ConvlabError(f"unknown hand-made bank {kind!r}")


def _centre_in(kernel: Kernel, size: int) -> Kernel:
    """Pad a small kernel with zeros to size x size (or crop its centre when it is larger)."""
    weights = kernel.effective
    k = weights.shape[0]
    if k == size:
        return kernel
    if k < size:
        pad = (size - k) // 2
        return Kernel(np.pad(weights, pad), name=kernel.name)
    cut = (k - size) // 2
    return Kernel(weights[cut : cut + size, cut : cut + size], name=kernel.name)


def install_first_layer(model: Sequential, bank: list[Kernel], freeze: bool) -> None:
    """Put ``bank`` into the first convolution (cycling if it has more filters) and maybe freeze it.

    Each kernel is scaled to the weight norm of a He-initialised filter, sqrt(2), so a
    hand-made start and a random one begin with signals of the same size.
    """
    conv = next(layer for layer in model.layers if isinstance(layer, Conv2D))
    weight = conv.params["weight"]
    for index in range(weight.shape[0]):
        kernel = np.asarray(bank[index % len(bank)].effective, dtype=np.float64)
        norm = np.linalg.norm(kernel)
        scaled = kernel * (math.sqrt(2.0 / weight.shape[1]) / norm) if norm else kernel
        weight[index] = scaled[None].astype(weight.dtype)
    conv.params["bias"][:] = 0
    conv.frozen = freeze


@dataclass(frozen=True)
class ModelRecipe:
    """The model settings as plain values: training builds its networks from this."""

    conv_layers: int = 2
    filters: tuple[int, ...] = (8, 16, 32)
    kernel_size: int = 5
    pool: bool = True
    first_layer: str = "random"
    freeze: bool = False
    seed: int = 0
    architecture: str = "small"  # a key of ARCHITECTURES; "lenet5" ignores the sizes above

    def input_shape_for(self, data_shape: tuple[int, int, int]) -> tuple[int, int, int]:
        """What the network reads for images shaped ``data_shape``: LeNet-5 reads 32 x 32."""
        if self.architecture == "lenet5":
            return (data_shape[0], LENET5_INPUT, LENET5_INPUT)
        return tuple(data_shape)  # type: ignore[return-value]

    def build(
        self, input_shape: tuple[int, int, int], num_classes: int, *, first_layer: str | None = None
    ) -> Sequential:
        """The CNN described; ``first_layer`` ("random", "edges", "gabor") overrides the choice."""
        if self.architecture not in ARCHITECTURES:
            raise ConvlabError(f"unknown network {self.architecture!r}")
        if self.architecture == "lenet5":
            if tuple(input_shape[1:]) != (LENET5_INPUT, LENET5_INPUT):
                raise ConvlabError(
                    f"LeNet-5 reads {LENET5_INPUT}×{LENET5_INPUT} images, not "
                    f"{input_shape[1]}×{input_shape[2]}"
                )
            model, kernel_size = lenet5(input_shape[0], num_classes, seed=self.seed), 5
        else:
            model = build_cnn(
                conv_layers=self.conv_layers,
                filters=self.filters,
                kernel_size=self.kernel_size,
                pool=self.pool,
                input_shape=input_shape,
                num_classes=num_classes,
                seed=self.seed,
            )
            kernel_size = self.kernel_size
        kind = self.first_layer if first_layer is None else first_layer
        if kind != "random":
            install_first_layer(model, hand_made_bank(kind, kernel_size), self.freeze)
        return model

    def build_mlp(self, input_shape: tuple[int, int, int], num_classes: int) -> Sequential:
        """The "no convolution" baseline: one hidden layer of MLP_HIDDEN units."""
        return mlp(input_shape, hidden=(MLP_HIDDEN,), num_classes=num_classes, seed=self.seed)


@dataclass(frozen=True)
class OptimizerRecipe:
    """The optimiser settings as plain values; calling it builds the optimiser for a model."""

    kind: str = "adam"  # "adam" or "sgd" (with momentum)
    lr: float = 0.002
    momentum: float = 0.9
    weight_decay: float = 0.0

    def __call__(self, model: Sequential) -> Optimizer:
        if self.kind == "adam":
            return Adam(model, lr=self.lr, weight_decay=self.weight_decay)
        return SGD(model, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)

"""Layers: the functions of ``functional.py`` plus the state each one needs.

A layer keeps its parameters in ``params`` and, after ``backward``, their gradients in ``grads``
(same keys, same shapes). Parameters are laid out as in PyTorch, so weights can be copied to and
from ``torch.nn.Conv2d`` / ``torch.nn.Linear`` unchanged. ``forward`` remembers what ``backward``
will need; ``backward(dout)`` takes dL/d(output) and returns dL/d(input), the gradient the
layer below receives, after storing dL/d(each parameter) in ``grads``.

What each layer remembers is chosen to make backward cheap: Conv2D keeps its im2col matrix
(``cols``), so the patches are copied once per step, not twice; ReLU keeps its output (the
mask is "output > 0"); MaxPool2D keeps which pixel won each window. ``input_grad=False`` lets
the first layer skip dL/d(input), which nothing uses and which is its most expensive part.

Set ``trainable = False`` to freeze a layer: it still passes gradients through, but its own are
not computed and optimizers leave its parameters alone (e.g. a first layer of hand-made filters).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from convlab.cnn import functional
from convlab.engine.sizes import output_size
from convlab.errors import ConvlabError

RandomSource = np.random.Generator | int | None


def he_normal(
    shape: tuple[int, ...], fan_in: int, rng: RandomSource, dtype: type = np.float32
) -> np.ndarray:
    """Weights ~ N(0, 2 / fan_in): keeps activations' variance steady through ReLU layers."""
    generator = np.random.default_rng(rng)
    return (generator.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


class Layer:
    """Common state and defaults; subclasses override forward/backward (and maybe more)."""

    #: the constructor arguments saved with a model, by subclass
    config_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.trainable = True

    @property
    def frozen(self) -> bool:
        """The opposite of ``trainable``, for readability at call sites."""
        return not self.trainable

    @frozen.setter
    def frozen(self, value: bool) -> None:
        self.trainable = not value

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one sample's output (no batch axis) for one sample's input shape."""
        return input_shape

    def config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this layer (saved in model files)."""
        return {key: getattr(self, key) for key in self.config_keys}

    def parameter_count(self) -> int:
        return int(sum(value.size for value in self.params.values()))

    def astype(self, dtype: type) -> Layer:
        """Convert parameters in place (float64 for gradient checks); returns self."""
        for key, value in self.params.items():
            self.params[key] = value.astype(dtype)
            self.grads[key] = np.zeros_like(self.params[key])
        return self

    def _zero_grads(self) -> None:
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"


class Conv2D(Layer):
    """2-D convolution (cross-correlation, like torch.nn.Conv2d) over NCHW batches."""

    config_keys = ("in_channels", "out_channels", "kernel_size", "padding", "stride")

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        padding: int = 0,
        stride: int = 1,
        *,
        rng: RandomSource = None,
    ) -> None:
        super().__init__()
        if min(in_channels, out_channels, kernel_size, stride) < 1 or padding < 0:
            raise ConvlabError(
                f"Conv2D({in_channels}, {out_channels}, {kernel_size}, padding={padding}, "
                f"stride={stride}): sizes must be positive and padding not negative"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.padding = padding
        self.stride = stride
        fan_in = in_channels * kernel_size * kernel_size
        self.params = {
            "weight": he_normal((out_channels, in_channels, kernel_size, kernel_size), fan_in, rng),
            "bias": np.zeros(out_channels, dtype=np.float32),
        }
        self._zero_grads()
        self._cols: np.ndarray | None = None
        self._input_shape: tuple[int, int, int, int] | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ConvlabError(
                f"Conv2D expects a batch shaped (N, {self.in_channels}, H, W), got {x.shape}"
            )
        if min(x.shape[2], x.shape[3]) + 2 * self.padding < self.kernel_size:
            raise ConvlabError(
                f"Conv2D: a {self.kernel_size}x{self.kernel_size} kernel with padding "
                f"{self.padding} does not fit a {x.shape[2]}x{x.shape[3]} input"
            )
        out, self._cols = functional.conv2d_forward(
            x, self.params["weight"], self.params["bias"], self.stride, self.padding
        )
        self._input_shape = x.shape
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        if self._cols is None or self._input_shape is None:
            raise ConvlabError("Conv2D.backward called before forward")
        if not self.trainable and not input_grad:
            return None
        dx, dweight, dbias = functional.conv2d_backward(
            dout,
            self._cols,
            self._input_shape,
            self.params["weight"],
            self.stride,
            self.padding,
            input_grad=input_grad,
        )
        if self.trainable:
            self.grads["weight"] = dweight
            self.grads["bias"] = dbias
        return dx

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _, h, w = input_shape
        return (
            self.out_channels,
            output_size(h, self.kernel_size, padding=self.padding, stride=self.stride),
            output_size(w, self.kernel_size, padding=self.padding, stride=self.stride),
        )


class ReLU(Layer):
    """max(x, 0): the non-linearity that lets stacked layers compute more than one linear map."""

    def __init__(self) -> None:
        super().__init__()
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._out = functional.relu_forward(x)
        return self._out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        if self._out is None:
            raise ConvlabError("ReLU.backward called before forward")
        return functional.relu_backward(dout, self._out)


class _Pool2D(Layer):
    """Shared shape logic of the pooling layers (no padding; stride defaults to the size)."""

    config_keys = ("kernel_size", "stride")

    def __init__(self, kernel_size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        if not 1 <= kernel_size <= 15 or (stride is not None and stride < 1):
            raise ConvlabError(
                f"{type(self).__name__}: kernel size must be 1..15 and stride positive, "
                f"got {kernel_size} and {stride}"
            )
        self.kernel_size = kernel_size
        self.stride = stride or kernel_size
        self._input: np.ndarray | None = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        c, h, w = input_shape
        return (
            c,
            output_size(h, self.kernel_size, stride=self.stride),
            output_size(w, self.kernel_size, stride=self.stride),
        )


class MaxPool2D(_Pool2D):
    """Keeps the largest value of each window (torch.nn.MaxPool2d(kernel_size, stride))."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out, self._winner = functional.max_pool2d_forward(x, self.kernel_size, self.stride)
        self._input = x
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        if self._input is None:
            raise ConvlabError("MaxPool2D.backward called before forward")
        return functional.max_pool2d_backward(
            dout, self._winner, self._input.shape, self.kernel_size, self.stride, like=self._input
        )


class AvgPool2D(_Pool2D):
    """Averages each window (torch.nn.AvgPool2d(kernel_size, stride))."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._input = x
        return functional.avg_pool2d_forward(x, self.kernel_size, self.stride)

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        if self._input is None:
            raise ConvlabError("AvgPool2D.backward called before forward")
        return functional.avg_pool2d_backward(
            dout, self._input.shape, self.kernel_size, self.stride, like=self._input
        )


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W) in C order, like torch.nn.Flatten."""

    def __init__(self) -> None:
        super().__init__()
        self._input: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._input = x
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        if self._input is None:
            raise ConvlabError("Flatten.backward called before forward")
        # Same memory order as the input, so the layers below keep their fast layout.
        dx = np.empty_like(self._input, dtype=dout.dtype)
        dx[...] = dout.reshape(self._input.shape)
        return dx

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (int(np.prod(input_shape)),)


class Dense(Layer):
    """Fully connected layer: every output sees every input (torch.nn.Linear)."""

    config_keys = ("in_features", "out_features")

    def __init__(self, in_features: int, out_features: int, *, rng: RandomSource = None) -> None:
        super().__init__()
        if min(in_features, out_features) < 1:
            raise ConvlabError(f"Dense({in_features}, {out_features}): sizes must be positive")
        self.in_features = in_features
        self.out_features = out_features
        self.params = {
            "weight": he_normal((out_features, in_features), in_features, rng),
            "bias": np.zeros(out_features, dtype=np.float32),
        }
        self._zero_grads()
        self._input: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ConvlabError(
                f"Dense expects a batch shaped (N, {self.in_features}), got {x.shape}"
            )
        self._input = x
        return functional.dense_forward(x, self.params["weight"], self.params["bias"])

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        if self._input is None:
            raise ConvlabError("Dense.backward called before forward")
        dx, dweight, dbias = functional.dense_backward(
            dout, self._input, self.params["weight"], input_grad=input_grad
        )
        if self.trainable:
            self.grads["weight"] = dweight
            self.grads["bias"] = dbias
        return dx

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.out_features,)


class Dropout(Layer):
    """Zeroes a random fraction ``p`` of units while training and scales the rest by 1/(1-p)
    ("inverted" dropout), so nothing changes at inference time."""

    config_keys = ("p",)

    def __init__(self, p: float = 0.5, *, rng: RandomSource = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ConvlabError(f"Dropout probability must be in [0, 1), got {p}")
        self.p = p
        self._rng = np.random.default_rng(rng)
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.p == 0.0:
            self._mask = None
            return x
        keep = self._rng.random(x.shape) >= self.p
        self._mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.p))
        return x * self._mask

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        return dout if self._mask is None else dout * self._mask


#: every layer type a saved model may contain, by class name
LAYER_TYPES: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (Conv2D, ReLU, MaxPool2D, AvgPool2D, Flatten, Dense, Dropout)
}

"""A kernel that learns itself: gradient descent on the weights of one filter, nothing else.

Training a CNN's first layer is *finding kernel weights*. Here that is all there is: an image,
the output some hidden kernel made from it (Sobel, a Gaussian, anything), and a kernel that
starts at zeros and follows the gradient of the mean squared error until its output matches.

The loss, with ``convolve``'s default settings (reflect101 border, "same" size)::

    L(w) = mean over pixels and channels of (convolve(image, w) - target)^2

Every output value is one window of the image dotted with w. Write the windows as the rows of a
matrix A (N rows, one per output value; k*k columns) and the target as a vector t::

    L(w) = |A w - t|^2 / N = w.G.w - 2 b.w + c     with G = A'A / N, b = A't / N, c = t.t / N
    dL/dw = 2 (G w - b)

G and b take one pass over the image; after that each step costs (k*k)^2 multiply-adds however
large the image is, and is exactly the step a pass over every pixel would take.

The loss is a bowl whose curvature runs from 2*lowest to 2*highest eigenvalue of G. A step of
1 / (2*highest) never overshoots; on photographs the bowl is long and narrow (neighbouring
pixels are alike, so some weight combinations barely change the output), which plain steps
cross slowly. Momentum (Nesterov's, the kind SGD optimisers offer) fixes that: with
beta = (sqrt(r) - 1) / (sqrt(r) + 1), r the ratio of the curvatures, the error shrinks by about
1 - 1/sqrt(r) per step instead of 1 - 1/r.

When the target is exactly some kernel's output, that kernel is the bottom of the bowl and the
weights reach it. Noise on the target moves the bottom a little (to the least-squares kernel)
and raises it (the loss ends at the noise's variance, not 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np

from convlab.engine.conv_methods import BORDER_CODES
from convlab.engine.convolve import BORDERS, padding_amounts
from convlab.errors import ConvlabError

STARTS = ("zeros", "random")
#: stop when every weight is provably this close to the bottom of the bowl
TOLERANCE = 1e-5
#: a run ends after this many steps even if the bowl is flat in some direction
MAX_STEPS = 100_000
#: image rows turned into windows at a time (bounds the memory of one pass)
_BAND_VALUES = 1 << 21


def _as_planes(array: Any, what: str) -> np.ndarray:
    """HxW or HxWxC real numbers as float64 H x W x C."""
    values = np.asarray(array)
    if values.ndim not in (2, 3) or values.size == 0:
        raise ConvlabError(f"the {what} must be a non-empty HxW or HxWxC array, got {values.shape}")
    if values.dtype.kind not in "biuf":
        raise ConvlabError(f"the {what} must hold real numbers, got {values.dtype}")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise ConvlabError(f"the {what} holds NaN or infinite values")
    return values if values.ndim == 3 else values[:, :, None]


def _kernel_shape(shape: Any) -> tuple[int, int]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape, shape)
    try:
        rows, cols = (int(side) for side in shape)
    except (TypeError, ValueError):
        raise ConvlabError(f"kernel shape must be (rows, columns), got {shape!r}") from None
    if not (1 <= rows <= 15 and 1 <= cols <= 15):
        raise ConvlabError(f"a learned kernel may be 1x1 to 15x15, got {rows}x{cols}")
    return rows, cols


def patch_statistics(
    image: Any, target: Any, shape: tuple[int, int], border: str = "reflect101"
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(G, b, c, scale): the loss as a bowl, L(w) = w.G.w - 2 b.w + c (see the module notes).

    Image and target are divided by the image's largest magnitude (``scale``) first, so the
    loss reads the same for uint8 and float images; weights are unchanged by that.
    """
    planes = _as_planes(image, "image")
    wanted = _as_planes(target, "target")
    if wanted.shape != planes.shape:
        raise ConvlabError(
            f"the target must have the image's shape: image {np.shape(image)}, target "
            f"{np.shape(target)} (convolve keeps the size and the channels)"
        )
    if border not in BORDERS:
        raise ConvlabError(f"border must be one of {', '.join(BORDERS)}; got {border!r}")
    rows, cols = shape
    scale = float(np.abs(planes).max()) or 1.0
    planes, wanted = planes / scale, wanted / scale
    (top, bottom), (left, right) = padding_amounts((rows, cols), "same")
    height, width, channels = planes.shape
    padded = np.stack(
        [
            cv2.copyMakeBorder(planes[:, :, c], top, bottom, left, right, BORDER_CODES[border])
            for c in range(channels)
        ],
        axis=2,
    )
    taps = rows * cols
    gram = np.zeros((taps, taps))
    cross = np.zeros(taps)
    band = max(1, _BAND_VALUES // (width * channels * taps))
    for start in range(0, height, band):
        stop = min(start + band, height)
        windows = np.lib.stride_tricks.sliding_window_view(
            padded[start : stop + rows - 1], (rows, cols), axis=(0, 1)
        )  # (band, W, C, rows, cols)
        matrix = windows.reshape(-1, taps)
        gram += matrix.T @ matrix
        cross += matrix.T @ wanted[start:stop].reshape(-1)
    count = wanted.size
    return gram / count, cross / count, float((wanted * wanted).sum() / count), scale


class KernelFit:
    """Gradient descent with Nesterov momentum on one kernel's weights (see the module notes).

    ``set_data`` gives it an image and its target; ``add_data`` adds another pair (the next
    frame of a live source, or the same picture with fresh noise on the target) to everything
    seen so far, so the bowl is the loss over all of them: the weights and their momentum carry
    on. Noise on the target moves the bowl's bottom away from the hidden kernel by an amount
    that shrinks like 1/sqrt(pairs seen): with noise, learning needs more examples, not just
    more steps.
    """

    def __init__(self, shape: Any, *, start: str | Any = "zeros", seed: int = 0) -> None:
        self.shape = _kernel_shape(shape)
        self.weights = _start_weights(self.shape, start, seed).reshape(-1)
        self._previous = self.weights.copy()
        self.steps = 0
        self.pairs = 0
        self.gram = np.zeros((self.weights.size,) * 2)
        self.cross = np.zeros(self.weights.size)
        self.constant = 0.0
        self.lowest = self.highest = 0.0

    def set_data(self, image: Any, target: Any, border: str = "reflect101") -> None:
        """Learn from this image and target only, from now on."""
        self.pairs = 0
        self.add_data(image, target, border)

    def add_data(self, image: Any, target: Any, border: str = "reflect101") -> None:
        """Learn from this pair too: the loss becomes the mean over every pair given so far."""
        gram, cross, constant, _ = patch_statistics(image, target, self.shape, border)
        eigenvalues = np.linalg.eigvalsh(gram)
        if eigenvalues[-1] <= 0:
            raise ConvlabError("the image is all zeros: every kernel gives the same output")
        keep = self.pairs / (self.pairs + 1)
        self.gram = keep * self.gram + (1 - keep) * gram
        self.cross = keep * self.cross + (1 - keep) * cross
        self.constant = keep * self.constant + (1 - keep) * constant
        self.pairs += 1
        eigenvalues = eigenvalues if self.pairs == 1 else np.linalg.eigvalsh(self.gram)
        self.highest = float(eigenvalues[-1])
        self.lowest = float(max(eigenvalues[0], 0.0))

    @property
    def identifiable(self) -> bool:
        """False when some weight combination changes nothing (a flat image, a 1-pixel line):
        then many kernels give the same output and the one found depends on the start."""
        return self.lowest > 1e-9 * self.highest

    @property
    def learning_rate(self) -> float:
        return 1.0 / (2.0 * self.highest)

    @property
    def momentum(self) -> float:
        ratio = math.sqrt(self.highest / max(self.lowest, 1e-9 * self.highest))
        return (ratio - 1.0) / (ratio + 1.0)

    def loss(self, weights: np.ndarray | None = None) -> float:
        """Mean squared error of convolve(image, weights) against the target (image scaled to
        a largest magnitude of 1)."""
        w = self.weights if weights is None else np.asarray(weights, dtype=np.float64).ravel()
        return max(float(w @ self.gram @ w - 2.0 * self.cross @ w + self.constant), 0.0)

    def gradient(self, weights: np.ndarray | None = None) -> np.ndarray:
        w = self.weights if weights is None else np.asarray(weights, dtype=np.float64).ravel()
        return 2.0 * (self.gram @ w - self.cross)

    def distance_bound(self) -> float:
        """An upper bound on how far the weights are from the bottom (inf if it is flat)."""
        if not self.identifiable:
            return math.inf
        return float(np.linalg.norm(self.gradient())) / (2.0 * self.lowest)

    def step(self) -> float:
        """One Nesterov step: look ahead along the momentum, step down the slope there."""
        ahead = self.weights + self.momentum * (self.weights - self._previous)
        self._previous = self.weights
        self.weights = ahead - self.learning_rate * self.gradient(ahead)
        self.steps += 1
        return self.loss()

    def kernel(self) -> np.ndarray:
        """The current weights, shaped like the kernel (a copy)."""
        return self.weights.reshape(self.shape).copy()


def _start_weights(shape: tuple[int, int], start: str | Any, seed: int) -> np.ndarray:
    if isinstance(start, str):
        if start == "zeros":
            return np.zeros(shape)
        if start == "random":
            rng = np.random.default_rng(seed)
            return rng.normal(0.0, 1.0 / math.sqrt(shape[0] * shape[1]), shape)
        raise ConvlabError(f"start must be one of {', '.join(STARTS)} or an array, got {start!r}")
    weights = np.asarray(start, dtype=np.float64)
    if weights.shape != shape or not np.isfinite(weights).all():
        raise ConvlabError(f"a start kernel must be finite and {shape[0]}x{shape[1]}")
    return weights.copy()


def fit_kernel(
    image: Any,
    target: Any,
    shape: Any,
    *,
    start: str | Any = "zeros",
    seed: int = 0,
    tolerance: float = TOLERANCE,
    max_steps: int = MAX_STEPS,
    border: str = "reflect101",
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Learn a ``shape`` kernel so that ``convolve(image, weights)`` approaches ``target``.

    A generator of (step, loss, weights), starting with step 0 (the start: zeros, "random"
    small numbers from ``seed``, or a given array). The loss is the mean squared error with the
    image scaled to a largest magnitude of 1. It ends when every weight is provably within
    ``tolerance`` of the best kernel, or after ``max_steps``. ``target`` is HxW or HxWxC like
    ``image`` (``convolve`` runs the kernel on every channel).
    """
    fit = KernelFit(shape, start=start, seed=seed)
    fit.set_data(image, target, border)
    yield 0, fit.loss(), fit.kernel()
    while fit.steps < max_steps:
        loss = fit.step()
        yield fit.steps, loss, fit.kernel()
        if fit.distance_bound() < tolerance:
            return

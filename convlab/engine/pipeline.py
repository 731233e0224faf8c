"""One immutable snapshot of everything the filter worker needs to turn a frame into pictures.

The GUI builds a new ``Pipeline`` on every edit and hands it to the worker, which swaps it in
atomically (a single reference assignment) before its next frame. Nothing here is mutable, so
the worker never sees a half-edited kernel and needs no lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from convlab.engine.convolve import convolve
from convlab.engine.display import to_rgb
from convlab.engine.kernels import Kernel, presets

MAX_BANK_SIZE = 16
# Feature maps are shown as thumbnails: computing them on a reduced copy of the frame keeps a
# 16-map bank cheap on a 720p webcam. The selected map is always computed at full resolution.
DEFAULT_MAP_MAX_SIDE = 480


@dataclass(frozen=True)
class ConvSettings:
    """How the kernel slides over the image (the arguments of ``convolve``)."""

    border: str = "reflect101"
    padding: str | int = "same"
    stride: int = 1
    dilation: int = 1
    mode: str = "correlate"
    channels: str = "per_channel"

    def as_kwargs(self) -> dict:
        return {
            "border": self.border,
            "padding": self.padding,
            "stride": self.stride,
            "dilation": self.dilation,
            "mode": self.mode,
            "channels": self.channels,
        }


@dataclass(frozen=True)
class DisplaySettings:
    """How a float response becomes pixels (``convlab.engine.display``)."""

    mode: str = "clip"
    colormap: str = "gray"
    fixed_range: tuple[float, float] | None = None  # None: each frame uses its own range

    def render(self, values: np.ndarray) -> np.ndarray:
        return to_rgb(values, self.mode, colormap=self.colormap, value_range=self.fixed_range)


@dataclass(frozen=True)
class FeatureMap:
    """One bank kernel's response: the raw float values and the picture shown for them."""

    kernel: Kernel
    values: np.ndarray  # float32, H' x W' (after the optional ReLU and pooling)
    image: np.ndarray  # uint8 H' x W' x 3, C-contiguous


@dataclass(frozen=True)
class PipelineResult:
    """Everything one frame produced. The GUI only displays it."""

    frame: np.ndarray  # the source frame, uint8 H x W x 3 RGB
    output: np.ndarray  # float32 response of the main kernel (H' x W' or H' x W' x 3)
    output_image: np.ndarray  # uint8 H' x W' x 3 RGB, what the output view shows
    maps: tuple[FeatureMap, ...]
    combined: FeatureMap | None  # gradient magnitude sqrt(m0^2 + m1^2) when asked for
    generation: int  # the Pipeline.generation that produced it: stale results are dropped
    filter_ms: float  # wall time of run(), milliseconds


@dataclass(frozen=True)
class Pipeline:
    """The main kernel, its settings, and the feature-map bank with its CNN-like stages."""

    kernel: Kernel = field(default_factory=lambda: presets.get("identity"))
    conv: ConvSettings = field(default_factory=ConvSettings)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    bank: tuple[Kernel, ...] = ()
    bank_display: DisplaySettings = field(
        default_factory=lambda: DisplaySettings(mode="signed", colormap="diverging")
    )
    relu: bool = False  # the CNN stages after the convolution, applied to every bank map
    pool: bool = False  # 2x2 max-pool, stride 2
    combine: bool = False  # also show sqrt(map0^2 + map1^2), e.g. Sobel x and y -> edge strength
    selected_map: int | None = None  # this map is computed at full resolution for the big view
    map_max_side: int = DEFAULT_MAP_MAX_SIDE
    generation: int = 0

    def evolve(self, **changes) -> Pipeline:
        """A copy with some fields changed and the generation bumped."""
        return replace(self, generation=self.generation + 1, **changes)

    def run(self, frame: np.ndarray) -> PipelineResult:
        """Filter one frame: the main kernel on the full frame, the bank on a gray copy."""
        started = time.perf_counter()
        output = convolve(frame, self.kernel, **self.conv.as_kwargs())
        output_image = self.display.render(output)
        maps: tuple[FeatureMap, ...] = ()
        combined = None
        if self.bank:
            maps = self._bank_maps(frame)
            if self.combine and len(maps) >= 2:
                magnitude = cv2.magnitude(maps[0].values, maps[1].values)
                combined = FeatureMap(
                    kernel=maps[0].kernel,
                    values=magnitude,
                    image=to_rgb(magnitude, "minmax", colormap="magma"),
                )
        return PipelineResult(
            frame=frame,
            output=output,
            output_image=output_image,
            maps=maps,
            combined=combined,
            generation=self.generation,
            filter_ms=(time.perf_counter() - started) * 1000.0,
        )

    def _bank_maps(self, frame: np.ndarray) -> tuple[FeatureMap, ...]:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
        small = _shrink(gray, self.map_max_side)
        maps = []
        for index, kernel in enumerate(self.bank):
            source = gray if index == self.selected_map else small
            values = convolve(source, kernel, border=self.conv.border)
            values = apply_stages(values, relu=self.relu, pool=self.pool)
            maps.append(FeatureMap(kernel, values, self.bank_display.render(values)))
        return tuple(maps)


def apply_stages(values: np.ndarray, *, relu: bool, pool: bool) -> np.ndarray:
    """The layer structure from the slides: convolution -> ReLU -> 2x2 max-pool."""
    if relu:
        values = np.maximum(values, 0.0)
    if pool:
        height, width = values.shape[0] // 2 * 2, values.shape[1] // 2 * 2
        if height and width:
            trimmed = values[:height, :width]
            values = trimmed.reshape(height // 2, 2, width // 2, 2).max(axis=(1, 3))
    return np.ascontiguousarray(values, dtype=np.float32)


def _shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)

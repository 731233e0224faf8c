"""One immutable snapshot of everything the filter worker needs to turn a frame into pictures.

The GUI builds a new ``Pipeline`` on every edit and hands it to the worker, which swaps it in
atomically (a single reference assignment) before its next frame. Nothing here is mutable, so
the worker never sees a half-edited kernel and needs no lock.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from convlab.engine import calibration, presets
from convlab.engine.bank import bank_map
from convlab.engine.conv_methods import run_side_by_side
from convlab.engine.convolve import convolve
from convlab.engine.display import (
    AUTO,
    DEFAULT_DIVERGING,
    DIVERGING_COLORMAPS,
    DisplayChoice,
    auto_mode,
    colormap_for,
    histogram,
    mode_note,
    response_stats,
    to_rgb,
)
from convlab.engine.frame_cost import full_scale_cost
from convlab.engine.kernels import Kernel, sums_to_zero

MAX_BANK_SIZE = 16
# Where the bank's maps are computed. "full": on the frame itself, so a 3x3 edge kernel acts at
# the output's scale and a map loaded into the grid looks the same in the output view (the
# tiles show it reduced). "preview": on a copy shrunk to the tile size, cheaper. "auto": full
# wherever the whole frame (main kernel and bank) is predicted to keep FULL_SCALE_MIN_FPS.
MAP_SCALES = ("auto", "full", "preview")
FULL_SCALE_MIN_FPS = 20.0
# Tiles are thumbnails: at most this long a side (previews are computed at this size; full-scale
# maps are reduced to it for display). The selected map is always shown at full resolution.
DEFAULT_MAP_MAX_SIDE = 480
# The more maps share the panel, the smaller each tile: a 16-map bank is previewed at a longer
# side of 320 (half the pixels of 480), which keeps it near 10 ms per 720p frame on 2 cores.
_PREVIEW_SIDE_BY_COUNT = ((4, 480), (9, 400), (MAX_BANK_SIZE, 320))
# ``Pipeline.selected_map`` value that selects the combined map (sqrt(map0^2 + map1^2)): one
# past the last bank slot, so code that indexes ``maps`` with it finds no map, not a wrong one.
COMBINED_MAP = MAX_BANK_SIZE
# The output's histogram is counted on the worker, so the GUI thread only draws 64 bars.
HISTOGRAM_BINS = 64
HISTOGRAM_SAMPLES = 1 << 15
# A robust per-frame range ignores this fraction of the strongest responses at each end: a few
# very bright edges would otherwise squeeze every other response into the neutral colour.
ROBUST_TAIL = 0.005
_ROBUST_SAMPLES = 20_000


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
    """How a float response becomes pixels (``convlab.engine.display``).

    ``mode`` is one of ``display.SETTING_MODES``: a mapping, or "auto", which picks one for
    each frame from the kernel and its response and says why (``choose``).
    """

    mode: str = AUTO
    colormap: str = "gray"
    fixed_range: tuple[float, float] | None = None  # None: each frame uses its own range
    # With no fixed range, take each frame's range without its strongest 0.5 % (see
    # robust_range); only "minmax" and "signed" use a range at all.
    robust: bool = False

    def choose(self, values: np.ndarray, kernel: Kernel | None = None) -> DisplayChoice:
        """The mapping for ``values``, the response of ``kernel``, and the line explaining it."""
        stats = response_stats(values)
        if self.mode == AUTO:
            weights = kernel.effective if kernel is not None else np.ones((1, 1))
            mode, reason = auto_mode(weights, kernel.offset if kernel is not None else 0.0, stats)
        else:
            mode, reason = self.mode, mode_note(self.mode, stats)
        choice = DisplayChoice(
            mode, colormap_for(mode, self.colormap), reason, self.mode == AUTO, below=stats.below
        )
        return self.ranged(choice, values)

    def choose_for_bank(self, kernels: tuple[Kernel, ...], maps: list[np.ndarray]) -> DisplayChoice:
        """One mapping for every map of a bank, so the tiles compare like with like.

        Auto: Signed when any kernel sums to 0 or any map is mostly negative (the bank's
        maps are then signed activations, as CNN Explainer draws them), else Clip.
        """
        if self.mode != AUTO:
            stats = response_stats(maps[0]) if maps else response_stats(np.zeros((1, 1)))
            return DisplayChoice(
                self.mode, colormap_for(self.mode, self.colormap), mode_note(self.mode, stats)
            )
        zero_sum = sum(sums_to_zero(kernel.effective) for kernel in kernels)
        if zero_sum:  # the kernels decide: no map needs sampling
            mode, reason = "signed", f"{zero_sum} of {len(kernels)} kernels sum to 0"
        elif negative := sum(response_stats(m, strong=False).below >= 0.25 for m in maps):
            mode, reason = "signed", f"{negative} of {len(maps)} maps are mostly below 0"
        else:
            mode, reason = "clip", "no map has negatives to show"
        return DisplayChoice(mode, colormap_for(mode, self.colormap), reason, auto=True)

    def ranged(self, choice: DisplayChoice, values: np.ndarray) -> DisplayChoice:
        """``choice`` with the value range it spreads over 0..255 for ``values`` (if any)."""
        value_range = self.fixed_range
        if value_range is None and self.robust:
            value_range = robust_range(values, choice.mode)
        return replace(choice, value_range=value_range)

    def render(self, values: np.ndarray, choice: DisplayChoice | None = None) -> np.ndarray:
        """``values`` as RGB pixels, with ``choice`` (default: ``choose`` without a kernel)."""
        choice = choice if choice is not None else self.choose(values)
        return to_rgb(values, choice.mode, colormap=choice.colormap, value_range=choice.value_range)


@dataclass(frozen=True)
class FeatureMap:
    """One bank kernel's response: the raw float values and the picture shown for them."""

    kernel: Kernel
    values: np.ndarray  # float32, H' x W' (after the optional ReLU and pooling)
    image: np.ndarray  # uint8 H' x W' x 3, C-contiguous
    # (min, max) of ``values``, measured on the worker so the panel can label each map
    # without scanning 16 arrays on the GUI thread.
    value_range: tuple[float, float] = (0.0, 0.0)


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
    # What the output view shows large instead of ``output_image``: the selected bank map
    # (maps[selected_map]) or, for selected_map == COMBINED_MAP, the combined map; both at
    # full resolution. None: show the main kernel's output.
    selected: FeatureMap | None = None
    # (counts, edges) of ``output`` in HISTOGRAM_BINS bins, for the response histogram.
    histogram: tuple[np.ndarray, np.ndarray] | None = None
    # (height, width) of the gray frame the bank's maps were computed on: the frame's own
    # size at full scale, smaller for a preview. None without a bank.
    maps_size: tuple[int, int] | None = None
    # The mappings really used for the output and the bank, with the line that explains them.
    display: DisplayChoice | None = None
    bank_display: DisplayChoice | None = None

    @property
    def maps_full_scale(self) -> bool:
        return self.maps_size is not None and self.maps_size == tuple(self.frame.shape[:2])


# the output's mapping, picture and histogram (counts, edges)
_Shown = tuple[DisplayChoice, np.ndarray, tuple[np.ndarray, np.ndarray]]
# maps, combined map, selected map, the size they were computed at, the mapping they share
_BankOutput = tuple[
    tuple[FeatureMap, ...],
    FeatureMap | None,
    FeatureMap | None,
    tuple[int, int] | None,
    DisplayChoice | None,
]


@dataclass(frozen=True)
class Pipeline:
    """The main kernel, its settings, and the feature-map bank with its CNN-like stages."""

    kernel: Kernel = field(default_factory=lambda: presets.get("identity"))
    conv: ConvSettings = field(default_factory=ConvSettings)
    display: DisplaySettings = field(default_factory=lambda: DisplaySettings(robust=True))
    bank: tuple[Kernel, ...] = ()
    bank_display: DisplaySettings = field(
        default_factory=lambda: DisplaySettings(colormap=DEFAULT_DIVERGING, robust=True)
    )
    relu: bool = False  # the CNN stages after the convolution, applied to every bank map
    pool: bool = False  # 2x2 max-pool, stride 2
    combine: bool = False  # also show sqrt(map0^2 + map1^2), e.g. Sobel x and y -> edge strength
    # The map computed at full resolution for the big view: a bank index or COMBINED_MAP.
    selected_map: int | None = None
    map_max_side: int = DEFAULT_MAP_MAX_SIDE
    map_scale: str = "auto"  # one of MAP_SCALES
    generation: int = 0
    # map_scale_for's answer per frame shape, with the cost table it came from: the worker
    # asks on every frame
    _scales: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def evolve(self, **changes) -> Pipeline:
        """A copy with some fields changed and the generation bumped."""
        return replace(self, generation=self.generation + 1, **changes)

    def run(self, frame: np.ndarray) -> PipelineResult:
        """Filter one frame: the main kernel on the full frame, the bank on a gray copy.

        The output's picture and histogram are drawn while the bank's jobs run (one more job
        beside them), not before them.
        """
        started = time.perf_counter()
        output = convolve(frame, self.kernel, **self.conv.as_kwargs())
        shown: list[_Shown] = []
        show = functools.partial(self._show_output, output, shown)
        full = self.map_scale_for(frame.shape) == "full"
        maps, combined, selected, size, bank_display = self._bank(
            frame, None if full else self.preview_side(), display_side=self.preview_side(),
            alongside=show,
        )  # fmt: skip
        if not shown:  # no bank: nothing to run beside
            show()
        display, output_image, counts = shown[0]
        return PipelineResult(
            frame=frame,
            output=output,
            output_image=output_image,
            maps=maps,
            combined=combined,
            generation=self.generation,
            filter_ms=(time.perf_counter() - started) * 1000.0,
            selected=selected,
            histogram=counts,
            maps_size=size,
            display=display,
            bank_display=bank_display,
        )

    def _show_output(self, output: np.ndarray, shown: list[_Shown]) -> None:
        """The output's mapping, picture and histogram (of about HISTOGRAM_SAMPLES values: a
        64-bar plot shows no difference, and all 2.7 M values of 720p RGB cost 3 ms)."""
        display = self.display.choose(output, self.kernel)
        image = self.display.render(output, display)
        step = max(1, int(np.ceil(np.sqrt(output.size / HISTOGRAM_SAMPLES))))
        shown.append((display, image, histogram(output[::step, ::step], HISTOGRAM_BINS)))

    def preview_side(self) -> int:
        """Longer side, in pixels, of the tiles' pictures (and of a preview's frame)."""
        count = len(self.bank)
        side = next((s for limit, s in _PREVIEW_SIDE_BY_COUNT if count <= limit), 320)
        return min(self.map_max_side, side)

    def map_scale_for(self, frame_shape: tuple[int, ...]) -> str:
        """ "full" or "preview" for a frame of this shape: ``map_scale``, with "auto" resolved
        by what the whole frame is predicted to cost at full scale on this machine, every
        stage counted, on one thread as on a busy machine, with a margin (``frame_cost``)."""
        if self.map_scale != "auto":
            return self.map_scale
        if not self.bank:
            return "full"
        table = calibration.cost_table(wait=False)  # measured once calibration has finished
        shape = tuple(int(n) for n in frame_shape)
        known = self._scales.get(shape)
        if known is not None and known[0] is table:
            return known[1]
        fps = full_scale_cost(self, frame_shape, table).fps()
        scale = "full" if fps >= FULL_SCALE_MIN_FPS else "preview"
        self._scales[shape] = (table, scale)
        return scale

    def feature_maps(
        self, frame: np.ndarray, *, max_side: int | None = None
    ) -> tuple[tuple[FeatureMap, ...], FeatureMap | None]:
        """The bank's maps and the combined magnitude (None when off) for ``frame``.

        The bank works on the gray frame, shrunk so its longer side is at most ``max_side``
        (None: full resolution, every map at full size: what export uses).
        """
        maps, combined, _, _, _ = self._bank(frame, max_side, display_side=None)
        return maps, combined

    def _bank(
        self,
        frame: np.ndarray,
        max_side: int | None,
        *,
        display_side: int | None,
        alongside: Callable[[], object] | None = None,
    ) -> _BankOutput:
        """Maps, combined map, the selected one at full resolution, the size computed at, and
        the display mapping the maps share.

        ``max_side`` None computes at the frame's own scale; the maps are then reduced to
        ``display_side`` for the tiles (None keeps them full size). The selected map is always
        full size: a preview's is recomputed from the full frame. Each map's stages, range and
        thumbnail are made in the job that convolved it, and the pictures side by side too,
        with ``alongside`` (the output's own picture) as one more job.
        """
        if not self.bank:
            return (), None, None, None, None
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
        small = gray
        if max_side is not None and max(gray.shape) > max_side:
            # a preview: averaged, so in float32 like the full frame's maps
            small = shrink(gray.astype(np.float32), max_side)
        full = small is gray
        index = self.selected_map
        selected = index if index is not None and 0 <= index < len(self.bank) else None
        combine = self.combine and len(self.bank) >= 2
        reduce_to = display_side if full else None

        def finish(position: int, response: np.ndarray) -> _Prepared:
            values = apply_stages(response, relu=self.relu, pool=self.pool)
            shown = values
            if reduce_to is not None and not (full and position == selected):
                shown = reduce_for_tile(values, reduce_to)
            kept = response if combine and position < 2 else None
            return _Prepared(kept, values, shown, _value_range(values))

        prepared = bank_map(small, self.bank, finish, border=self.conv.border)
        choice = self.bank_display.choose_for_bank(self.bank, [p.values for p in prepared])
        if selected is not None and not full:  # the big view: the full frame's own map
            response = convolve(gray, self.bank[selected], border=self.conv.border)
            values = apply_stages(response, relu=self.relu, pool=self.pool)
            prepared[selected] = _Prepared(None, values, values, _value_range(values))
        jobs = [functools.partial(self._draw, kernel, p, choice)
                for kernel, p in zip(self.bank, prepared)]  # fmt: skip
        if combine:
            first, second = prepared[0].response, prepared[1].response
            if index == COMBINED_MAP and not full:
                first, second = (convolve(gray, k, border=self.conv.border) for k in self.bank[:2])
            side = None if index == COMBINED_MAP else reduce_to
            jobs.append(functools.partial(self._combined_map, first, second, side))
        if alongside is not None:
            jobs.insert(0, alongside)  # the largest: taken first
        drawn = run_side_by_side(jobs)[1 if alongside is not None else 0 :]
        maps: tuple[FeatureMap, ...] = tuple(drawn[: len(self.bank)])
        combined = drawn[-1] if combine else None
        shown = maps[selected] if selected is not None else None
        if index == COMBINED_MAP:
            shown = combined
        size = (int(small.shape[0]), int(small.shape[1]))
        return maps, combined, shown, size, choice

    def _draw(self, kernel: Kernel, prepared: _Prepared, choice: DisplayChoice) -> FeatureMap:
        """A map's picture with the bank's mapping; a tile's thumbnail is coloured by its own
        range, so thin full-scale detail stays visible; the range label is the full map's."""
        shown = prepared.shown
        image = self.bank_display.render(shown, self.bank_display.ranged(choice, shown))
        return FeatureMap(kernel, shown, image, prepared.value_range)

    def _combined_map(
        self, first: np.ndarray, second: np.ndarray, reduce_to: int | None
    ) -> FeatureMap:
        """sqrt(first^2 + second^2) of the responses BEFORE ReLU, then pooled like the maps.

        ReLU would throw away the negative half of each gradient and with it half the edges;
        the magnitude is never negative, so ReLU after it changes nothing anyway.
        """
        magnitude = apply_stages(cv2.magnitude(first, second), relu=False, pool=self.pool)
        value_range = _value_range(magnitude)
        shown = magnitude if reduce_to is None else reduce_for_tile(magnitude, reduce_to)
        colormap = self.bank_display.colormap
        if colormap in DIVERGING_COLORMAPS or colormap == "diverging":
            colormap = "magma"  # a magnitude has no sign: a sequential map reads better
        image = to_rgb(shown, "minmax", colormap=colormap)
        name = f"|∇| of {self.bank[0].name or 'map 0'} and {self.bank[1].name or 'map 1'}"
        kernel = self.bank[0].replace(name=name)
        return FeatureMap(kernel, shown, image, value_range)


@dataclass(frozen=True)
class _Prepared:
    """One bank map as its own job leaves it."""

    response: np.ndarray | None  # the raw response, kept only for the combined map
    values: np.ndarray  # after the stages, full size
    shown: np.ndarray  # what its tile shows: ``values``, or reduced for a thumbnail
    value_range: tuple[float, float]  # of ``values``


def apply_stages(values: np.ndarray, *, relu: bool, pool: bool) -> np.ndarray:
    """The layer structure from the slides: convolution -> ReLU -> 2x2 max-pool."""
    if relu:
        values = np.maximum(values, 0.0)
    if pool:
        height, width = values.shape[0] // 2 * 2, values.shape[1] // 2 * 2
        if height and width:
            # The maximum of the four strided 2x2 phases: ~40x faster than a reshape + max
            # over two axes (numpy reduces those with a slow generic loop). An odd last row
            # or column has no full block and is dropped, as in PyTorch's MaxPool2d.
            top = np.maximum(values[0:height:2, 0:width:2], values[0:height:2, 1:width:2])
            bottom = np.maximum(values[1:height:2, 0:width:2], values[1:height:2, 1:width:2])
            values = np.maximum(top, bottom, out=top)
    return np.ascontiguousarray(values, dtype=np.float32)


def robust_range(values: np.ndarray, mode: str) -> tuple[float, float] | None:
    """The range to display ``values`` over, ignoring the strongest ROBUST_TAIL at each end.

    "signed" gets a symmetric range [-m, m] with m the (1 - ROBUST_TAIL) quantile of |v|;
    "minmax" the ROBUST_TAIL and (1 - ROBUST_TAIL) quantiles. Other modes use no range (None).
    Quantiles come from a regular sample of about 20,000 values: cheap on every frame.
    """
    if mode not in ("signed", "minmax") or values.size == 0:
        return None
    step = max(1, values.size // _ROBUST_SAMPLES)
    sample = values.reshape(-1)[::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return None
    if mode == "signed":
        magnitude = float(np.quantile(np.abs(sample), 1.0 - ROBUST_TAIL))
        if magnitude <= 0.0:
            magnitude = float(np.abs(sample).max())
        return None if magnitude <= 0.0 else (-magnitude, magnitude)
    low, high = (float(q) for q in np.quantile(sample, (ROBUST_TAIL, 1.0 - ROBUST_TAIL)))
    if high <= low:
        low, high = float(sample.min()), float(sample.max())
    return None if high <= low else (low, high)


def _value_range(values: np.ndarray) -> tuple[float, float]:
    if values.size == 0:
        return (0.0, 0.0)
    low, high, _, _ = cv2.minMaxLoc(values)
    return (float(low), float(high))


def shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    """A copy whose longer side is at most ``max_side`` (the image itself when it already
    fits). INTER_AREA averages the pixels each output pixel covers: no aliasing, so a
    preview of a fine texture does not show patterns the original does not have."""
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


TILE_FACTOR_MIN_SHARE = 0.75
"""A tile is reduced by a whole factor (an exact box average, several times cheaper than
OpenCV's general area resize) when that keeps at least this share of the asked-for side."""


def reduce_for_tile(values: np.ndarray, side: int) -> np.ndarray:
    """``values`` averaged down for a thumbnail whose longer side is at most ``side``.

    A 1280x720 map for a 480 tile: 3x3 blocks, 426x240 (the last 2 columns, which no whole
    block covers, are left out); where a whole factor would give less than 3/4 of ``side``,
    the general ``shrink`` to exactly ``side``.
    """
    height, width = values.shape[:2]
    factor = -(-max(height, width) // side)
    if factor <= 1:
        return values
    rows, cols = height // factor, width // factor
    if max(rows, cols) < TILE_FACTOR_MIN_SHARE * side or min(rows, cols) < 1:
        return shrink(values, side)
    blocks = values[: rows * factor, : cols * factor]
    return cv2.resize(blocks, (cols, rows), interpolation=cv2.INTER_AREA)

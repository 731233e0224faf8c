"""Float response maps -> uint8 pixels for display.

A convolution's output is an unclipped float map: a blur stays in [0, 255], but an edge kernel
gives negative and positive responses and a sharpen overshoots. How those numbers become pixels
changes what a person sees, so the mapping is a choice the UI offers:

- ``clip``   values outside [0, 255] saturate (what an image editor does);
- ``abs``    |v|, clipped: edges of either sign show as bright;
- ``offset`` v + 128, clipped: GIMP's trick for zero-sum kernels, zero response is mid-grey;
- ``minmax`` stretch [lo, hi] to [0, 255], lo/hi from a fixed range or from each frame;
- ``signed`` symmetric range [-m, m] with 0 at 128, drawn with a diverging colormap in colour.

Every mapping is one fused OpenCV pass (scale, shift, round to nearest, saturate) so that a
1280x720 RGB frame maps in about a millisecond on the worker thread. Values are rounded to the
nearest integer, ties to even. NaN is shown as a response of 0; +inf and -inf saturate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from convlab.engine.kernels import sums_to_zero
from convlab.errors import ConvlabError

DISPLAY_MODES: tuple[str, ...] = ("clip", "abs", "offset", "minmax", "signed")

# Moreland's "smooth cool-warm" diverging map (the one matplotlib calls coolwarm), sampled at
# 33 points from blue through neutral grey to red; the LUT interpolates between them.
_COOLWARM_POINTS = np.array(
    [
        (59, 76, 192), (68, 90, 204), (77, 104, 215), (87, 117, 225), (98, 130, 234),
        (108, 142, 241), (119, 154, 247), (130, 165, 251), (141, 176, 254), (152, 185, 255),
        (163, 194, 255), (174, 201, 253), (184, 208, 249), (194, 213, 244), (204, 217, 238),
        (213, 219, 230), (221, 221, 221), (229, 216, 209), (236, 211, 197), (241, 204, 185),
        (245, 196, 173), (247, 187, 160), (247, 177, 148), (247, 166, 135), (244, 154, 123),
        (241, 141, 111), (236, 127, 99), (229, 112, 88), (222, 96, 77), (213, 80, 66),
        (203, 62, 56), (192, 40, 47), (180, 4, 38),
    ],
    dtype=np.float64,
)  # fmt: skip

# The signed responses' map: blue through a near-black zero to red, its ends light and
# saturated. Edge and derivative maps are mostly near 0 with sparse strong edges; on a dark
# zero those edges glow at a glance, where a light grey zero turned the map into a pale fog.
# (value in -1..1, RGB) control points; lightness rises with |value| on both sides alike.
_BKR_POINTS = (
    (-1.0, (110, 215, 255)), (-0.6, (40, 120, 240)), (-0.25, (25, 50, 130)),
    (0.0, (14, 14, 18)),
    (0.25, (130, 35, 25)), (0.6, (235, 70, 35)), (1.0, (255, 215, 90)),
)  # fmt: skip
# Values are spread over the map by |v|^0.7 (sign kept): a response at a tenth of the range
# gets a fifth of the way to full colour, so the weaker edges of a photo still read.
_BKR_GAMMA = 0.7

# OpenCV's maps, looked up by our name; cv2 draws them in BGR, we store RGB.
_OPENCV_MAPS: dict[str, int] = {
    "viridis": cv2.COLORMAP_VIRIDIS,
    "magma": cv2.COLORMAP_MAGMA,
    "inferno": cv2.COLORMAP_INFERNO,
    "plasma": cv2.COLORMAP_PLASMA,
    "cividis": cv2.COLORMAP_CIVIDIS,
    "turbo": cv2.COLORMAP_TURBO,
    "jet": cv2.COLORMAP_JET,
    "hot": cv2.COLORMAP_HOT,
    "bone": cv2.COLORMAP_BONE,
    "twilight": cv2.COLORMAP_TWILIGHT,
}

# Names whose middle entry (index 128) is the neutral colour, so zero reads as "no response".
DIVERGING_COLORMAPS: tuple[str, ...] = ("bkr", "coolwarm", "bwr")
_ALIASES: dict[str, str] = {"diverging": "bkr", "grey": "gray"}
DEFAULT_DIVERGING = "bkr"
"""What signed responses are drawn with unless another diverging map is asked for."""
WEIGHT_PALETTE = "coolwarm"
"""Kernel weights' cells (numbers on top): a light neutral keeps dark digits readable."""

# Above this many samples the histogram looks at a strided subset: the UI's small histogram
# cannot show the difference, and the full 2.7 M values of a 720p RGB map would cost ~15 ms.
_HISTOGRAM_SAMPLES = 1 << 18


def _diverging_positions() -> np.ndarray:
    """Position in [0, 1] of each LUT index, with index 128 exactly at the neutral middle.

    ``signed`` maps -m..0..m to 1..128..255, so 128 must be the centre of the map and 1 and
    255 its two ends; index 0 (only reached by -inf or rounding) repeats the blue end.
    """
    index = np.arange(256, dtype=np.float64)
    return np.clip(0.5 + (index - 128.0) / 254.0, 0.0, 1.0)


def _interpolated_lut(points: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """256x3 uint8 LUT through evenly spaced RGB control points, sampled at ``positions``."""
    anchors = np.linspace(0.0, 1.0, len(points))
    channels = [np.interp(positions, anchors, points[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=1)).astype(np.uint8)


def _bkr_lut(positions: np.ndarray) -> np.ndarray:
    """The blue-black-red LUT at ``positions`` in [0, 1] (0.5 the neutral middle)."""
    signed = 2.0 * positions - 1.0
    warped = np.sign(signed) * np.abs(signed) ** _BKR_GAMMA
    anchors = np.array([value for value, _ in _BKR_POINTS])
    colours = np.array([rgb for _, rgb in _BKR_POINTS], dtype=np.float64)
    channels = [np.interp(warped, anchors, colours[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=1)).astype(np.uint8)


def _opencv_lut(code: int) -> np.ndarray:
    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    bgr = cv2.applyColorMap(ramp, code).reshape(256, 3)
    return np.ascontiguousarray(bgr[:, ::-1])


def _build_colormaps() -> dict[str, np.ndarray]:
    ramp = np.arange(256, dtype=np.uint8)
    maps: dict[str, np.ndarray] = {"gray": np.stack([ramp, ramp, ramp], axis=1)}
    for name, code in _OPENCV_MAPS.items():
        maps[name] = _opencv_lut(code)
    positions = _diverging_positions()
    maps["bkr"] = _bkr_lut(positions)
    maps["coolwarm"] = _interpolated_lut(_COOLWARM_POINTS, positions)
    blue_white_red = np.array([(0, 0, 255), (255, 255, 255), (255, 0, 0)], dtype=np.float64)
    maps["bwr"] = _interpolated_lut(blue_white_red, positions)
    for lut in maps.values():
        lut.flags.writeable = False
    return maps


COLORMAPS: dict[str, np.ndarray] = _build_colormaps()
"""Colormap name -> read-only 256x3 uint8 RGB lookup table."""


def colormap_names() -> list[str]:
    """Names the UI can offer, gray first, then sequential maps, then the diverging ones."""
    return list(COLORMAPS)


def colormap_lut(name: str) -> np.ndarray:
    """The 256x3 uint8 RGB table for ``name`` (aliases: "diverging" = bkr, "grey")."""
    key = _ALIASES.get(name, name)
    if key not in COLORMAPS:
        raise ConvlabError(
            f"Colormap {name!r}: unknown; choose one of {', '.join(colormap_names())}"
        )
    return COLORMAPS[key]


def weight_colours(weights: np.ndarray, limit: float | None = None) -> np.ndarray:
    """RGB uint8 per weight (shape + (3,)) on the one diverging palette every weight display
    shares: the kernel grid, kernel thumbnails, number grids and learned filters.

    Zero is the palette's neutral middle, the sign is the hue and ``limit`` (by default the
    largest magnitude, so each grid uses its full range) saturates, as ``signed`` maps do.
    """
    values = np.asarray(weights, dtype=np.float64)
    if limit is None:
        limit = float(np.abs(values).max()) if values.size else 0.0
    scaled = values / limit if limit > 0 else np.zeros_like(values)
    index = np.rint(128.0 + 127.0 * np.clip(np.nan_to_num(scaled), -1.0, 1.0)).astype(np.intp)
    return COLORMAPS[WEIGHT_PALETTE][index]


def dark_text_reads_better(colours: np.ndarray) -> np.ndarray:
    """True where dark text contrasts better than light text with the RGB background."""
    rgb = np.asarray(colours, dtype=np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2] >= 128


def _check_mode(mode: str) -> None:
    if mode not in DISPLAY_MODES:
        raise ConvlabError(f"Display mode {mode!r}: unknown; choose one of {DISPLAY_MODES}")


def _check_range(value_range: Sequence[float] | None) -> tuple[float, float] | None:
    if value_range is None:
        return None
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError) as exc:
        raise ConvlabError(f"Display range {value_range!r}: not a pair of numbers") from exc
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ConvlabError(f"Display range ({low}, {high}): both ends must be finite")
    if low > high:
        raise ConvlabError(f"Display range ({low}, {high}): the low end is above the high end")
    return low, high


def _as_float_2d(values: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """A float32/float64 C-contiguous 2-D view (H, W*C) for element-wise OpenCV calls.

    Flattening the channels into the columns lets OpenCV treat any channel count alike and
    avoids its per-channel scalar rules; element-wise maps do not care about the layout.
    """
    array = np.asarray(values)
    if array.ndim not in (2, 3):
        raise ConvlabError(f"Display input of shape {array.shape}: expected HxW or HxWxC")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float32)
    array = np.ascontiguousarray(array)
    columns = int(np.prod(array.shape[1:]))
    return array.reshape(array.shape[0], columns), array.shape


def _finite_extremes(flat: np.ndarray) -> tuple[float, float, bool]:
    """(min, max) over the finite values, and whether any value was NaN or infinite.

    The plain min/max is one fast pass and already reveals a NaN (it propagates) or an inf;
    only then is the slower finite-only reduction paid for.
    """
    low, high = float(flat.min()), float(flat.max())
    if np.isfinite(low) and np.isfinite(high):
        return low, high, False
    finite = flat[np.isfinite(flat)]
    if finite.size == 0:
        return 0.0, 0.0, True
    return float(finite.min()), float(finite.max()), True


def _linear_to_uint8(flat: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """saturate(round(alpha * v + beta)) in one OpenCV pass."""
    return cv2.addWeighted(flat, alpha, flat, 0.0, beta, dtype=cv2.CV_8U)


def _step_to_uint8(flat: np.ndarray, level: float) -> np.ndarray:
    """A zero-width range: below -> 0, at -> 128 (mid-grey), above -> 255; never divides."""
    out = np.full(flat.shape, 128, dtype=np.uint8)
    out[flat < level] = 0
    out[flat > level] = 255
    return out


def _map_flat(flat: np.ndarray, mode: str, value_range: tuple[float, float] | None) -> np.ndarray:
    """The mode's mapping of a finite-or-not 2-D float array, with NaN/inf fixed up after."""
    low, high, has_nonfinite = _finite_extremes(flat)
    source = flat
    if has_nonfinite:
        # Map a copy with the bad values zeroed (NaN is "no response"), then saturate the
        # infinities explicitly: OpenCV's float->uint8 conversion turns +inf into 0.
        source = np.where(np.isfinite(flat), flat, 0.0).astype(flat.dtype)

    if mode == "clip":
        out = _linear_to_uint8(source, 1.0, 0.0)
        pos_inf, neg_inf = 255, 0
    elif mode == "abs":
        out = cv2.convertScaleAbs(source)
        pos_inf, neg_inf = 255, 255
    elif mode == "offset":
        out = _linear_to_uint8(source, 1.0, 128.0)
        pos_inf, neg_inf = 255, 0
    elif mode == "minmax":
        if value_range is not None:
            low, high = value_range
        if high - low <= 0.0:
            out = _step_to_uint8(source, low)
        else:
            scale = 255.0 / (high - low)
            out = _linear_to_uint8(source, scale, -low * scale)
        pos_inf, neg_inf = 255, 0
    else:  # signed
        if value_range is not None:
            half_width = max(abs(value_range[0]), abs(value_range[1]))
        else:
            half_width = max(abs(low), abs(high))
        if half_width <= 0.0:
            out = _step_to_uint8(source, 0.0)
        else:
            out = _linear_to_uint8(source, 127.0 / half_width, 128.0)
        pos_inf, neg_inf = 255, 0

    if has_nonfinite:
        out[np.isposinf(flat)] = pos_inf
        out[np.isneginf(flat)] = neg_inf
    return out


def to_uint8(
    values: np.ndarray,
    mode: str = "clip",
    *,
    value_range: Sequence[float] | None = None,
) -> np.ndarray:
    """Map a float (or integer) HxW / HxWxC map to uint8 of the same shape, C-contiguous.

    ``value_range`` fixes (lo, hi) for ``minmax`` and the half-width max(|lo|, |hi|) for
    ``signed``, so a video does not flicker as each frame's extremes change; without it both
    modes use the frame's own finite range. The other modes ignore it. A flat map (zero-width
    range) shows as mid-grey instead of dividing by zero.
    """
    _check_mode(mode)
    fixed_range = _check_range(value_range)
    flat, shape = _as_float_2d(values)
    if flat.size == 0:
        return np.zeros(shape, dtype=np.uint8)
    return np.ascontiguousarray(_map_flat(flat, mode, fixed_range).reshape(shape))


def _channel_mean(values: np.ndarray) -> np.ndarray:
    """HxWxC -> HxW float mean (one OpenCV transform; HxW passes through)."""
    array = np.asarray(values)
    if array.ndim == 2:
        return array
    if array.ndim != 3:
        raise ConvlabError(f"Display input of shape {array.shape}: expected HxW or HxWxC")
    channels = array.shape[2]
    if channels == 1:
        return array[:, :, 0]
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float32)
    array = np.ascontiguousarray(array)
    if channels <= 4:
        weights = np.full((1, channels), 1.0 / channels)
        return cv2.transform(array, weights)
    return array.mean(axis=2, dtype=np.float64).astype(array.dtype)


def _apply_lut(gray: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """HxW uint8 -> HxWx3 uint8 through a 256x3 LUT: one single-channel cv2.LUT per colour,
    merged (a quarter cheaper than one three-channel LUT on a three-channel copy; numpy's
    fancy indexing is 5x dearer)."""
    return cv2.merge([cv2.LUT(gray, np.ascontiguousarray(lut[:, c])) for c in range(3)])


def to_rgb(
    values: np.ndarray,
    mode: str = "clip",
    *,
    colormap: str = "gray",
    value_range: Sequence[float] | None = None,
) -> np.ndarray:
    """Map a response to an HxWx3 uint8 RGB image for display, C-contiguous.

    ``signed`` always draws with a diverging map (``colormap`` if it is one, else bkr)
    on the channel mean, so zero is the neutral colour and sign is hue. Other modes keep a
    3-channel map as RGB under "gray" and otherwise colour the single channel (or the mean of
    several), because a colormap needs one number per pixel.
    """
    _check_mode(mode)
    lut_name = _ALIASES.get(colormap, colormap)
    lut = colormap_lut(lut_name)
    array = np.asarray(values)
    if array.ndim not in (2, 3):
        raise ConvlabError(f"Display input of shape {array.shape}: expected HxW or HxWxC")

    if mode == "signed":
        if lut_name not in DIVERGING_COLORMAPS:
            lut = COLORMAPS[DEFAULT_DIVERGING]
        gray = to_uint8(_channel_mean(array), mode, value_range=value_range)
        return np.ascontiguousarray(_apply_lut(gray, lut))

    if _shown_as_rgb(array, mode, lut_name):
        return to_uint8(array, mode, value_range=value_range)
    gray = to_uint8(_channel_mean(array), mode, value_range=value_range)
    if lut_name == "gray":
        return np.ascontiguousarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB))
    return np.ascontiguousarray(_apply_lut(gray, lut))


def _shown_as_rgb(array: np.ndarray, mode: str, lut_name: str) -> bool:
    """A 3-channel map under "gray" keeps its channels; everything else is one number a pixel."""
    return mode != "signed" and array.ndim == 3 and array.shape[2] == 3 and lut_name == "gray"


def shown_as_rgb(values: np.ndarray, mode: str, colormap: str = "gray") -> bool:
    """Does ``to_rgb`` keep the channels of ``values`` (rather than map their mean)?"""
    return _shown_as_rgb(np.asarray(values), mode, _ALIASES.get(colormap, colormap))


def mapped_extremes(values: np.ndarray, *, as_rgb: bool = False) -> tuple[float, float] | None:
    """(min, max) of the finite numbers ``to_rgb`` takes its range from when none is given:
    the channels themselves when the map is shown as RGB (``shown_as_rgb``), else their mean;
    None when none is finite.

    A map shown strip by strip gets the same pixels as shown whole when every strip is
    mapped over the strips' combined extremes (``to_rgb(..., value_range=...)``).
    """
    array = np.asarray(values)
    flat, _ = _as_float_2d(array if as_rgb else _channel_mean(array))
    if flat.size == 0:
        return None
    low, high, _ = _finite_extremes(flat)
    if low == high == 0.0 and not np.isfinite(flat).any():
        return None
    return low, high


def histogram(
    values: np.ndarray,
    bins: int = 64,
    *,
    value_range: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(counts, edges) of the finite values, over ``value_range`` or the map's own range.

    Large maps are subsampled on a regular grid (about 262k values) so the UI can redraw the
    histogram every frame; counts are then of the sample, which is what a small plot needs.
    """
    if int(bins) < 1:
        raise ConvlabError(f"Histogram bins {bins}: need at least one bin")
    fixed_range = _check_range(value_range)
    array = np.asarray(values)
    if array.ndim not in (2, 3):
        raise ConvlabError(f"Display input of shape {array.shape}: expected HxW or HxWxC")
    if array.size > _HISTOGRAM_SAMPLES:
        step = int(np.ceil(np.sqrt(array.size / _HISTOGRAM_SAMPLES)))
        array = array[::step, ::step]
    sample = np.asarray(array, dtype=np.float64).ravel()
    sample = sample[np.isfinite(sample)]
    if fixed_range is not None:
        low, high = fixed_range
    elif sample.size:
        low, high = float(sample.min()), float(sample.max())
    else:
        low, high = 0.0, 1.0
    if high <= low:
        # numpy would widen a zero-width range by 0.5 either side; do it explicitly so the
        # edges do not depend on that convention.
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(sample, bins=int(bins), range=(low, high))
    return counts, edges


# ----------------------------------------------------------------------------- Auto
AUTO = "auto"
"""A display setting, not a mapping: pick one of DISPLAY_MODES from the kernel and response."""
SETTING_MODES: tuple[str, ...] = (AUTO, *DISPLAY_MODES)
MODE_NAMES: dict[str, str] = {
    "clip": "Clip 0–255",
    "abs": "Absolute |v|",
    "offset": "Offset +128",
    "minmax": "Min–max stretch",
    "signed": "Signed (diverging)",
    AUTO: "Auto",
}
# Colormaps whose middle is a neutral zero only make sense where 0 maps to the middle; the
# other modes put 0 at black, so a diverging map there would show zero as "very negative".
_ZERO_AT_MIDDLE = ("signed", "offset")
MOSTLY_NEGATIVE = 0.25
"""Auto shows negatives when at least this share of the response is below zero."""
WEAK_RESPONSE = 64.0
"""A zero-sum response whose strong values stay under this is stretched (``signed``) rather
than drawn around mid-grey, where it would be a nearly flat grey. A Laplacian of Gaussian on a
photo reaches 20-40, the 3x3 edge kernels 150-2000: far from it either way, so a live picture
does not flip between the two."""
_STATS_SAMPLES = 20_000


@dataclass(frozen=True)
class ResponseStats:
    """What the display choice needs to know about a response, from a sample of it."""

    below: float = 0.0  # share of the finite values below zero (rounding to 0 excluded)
    above: float = 0.0  # share above 255
    strong: float = 0.0  # |v| that 99.5 % of the values stay under


@dataclass(frozen=True)
class DisplayChoice:
    """The mapping actually used for a picture and the one line that explains it."""

    mode: str  # one of DISPLAY_MODES: never AUTO
    colormap: str  # the lookup table used, so a colormap box can show exactly this
    reason: str  # why Auto chose it, or what this explicit mode hides
    auto: bool = False  # chosen by Auto
    value_range: tuple[float, float] | None = None  # the range spread over 0..255, if any
    below: float = 0.0  # share of the response below 0 (what Clip draws black)

    def line(self) -> str:
        """E.g. "Auto: Offset +128 — this kernel sums to 0, so negatives matter"."""
        name = MODE_NAMES[self.mode]
        return f"Auto: {name} — {self.reason}" if self.auto else f"{name} — {self.reason}"


def response_stats(values: np.ndarray, *, strong: bool = True) -> ResponseStats:
    """Shares below 0 and above 255 and (with ``strong``) the strong-response level, from
    about 20,000 evenly spread samples: cheap enough for every frame."""
    flat = np.asarray(values).reshape(-1)
    if flat.size == 0:
        return ResponseStats()
    sample = flat[:: max(1, flat.size // _STATS_SAMPLES)].astype(np.float64)
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return ResponseStats()
    return ResponseStats(
        below=float(np.mean(sample < -0.5)),
        above=float(np.mean(sample > 255.5)),
        strong=float(np.quantile(np.abs(sample), 0.995)) if strong else 0.0,
    )


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%" if share < 0.995 else "all"


def _sum_text(total: float) -> str:
    return f"{total:.3g}".replace("-", "−")


def auto_mode(weights: np.ndarray, offset: float, stats: ResponseStats) -> tuple[str, str]:
    """(mode, reason) that show what a kernel with these effective weights does.

    Zero-sum kernels (edges, derivatives) answer with both signs around 0: Offset +128, or
    Signed when the responses are too weak to see around mid-grey. A response mostly below
    zero would be black under Clip: Signed. Blurs and sharpening stay near 0..255: Clip, as
    an image editor shows them.
    """
    array = np.asarray(weights, dtype=np.float64)
    total = float(array.sum())
    if sums_to_zero(array) and abs(offset) < 0.5:
        if stats.strong < WEAK_RESPONSE:
            return (
                "signed",
                "this kernel sums to 0; its weak responses are stretched",
            )
        return "offset", "this kernel sums to 0, so negatives matter"
    if stats.below >= MOSTLY_NEGATIVE:
        return (
            "signed",
            f"{_percent(stats.below)} of the output is below 0 (weights sum to {_sum_text(total)})",
        )
    if stats.above >= MOSTLY_NEGATIVE and total > 1.05:
        return (
            "clip",
            f"weights sum to {_sum_text(total)}: {_percent(stats.above)} is above 255 "
            "(try Normalize)",
        )
    if array.size and float(array.min()) >= 0.0:
        return "clip", "a blur: no negative weights, the output stays in 0–255"
    if abs(total - 1.0) <= 1e-3:
        return "clip", "weights sum to 1: brightness is kept, overshoots clip"
    return "clip", f"weights sum to {_sum_text(total)}; most of the output is within 0–255"


def mode_note(mode: str, stats: ResponseStats) -> str:
    """What a mode chosen by hand does to this response, warning where it hides much."""
    if mode == "clip":
        if stats.below >= MOSTLY_NEGATIVE:
            return f"{_percent(stats.below)} of the output is below 0 and shows black"
        if stats.above >= MOSTLY_NEGATIVE:
            return f"{_percent(stats.above)} of the output is above 255 and shows white"
        return "values below 0 show black, above 255 white"
    if mode == "abs":
        return "negative and positive responses look the same"
    if mode == "offset":
        if stats.strong > 127.0:
            return "0 is mid-grey; values beyond ±127 saturate"
        return "0 is mid-grey, negative darker, positive lighter"
    if mode == "minmax":
        return "the lowest value is black, the highest white"
    return "0 is neutral, negative blue, positive red"


def colormap_for(mode: str, colormap: str) -> str:
    """The colormap ``mode`` really draws with when ``colormap`` is asked for.

    ``signed`` needs a diverging map (bkr unless coolwarm or bwr is asked for); clip, abs and
    min-max put 0 at black, where a diverging map would lie, so they fall back to gray.
    """
    name = _ALIASES.get(colormap, colormap)
    if name not in COLORMAPS:
        name = "gray"
    diverging = name in DIVERGING_COLORMAPS
    if mode == "signed" and not diverging:
        return DEFAULT_DIVERGING
    if diverging and mode not in _ZERO_AT_MIDDLE:
        return "gray"
    return name


def colormaps_for(mode: str) -> list[str]:
    """The colormaps that make sense for ``mode``, for a colormap box to offer."""
    return [name for name in COLORMAPS if colormap_for(mode, name) == name]

"""Write the output and the feature maps to disk: PNG as displayed, .npy as raw floats.

No Qt here: the window runs these functions on a worker thread. Everything is computed at
the frame's full resolution (the live view may show a reduced preview), and a strip of rows
at a time: ``strips`` convolves a strip with the numbers the whole image would give, and
``file_streams`` writes it as it comes, so a 100 MP photo's export holds a strip of floats,
never the 1.2 GB whole. A display mapping that stretches over the whole map's range (min-max,
signed, robust) takes that range from a first pass over the strips, then maps every strip with
it in a second: the PNG has the pixels of the map mapped whole.

Every file is written to a temporary name in the target folder and then renamed over the final
one, so a crash, a full disk or a cancelled export never leaves a half-written file where a
good one was.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from convlab.engine.display import (
    AUTO,
    DIVERGING_COLORMAPS,
    DisplayChoice,
    mapped_extremes,
    shown_as_rgb,
    to_rgb,
)
from convlab.engine.file_streams import NpyStream, PngStream
from convlab.engine.kernels import Kernel, sums_to_zero
from convlab.engine.pipeline import (
    _ROBUST_SAMPLES,
    DisplaySettings,
    Pipeline,
    apply_stages,
)
from convlab.engine.strips import (
    iterate,
    stride1_row_bytes,
    strip_convolution,
    strip_limits,
)
from convlab.errors import ConvlabError

EXPORT_FORMATS = ("png", "npy")
#: a kernel name longer than this is cut in file names (names come from files and pastes)
MAX_STEM = 60
COMBINED_STEM = "combined_gradient_magnitude"
# Element-wise OpenCV calls (magnitude, the display mapping) run over a strip as one long row in
# vector chunks, the leftover elements one by one: strips holding a multiple of this many
# values split into the chunks the whole map splits into, so even the last bit agrees.
_VECTOR_ELEMENTS = 64
# Rows of a stored picture written at a time (a snapshot of the input).
_PICTURE_STRIP_BYTES = 16 << 20

Cancelled = Callable[[], bool]


class ExportCancelledError(ConvlabError):
    """The export was stopped before it finished (the window is closing); nothing was kept."""


def file_stem(index: int | None, name: str) -> str:
    """``03_sobel_x``: the map's place in the bank (1-based, sorts right) and its kernel name,
    as letters, digits and ``.=-`` only (no ``/``), at most ``MAX_STEM`` characters of it."""
    slug = re.sub(r"[^0-9A-Za-z.=-]+", "_", name)[:MAX_STEM].strip("_.") or "kernel"
    return slug if index is None else f"{index + 1:02d}_{slug}"


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(temp_path)`` on a temporary file next to ``path``, then rename it into place."""
    path = Path(path)
    try:  # a missing or read-only folder fails here already: the same clear message
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent
        )
    except OSError as error:
        raise ConvlabError(f"Export to {path}: {error.strerror or error}") from error
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise ConvlabError(f"Export to {path}: {error.strerror or error}") from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _stream(
    path: Path,
    open_stream: Callable,
    strips: Iterable[np.ndarray],
    cancelled: Cancelled | None,
) -> None:
    """Write ``strips`` in order through the stream ``open_stream(handle)`` makes, atomically."""

    def write(temp: Path) -> None:
        with temp.open("wb") as handle:
            stream = open_stream(handle)
            for strip in strips:
                if cancelled is not None and cancelled():
                    raise ExportCancelledError(f"Export to {path}: stopped")
                stream.write(strip)
            stream.close()

    write_atomic(path, write)


def write_png_strips(
    path: Path,
    shape: tuple[int, ...],
    strips: Iterable[np.ndarray],
    *,
    cancelled: Cancelled | None = None,
) -> None:
    """A uint8 gray (H x W) or RGB(A) (H x W x C) picture of ``shape`` as PNG, from its strips
    of rows in order, atomically."""
    height, width = int(shape[0]), int(shape[1])
    channels = int(shape[2]) if len(shape) == 3 else 1
    _stream(Path(path), lambda h: PngStream(h, width, height, channels), strips, cancelled)


def write_npy_strips(
    path: Path,
    shape: tuple[int, ...],
    strips: Iterable[np.ndarray],
    *,
    cancelled: Cancelled | None = None,
) -> None:
    """float32 values of ``shape`` as .npy, from their strips of rows in order, atomically."""
    _stream(Path(path), lambda h: NpyStream(h, shape, np.float32), strips, cancelled)


def write_png(path: Path, rgb: np.ndarray, *, cancelled: Cancelled | None = None) -> None:
    """An RGB (or gray) uint8 picture as PNG, atomically, written a strip of rows at a time
    (no encoded copy of the whole picture)."""
    image = np.asarray(rgb)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or image.size == 0:
        raise ConvlabError(f"Export to {path}: not an 8-bit picture ({image.dtype} {image.shape})")
    rows = max(1, _PICTURE_STRIP_BYTES // max(1, image[0].nbytes))
    limits = strip_limits(image.shape[0], rows=rows)
    write_png_strips(path, image.shape, (image[a:b] for a, b in limits), cancelled=cancelled)


def write_npy(path: Path, values: np.ndarray) -> None:
    """Raw float values as .npy, atomically (np.save on an open file adds no suffix)."""

    def save(temp: Path) -> None:
        with temp.open("wb") as handle:
            np.save(handle, np.asarray(values), allow_pickle=False)

    write_atomic(path, save)


# ----------------------------------------------------------------------------- display range
class MapTally:
    """What the display choice and mapping need to know about a whole map, strip by strip.

    The window decides a map's mapping from a regular sample of every ``size // 20000``-th
    value (``response_stats``, ``robust_range``), and a stretched mapping without a range
    takes the finite extremes of what ``to_rgb`` maps: this keeps the same sample and both
    kinds of extremes (of the channels and of their mean), since Auto picks the mode only
    once the whole map has been seen.
    """

    def __init__(self, size: int) -> None:
        self._step = max(1, size // _ROBUST_SAMPLES)
        self._seen = 0
        self._samples: list[np.ndarray] = []
        self._extremes = {False: (math.inf, -math.inf), True: (math.inf, -math.inf)}
        self._three_channels = False

    def add(self, strip: np.ndarray) -> None:
        first = -self._seen % self._step  # the sample's next index inside this strip
        self._samples.append(strip.reshape(-1)[first :: self._step].copy())
        self._seen += strip.size
        self._three_channels = strip.ndim == 3 and strip.shape[2] == 3
        for as_rgb in (False, True) if self._three_channels else (False,):
            extremes = mapped_extremes(strip, as_rgb=as_rgb)
            if extremes is not None:
                low, high = self._extremes[as_rgb]
                self._extremes[as_rgb] = (min(low, extremes[0]), max(high, extremes[1]))

    def sample(self) -> np.ndarray:
        """The window's sample of the map (under 40,000 values: taken whole by its users)."""
        return np.concatenate(self._samples) if self._samples else np.zeros((1, 1), np.float32)

    def value_range(self, display: DisplaySettings, choice: DisplayChoice):
        """The range every strip is mapped over: what ``display.ranged`` gives the whole map,
        else the extremes ``to_rgb`` would take from it."""
        ranged = display.ranged(choice, self.sample()).value_range
        if ranged is not None or choice.mode not in ("minmax", "signed"):
            return ranged
        probe = np.zeros((1, 1, 3 if self._three_channels else 1), np.float32)
        low, high = self._extremes[shown_as_rgb(probe, choice.mode, choice.colormap)]
        return (0.0, 0.0) if low > high else (low, high)  # nothing finite: to_rgb's (0, 0)


def _first_pass(
    paths: dict[str, Path],
    shape: tuple[int, ...],
    strips: Iterator[np.ndarray],
    cancelled: Cancelled | None,
) -> MapTally:
    """Go over one map's strips once, writing its .npy if asked, and tally it."""
    tally = MapTally(math.prod(shape))

    def tallied() -> Iterator[np.ndarray]:
        for strip in strips:
            if cancelled is not None and cancelled():
                raise ExportCancelledError(f"Export to {next(iter(paths.values()))}: stopped")
            tally.add(strip)
            yield strip

    if "npy" in paths:
        write_npy_strips(paths["npy"], shape, tallied())
    else:
        for _ in tallied():
            pass
    return tally


def _render_pass(
    path: Path,
    shape: tuple[int, ...],
    strips: Iterator[np.ndarray],
    choice: DisplayChoice,
    cancelled: Cancelled | None,
) -> None:
    """Write the PNG of one map, every strip mapped as ``choice`` (with its range) says."""
    pixels = (
        to_rgb(s, choice.mode, colormap=choice.colormap, value_range=choice.value_range)
        for s in strips
    )
    write_png_strips(path, (*shape[:2], 3), pixels, cancelled=cancelled)


def _paths(stem: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    return {kind: stem.with_name(f"{stem.name}.{kind}") for kind in formats}


def _unit(*multiples: int) -> int:
    return math.lcm(*multiples)


def _vector_rows(row_values: int) -> int:
    """Rows whose values make whole vector chunks (see ``_VECTOR_ELEMENTS``)."""
    return _VECTOR_ELEMENTS // math.gcd(max(row_values, 1), _VECTOR_ELEMENTS)


# ----------------------------------------------------------------------------- the output
def export_output(
    pipeline: Pipeline,
    frame: np.ndarray,
    path: Path,
    kind: str,
    *,
    cancelled: Cancelled | None = None,
) -> Path:
    """The main kernel's output of ``frame``: ``kind`` "png" as displayed (the pipeline's
    display mapping), "npy" the raw float32 values; strip by strip, atomically."""
    if kind not in EXPORT_FORMATS:
        raise ConvlabError(f"Export format {kind!r}: choose from {EXPORT_FORMATS}")
    strips = strip_convolution(frame, pipeline.kernel, **pipeline.conv.as_kwargs())
    shape = strips.shape
    unit = _unit(strips.row_unit, _vector_rows(shape[1]))
    limits = strip_limits(shape[0], unit, row_bytes=stride1_row_bytes(strips))
    path = Path(path)
    display = pipeline.display
    tally = None
    if kind == "npy" or display.mode == AUTO or _range_needed(display, display.mode):
        tally = _first_pass({kind: path}, shape, iterate(strips, limits), cancelled)
    if kind == "png":
        choice = display.choose(_sample(tally), pipeline.kernel)
        value_range = tally.value_range(display, choice) if tally else display.fixed_range
        choice = replace(choice, value_range=value_range)
        _render_pass(path, shape, iterate(strips, limits), choice, cancelled)
    return path


def _range_needed(display: DisplaySettings, mode: str) -> bool:
    """Does mapping a strip in ``mode`` depend on the rest of the map?"""
    return display.fixed_range is None and mode in ("minmax", "signed")


def _sample(tally: MapTally | None) -> np.ndarray:
    return tally.sample() if tally is not None else np.zeros((1, 1), np.float32)


# ----------------------------------------------------------------------------- feature maps
def _gray(rows: np.ndarray) -> np.ndarray:
    """The bank's input: the frame's luma, as ``Pipeline`` computes it (rounded to uint8)."""
    return cv2.cvtColor(rows, cv2.COLOR_RGB2GRAY) if rows.ndim == 3 else rows


class _MapStrips:
    """The bank's maps of one frame, strip by strip: each kernel's response to the gray frame
    ("same" padding, the pipeline's border), then ReLU and 2x2 max-pooling as the bank does."""

    def __init__(self, pipeline: Pipeline, frame: np.ndarray) -> None:
        self.pipeline = pipeline
        self.responses = [
            strip_convolution(frame, kernel, border=pipeline.conv.border, prepare=_gray)
            for kernel in pipeline.bank
        ]
        height, width = self.responses[0].shape[:2]
        # an odd last row (column) has no 2x2 block: dropped, as PyTorch does; a map one
        # pixel high or wide is not pooled at all (apply_stages)
        self.pools = pipeline.pool and height >= 2 and width >= 2
        self.shape = (height // 2, width // 2) if self.pools else (height, width)
        units = [r.row_unit for r in self.responses] + [_vector_rows(width)]
        if self.pools:
            units += [2, 2 * _vector_rows(self.shape[1])]
        self.limits = strip_limits(
            height, _unit(*units), row_bytes=stride1_row_bytes(self.responses[0])
        )

    def _stages(self, response: np.ndarray, relu: bool) -> np.ndarray | None:
        if self.pools and len(response) % 2:
            response = response[:-1]  # only the last strip can be odd
        if not len(response):
            return None
        return apply_stages(response, relu=relu, pool=self.pools)

    def map_strips(self, index: int) -> Iterator[np.ndarray]:
        for first, stop in self.limits:
            values = self._stages(self.responses[index].rows(first, stop), self.pipeline.relu)
            if values is not None:
                yield values

    def combined_strips(self) -> Iterator[np.ndarray]:
        """sqrt(map0^2 + map1^2) before ReLU, then pooled (``Pipeline._combined_map``)."""
        first_map, second_map = self.responses[:2]
        for first, stop in self.limits:
            magnitude = cv2.magnitude(first_map.rows(first, stop), second_map.rows(first, stop))
            values = self._stages(magnitude, relu=False)
            if values is not None:
                yield values


def export_feature_maps(
    pipeline: Pipeline,
    frame: np.ndarray,
    folder: Path,
    formats: tuple[str, ...] = EXPORT_FORMATS,
    *,
    only: int | None = None,
    cancelled: Cancelled | None = None,
) -> list[Path]:
    """Every bank map of ``frame`` at full resolution (or just map ``only``; -1: the combined
    magnitude), with the pipeline's stages and bank display mapping. Returns the files written.
    """
    folder = _check_folder(folder, formats)
    if not pipeline.bank:
        raise ConvlabError("Export feature maps: the bank is empty, add a kernel first")
    has_combined = pipeline.combine and len(pipeline.bank) >= 2
    if only == -1 and not has_combined:
        raise ConvlabError("Export combined map: 'combine' is off or the bank has < 2 kernels")
    maps = _MapStrips(pipeline, frame)
    written = _export_bank(pipeline.bank, pipeline.bank_display, maps, folder, formats, only,
                           cancelled)  # fmt: skip
    if has_combined and only in (None, -1):
        colormap = pipeline.bank_display.colormap
        if colormap in DIVERGING_COLORMAPS or colormap == "diverging":
            colormap = "magma"  # a magnitude has no sign: a sequential map reads better
        paths = _paths(folder / COMBINED_STEM, formats)
        tally = _first_pass(paths, maps.shape, maps.combined_strips(), cancelled)
        if "png" in paths:
            display = DisplaySettings(mode="minmax", colormap=colormap)
            choice = DisplayChoice("minmax", colormap, "")
            choice = replace(choice, value_range=tally.value_range(display, choice))
            _render_pass(paths["png"], maps.shape, maps.combined_strips(), choice, cancelled)
        written += [paths[kind] for kind in EXPORT_FORMATS if kind in paths]
    return written


def _export_bank(
    bank: tuple[Kernel, ...],
    display: DisplaySettings,
    maps: _MapStrips,
    folder: Path,
    formats: tuple[str, ...],
    only: int | None,
    cancelled: Cancelled | None,
) -> list[Path]:
    """The bank's maps (or map ``only``), drawn with the one mapping the window gives the
    bank (``choose_for_bank``). Auto decides it from every map's sample unless a kernel sums
    to 0: then every map is first gone over once, exported or not."""
    wanted = [i for i in range(len(bank)) if only in (None, i)]
    paths = {i: _paths(folder / file_stem(i, bank[i].name or "custom"), formats) for i in wanted}
    every_map = display.mode == AUTO and not any(sums_to_zero(k.effective) for k in bank)
    tallies: dict[int, MapTally] = {}
    if every_map:
        for index in range(len(bank)):
            tallies[index] = _first_pass(
                {k: p for k, p in paths.get(index, {}).items() if k == "npy"},
                maps.shape, maps.map_strips(index), cancelled,
            )  # fmt: skip
        choice = display.choose_for_bank(bank, [tallies[i].sample() for i in range(len(bank))])
    else:
        choice = display.choose_for_bank(bank, [_sample(None)])
    written: list[Path] = []
    for index in wanted:
        kinds = paths[index]
        if index not in tallies and ("npy" in kinds or _range_needed(display, choice.mode)):
            tallies[index] = _first_pass(kinds, maps.shape, maps.map_strips(index), cancelled)
        if "png" in kinds:
            tally = tallies.get(index)
            value_range = tally.value_range(display, choice) if tally else display.fixed_range
            _render_pass(kinds["png"], maps.shape, maps.map_strips(index),
                         replace(choice, value_range=value_range), cancelled)  # fmt: skip
        written += [kinds[kind] for kind in EXPORT_FORMATS if kind in kinds]
    return written


def _check_folder(folder: Path, formats: tuple[str, ...]) -> Path:
    unknown = set(formats) - set(EXPORT_FORMATS)
    if unknown or not formats:
        raise ConvlabError(f"Export formats {formats!r}: choose from {EXPORT_FORMATS}")
    folder = Path(folder)
    if not folder.is_dir():
        raise ConvlabError(f"Export folder {folder}: does not exist or is not a folder")
    return folder

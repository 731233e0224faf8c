"""What one frame of a pipeline costs with its bank's maps at full scale, stage by stage.

"Auto" computes the maps on the frame itself only where the whole frame, not just its
convolutions, keeps ``FULL_SCALE_MIN_FPS``: the output's picture and histogram, the gray copy,
every map's range, thumbnail and picture, the selected map drawn large and the combined map
cost as much as four 3x3 convolutions together. Each stage is predicted from the costs measured
on this machine (``calibration``): the convolutions by the method they will run, every other
pass as a number of float32 passes (``CostTable.accumulate``) over the samples it touches.
The pass counts were measured (OpenCV 5.1, numpy 2.4, 1280x720) and rounded up.

All of it is counted on one thread, as on a busy machine: a frame that keeps 20 fps there keeps
it anywhere. The per-sample costs come from a 452x452 frame and a 720p plane; measured frames cost
up to 1.2x their prediction at 640x480 and 720p and more at 1080p, where the passes leave the
caches, so a frame must keep its rate with ``MARGIN`` to spare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from convlab.engine import calibration, dispatch
from convlab.engine.bank import plan_bank
from convlab.engine.calibration import CostTable
from convlab.engine.convolve import make_job
from convlab.engine.kernels import sums_to_zero

if TYPE_CHECKING:
    from convlab.engine.pipeline import Pipeline

# Float32 passes per sample (measured 1.6, 0.6, 0.4, 0.8, 0.7, 1.3, 6.4, 0.7 and 14).
OUTPUT_PASSES = 2.0  # choose, map to uint8 and colour the output (per output sample, x C)
GRAY_PASSES = 1.0  # RGB -> gray (per pixel)
RANGE_PASSES = 0.5  # a map's min and max
REDUCE_PASSES = 1.0  # a map's thumbnail (block average)
RELU_PASSES = 1.0
POOL_PASSES = 1.5
FULL_PICTURE_PASSES = 7.0  # the selected map drawn at full size (range sample, map, colour)
MAGNITUDE_PASSES = 1.0
TILE_PASSES = 16.0  # per thumbnail sample: its range from a sample, mapping and colour
SAMPLED_PASSES = 50.0  # per value of a regular sample (display choice, robust range, histogram)
STATS_SAMPLES = 20_000  # display.response_stats and pipeline.robust_range
MARGIN = 1.3


@dataclass(frozen=True)
class FrameCost:
    """Predicted nanoseconds of each stage of one frame, on one thread."""

    stages: tuple[tuple[str, float], ...]

    @property
    def total_ns(self) -> float:
        return sum(ns for _, ns in self.stages)

    def fps(self) -> float:
        """The frame rate it keeps, ``MARGIN`` spared."""
        frame_ns = self.total_ns * MARGIN
        return 1e9 / frame_ns if frame_ns > 0 else float("inf")


def full_scale_cost(
    pipeline: Pipeline, frame_shape: tuple[int, ...], table: CostTable | None = None
) -> FrameCost:
    """The stages of ``pipeline.run`` on a frame of ``frame_shape`` with the maps at full scale."""
    from convlab.engine.pipeline import COMBINED_MAP, HISTOGRAM_SAMPLES

    table = calibration.cost_table(wait=False) if table is None else table
    shape = tuple(int(n) for n in frame_shape)
    height, width = shape[0], shape[1]
    pixels = float(height * width)
    channels = shape[2] if len(shape) == 3 else 1
    per_pass = table.accumulate
    sampled = SAMPLED_PASSES * per_pass
    probe = np.broadcast_to(np.uint8(0), shape)
    job, _ = make_job(probe, pipeline.kernel, **pipeline.conv.as_kwargs())
    stages = [
        ("main kernel", dispatch.ranked(job, table)[0][1]),
        ("output picture and histogram", OUTPUT_PASSES * pixels * channels * per_pass
         + sampled * (2 * STATS_SAMPLES + HISTOGRAM_SAMPLES)),
    ]  # fmt: skip
    bank = pipeline.bank
    if not bank:
        return FrameCost(tuple(stages))
    count = len(bank)
    plan = plan_bank((height, width), bank, border=pipeline.conv.border, table=table)
    map_pixels = pixels / 4.0 if pipeline.pool else pixels
    tile = _tile_samples(height, width, pipeline.preview_side(), pipeline.pool)
    per_map = RANGE_PASSES * map_pixels + REDUCE_PASSES * map_pixels + TILE_PASSES * tile
    per_map += RELU_PASSES * pixels if pipeline.relu else 0.0
    per_map += POOL_PASSES * pixels if pipeline.pool else 0.0
    stats = 0.0 if any(sums_to_zero(k.effective) for k in bank) else count * STATS_SAMPLES
    stages += [
        ("gray frame", GRAY_PASSES * pixels * per_pass),
        ("bank convolutions", plan.cpu_ns),
        ("maps: stages, ranges, thumbnails, pictures", count * per_map * per_pass
         + sampled * (count * STATS_SAMPLES + stats)),
    ]  # fmt: skip
    if pipeline.selected_map is not None and 0 <= pipeline.selected_map < count:
        stages.append(("selected map drawn large", FULL_PICTURE_PASSES * map_pixels * per_pass))
    if pipeline.combine and count >= 2:
        large = pipeline.selected_map == COMBINED_MAP
        picture = FULL_PICTURE_PASSES * map_pixels if large else TILE_PASSES * tile
        magnitude = (MAGNITUDE_PASSES + RANGE_PASSES + REDUCE_PASSES) * pixels + picture
        stages.append(("combined map", magnitude * per_pass))
    return FrameCost(tuple(stages))


def _tile_samples(height: int, width: int, side: int, pool: bool) -> float:
    """Samples of one thumbnail (at most ``side`` long, never larger than the map)."""
    if pool:
        height, width = height // 2, width // 2
    scale = min(1.0, side / max(height, width, 1))
    return float(height * width) * scale * scale

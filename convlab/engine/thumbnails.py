"""What each preset kernel does to the current picture, as small previews for a gallery.

The previews are computed on a copy shrunk to PREVIEW_SIDE pixels (a 3x3 kernel then acts on
coarser detail than in the output view, but the character of each kernel shows), and each is
drawn the way the output view's Auto would draw it, so edge detectors show their negatives.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convlab.engine import presets
from convlab.engine.convolve import convolve
from convlab.engine.pipeline import DisplaySettings, shrink

PREVIEW_SIDE = 112
"""Longer side, in pixels, of a preset's preview: 17 of them cost a few milliseconds."""


def preset_previews(
    frame: np.ndarray, names: Sequence[str] | None = None, side: int = PREVIEW_SIDE
) -> dict[str, np.ndarray]:
    """Preset name -> uint8 RGB preview of that preset on ``frame`` (HxWx3 or HxW)."""
    small = shrink(np.asarray(frame), side)
    display = DisplaySettings(robust=True)  # Auto, as the output view draws by default
    previews = {}
    for name in names if names is not None else presets.names():
        kernel = presets.get(name)
        response = convolve(small, kernel)
        previews[name] = display.render(response, display.choose(response, kernel))
    return previews

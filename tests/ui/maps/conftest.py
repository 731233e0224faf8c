"""The feature-map panel's fixtures and helpers: a state, the panel on it, a test frame."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.ui.maps.panel import FeatureMapsPanel
from convlab.ui.maps.tile import COMBINED_INDEX
from convlab.ui.state import PlaygroundState


def test_frame(height: int = 60, width: int = 84, seed: int = 1) -> np.ndarray:
    """A smooth gradient with a bright square and noise: edges in both directions."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 40 + 120 * xx / width + 50 * yy / height
    base[height // 4 : height // 2, width // 3 : width // 2] += 80
    rgb = np.stack([base, base * 0.8, 255 - base], axis=2) + rng.normal(0, 6, (height, width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


test_frame.__test__ = False  # a helper, not a test


@pytest.fixture
def state(qtbot) -> PlaygroundState:
    return PlaygroundState()


@pytest.fixture
def panel(qtbot, state) -> FeatureMapsPanel:
    widget = FeatureMapsPanel(state)
    qtbot.addWidget(widget)
    widget.resize(1000, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def publish(state: PlaygroundState, frame: np.ndarray) -> None:
    """What the window does for every displayed frame."""
    state.publish_result(state.pipeline.run(frame))


def kernel_tiles(panel: FeatureMapsPanel) -> list:
    return [tile for tile in panel.grid.tiles if tile.index != COMBINED_INDEX]

"""Presets by plain name, and the gallery: every preset on the current picture, one click."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convlab.engine import presets, thumbnails
from convlab.ui.kernel.panel import KernelEditorPanel
from convlab.ui.state import PlaygroundState


def picture(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:90, 0:120]
    base = 100 + 80 * np.sin(xx / (7.0 + seed)) * np.cos(yy / 5.0)
    rgb = np.stack([base, 255 - base, base * 0.5 + 40], axis=2) + rng.normal(0, 4, (90, 120, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.fixture
def state(qtbot) -> PlaygroundState:
    state = PlaygroundState()
    state.set_kernel(presets.get("outline"))
    state.publish_result(state.pipeline.run(picture()))
    state.undo_stack.clear()
    return state


@pytest.fixture
def panel(qtbot, state) -> KernelEditorPanel:
    widget = KernelEditorPanel(state)
    qtbot.addWidget(widget)
    widget.resize(380, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.presets.gallery.hide()


def test_the_preset_box_says_plain_names_and_keeps_code_names_in_the_tooltip(panel):
    box = panel.presets
    names = {box.itemData(i): box.itemText(i) for i in range(1, box.count())}
    assert names["sobel_x"] == "Sobel, vertical edges"
    assert names["laplacian_8"] == "Laplacian (8 neighbours)"
    assert names["log"] == "Laplacian of Gaussian"
    assert all("_" not in text for text in names.values())
    tip = box.itemData(box.findData("sobel_x"), Qt.ItemDataRole.ToolTipRole)
    assert "sobel_x" in tip and "--kernel" in tip
    assert box.currentText() == "Outline"


def open_gallery(qtbot, panel):
    panel.presets.showPopup()
    gallery = panel.presets.gallery
    qtbot.waitUntil(gallery.isVisible)
    qtbot.waitUntil(
        lambda: all(t.preview is not None for t in gallery.tiles.values()), timeout=5000
    )
    return gallery


def test_the_gallery_shows_every_preset_on_the_current_picture(qtbot, panel, state, monkeypatch):
    threads = []
    compute = thumbnails.preset_previews

    def recording(*args, **kwargs):
        threads.append(threading.get_ident())
        return compute(*args, **kwargs)

    monkeypatch.setattr("convlab.ui.kernel.gallery.preset_previews", recording)
    gallery = open_gallery(qtbot, panel)
    assert list(gallery.tiles) == presets.names()
    expected = compute(state.latest_result.frame)
    for name, tile in gallery.tiles.items():
        assert tile.text().replace("\n", " ") == presets.title(name)
        assert name in tile.toolTip()
        np.testing.assert_array_equal(tile.preview, expected[name])
        assert max(tile.preview.shape[:2]) <= thumbnails.PREVIEW_SIDE
    assert threads and threading.get_ident() not in threads  # off the GUI thread


def test_clicking_a_preview_loads_that_preset_as_one_undo_step(qtbot, panel, state):
    gallery = open_gallery(qtbot, panel)
    qtbot.mouseClick(gallery.tiles["sobel_y"], Qt.MouseButton.LeftButton)
    assert state.kernel == presets.get("sobel_y")
    assert not gallery.isVisible()
    assert state.undo_stack.count() == 1
    assert panel.presets.currentText() == "Sobel, horizontal edges"
    state.undo_stack.undo()
    assert state.kernel == presets.get("outline")


def test_the_open_gallery_follows_a_live_picture(qtbot, panel, state):
    gallery = open_gallery(qtbot, panel)
    before = gallery.tiles["identity"].preview.copy()
    state.publish_result(state.pipeline.run(picture(seed=3)))  # the next camera frame
    qtbot.waitUntil(
        lambda: not np.array_equal(gallery.tiles["identity"].preview, before), timeout=5000
    )
    expected = thumbnails.preset_previews(picture(seed=3))["identity"]
    np.testing.assert_array_equal(gallery.tiles["identity"].preview, expected)


def test_escape_closes_the_gallery_and_changes_nothing(qtbot, panel, state):
    gallery = open_gallery(qtbot, panel)
    qtbot.keyClick(QApplication.focusWidget() or gallery, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not gallery.isVisible())
    assert state.kernel == presets.get("outline") and state.undo_stack.count() == 0


def test_previews_are_the_presets_on_a_shrunk_copy_drawn_as_auto_would():
    from convlab.engine.convolve import convolve
    from convlab.engine.display import to_rgb
    from convlab.engine.pipeline import DisplaySettings, shrink

    frame = picture()
    previews = thumbnails.preset_previews(frame, ["gaussian", "sobel_x"])
    small = shrink(frame, thumbnails.PREVIEW_SIDE)
    assert small.shape == (84, 112, 3)
    blur = convolve(small, presets.get("gaussian"))
    np.testing.assert_array_equal(previews["gaussian"], to_rgb(blur, "clip"))
    edges = convolve(small, presets.get("sobel_x"))
    choice = DisplaySettings(robust=True).choose(edges, presets.get("sobel_x"))
    assert choice.mode == "offset"
    np.testing.assert_array_equal(previews["sobel_x"], to_rgb(edges, "offset"))

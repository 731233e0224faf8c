"""Captured webcam classes are autosaved without any explicit save, and closing the Train tab
writes them too: a restart (or a crash a second after capturing) loses none."""

from __future__ import annotations

import numpy as np

from convlab.engine.pipeline import PipelineResult
from convlab.ui.state import PlaygroundState
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import THUMB_SIZE, WebcamClasses, centre_crop


def frame(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (90, 120, 3), dtype=np.uint8)


def publish(state: PlaygroundState, picture: np.ndarray) -> None:
    empty = np.zeros((1, 1), np.float32)
    state.publish_result(
        PipelineResult(picture, empty, np.zeros((1, 1, 3), np.uint8), (), None, 0, 0.0)
    )


def test_captures_are_autosaved_a_moment_later_without_closing(qtbot, tmp_path):
    path = tmp_path / "classes.npz"
    state = PlaygroundState()
    tab = TrainingTab(state, webcam_classes=WebcamClasses(autosave_path=path))
    qtbot.addWidget(tab)
    tab.data.set_kind("webcam")
    publish(state, frame(1))
    assert tab.data.webcam_panel.capture_once(1)
    qtbot.waitUntil(path.exists, timeout=3000)  # debounced autosave, nothing else done
    restored = WebcamClasses(autosave_path=path)
    assert [len(crops) for crops in restored.crops] == [0, 1]
    # the crop kept is the frame's centred square, as the network will see it
    assert restored.crops[1][0].shape == (THUMB_SIZE, THUMB_SIZE, 3)
    assert np.array_equal(restored.crops[1][0], centre_crop(frame(1)))
    tab.shutdown()


def test_closing_the_tab_saves_the_latest_captures_at_once(qtbot, tmp_path):
    path = tmp_path / "classes.npz"
    state = PlaygroundState()
    tab = TrainingTab(state, webcam_classes=WebcamClasses(autosave_path=path))
    qtbot.addWidget(tab)
    tab.webcam_classes.rename(0, "cup")
    for seed in range(3):
        publish(state, frame(seed))
        assert tab.data.webcam_panel.capture_once(0)
    tab.close()  # before the debounce timer: the close itself must write them
    restored = WebcamClasses(autosave_path=path)
    assert restored.names[0] == "cup" and len(restored.crops[0]) == 3

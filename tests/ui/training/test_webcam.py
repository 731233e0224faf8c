"""Captured webcam classes are autosaved without any explicit save (on a background job), and
closing the Train tab writes them too: a restart (or a crash a second after capturing) loses
none. A class keeps a bounded number of captures; the file is checked before it is read."""

from __future__ import annotations

import io
import os
import threading
import zipfile

import numpy as np
import pytest

from convlab.cnn.webcam_samples import CROP_SIZE, centre_crop
from convlab.engine.pipeline import PipelineResult
from convlab.ui.state import PlaygroundState
from convlab.ui.training import webcam as training_webcam
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import WebcamCapturePanel, WebcamClasses


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
    assert restored.crops[1][0].shape == (CROP_SIZE, CROP_SIZE, 3)
    assert np.array_equal(restored.crops[1][0], centre_crop(frame(1)))
    tab.shutdown()


def test_shutting_the_tab_down_saves_the_latest_captures_at_once(qtbot, tmp_path):
    path = tmp_path / "classes.npz"
    state = PlaygroundState()
    tab = TrainingTab(state, webcam_classes=WebcamClasses(autosave_path=path))
    qtbot.addWidget(tab)
    tab.webcam_classes.rename(0, "cup")
    for seed in range(3):
        publish(state, frame(seed))
        assert tab.data.webcam_panel.capture_once(0)
    tab.shutdown()  # before the debounce timer: closing itself must write them
    restored = WebcamClasses(autosave_path=path)
    assert restored.names[0] == "cup" and len(restored.crops[0]) == 3


def test_a_class_keeps_at_most_its_limit_and_says_so(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(training_webcam, "MAX_CROPS_PER_CLASS", 3)
    state = PlaygroundState()
    messages: list[tuple[str, str]] = []
    state.message.connect(lambda text, level: messages.append((text, level)))
    classes = WebcamClasses(autosave_path=tmp_path / "classes.npz")
    panel = WebcamCapturePanel(classes, state)
    qtbot.addWidget(panel)
    publish(state, frame(0))
    assert all(panel.capture_once(0) for _ in range(3))
    assert not panel.capture_once(0)  # full: refused, and the person is told why
    assert [len(crops) for crops in classes.crops] == [3, 0]
    assert messages[-1][1] == "warning" and "3 captures" in messages[-1][0]
    assert panel.capture_once(1)  # the other class still captures


def test_the_autosave_is_written_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    writers: list[threading.Thread] = []
    real_write = training_webcam.write_classes

    def recording_write(*args):
        writers.append(threading.current_thread())
        real_write(*args)

    monkeypatch.setattr(training_webcam, "write_classes", recording_write)
    path = tmp_path / "classes.npz"
    classes = WebcamClasses(autosave_path=path)
    classes.capture(0, frame(3))
    qtbot.waitUntil(lambda: path.exists() and not classes.running(), timeout=5000)
    assert writers and writers[0] is not threading.main_thread()
    assert len(WebcamClasses(autosave_path=path).crops[0]) == 1


def test_a_late_older_write_never_replaces_a_newer_file(tmp_path):
    path = tmp_path / "classes.npz"
    classes = WebcamClasses(autosave_path=path)
    classes.capture(0, frame(1))
    older = classes._snapshot()
    classes.capture(0, frame(2))
    classes.save()  # the newer state, written at once (closing)
    classes._write(*older)  # a background write of the older state ending afterwards
    assert len(WebcamClasses(autosave_path=path).crops[0]) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_place_of_the_autosave_is_refused_at_start_up(tmp_path):
    path = tmp_path / "classes.npz"
    os.mkfifo(path)
    made: list[WebcamClasses] = []
    thread = threading.Thread(target=lambda: made.append(WebcamClasses(autosave_path=path)))
    thread.daemon = True
    thread.start()
    thread.join(5)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail("start-up waited on a named pipe")
    assert made[0].names == ["class A", "class B"]
    assert "named pipe" in made[0].load_problem


def test_an_autosave_declaring_gigabytes_is_refused_unread(tmp_path):
    path = tmp_path / "classes.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (10**6, 64, 64, 3)}
    )
    names = io.BytesIO()
    np.lib.format.write_array(names, np.array(["a", "b"]))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("names.npy", names.getvalue())
        archive.writestr("class0.npy", header.getvalue())
    classes = WebcamClasses(autosave_path=path)
    assert classes.crops == [[], []] and "would take" in classes.load_problem

"""Training data in the Train tab: a bad choice reaches the window as a message, webcam classes
survive a restart and drive live classification, drawings are prepared like the training
digits, MNIST files and image folders train (see tests/cnn/test_dataset.py for the loading)."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from convlab.cnn.webcam_samples import frame_to_sample
from convlab.engine.pipeline import PipelineResult
from convlab.ui.state import PlaygroundState
from convlab.ui.training.draw import prepare_drawing
from convlab.ui.training.live_overlay import LiveClassificationOverlay
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import WebcamCapturePanel, WebcamClasses


def result_for(frame: np.ndarray) -> PipelineResult:
    empty = np.zeros((1, 1), np.float32)
    return PipelineResult(frame, empty, np.zeros((1, 1, 3), np.uint8), (), None, 0, 0.0)


def webcam_frame(kind: int, seed: int) -> np.ndarray:
    """Class 0: a dark frame with a bright horizontal bar; class 1: a vertical bar."""
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 40, (120, 160, 3), dtype=np.uint8)
    offset = int(rng.integers(-15, 16))
    if kind == 0:
        frame[55 + offset : 70 + offset, 30:130] = 230
    else:
        frame[10:110, 75 + offset : 90 + offset] = 230
    return frame


def capture_bars_and_poles(classes: WebcamClasses) -> None:
    """Two webcam classes, "bar" and "pole", of 24 captured frames each."""
    classes.rename(0, "bar")
    classes.rename(1, "pole")
    for kind in (0, 1):
        for seed in range(24):
            classes.capture(kind, webcam_frame(kind, 100 * kind + seed))


# ------------------------------------------------------------------------- bad inputs


def write_idx(path, magic: int, dims: list[int], payload: bytes) -> None:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    path.write_bytes(header + payload)


def folder_tab(qtbot, tmp_path) -> tuple[TrainingTab, list[tuple[str, str]]]:
    """A Train tab set to train on an image folder, and the (text, level) messages it sends."""
    state = PlaygroundState()
    messages: list[tuple[str, str]] = []
    state.message.connect(lambda text, level: messages.append((text, level)))
    tab = TrainingTab(state, webcam_classes=WebcamClasses(autosave_path=tmp_path / "w.npz"))
    qtbot.addWidget(tab)
    tab.data.set_kind("folder")
    return tab, messages


def test_a_bad_data_choice_reaches_the_window_as_a_message(qtbot, tmp_path):
    tab, messages = folder_tab(qtbot, tmp_path)
    tab.data.folder_edit.setText(str(tmp_path / "missing"))
    tab.train_button.click()
    qtbot.waitUntil(lambda: tab.running_threads() == [] and not tab.is_training(), timeout=30000)
    errors = [text for text, level in messages if level == "error"]
    assert errors and "missing" in errors[0] and "not a folder" in errors[0]
    assert tab.train_button.isEnabled()
    tab.shutdown()


# ------------------------------------------------------------------------- webcam classes


def test_captured_webcam_classes_survive_a_restart(qtbot, tmp_path):
    path = tmp_path / "appdata" / "webcam_classes.npz"
    state = PlaygroundState()
    classes = WebcamClasses(autosave_path=path)
    panel = WebcamCapturePanel(classes, state)
    qtbot.addWidget(panel)
    assert not panel.capture_once(0)  # no live frame yet: refused, nothing stored
    classes.rename(0, "thumbs up")
    for seed in range(3):
        state.publish_result(result_for(webcam_frame(0, seed)))
        assert panel.capture_once(0)
    state.publish_result(result_for(webcam_frame(1, 9)))
    assert panel.capture_once(1)
    classes.delete(0, [1])  # a bad capture
    classes.save()
    restored = WebcamClasses(autosave_path=path)
    assert restored.names == ["thumbs up", "class B"]
    assert [len(c) for c in restored.crops] == [2, 1]
    for before, after in zip(classes.crops[0], restored.crops[0]):
        assert np.array_equal(before, after)


def test_a_corrupt_autosave_keeps_the_defaults_and_says_why(tmp_path):
    path = tmp_path / "webcam_classes.npz"
    path.write_bytes(b"garbage")
    classes = WebcamClasses(autosave_path=path)
    assert classes.names == ["class A", "class B"] and classes.crops == [[], []]
    assert str(path) in classes.load_problem


def test_webcam_classes_train_and_classify_the_live_view(qtbot, tmp_path):
    classes = WebcamClasses(autosave_path=tmp_path / "w.npz")
    capture_bars_and_poles(classes)
    state = PlaygroundState()
    tab = TrainingTab(state, webcam_classes=classes)
    qtbot.addWidget(tab)
    tab.data.set_kind("webcam")
    tab.settings.epochs_box.setValue(8)
    tab.settings.batch_box.setValue(8)
    tab.train_button.click()
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=20000)
    shown: list[str] = []
    tab.liveClassification.connect(shown.append)
    for kind, name in ((1, "pole"), (0, "bar")):
        state.publish_result(result_for(webcam_frame(kind, 999)))
        qtbot.waitUntil(lambda name=name: bool(shown) and shown[-1].startswith(name), timeout=2000)
        percent = int(shown[-1].split()[-1].rstrip("%"))
        assert 50 <= percent <= 100
    tab.live_box.setChecked(False)
    assert shown[-1] == ""
    tab.shutdown()


def test_live_frames_are_prepared_like_captured_ones():
    frame = webcam_frame(0, 1)
    sample = frame_to_sample(frame)
    assert sample.shape == (32, 32) and sample.dtype == np.uint8
    # the centred 120 x 120 square, shrunk 120 -> 32 by area averaging, in grey
    square = frame[:, 20:140]
    grey = cv2.cvtColor(
        cv2.resize(square, (64, 64), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY
    )
    expected = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA)
    assert np.array_equal(sample, expected)


# ------------------------------------------------------------------------- drawing, hand-made


def test_a_digit_drawn_in_a_corner_is_centred_like_mnist():
    drawing = np.zeros((196, 196), np.uint8)
    cv2.line(drawing, (20, 20), (20, 90), 255, 14)  # a "1" in the top-left corner
    sample = prepare_drawing(drawing, "digits", (1, 28, 28))[0]
    assert sample.shape == (28, 28)
    rows, cols = np.nonzero(sample)
    weights = sample[rows, cols].astype(float)
    centre = (np.average(rows, weights=weights), np.average(cols, weights=weights))
    assert abs(centre[0] - 13.5) < 1.0 and abs(centre[1] - 13.5) < 1.0
    assert rows.max() - rows.min() + 1 <= 21  # fitted into the 20 x 20 box (+ antialiasing)


def test_live_overlay_shows_the_prediction_over_a_view_and_hides_when_empty(qtbot):
    from PySide6.QtCore import QObject, Signal

    class Source(QObject):
        liveClassification = Signal(str)

    view = QWidget()
    qtbot.addWidget(view)
    view.resize(320, 240)
    view.show()
    source = Source()
    overlay = LiveClassificationOverlay.attach(view, source.liveClassification)
    assert not overlay.isVisible()
    source.liveClassification.emit("thumbs up 93%")
    assert overlay.isVisible() and overlay.text() == "thumbs up 93%"
    assert overlay.parentWidget() is view and overlay.geometry().top() >= 0
    source.liveClassification.emit("")
    assert not overlay.isVisible()


def test_mnist_files_train_through_the_tab_with_fashion_names(qtbot, tmp_path):
    rng = np.random.default_rng(0)
    count = 80
    labels = np.arange(count) % 10
    images = np.zeros((count, 28, 28), np.uint8)
    for index, label in enumerate(labels):  # a bright bar whose row tells the class
        images[index, 2 + 2 * label : 4 + 2 * label, 4:24] = 255
    images = np.clip(images + rng.integers(0, 30, images.shape), 0, 255).astype(np.uint8)
    image_file = tmp_path / "fashion-train-images-idx3-ubyte"
    label_file = tmp_path / "fashion-train-labels-idx1-ubyte"
    write_idx(image_file, 0x0803, [count, 28, 28], images.tobytes())
    write_idx(label_file, 0x0801, [count], labels.astype(np.uint8).tobytes())
    state = PlaygroundState()
    tab = TrainingTab(state, webcam_classes=WebcamClasses(autosave_path=tmp_path / "w.npz"))
    qtbot.addWidget(tab)
    tab.data.set_kind("idx")
    tab.data.images_edit.setText(str(image_file))
    tab.data.labels_edit.setText(str(label_file))
    tab.settings.epochs_box.setValue(1)
    tab.train_button.click()
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=15000)
    dataset = tab.session.dataset
    assert dataset.class_names[0] == "T-shirt/top" and len(dataset.class_names) == 10
    # the window keeps the validation set; the training images stay in the training process
    assert len(dataset.val_labels) == 12  # 15 % of 80
    assert tab.steps_done() == -(-(count - len(dataset.val_labels)) // 32)  # all the rest
    tab.shutdown()


def test_skipped_folder_files_are_reported_when_training_starts(qtbot, tmp_path):
    folder = tmp_path / "pictures"
    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
        for index in range(6):
            image = np.full((12, 12), 40 * index, np.uint8)
            image[:, :6] = 255 if name == "a" else 0
            cv2.imwrite(str(folder / name / f"{index}.png"), image)
    (folder / "b" / "notes.txt").write_text("not an image")
    tab, messages = folder_tab(qtbot, tmp_path)
    tab.data.folder_edit.setText(str(folder))
    tab.settings.epochs_box.setValue(1)
    tab.train_button.click()
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=15000)
    warnings = [text for text, level in messages if level == "warning"]
    assert any("notes.txt" in text and "skipped 1" in text for text in warnings)
    assert tab.session.dataset.class_names == ["a", "b"]
    tab.shutdown()


def test_holding_a_number_key_captures_for_that_class(qtbot, tmp_path):
    state = PlaygroundState()
    classes = WebcamClasses(autosave_path=tmp_path / "w.npz")
    panel = WebcamCapturePanel(classes, state)
    qtbot.addWidget(panel)
    state.publish_result(result_for(webcam_frame(1, 5)))
    qtbot.keyPress(panel, Qt.Key.Key_2)
    assert [len(c) for c in classes.crops] == [0, 1]
    qtbot.keyPress(panel, Qt.Key.Key_3)  # there is no third class: nothing happens
    assert [len(c) for c in classes.crops] == [0, 1]
    assert panel.thumbnails.count() == 1  # the thumbnails follow the class just captured

"""Robustness end to end, the session-long half: bad training data, a diverging network, broken
settings, stray exceptions, quitting mid-work, and nothing lost across a restart or a failed
export. Everything goes through the real window (``build_window`` or ``main.py``) and is judged
by what the person sees in it; see ``test_robustness.py`` for files, cameras and kernels.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from convlab.app import FIRST_RUN_KERNEL, build_window
from convlab.cnn.webcam_samples import centre_crop
from convlab.engine import presets
from convlab.ui.settings import Settings
from convlab.ui.training import webcam as training_webcam
from tests.ui.conftest import make_scene, wait_for_result
from tests.ui.shell.conftest import banner_level

ROOT = Path(__file__).resolve().parents[3]


def train_and_wait(qtbot, window, timeout: int = 15000) -> None:
    """Press Train in the window's Train tab and wait until training has ended."""
    tab = window.training_tab
    window.findChild(QPushButton, "trainButton").click()
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=timeout)


def write_idx(path: Path, magic: int, dims: list[int], payload: bytes) -> Path:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    path.write_bytes(header + payload)
    return path


# ----------------------------------------------------------------------------- training data
def _wrong_magic(folder: Path) -> tuple[Path, Path, Path, str]:
    images = write_idx(folder / "train-images-idx3-ubyte", 0x0803, [4, 28, 28], bytes(4 * 784))
    labels = write_idx(folder / "train-labels-idx1-ubyte", 0x0999, [4], bytes(4))
    return images, labels, labels, "magic"


def _counts_differ(folder: Path) -> tuple[Path, Path, Path, str]:
    images = write_idx(folder / "train-images-idx3-ubyte", 0x0803, [3, 28, 28], bytes(3 * 784))
    labels = write_idx(folder / "train-labels-idx1-ubyte", 0x0801, [2], bytes([0, 1]))
    return images, labels, images, "2 labels"


def _short_payload(folder: Path) -> tuple[Path, Path, Path, str]:
    images = write_idx(folder / "train-images-idx3-ubyte", 0x0803, [50, 28, 28], bytes(784))
    labels = write_idx(folder / "train-labels-idx1-ubyte", 0x0801, [50], bytes(50))
    return images, labels, images, "idx3-ubyte"


@pytest.mark.parametrize("make", [_wrong_magic, _counts_differ, _short_payload])
def test_bad_idx_files_are_named_in_the_window_and_training_stays_available(
    window, qtbot, tmp_path, make
):
    images, labels, culprit, reason = make(tmp_path)
    tab = window.training_tab
    tab.data.set_kind("idx")
    tab.data.images_edit.setText(str(images))
    tab.data.labels_edit.setText(str(labels))
    train_and_wait(qtbot, window)
    text = window.banner.text()
    assert culprit.name in text and reason in text, text
    assert banner_level(window) == "error"
    assert "Traceback" not in text and QApplication.activeModalWidget() is None
    assert tab.train_button.isEnabled() and tab.steps_done() == 0
    assert culprit.name in tab.status.text()  # the Train tab says it too


def test_an_image_folder_with_one_class_is_refused_in_the_window(window, qtbot, tmp_path):
    (tmp_path / "cats").mkdir()
    for index in range(4):
        cv2.imwrite(str(tmp_path / "cats" / f"{index}.png"), np.full((8, 8), index, np.uint8))
    tab = window.training_tab
    tab.data.set_kind("folder")
    tab.data.folder_edit.setText(str(tmp_path))
    train_and_wait(qtbot, window)
    assert "two" in window.banner.text() and str(tmp_path) in window.banner.text()
    assert banner_level(window) == "error" and tab.train_button.isEnabled()


def test_unreadable_images_in_a_folder_are_skipped_and_named_and_training_runs(
    window, qtbot, tmp_path
):
    for name in ("circles", "squares"):
        (tmp_path / name).mkdir()
        for index in range(5):
            picture = np.full((12, 12), 30 * index, np.uint8)
            picture[:, :6] = 255 if name == "circles" else 0
            cv2.imwrite(str(tmp_path / name / f"{index}.png"), picture)
    (tmp_path / "squares" / "broken.jpg").write_bytes(b"\xff\xd8\xff truncated")
    (tmp_path / "circles" / "empty.png").write_bytes(b"")
    tab = window.training_tab
    tab.data.set_kind("folder")
    tab.data.folder_edit.setText(str(tmp_path))
    tab.settings.epochs_box.setValue(1)
    train_and_wait(qtbot, window)
    text = window.banner.text()
    assert "skipped 2" in text and "broken.jpg" in text and "empty.png" in text, text
    assert banner_level(window) == "warning"
    assert tab.current_model() is not None and tab.steps_done() > 0  # it trained on the good ones
    assert tab.session.dataset.class_names == ["circles", "squares"]


def test_a_diverging_network_stops_with_a_message_and_keeps_good_weights(window, qtbot):
    tab = window.training_tab
    tab.data.count_box.setValue(200)
    tab.settings.optimizer_box.setCurrentIndex(1)  # SGD + momentum
    tab.settings.lr_box.setValue(10000.0)
    tab.settings.epochs_box.setValue(50)
    tab.settings.batch_box.setValue(16)
    train_and_wait(qtbot, window, timeout=20000)
    text = window.banner.text()
    assert "diverged" in text and "learning rate" in text, text
    assert banner_level(window) == "error"
    for layer in tab.current_model().layers:
        for values in layer.params.values():
            assert np.isfinite(values).all()
    window.state.set_kernel(presets.get("box"))  # the playground goes on
    wait_for_result(qtbot, window)


# ----------------------------------------------------------------------------- settings
def test_settings_from_an_older_version_give_defaults_and_the_app_runs(qtbot, scene_path):
    path = Settings().path
    path.write_text(
        "[General]\n"
        "version=0\n"
        "view/compare_mode=wipe-o-matic\n"  # a mode this version does not have
        "camera/index=front\n"  # not JSON at all: Qt's own old format
        "source/recent=@Invalid()\n"
        'playground/state="{\\"kernel\\": [[1, 2], [3, 4]], \\"bank\\": 7}"\n'
        "window/geometry=zz-not-hex\n"
    )
    window = build_window([str(scene_path)])
    qtbot.addWidget(window)
    wait_for_result(qtbot, window)
    # the unreadable saved kernel leaves a default one (the state's, or the first-run preset)
    assert window.state.kernel in (presets.get("identity"), presets.get(FIRST_RUN_KERNEL))
    assert window.state.bank == ()
    assert "compare_mode" in window.banner.text() and "default" in window.banner.text()
    assert window.compare.mode == "side_by_side"
    assert window.settings.get("camera/index") == 0
    assert window.settings.get("source/recent") == [str(scene_path.resolve())]
    assert not window.banner.isHidden() and "Traceback" not in window.banner.text()
    window.state.set_kernel(presets.get("sobel_x"))
    result = wait_for_result(qtbot, window)
    assert result.output.shape[:2] == result.frame.shape[:2]
    window.close()
    again = Settings()  # the file was rewritten in the current format
    assert again.get("version") == 1 and again.get("view/compare_mode") == "side_by_side"
    assert again.get("playground/state")["kernel"]["name"] == "sobel_x"


# ----------------------------------------------------------------------------- safety net
@pytest.mark.qt_no_exception_capture
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_stray_exceptions_are_logged_shown_and_survived(window, qtbot, caplog):
    caplog.set_level(logging.ERROR, logger="convlab")

    def broken_slot(_kernel) -> None:
        raise KeyError("a bug in some panel")

    window.state.kernelChanged.connect(broken_slot)
    window.state.set_kernel(presets.get("emboss"))
    qtbot.waitUntil(lambda: "KeyError" in window.banner.text(), timeout=2000)
    assert "carries on" in window.banner.text() and banner_level(window) == "error"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Traceback" in logged and "a bug in some panel" in logged
    window.state.kernelChanged.disconnect(broken_slot)
    result = wait_for_result(qtbot, window)  # the edit still reached the output
    assert window.state.kernel == presets.get("emboss") and result.output.size

    worker = threading.Thread(target=lambda: 1 / 0, name="helper")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: "ZeroDivisionError" in window.banner.text(), timeout=2000)
    assert QApplication.activeModalWidget() is None
    window.state.set_kernel(presets.get("sharpen"))
    wait_for_result(qtbot, window)


# ----------------------------------------------------------------------------- quitting mid-work
_QUIT_WHILE_BUSY = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QPushButton
    from convlab.engine.sources import FrameSource
    from convlab.ui.threads import filter_worker as workers
    from convlab import app as convlab_app

    class Camera(FrameSource):
        is_live = True
        name = "Camera 0"
        def __init__(self):
            self.count = 0
        @property
        def size(self):
            return (160, 120)
        def read(self):
            time.sleep(0.02)  # 50 fps, blocking like a driver
            self.count += 1
            return np.full((120, 160, 3), self.count % 256, np.uint8)

    real_open = workers.open_source
    workers.open_source = lambda spec, **o: Camera() if spec == 0 else real_open(spec, **o)
    # The person answers the quit question: save the network, here.
    from pathlib import Path
    from PySide6.QtWidgets import QFileDialog, QMessageBox
    QMessageBox.question = lambda *a, **k: QMessageBox.StandardButton.Save
    kept = str(Path(os.environ["CONVLAB_SETTINGS"]).with_name("saved-network.npz"))
    QFileDialog.getSaveFileName = lambda *a, **k: (kept, "")
    qapp = QApplication(sys.argv[:1])

    def watch():
        windows = [w for w in qapp.topLevelWidgets() if hasattr(w, "training_tab")]
        if not windows:
            QTimer.singleShot(20, watch)
            return
        window = windows[0]
        if not window.training_tab.is_training():
            window.findChild(QPushButton, "trainButton").click()
        if window.training_tab.steps_done() > 0 and window.displayed_frames > 5:
            started = time.perf_counter()
            window.close()
            took = time.perf_counter() - started
            print(f"CLOSED {took:.3f} worker={window.worker.isRunning()} "
                  f"training={len(window.training_tab.running_threads())}", flush=True)
            return
        QTimer.singleShot(20, watch)

    QTimer.singleShot(0, watch)
    raise SystemExit(convlab_app.main(["--camera", "0"]))
    """
)


def test_quitting_while_the_camera_and_training_run_stops_both_and_exits_zero(tmp_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CONVLAB_SETTINGS": str(tmp_path / "quit.ini"),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.run(
        [sys.executable, "-c", _QUIT_WHILE_BUSY],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-2000:]
    closed = [line for line in process.stdout.splitlines() if line.startswith("CLOSED")]
    assert closed, process.stdout + process.stderr[-2000:]
    took = float(closed[0].split()[1])
    assert took < 1.0 and "worker=False" in closed[0] and "training=0" in closed[0]
    assert "QThread" not in process.stderr and "Traceback" not in process.stderr
    assert (tmp_path / "saved-network.npz").is_file()  # the network went where the person said


# ----------------------------------------------------------------------------- nothing lost
def test_kernel_bank_and_webcam_classes_survive_a_crash(qtbot, scene_path):
    """No clean close: a second window started while the first is still 'running' (as after
    a crash, when only the autosaves are left) finds the kernel, the bank and the captures."""
    first = build_window([str(scene_path)])
    # captured classes live beside the settings file (CONVLAB_SETTINGS, set per test)
    classes_file = first.settings.path.with_name(training_webcam.AUTOSAVE_NAME)
    qtbot.addWidget(first)
    wait_for_result(qtbot, first)
    first.state.set_kernel(presets.get("emboss"))
    first.state.set_bank([presets.get("sobel_x"), presets.get("laplacian")])
    capture = first.training_tab.data.webcam_panel
    first.training_tab.webcam_classes.rename(1, "cup")
    wait_for_result(qtbot, first)
    assert capture.capture_once(1) and capture.capture_once(1)
    frame = first.last_result.frame

    def autosaved() -> None:
        assert classes_file.is_file()
        state = Settings().get("playground/state")
        assert state.get("kernel", {}).get("name") == "emboss"

    qtbot.waitUntil(autosaved, timeout=3000)  # about a second after the last change
    second = build_window([str(scene_path)])
    qtbot.addWidget(second)
    assert second.state.kernel == presets.get("emboss")
    assert [k.name for k in second.state.bank] == ["sobel_x", "laplacian"]
    restored = second.training_tab.webcam_classes
    assert restored.names == ["class A", "cup"] and [len(c) for c in restored.crops] == [0, 2]
    expected = centre_crop(frame)
    assert np.array_equal(restored.crops[1][0], expected)
    second.close()
    first.close()


def test_a_failed_export_leaves_the_old_file_whole_and_says_why(
    window, qtbot, tmp_path, monkeypatch
):
    exports = tmp_path / "exports"
    exports.mkdir()
    target = exports / "result.png"
    window.source_menu.export_png(str(target))
    qtbot.waitUntil(target.is_file, timeout=5000)
    qtbot.waitUntil(lambda: "Saved" in window.statusBar().currentMessage(), timeout=5000)
    good = target.read_bytes()
    real_open = Path.open

    class FillsUp:
        """A file on a disk that fills up after a few hundred bytes."""

        def __init__(self, handle) -> None:
            self.handle, self.room = handle, len(good) // 2

        def write(self, data) -> int:
            data = memoryview(data).cast("B")
            if len(data) > self.room:
                self.handle.write(data[: self.room])  # part of the file is on disk...
                raise OSError(28, "No space left on device")  # ...when the disk fills up
            self.room -= len(data)
            return self.handle.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

    def open_on_a_full_disk(self: Path, mode: str = "r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        return FillsUp(handle) if "w" in mode and self.parent == exports else handle

    monkeypatch.setattr(Path, "open", open_on_a_full_disk)
    window.state.set_kernel(presets.get("sobel_y"))
    wait_for_result(qtbot, window)
    window.source_menu.export_png(str(target))
    qtbot.waitUntil(lambda: "No space left" in window.banner.text(), timeout=5000)
    assert str(target) in window.banner.text() and banner_level(window) == "error"
    assert target.read_bytes() == good  # the previous export is untouched
    assert sorted(p.name for p in exports.iterdir()) == ["result.png"]  # no half file left
    decoded = cv2.imdecode(np.frombuffer(good, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape[:2] == make_scene().shape[:2]


def test_an_export_into_a_missing_folder_says_so_once_without_a_traceback(
    window, qtbot, tmp_path, caplog
):
    caplog.set_level(logging.WARNING)
    target = tmp_path / "no such folder" / "result.png"
    window.source_menu.export_png(str(target))
    qtbot.waitUntil(lambda: str(target) in window.banner.text(), timeout=5000)
    qtbot.wait(200)  # anything re-raised arrives through the global hook's queued signal
    assert "Something went wrong" not in window.banner.text(), window.banner.text()
    assert not [r for r in caplog.records if "Traceback" in r.getMessage() or r.exc_info]

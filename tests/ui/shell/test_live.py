"""The live path through the real window: the Camera button, cameras by name, a missing camera
that costs nothing, stream passwords never shown, and no work while nothing is on screen."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QAction

from convlab.bench.mjpeg_server import MjpegServer
from convlab.engine import cameras
from convlab.engine.cameras import Camera, CameraMode
from convlab.engine.sources import VideoSource, open_source
from convlab.errors import SourceError
from convlab.ui.shell.status_line import HOVER_HINT, RATE_TEXTS, TIMING_TEMPLATE
from convlab.ui.threads import filter_worker as workers
from tests.ui.conftest import make_scene, wait_for_result
from tests.ui.shell.conftest import wait_until

SECRET = "s3cr%40t%2Fpw"  # "s3cr@t/pw", as a person types it into a URL


class FakeCamera:
    """cv2.VideoCapture's surface for a webcam: 64x48 frames at ~60 fps, MJPG at 30 fps."""

    def __init__(self) -> None:
        self.released = False
        self.count = 0

    def isOpened(self) -> bool:
        return not self.released

    def grab(self) -> bool:
        time.sleep(1 / 60)
        self.count += 1
        return not self.released

    def read(self):
        if not self.grab():
            return False, None
        return True, np.full((48, 64, 3), self.count % 256, np.uint8)

    def set(self, _prop, _value) -> bool:
        return True

    def get(self, prop) -> float:
        return {cv2.CAP_PROP_FPS: 30.0, cv2.CAP_PROP_FOURCC: float(0x47504A4D)}.get(prop, 0.0)

    def release(self) -> None:
        self.released = True


@pytest.fixture
def fake_cameras(monkeypatch):
    """Cameras are simulated: ``present`` indices open a FakeCamera, others fail as a
    missing /dev/videoN does. Every open's options are recorded."""
    opened: list[tuple[object, dict]] = []
    present: set[int] = set()

    def opener(spec, **options):
        opened.append((spec, options))
        if isinstance(spec, int):
            if spec not in present:
                raise SourceError(
                    f"Camera {spec}: could not be opened (no such device: /dev/video{spec} "
                    "does not exist)"
                )
            options = {k: v for k, v in options.items() if k != "capture_factory"}
            return VideoSource(spec, capture_factory=lambda *_: FakeCamera(), **options)
        return open_source(spec, **options)

    monkeypatch.setattr(workers, "open_source", opener)
    return opened, present


def write_clip(path: Path, frames: int = 60, fps: float = 25.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (64, 48))
    for index in range(frames):
        writer.write(cv2.cvtColor(make_scene(48, 64, seed=index), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def play_video(window, qtbot, tmp_path: Path) -> Path:
    path = write_clip(tmp_path / "clip.avi")
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.open_spec(str(path))
    shown = window.displayed_frames
    assert wait_until(lambda: window.displayed_frames > shown + 3, 5.0)
    return path


def camera_action(window) -> QAction:
    action = window.findChild(QAction, "cameraAction")
    assert action is not None and action.isCheckable()
    return action


def keeps_playing(window, frames: int = 8) -> bool:
    shown = window.displayed_frames
    return wait_until(lambda: window.displayed_frames >= shown + frames, 5.0)


def test_a_missing_camera_leaves_the_video_playing_and_offers_alternatives(
    window, qtbot, tmp_path, fake_cameras
):
    path = play_video(window, qtbot, tmp_path)
    action = camera_action(window)
    with qtbot.waitSignal(window.worker.sourceFailed, timeout=5000):
        action.trigger()
    assert not action.isChecked()  # the real state: no camera plays
    assert window.source_info.spec == str(path) and keeps_playing(window)
    assert "/dev/video0 does not exist" in window.banner.text()
    assert window.banner.action_texts() == ["Test pattern", "Open video…"]
    # Space (Freeze) still works on the video
    window.source_menu.freeze_action.trigger()
    assert window.worker.frozen
    window.status.update_rates()
    assert window.status.rate_label.text() == "frozen (Space: live)"
    qtbot.wait(150)
    frozen_at = window.displayed_frames
    qtbot.wait(300)
    assert window.displayed_frames == frozen_at
    window.source_menu.freeze_action.trigger()
    assert not window.worker.frozen and keeps_playing(window)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000) as opened:
        window.banner.trigger("Test pattern")
    assert opened.args[0].spec == "pattern"


def test_the_camera_button_shows_a_playing_camera_and_goes_back(
    window, qtbot, tmp_path, fake_cameras
):
    _opened, present = fake_cameras
    present.add(0)
    path = play_video(window, qtbot, tmp_path)
    action = camera_action(window)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000) as camera:
        action.trigger()
    assert camera.args[0].spec == 0 and action.isChecked()
    assert "64x48 MJPG 30 fps" in window.status.source_label.text()  # what the driver agreed to
    assert keeps_playing(window)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000) as back:
        action.trigger()  # pressed again: back to the video
    assert back.args[0].spec == str(path) and not action.isChecked()


def test_cameras_are_offered_by_name_with_their_modes_and_found_again_by_name(
    window, qtbot, fake_cameras, monkeypatch
):
    opened, present = fake_cameras
    present.update({0, 2})
    c270 = Camera(
        2,
        "HD Webcam C270",
        (
            CameraMode("YUYV", 640, 480, 30.0),
            CameraMode("YUYV", 1280, 720, 10.0),
            CameraMode("MJPG", 1280, 720, 30.0),
        ),
    )
    monkeypatch.setattr(cameras, "find_cameras", lambda: [Camera(0, "Camera 0"), c270])
    menu = window.source_menu
    with qtbot.waitSignal(menu.camerasProbed, timeout=5000):
        menu.probe_cameras()
    menu._fill_cameras()
    labels = [a.text() for a in menu.camera_menu.actions()]
    assert labels[:2] == ["Camera 0", "HD Webcam C270 (camera 2)"]
    # chosen last time as camera 0, since plugged in another order: found by its name
    window.settings.set("camera/name", "HD Webcam C270")
    window.settings.set("camera/index", 0)
    window.settings.set("camera/resolution", "1280x720")
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000) as camera:
        menu.open_camera()
    assert camera.args[0].spec == 2
    assert opened[-1] == (
        2,
        {"camera_name": "HD Webcam C270", "width": 1280, "height": 720, "fourcc": "MJPG"},
    )
    assert "HD Webcam C270" in window.status.source_label.text()
    resolutions = menu.cameras_menu.resolution_menu
    menu.cameras_menu._fill_resolutions()
    texts = [a.text() for a in resolutions.actions()]
    assert texts == ["Camera default", "640x480 · 30 fps (YUYV)", "1280x720 · 30 fps (MJPG)"]
    assert [a.isChecked() for a in resolutions.actions()] == [False, False, True]
    assert window.settings.get("camera/index") == 2


def test_status_texts_are_never_cut_off(window, qtbot):
    window.show()
    for label, texts in (
        (window.status.rate_label, RATE_TEXTS),
        (window.status.timing_label, (TIMING_TEMPLATE,)),
        (window.status.hover_label, (HOVER_HINT,)),
    ):
        room = label.contentsRect().width()
        for text in texts:
            assert label.fontMetrics().horizontalAdvance(text) <= room, text
    assert window.status.rate_text() == "still image"
    # a long message keeps its start (the name) and its end (the reason), elided between
    long_name = "holiday " * 40 + "video.mp4"
    window.status.show_message(f"File '{long_name}': contains no frames (corrupt video)")
    shown = window.statusBar().currentMessage()
    assert "…" in shown and shown.startswith("File 'holiday")
    assert shown.endswith("(corrupt video)")
    assert window.statusBar().fontMetrics().horizontalAdvance(shown) < window.statusBar().width()
    assert long_name in window.statusBar().toolTip()


def test_stream_passwords_are_never_shown_or_saved(window, qtbot, caplog):
    server = MjpegServer(fps=30).start()
    url = server.url.replace("http://", f"http://admin:{SECRET}@")
    masked = server.url.replace("http://", "http://***@")
    try:
        with qtbot.waitSignal(window.worker.sourceOpened, timeout=8000):
            window.source_menu.open_spec(url)
        wait_for_result(qtbot, window)
        server.kill()
        with qtbot.waitSignal(window.worker.sourceLost, timeout=5000):
            pass
        window.settings.sync()
        menu = window.source_menu
        menu._fill_recent()
        shown = [
            window.status.source_label.text(),
            window.status.source_label.toolTip(),
            window.statusBar().currentMessage(),
            window.banner.text(),
            *[a.text() for a in menu.recent_menu.actions()],
            Path(window.settings.path).read_text(),
            *[record.getMessage() for record in caplog.records],
        ]
        assert masked in window.status.source_label.toolTip()
        assert masked in window.settings.get("source/recent")
        assert "127.0.0.1" in window.banner.text()
        for text in shown:
            assert "admin" not in text and "s3cr" not in text, text
        # within this session the Recent entry reopens the stream as it was typed
        server.start()
        with qtbot.waitSignal(window.worker.sourceOpened, timeout=8000) as again:
            menu.open_recent(masked)
        assert again.args[0].spec == url
    finally:
        server.kill()


def test_a_saved_stream_asks_for_its_password_again(window, monkeypatch):
    asked: list[str] = []
    menu = window.source_menu
    monkeypatch.setattr(menu, "_ask_url", lambda text, _label: asked.append(text) or "")
    menu.open_recent("rtsp://***@camera.local/live")  # from an earlier session
    assert asked == ["rtsp://***@camera.local/live"]


def test_nothing_is_filtered_while_nothing_shows_it(window, qtbot, tmp_path, monkeypatch):
    play_video(window, qtbot, tmp_path)
    tabs = window.tabs
    tabs.setCurrentIndex(1)  # Arithmetic: no live picture there
    assert wait_until(lambda: not window.worker.wanted, 2.0)
    qtbot.wait(200)
    paused_at = window.displayed_frames
    qtbot.wait(500)
    assert window.displayed_frames == paused_at
    assert window.status.rate_text() == "paused: not on screen"
    tabs.setCurrentIndex(3)  # Kernel lab: its pictures follow the live source
    assert wait_until(lambda: window.worker.wanted, 2.0) and keeps_playing(window)
    monkeypatch.setattr(window.training_tab, "is_training", lambda: True)
    window.live_demand.update()
    assert window.worker.max_fps == 15.0  # training keeps its core
    tabs.setCurrentIndex(0)
    assert wait_until(lambda: window.worker.max_fps is None, 2.0)
    assert window.worker.wanted and keeps_playing(window)


def test_a_still_image_on_screen_costs_no_cpu(window, qtbot):
    window.show()
    qtbot.wait(1500)  # settled: first paint, autosave, layout
    started_cpu, started = time.process_time(), time.perf_counter()
    qtbot.wait(3000)
    cpu = (time.process_time() - started_cpu) / (time.perf_counter() - started)
    names = [t.name for t in threading.enumerate()]
    assert cpu < 0.02, f"{cpu:.1%} of a core on a still image; threads: {names}"


def test_camera_on_the_command_line_is_the_one_used_last_found_by_name(
    qtbot, fake_cameras, monkeypatch
):
    from convlab.app import build_window
    from convlab.ui.settings import Settings

    opened, present = fake_cameras
    present.update({0, 2})
    monkeypatch.setattr(cameras, "find_cameras", lambda: [Camera(0, "USB"), Camera(2, "C270")])
    monkeypatch.setattr(sys, "platform", "linux")  # names are looked up first (as on Linux)
    settings = Settings()
    settings.set("camera/name", "C270")
    settings.set("camera/index", 0)  # it was camera 0 last time
    settings.sync()
    win = build_window(["--camera"])
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.source_info is not None, timeout=8000)
    assert win.source_info.spec == 2 and opened[-1][1]["camera_name"] == "C270"
    assert camera_action(win).isChecked()
    win.close()


def test_a_camera_plugged_in_for_the_first_time_opens_from_the_camera_button(
    window, qtbot, fake_cameras, monkeypatch
):
    """None was there when the window looked; then a webcam is plugged in (as /dev/video2,
    beside a laptop's others) and the Camera button is pressed: it is found and opened."""
    opened, present = fake_cameras
    plugged: list[Camera] = []
    monkeypatch.setattr(cameras, "find_cameras", lambda: list(plugged))
    monkeypatch.setattr(sys, "platform", "linux")
    menu = window.source_menu
    with qtbot.waitSignal(menu.camerasProbed, timeout=5000):
        menu.probe_cameras()
    assert menu.cameras_menu.cameras == []
    plugged.append(Camera(2, "USB Camera: Tom & Jerry"))
    present.add(2)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000) as camera:
        camera_action(window).trigger()
    assert camera.args[0].spec == 2 and camera_action(window).isChecked()
    assert opened[-1] == (2, {"camera_name": "USB Camera: Tom & Jerry"})
    assert window.settings.get("camera/name") == "USB Camera: Tom & Jerry"
    menu._fill_cameras()
    texts = [a.text() for a in menu.camera_menu.actions()]
    assert texts[0] == "USB Camera: Tom && Jerry (camera 2)"  # "&" shown, not a shortcut


def test_opening_the_camera_menu_again_while_looking_starts_no_second_lookup(
    window, qtbot, monkeypatch
):
    release, calls = threading.Event(), []

    def slow_lookup() -> list[Camera]:
        calls.append(1)
        release.wait(5.0)  # elsewhere than Linux a lookup opens every camera: seconds
        return [Camera(0, "Camera 0")]

    monkeypatch.setattr(cameras, "find_cameras", slow_lookup)
    menu = window.source_menu
    after: list[str] = []
    for _ in range(3):
        menu._fill_cameras()  # the menu opened while the list is unknown
    menu.probe_cameras(then=lambda: after.append("then"))
    assert [a.text() for a in menu.camera_menu.actions()] == ["Looking for cameras…"]
    with qtbot.waitSignal(menu.camerasProbed, timeout=5000):
        release.set()
    qtbot.waitUntil(lambda: after == ["then"], timeout=5000)
    assert len(calls) == 1
    menu.probe_cameras()  # once it has answered, a new lookup may start
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)


def test_a_window_being_destroyed_asks_its_worker_for_nothing(qtbot, scene_path):
    """Its docks report hiding while the window is torn down (as when the display goes away):
    the demand must not reach into the half-destroyed window."""
    import shiboken6

    from convlab.app import build_window

    win = build_window([str(scene_path)])
    win.show()
    wait_for_result(qtbot, win)
    win.close()
    shiboken6.delete(win)  # pytest-qt fails the test on an exception raised in a slot
    qtbot.wait(50)

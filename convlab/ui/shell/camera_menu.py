"""The cameras: which there are (by name), which size and rate, and the toolbar's Camera button.

Cameras are listed by the name their driver gives ("HD Webcam C270 (camera 0)") with the
sizes and frame rates they report, found off the GUI thread. The camera chosen is remembered
by name as well as index, so it is found again after cameras were plugged in another order.
At each size the mode that reaches 30 fps is asked for (MJPG where uncompressed video is too
slow), and the status bar shows what the driver agreed to. A camera plugged in for the first
time needs no menu: the Camera button looks the cameras up again (on Linux, in milliseconds)
and, when the one chosen last time is not there, opens the first one listed.

The Camera button (``cameraAction``) is checked exactly while a camera is what plays. It
opens the camera beside the current picture, which keeps playing until the camera delivers
(or fails: then a banner offers the test pattern and a video instead); pressed while the
camera plays, it goes back to the picture shown before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from convlab.engine import cameras as camera_list
from convlab.engine.cameras import Camera, pick_camera
from convlab.ui.settings import Settings
from convlab.ui.shell.window_menu import WindowMenu
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.filter_worker import FilterWorker, SourceInfo, is_camera

DEFAULT_SIZES = ((640, 480), (1280, 720), (1920, 1080))  # where a camera does not say
WANTED_FPS = 30.0


class CameraMenu(WindowMenu):
    """The File menu's camera entries and the toolbar's Camera button, for one window."""

    camerasProbed = Signal(list)  # list[Camera]
    openRequested = Signal(object, dict, object)  # (spec, options, fallback) to open

    def __init__(
        self,
        window: QMainWindow,
        state: PlaygroundState,
        worker: FilterWorker,
        settings: Settings,
    ) -> None:
        super().__init__(window, state, worker, settings)
        self.cameras: list[Camera] | None = None
        self._probing = False  # a lookup is under way: the next request waits for it
        self._probe_quiet = True
        self._after_probe: list[Callable[[], None]] = []
        self._playing = False  # a camera is what the worker plays (and it is not lost)
        self._before_camera: Any = None  # what played before the camera, to go back to
        self.menu = QMenu("&Camera", window)
        self.menu.aboutToShow.connect(self._fill_cameras)
        self.resolution_menu = QMenu("Camera &resolution", window)
        self.resolution_menu.aboutToShow.connect(self._fill_resolutions)
        self.action = QAction("&Camera", window)
        self.action.setObjectName("cameraAction")
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("Ctrl+K"))
        self.action.setToolTip("Use the webcam (File ▸ Camera to choose one); again to stop")
        self.action.triggered.connect(self._toggled)
        window.addAction(self.action)
        self.mirror_action = QAction("&Mirror camera", window)
        self.mirror_action.setCheckable(True)
        self.mirror_action.setChecked(settings.get("camera/mirror"))
        self.mirror_action.toggled.connect(self.set_mirror)
        worker.set_mirror(self.mirror_action.isChecked())
        worker.sourceOpened.connect(self._source_opened)
        worker.sourceFailed.connect(self._source_failed)
        worker.sourceLost.connect(lambda _text: self._show_playing(False))

    # ----------------------------------------------------------------------------- state
    def _show_playing(self, playing: bool) -> None:
        self._playing = playing
        self.action.setChecked(playing)

    def _toggled(self, _checked: bool = False) -> None:
        if self._playing:
            self._show_playing(True)  # until the picture before it is back
            self.stop_camera()
        else:
            self._show_playing(False)  # checked once the camera really delivers
            self.open_camera()

    def stop_camera(self) -> None:
        """Back to what played before the camera (else the test pattern)."""
        before = self._before_camera if self._before_camera is not None else "pattern"
        self.openRequested.emit(before, {}, None)

    def _source_opened(self, info: SourceInfo) -> None:
        if not is_camera(info.spec):
            self._before_camera = info.spec
            self._show_playing(False)
            return
        self._show_playing(True)
        self._settings.set("camera/index", info.spec)
        camera = self._known(info.spec)
        if camera is not None:
            self._settings.set("camera/name", camera.name)

    def _source_failed(self, spec: Any, _message: str) -> None:
        if is_camera(spec):
            self._show_playing(is_camera(self._worker.spec) and self._playing)
            self.cameras = None  # the list may be out of date (unplugged, plugged): look again

    def _known(self, index: int) -> Camera | None:
        return next((c for c in self.cameras or () if c.index == index), None)

    # ----------------------------------------------------------------------------- opening
    def open_camera(self, index: int | None = None, *, fallback: Any = None) -> None:
        """Open camera ``index`` (None: the one chosen last time, found by its name);
        ``fallback`` opens instead if it fails while nothing plays yet (the first start)."""
        if index is None and not self.cameras and sys.platform.startswith("linux"):
            # names come from sysfs in milliseconds: look them up first (off this thread),
            # also when none was there last time (one may have been plugged in since)
            self.probe_cameras(then=lambda: self._open_remembered(fallback), quiet=True)
            return
        if index is None:
            found = self.cameras or []
            chosen = pick_camera(
                found,
                self._settings.get("camera/name") or None,
                self._settings.get("camera/index"),
            )
            chosen = chosen or (found[0] if found else None)  # not here: the first one there
            index = chosen.index if chosen is not None else self._settings.get("camera/index")
        self.openRequested.emit(int(index), self.options_for(int(index)), fallback)

    def _open_remembered(self, fallback: Any) -> None:
        if not self.cameras:  # none found, or the lookup failed: the index chosen last time
            self.openRequested.emit(int(self._settings.get("camera/index")), {}, fallback)
        else:
            self.open_camera(fallback=fallback)

    def options_for(self, index: int) -> dict[str, Any]:
        """``open_source`` options for camera ``index``: size, pixel format, display name."""
        options: dict[str, Any] = {}
        camera = self._known(index)
        if camera is not None and camera.name != f"Camera {index}":
            options["camera_name"] = camera.name
        size = parse_size(self._settings.get("camera/resolution"))
        if size is not None:
            options.update(width=size[0], height=size[1])
            mode = camera.best_mode(*size, fps=WANTED_FPS) if camera is not None else None
            if mode is not None:
                options["fourcc"] = mode.fourcc
        return options

    def set_resolution(self, resolution: str) -> None:
        self._settings.set("camera/resolution", resolution)
        if is_camera(self._worker.spec) and self._playing:
            self.open_camera(self._worker.spec)

    def set_mirror(self, mirror: bool) -> None:
        self._settings.set("camera/mirror", bool(mirror))
        self._worker.set_mirror(bool(mirror))
        if self.mirror_action.isChecked() != bool(mirror):
            self.mirror_action.setChecked(bool(mirror))

    # ----------------------------------------------------------------------------- menus
    def _fill_cameras(self) -> None:
        menu = self.menu
        menu.clear()
        if self.cameras is None:
            menu.addAction("Looking for cameras…").setEnabled(False)
            self.probe_cameras()
            return
        for camera in self.cameras:
            label = camera.label.replace("&", "&&")  # a driver's "&" is a letter, not a shortcut
            action = menu.addAction(label, lambda i=camera.index: self.open_camera(i))
            action.setCheckable(True)
            action.setChecked(self._playing and self._worker.spec == camera.index)
        if not self.cameras:
            menu.addAction("(no camera found)").setEnabled(False)
        menu.addSeparator()
        menu.addAction("Look for cameras again", self.probe_cameras)

    def _fill_resolutions(self) -> None:
        """The sizes the camera reports, each with its frame rate; the usual ones otherwise."""
        menu = self.resolution_menu
        menu.clear()
        group = QActionGroup(menu)
        current = self._settings.get("camera/resolution")
        index = self._worker.spec if is_camera(self._worker.spec) else None
        camera = self._known(index if index is not None else self._settings.get("camera/index"))
        choices = [("default", "Camera default")]
        for width, height in camera.sizes() if camera and camera.modes else DEFAULT_SIZES:
            mode = camera.best_mode(width, height, WANTED_FPS) if camera else None
            label = f"{width}x{height}" if mode is None else mode.label
            choices.append((f"{width}x{height}", label))
        for value, label in choices:
            action = menu.addAction(label, lambda v=value: self.set_resolution(v))
            action.setCheckable(True)
            action.setChecked(value == current)
            group.addAction(action)

    # ----------------------------------------------------------------------------- probing
    def probe_cameras(self, then: Callable[[], None] | None = None, *, quiet: bool = False) -> None:
        """List the cameras, off the GUI thread (elsewhere than Linux this opens each one);
        ``then`` runs afterwards, whether the lookup worked or not. ``quiet``: no message when
        there is none (opening one then says so itself). While a lookup runs, another request
        waits for its answer instead of starting a second one."""
        if then is not None:
            self._after_probe.append(then)
        self._probe_quiet = self._probe_quiet and quiet
        if self._probing:
            return
        self._probing = True

        def failed(error: Exception) -> None:
            self._state.report(f"Camera probe: {error}", "warning")
            self._probe_finished(None)

        # only a lookup: closing the window does not wait for it
        self._jobs.run(camera_list.find_cameras, self._probe_finished, failed, cancellable=True)

    def _probe_finished(self, cameras: list[Camera] | None) -> None:
        """The lookup is over (``cameras`` None: it failed); whoever waited for it goes on."""
        quiet, self._probing, self._probe_quiet = self._probe_quiet, False, True
        waiting, self._after_probe = self._after_probe, []
        if cameras is not None:
            self.cameras = list(cameras)
            self.camerasProbed.emit(self.cameras)
            if self.menu.isVisible():
                self._fill_cameras()
            if not self.cameras and not quiet:
                self._state.report(
                    "No camera found. Images, videos and the test pattern still work.", "info"
                )
        for then in waiting:
            then()


def parse_size(text: str) -> tuple[int, int] | None:
    """ "1280x720" -> (1280, 720); anything else (e.g. "default") -> None."""
    width, separator, height = str(text).partition("x")
    if not separator or not (width.isdigit() and height.isdigit()):
        return None
    size = int(width), int(height)
    return size if all(16 <= side <= 16384 for side in size) else None

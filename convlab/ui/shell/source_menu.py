"""The File menu: where frames come from, and where pictures go.

Opening anything (file, sample, video, URL, test pattern, camera) only *asks* the filter
worker to open it: the worker opens it on its own thread (a camera can take seconds) and
answers with ``sourceOpened`` or ``sourceFailed``, so the window never freezes on a slow device.
Probing which cameras exist also runs off the GUI thread. Exports filter the *full-resolution*
frame (not a live preview) on a background thread and write each file atomically (a temporary
file, then ``os.replace``), so a crash never leaves half a PNG behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from PySide6.QtCore import QMimeData, QUrl, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMenu

from convlab.engine import sources
from convlab.engine.export import export_output, file_stem, write_png
from convlab.engine.masking import MASK, mask_url
from convlab.errors import ConvlabError
from convlab.ui import file_dialogs
from convlab.ui import text as ui_text
from convlab.ui.settings import Settings
from convlab.ui.shell.camera_menu import CameraMenu
from convlab.ui.shell.status_line import shown_text
from convlab.ui.shell.window_menu import WindowMenu
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.filter_worker import FilterWorker, SourceInfo, is_camera
from convlab.ui.threads.priority import below_the_gui

log = logging.getLogger(__name__)

IMAGE_PATTERNS = "*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp *.gif *.pgm *.ppm"
VIDEO_PATTERNS = "*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.mpg *.mpeg"
IMAGE_FILTER = f"Images ({IMAGE_PATTERNS})"
VIDEO_FILTER = f"Videos ({VIDEO_PATTERNS} *.gif)"
# "Open image or video…" lists both at first; the narrower filters stay one click away
OPEN_FILTERS = (
    f"Images and videos ({IMAGE_PATTERNS} {VIDEO_PATTERNS})",
    IMAGE_FILTER,
    VIDEO_FILTER,
    "All files (*)",
)
_PASTE_PREFIX = "convlab-pasted-"


class SourceMenu(WindowMenu):
    """Builds the File menu and carries out its actions for one window."""

    exportFinished = Signal(str)  # path written (tests wait on it)
    camerasProbed = Signal(list)  # camera indices that opened
    openRequested = Signal(object)  # a spec a person (or the command line) asked to open

    def __init__(
        self,
        window: QMainWindow,
        state: PlaygroundState,
        worker: FilterWorker,
        settings: Settings,
    ) -> None:
        super().__init__(window, state, worker, settings)
        self._paste_dir: str | None = None  # made on the first paste, removed at shutdown
        self._pastes = 0  # pictures pasted so far (each gets its own file)
        self._streams: dict[str, str] = {}  # masked address -> as typed (this session only)
        self._closing = threading.Event()  # set at shutdown: running exports stop between strips
        self.show_status: Callable[[str, int], None] = lambda text, ms: (
            window.statusBar().showMessage(shown_text(text), ms)
        )
        self.menu = QMenu("&File", window)
        self._build()
        worker.sourceOpened.connect(self._source_opened)

    # ----------------------------------------------------------------------------- menu
    def _build(self) -> None:
        menu = self.menu
        self.open_action = self._action("&Open image or video…", self.choose_file, "Ctrl+O")
        self.open_action.setToolTip("Open an image or a video file (or drop one on the window)")
        menu.addAction(self.open_action)
        self.samples_menu = menu.addMenu("&Sample images")
        self.samples_menu.aboutToShow.connect(self._fill_samples)
        self.recent_menu = menu.addMenu("&Recent files")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        menu.addAction(self._action("Open &video file…", self.choose_video))
        menu.addAction(self._action("Open stream &URL…", self.choose_url))
        self.paste_action = self._action("&Paste image", self.paste, "Ctrl+Shift+V")
        menu.addAction(self.paste_action)
        self.pattern_action = self._action("&Test pattern (moving)", self.open_pattern)
        menu.addAction(self.pattern_action)
        menu.addSeparator()

        cameras = self.cameras_menu = CameraMenu(
            self._window, self._state, self._worker, self._settings
        )
        cameras.openRequested.connect(
            lambda spec, options, fallback: self.open_spec(spec, fallback=fallback, options=options)
        )
        self.camera_menu, self.camera_action = cameras.menu, cameras.action
        self.camerasProbed, self.mirror_action = cameras.camerasProbed, cameras.mirror_action
        self.open_camera, self.probe_cameras = cameras.open_camera, cameras.probe_cameras
        self.set_mirror, self._fill_cameras = cameras.set_mirror, cameras._fill_cameras
        menu.addMenu(cameras.menu)
        menu.addMenu(cameras.resolution_menu)
        menu.addAction(cameras.mirror_action)
        self.freeze_action = self._action("&Freeze", self.set_frozen, "Space")
        self.freeze_action.setCheckable(True)
        self.freeze_action.setToolTip("Freeze the live picture (Space); edits still apply")
        menu.addAction(self.freeze_action)
        menu.addSeparator()

        self.snapshot_action = self._action("&Snapshot of input…", self.snapshot, "Ctrl+Shift+S")
        menu.addAction(self.snapshot_action)
        self.export_png_action = self._action("&Export output as PNG…", self.export_png, "Ctrl+E")
        menu.addAction(self.export_png_action)
        menu.addAction(self._action("Export output as raw &float .npy…", self.export_npy))
        menu.addSeparator()
        menu.addAction(self._action("&Quit", self._window.close, "Ctrl+Q"))

    def _action(self, text: str, slot: Callable, shortcut: str | None = None) -> QAction:
        action = QAction(text, self._window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda checked=False: slot(checked) if action.isCheckable()
                                 else slot())  # fmt: skip
        self._window.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def toolbar_actions(self) -> list[QAction]:
        self.open_action.setIconText("Open")
        self.camera_action.setIconText("Camera")
        self.freeze_action.setIconText("Freeze")
        self.snapshot_action.setIconText("Snapshot")
        self.export_png_action.setIconText("Export")
        return [
            self.open_action,
            self.camera_action,
            self.freeze_action,
            self.snapshot_action,
            self.export_png_action,
        ]

    def _fill_samples(self) -> None:
        self.samples_menu.clear()
        for path in sources.sample_images():
            title = Path(path).stem.replace("_", " ").replace("-", " ")
            self.samples_menu.addAction(title, lambda p=str(path): self.open_spec(p))
        if self.samples_menu.isEmpty():
            self.samples_menu.addAction("(no sample images found)").setEnabled(False)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._settings.get("source/recent"):
            # "&" would be read as a keyboard mnemonic; a long path is cut in the middle
            shown = ui_text.clean(path, 120).replace("&", "&&")
            self.recent_menu.addAction(shown, lambda p=path: self.open_recent(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(nothing opened yet)").setEnabled(False)

    # ----------------------------------------------------------------------------- opening
    def open_spec(
        self, spec: Any, *, fallback: Any = None, options: dict[str, Any] | None = None
    ) -> None:
        """Ask the worker to open ``spec`` (path, URL, "pattern" or camera index) beside what
        plays now; ``options`` go to ``open_source`` (cameras: the remembered mode)."""
        if options is None:
            options = self.cameras_menu.options_for(spec) if is_camera(spec) else {}
        name = options.get("camera_name") or (f"camera {spec}" if is_camera(spec) else spec)
        self.show_status(f"Opening {shown_text(name)}…", 10000)
        self.openRequested.emit(spec)
        self._worker.open(spec, fallback=fallback, **options)

    def open_recent(self, entry: str) -> None:
        if _is_url(entry):
            self._open_recent_stream(entry)
            return
        if not os.path.exists(entry):  # never raises (a link loop, a name too long: False)
            self._settings.remove_recent(entry)
            self._state.report(f"{entry}: no longer exists; removed from the recent files.")
            return
        self.open_spec(entry)

    def _open_recent_stream(self, masked: str) -> None:
        """A stream from the Recent list: its password was never saved, so unless it was
        opened in this session it is asked for again (the address is filled in)."""
        address = self._streams.get(masked)
        if address is None and MASK not in masked:
            address = masked  # nothing was masked: open it as it is
        if address is None:
            address = self._ask_url(masked, "Type the user name and password again (they are "
                                    "never saved):")  # fmt: skip
        if address:
            self.open_spec(address)

    def open_pattern(self) -> None:
        self.open_spec("pattern")

    def choose_file(self) -> None:
        path = file_dialogs.open_file(
            self._window, "open", "Open an image or a video", ";;".join(OPEN_FILTERS),
            self._last_source_folder(), OPEN_FILTERS[0],
        )  # fmt: skip
        if path:
            self.open_spec(path)

    def choose_video(self) -> None:
        path = file_dialogs.open_file(
            self._window, "open", "Open a video", f"{VIDEO_FILTER};;All files (*)",
            self._last_source_folder(),
        )  # fmt: skip
        if path:
            self.open_spec(path)

    def choose_url(self) -> None:
        url = self._ask_url("", "Stream URL (rtsp://, http://…):")
        if url:
            self.open_spec(url)

    def _ask_url(self, text: str, label: str) -> str:
        url, ok = QInputDialog.getText(self._window, "Open stream", label, text=text)
        return url.strip() if ok else ""

    def _last_source_folder(self) -> Path | None:
        """The folder of the file last opened (kept in the settings); None for a camera, a
        stream or the test pattern."""
        last = self._settings.get("source/last")
        return Path(last).parent if last and os.path.isabs(last) else None

    def can_open(self, mime: QMimeData) -> bool:
        return mime.hasUrls() or mime.hasImage()

    def open_mime(self, mime: QMimeData) -> bool:
        """Open what was dropped or pasted: a local file, a URL, or raw image data."""
        if mime.hasUrls() and mime.urls():
            url: QUrl = mime.urls()[0]
            self.open_spec(local_path(url) if url.isLocalFile() else url.toString())
            return True
        if mime.hasImage():
            return self._open_qimage(QImage(mime.imageData()))
        text = mime.text().strip() if mime.hasText() else ""
        if text and os.path.exists(text):  # never raises, even for 100,000 characters
            self.open_spec(text)
            return True
        return False

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self.open_mime(mime):
            self._state.report("Paste: the clipboard holds no image and no file name.", "warning")

    def _open_qimage(self, image: QImage) -> bool:
        """A pasted picture is written to a temporary PNG so it opens like any other file.

        Encoding takes seconds for a 20-megapixel screenshot, so it runs off the GUI thread
        (a QImage may be used on any thread); the picture opens when the file is written.
        """
        if image.isNull():
            self._state.report("Paste: the clipboard image could not be read.", "warning")
            return False
        if self._paste_dir is None:
            self._paste_dir = tempfile.mkdtemp(prefix="convlab-")
        self._pastes += 1
        path = Path(self._paste_dir) / f"{_PASTE_PREFIX}{self._pastes}.png"

        def store() -> None:
            if not image.save(str(path), "PNG"):
                raise ConvlabError(f"Paste: could not store the image in {path.parent}.")

        self._jobs.run(
            store,
            lambda _=None: self.open_spec(str(path)),
            lambda error: self._state.report(_describe(error, str(path)), "error"),
            cancellable=True,
        )
        return True

    def _source_opened(self, info: SourceInfo) -> None:
        spec = info.spec
        if is_camera(spec):
            self.freeze_action.setChecked(False)
            self._worker.set_frozen(False)
            return
        if isinstance(spec, str) and _is_url(spec):
            # listed without its password; this session remembers the whole address
            masked = mask_url(spec)
            self._streams[masked] = spec
            self._settings.add_recent(masked)
        elif isinstance(spec, str) and Path(spec).is_file() and _PASTE_PREFIX not in spec:
            path = str(Path(spec).resolve())
            self._settings.set("source/last", path)
            self._settings.add_recent(path)

    def set_frozen(self, frozen: bool) -> None:
        self._worker.set_frozen(bool(frozen))
        self.show_status(
            "Frozen: edits apply to this frame (Space to go live)" if frozen else "Live", 4000
        )

    # ----------------------------------------------------------------------------- exports
    def snapshot(self, path: str | None = None) -> None:
        """Save the current input frame (full resolution) as an image file."""
        frame = self._worker.full_frame()
        if frame is None:
            self._state.report("Snapshot: there is no frame yet.", "warning")
            return
        path = path or self._ask_save_path("Save a snapshot of the input", "snapshot.png")
        if path:
            self._export(path, lambda: write_png(Path(path), frame, cancelled=self._closing.is_set))

    def export_png(self, path: str | None = None) -> None:
        """The output as shown (current display mapping), filtered at full resolution."""
        self._export_output(path, "png")

    def export_npy(self, path: str | None = None) -> None:
        """The raw float32 output values, at full resolution."""
        self._export_output(path, "npy")

    def _export_output(self, path: str | None, kind: str) -> None:
        frame = self._worker.full_frame()
        if frame is None:
            self._state.report("Export: there is no frame yet.", "warning")
            return
        pipeline = self._state.pipeline
        name = f"output_{file_stem(None, pipeline.kernel.name or 'custom')}.{kind}"
        path = path or self._ask_save_path("Export the output", name)
        if not path:
            return
        self._export(
            path,
            lambda: export_output(
                pipeline, frame, Path(path), kind, cancelled=self._closing.is_set
            ),
        )

    def _ask_save_path(self, title: str, name: str) -> str:
        suffix = Path(name).suffix.lstrip(".")
        path = file_dialogs.save_file(
            self._window, "export", title, name, f"*.{suffix}", self._last_source_folder()
        )
        if path and not path.lower().endswith("." + suffix):
            path += "." + suffix
        return path

    def _export(self, path: str, write: Callable[[], None]) -> None:
        # a write, below the GUI thread (a 100 MP export takes minutes on a busy machine):
        # closing the window waits for it, then stops it between two strips
        self._jobs.run(
            below_the_gui(write),
            lambda _=None: self._exported(path),
            lambda error: self._state.report(_describe(error, path), "error"),
        )

    def _exported(self, path: str) -> None:
        self.show_status(f"Saved {path}", 6000)
        self.exportFinished.emit(path)

    def shutdown(self, timeout: float = 0.1) -> None:
        """The window has waited for the exports: one still running now stops between two
        strips and leaves no file (a half-written one never replaces a good one). Pasted
        pictures were read into memory when opened: their temporary files go."""
        if self._jobs.running():
            self._closing.set()
            self._jobs.join(int(timeout * 1000))
        if self._paste_dir is not None:
            shutil.rmtree(self._paste_dir, ignore_errors=True)
            self._paste_dir = None


def _describe(error: BaseException, path: str) -> str:
    if isinstance(error, ConvlabError):
        return str(error)
    log.error("export to %s failed: %r", path, error)
    return f"Export to {path} failed: {error}"


def local_path(url: QUrl) -> str:
    """The file a file:// URL names, byte for byte: a name that is not valid UTF-8 (an old
    camera's Latin-1 name) keeps its bytes instead of becoming U+FFFD and "not found"."""
    encoded = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
    return os.fsdecode(unquote_to_bytes(encoded))


def _is_url(text: str) -> bool:
    scheme, separator, _ = text.partition("://")
    return bool(separator) and scheme.lower() in sources.STREAM_SCHEMES

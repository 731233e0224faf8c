"""Teach the network your own classes: capture webcam frames per class, keep them on disk.

Frames come from ``state.latest_result.frame`` (whatever the playground shows: webcam, video
or image). Each capture keeps a 64 x 64 colour crop for the thumbnails; the network sees the
same crop as a 32 x 32 grey image (``frame_to_sample``), which is also what live
classification feeds it, so training and use agree. Captures are autosaved under the
application data folder (written on a background job a moment after each change), so a
restart (or a crash) loses none of them; a class keeps at most ``MAX_CROPS_PER_CLASS``.
"""

from __future__ import annotations

import os
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QSize, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from convlab.cnn.webcam_samples import (
    CROP_SIZE,
    MAX_CLASSES,
    MAX_CROPS_PER_CLASS,
    MIN_CLASSES,
    centre_crop,
    read_classes,
    samples_of,
    write_classes,
)
from convlab.errors import ConvlabError
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.background_jobs import BackgroundJobs

CAPTURE_INTERVAL_MS = 100  # holding the button or key captures ten frames a second
AUTOSAVE_NAME = "webcam_classes.npz"


def default_autosave_path() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder) / AUTOSAVE_NAME


class WebcamClasses(QObject):
    """Class names and their captured crops; saves itself a moment after every change.

    Saving snapshots the crops here and writes them on a background job, so holding a
    capture button never waits for the disk; ``save`` (closing) writes at once. Writes are
    numbered: an older one that finishes late never replaces a newer file.
    """

    changed = Signal()
    problem = Signal(str)  # a save failed: what to tell the person

    def __init__(self, autosave_path: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.names: list[str] = ["class A", "class B"]
        self.crops: list[list[np.ndarray]] = [[], []]
        self.path = autosave_path or default_autosave_path()
        self.load_problem = ""
        self._version = 0  # counts changes
        self._written = 0  # the version on disk (set by whichever thread wrote it)
        self._write_lock = threading.Lock()
        self._saving = False
        self._jobs = BackgroundJobs()
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(1000)
        self._save_timer.timeout.connect(self._save_in_background)
        self._load()

    # ------------------------------------------------------------------ editing
    def add_class(self) -> None:
        if len(self.names) < MAX_CLASSES:
            self.names.append(f"class {chr(ord('A') + len(self.names))}")
            self.crops.append([])
            self._changed()

    def remove_class(self) -> None:
        if len(self.names) > MIN_CLASSES:
            self.names.pop()
            self.crops.pop()
            self._changed()

    def rename(self, index: int, name: str) -> None:
        name = name.strip() or f"class {chr(ord('A') + index)}"
        if self.names[index] != name:
            self.names[index] = name
            self._changed()

    def is_full(self, index: int) -> bool:
        return len(self.crops[index]) >= MAX_CROPS_PER_CLASS

    def capture(self, index: int, frame: np.ndarray) -> bool:
        """Keep the frame's centred crop in class ``index``; False when the class is full."""
        if self.is_full(index):
            return False
        self.crops[index].append(centre_crop(frame))
        self._changed()
        return True

    def delete(self, index: int, positions: list[int]) -> None:
        for position in sorted(set(positions), reverse=True):
            del self.crops[index][position]
        self._changed()

    def clear(self, index: int) -> None:
        self.crops[index].clear()
        self._changed()

    def sample_arrays(self) -> list[np.ndarray]:
        """Per class, the network inputs (N x 32 x 32 uint8)."""
        return [samples_of(crops) for crops in self.crops]

    # ------------------------------------------------------------------ persistence
    def save(self) -> None:
        """Write the classes now, if anything changed (closing); waits for a write under way.
        ConvlabError when the file cannot be written."""
        self._save_timer.stop()
        if self._version != self._written:
            self._write(*self._snapshot())

    def _snapshot(self) -> tuple[int, list[str], list[np.ndarray]]:
        arrays = [
            np.array(crops, dtype=np.uint8).reshape(-1, CROP_SIZE, CROP_SIZE, 3)
            for crops in self.crops
        ]
        return self._version, list(self.names), arrays

    def _write(self, version: int, names: list[str], arrays: list[np.ndarray]) -> None:
        with self._write_lock:
            if version > self._written:
                write_classes(self.path, names, arrays)
                self._written = version

    def _save_in_background(self) -> None:
        if self._saving or self._version == self._written:
            return  # a write under way starts the next one when it ends
        self._saving = True
        self._jobs.run(
            partial(self._write, *self._snapshot()), self._background_saved, self._save_failed
        )

    def _background_saved(self, _result: object = None) -> None:
        self._saving = False
        if shiboken6.isValid(self) and self._version != self._written:
            self._save_timer.start()

    def _save_failed(self, error: Exception) -> None:
        self._saving = False
        if shiboken6.isValid(self):
            self.problem.emit(str(error))

    def running(self) -> list:
        """Background writes not finished yet (for tests)."""
        return self._jobs.running()

    def _load(self) -> None:
        if not os.path.lexists(self.path):
            return
        try:
            self.names, crops = read_classes(self.path)
        except ConvlabError as error:
            self.load_problem = str(error)
            return
        self.crops = [list(array) for array in crops]

    def _changed(self) -> None:
        self._version += 1
        self._save_timer.start()
        self.changed.emit()


class WebcamCapturePanel(QWidget):
    """Name 2-5 classes; hold a button (or the keys 1-5) to capture; thumbnails; delete bad ones."""

    def __init__(
        self, classes: WebcamClasses, state: PlaygroundState, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.classes = classes
        self.state = state
        self.current = 0
        self._capturing: int | None = None
        self._last_capture = 0.0
        self._capture_timer = QTimer(self)
        self._capture_timer.setInterval(CAPTURE_INTERVAL_MS)
        self._capture_timer.timeout.connect(self._capture_tick)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        hint = QLabel("Hold a button (or keys 1-5 here) to capture the live picture.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(mid);")
        self.rows = QGridLayout()
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setHorizontalSpacing(4)
        self.rows.setVerticalSpacing(2)
        more = QToolButton(text="+ class")
        more.setToolTip("Add a class (up to 5)")
        less = QToolButton(text="− class")
        less.setToolTip("Remove the last class (at least 2)")
        more.clicked.connect(classes.add_class)
        less.clicked.connect(classes.remove_class)

        self.thumb_label = QLabel()
        self.thumbnails = _thumbnail_list()
        delete = QToolButton(text="Delete selected")
        delete.setToolTip("Remove the selected thumbnails (bad captures) from this class")
        delete.clicked.connect(self._delete_selected)
        clear = QToolButton(text="Clear class")
        clear.clicked.connect(lambda: self.classes.clear(self.current))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(hint)
        layout.addLayout(self.rows)
        buttons = QHBoxLayout()
        buttons.addWidget(more)
        buttons.addWidget(less)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.thumb_label)
        layout.addWidget(self.thumbnails)
        tools = QHBoxLayout()
        tools.addWidget(delete)
        tools.addWidget(clear)
        tools.addStretch(1)
        layout.addLayout(tools)
        classes.changed.connect(self._refresh)
        self._row_widgets: list[tuple[QLineEdit, QPushButton, QLabel]] = []
        self._shown_class = -1
        self._refresh()

    # ------------------------------------------------------------------ capturing
    def capture_once(self, index: int) -> bool:
        """Add the current live frame to class ``index``; False (with a message) if none."""
        result = self.state.latest_result
        if result is None:
            self.state.report(
                "Webcam classes: there is no live picture yet; open a webcam (or any image or "
                "video) in the Playground first",
                "warning",
            )
            self._stop_capture()
            return False
        self.current = index
        if not self.classes.capture(index, result.frame):
            self.state.report(
                f"Webcam classes: “{self.classes.names[index]}” has {MAX_CROPS_PER_CLASS} "
                "captures, the most a class keeps; delete some to capture others",
                "warning",
            )
            self._stop_capture()
            return False
        self._last_capture = time.monotonic()
        return True

    def _start_capture(self, index: int) -> None:
        self._capturing = index
        if self.capture_once(index):
            self._capture_timer.start()

    def _stop_capture(self) -> None:
        self._capturing = None
        self._capture_timer.stop()

    def _capture_tick(self) -> None:
        if self._capturing is not None:
            self.capture_once(self._capturing)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = event.key() - Qt.Key.Key_1
        if 0 <= index < len(self.classes.names):
            if time.monotonic() - self._last_capture >= CAPTURE_INTERVAL_MS / 1000:
                self.capture_once(index)
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self._delete_selected()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ display
    def _refresh(self) -> None:
        names = self.classes.names
        while len(self._row_widgets) < len(names):
            index = len(self._row_widgets)
            edit = QLineEdit()
            edit.setMaxLength(24)
            edit.editingFinished.connect(lambda i=index, e=edit: self.classes.rename(i, e.text()))
            edit.textEdited.connect(lambda _text, i=index: self.show_class(i))
            button = QPushButton(f"Capture ({index + 1})")
            button.setToolTip(
                f"Click for one frame, hold for ten a second (or hold the key {index + 1})"
            )
            button.pressed.connect(lambda i=index: self._start_capture(i))
            button.released.connect(self._stop_capture)
            count = QLabel()
            count.setMinimumWidth(28)
            count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.rows.addWidget(edit, index, 0)
            self.rows.addWidget(button, index, 1)
            self.rows.addWidget(count, index, 2)
            self._row_widgets.append((edit, button, count))
        while len(self._row_widgets) > len(names):
            for widget in self._row_widgets.pop():
                self.rows.removeWidget(widget)
                widget.deleteLater()
        for index, (edit, _, count) in enumerate(self._row_widgets):
            if not edit.hasFocus():
                edit.setText(names[index])
            count.setText(str(len(self.classes.crops[index])))
        self.current = min(self.current, len(names) - 1)
        self._show_thumbnails()

    def _show_thumbnails(self) -> None:
        crops = self.classes.crops[self.current]
        if self._shown_class != self.current:
            self.thumbnails.clear()
            self._shown_class = self.current
        self.thumb_label.setText(f"Captured for “{self.classes.names[self.current]}”:")
        if self.thumbnails.count() > len(crops):
            self.thumbnails.clear()
        for position in range(self.thumbnails.count(), len(crops)):
            crop = crops[position]
            image = QImage(
                crop.data, CROP_SIZE, CROP_SIZE, 3 * CROP_SIZE, QImage.Format.Format_RGB888
            ).copy()
            item = QListWidgetItem(QIcon(QPixmap.fromImage(image)), "")
            item.setData(Qt.ItemDataRole.UserRole, position)
            self.thumbnails.addItem(item)
        if crops:
            self.thumbnails.scrollToBottom()

    def _delete_selected(self) -> None:
        positions = [
            item.data(Qt.ItemDataRole.UserRole) for item in self.thumbnails.selectedItems()
        ]
        if positions:
            self.thumbnails.clear()
            self.classes.delete(self.current, positions)

    def show_class(self, index: int) -> None:
        """Show the thumbnails of class ``index``."""
        self.current = index
        self._show_thumbnails()


def _thumbnail_list() -> QListWidget:
    """The captures of one class as small icons; several can be selected for deleting."""
    thumbnails = QListWidget()
    thumbnails.setObjectName("webcamThumbnails")
    thumbnails.setViewMode(QListWidget.ViewMode.IconMode)
    thumbnails.setIconSize(QSize(40, 40))
    thumbnails.setResizeMode(QListWidget.ResizeMode.Adjust)
    thumbnails.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    thumbnails.setFixedHeight(100)
    return thumbnails

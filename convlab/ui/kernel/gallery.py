"""The preset gallery: every preset kernel shown on the current picture, one click to load.

It opens where the preset box's list would (setosa's Image Kernels shows its kernels this way:
by what they do, not by name). The previews are computed on a helper thread from a shrunk copy
of the current frame and follow a live source a couple of times a second while the gallery is
open; the newest frame wins and nothing queues. Clicking a preview loads that preset as one
undo step; each shows its plain name, and its code name (for --kernel and files) is in the
tooltip.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QToolButton, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from convlab.engine import presets
from convlab.engine.pipeline import PipelineResult
from convlab.engine.thumbnails import PREVIEW_SIDE, preset_previews
from convlab.ui import text as ui_text
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.background_jobs import BackgroundJobs

LIVE_REFRESH_MS = 500  # a live source refreshes the open gallery at most twice a second
TILE_TEXT_LINES = 2


def preset_tooltip(name: str) -> str:
    """What a preset's tile (or list entry) says on hover: what it does and its code name."""
    return f"{presets.description(name)}\nCode name: {name} (for --kernel and kernel files)"


def two_lines(title: str, metrics_width, room: int) -> str:
    """``title`` on one line if it fits ``room`` pixels, else broken at the space that makes
    the longer line shortest ("Laplacian" / "(8 neighbours)"): a tile never elides a name."""
    if metrics_width(title) <= room:
        return title
    spaces = [i for i, char in enumerate(title) if char == " "]
    if not spaces:
        return title
    # a break after a comma or before a bracket reads best ("Sobel," / "vertical edges")
    natural = [i for i in spaces if title[i - 1] == "," or title[i + 1 : i + 2] == "("]
    fitting = [
        i for i in natural if max(metrics_width(title[:i]), metrics_width(title[i + 1 :])) <= room
    ]
    candidates = fitting or spaces
    best = min(
        candidates, key=lambda i: max(metrics_width(title[:i]), metrics_width(title[i + 1 :]))
    )
    return title[:best] + "\n" + title[best + 1 :]


class _PresetTile(QToolButton):
    """One preset: its preview over its plain name; a click loads it."""

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName(f"gallery_{name}")
        room = PREVIEW_SIDE + 12
        self.setText(two_lines(presets.title(name), self.fontMetrics().horizontalAdvance, room))
        self.setToolTip(ui_text.tooltip(preset_tooltip(name)))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.setIconSize(QSize(PREVIEW_SIDE, PREVIEW_SIDE))
        self.setAutoRaise(True)
        width = PREVIEW_SIDE + 16
        self.setFixedWidth(width)
        lines = self.fontMetrics().lineSpacing() * TILE_TEXT_LINES
        self.setFixedHeight(PREVIEW_SIDE + lines + 16)
        self.preview: np.ndarray | None = None

    def set_preview(self, image: np.ndarray) -> None:
        self.preview = image
        height, width = image.shape[:2]
        data = np.ascontiguousarray(image)
        picture = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        self.setIcon(QIcon(QPixmap.fromImage(picture.copy())))


class PresetGallery(QFrame):
    """A pop-up grid of every preset on the current picture; ``chosen`` names the one clicked."""

    chosen = Signal(str)

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("presetGallery")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._state = state
        self._request = 0
        self._jobs = BackgroundJobs(self)
        self._busy = False
        self._again = False
        self.tiles: dict[str, _PresetTile] = {}
        heading = QLabel("Presets on your picture — click one to load it (Esc closes)")
        heading.setObjectName("presetGalleryHeading")
        self._grid = QGridLayout()
        self._grid.setSpacing(2)
        for name in presets.names():
            tile = _PresetTile(name, self)
            tile.clicked.connect(lambda _checked=False, n=name: self._choose(n))
            self.tiles[name] = tile
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addWidget(heading)
        layout.addLayout(self._grid)
        self._arrange(6)
        self._live = qthrottled(self.refresh, timeout=LIVE_REFRESH_MS, parent=self)
        state.resultReady.connect(self._result_arrived)

    # ------------------------------------------------------------------------------ opening
    def open_at(self, anchor: QWidget) -> None:
        """Show below ``anchor`` (the preset box), right edges aligned, within the screen."""
        screen = anchor.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry()
        columns = max(2, min(6, (room.width() - 40) // (PREVIEW_SIDE + 18)))
        self._arrange(columns)
        self.adjustSize()
        corner = anchor.mapToGlobal(QPoint(anchor.width(), anchor.height()))
        x = max(room.left(), min(corner.x() - self.width(), room.right() - self.width()))
        y = corner.y()
        if y + self.height() > room.bottom():
            y = max(room.top(), anchor.mapToGlobal(QPoint(0, 0)).y() - self.height())
        self.move(x, y)
        self.show()
        self.refresh()
        current = self.tiles.get(self._state.kernel.name)
        (current or next(iter(self.tiles.values()))).setFocus()

    def _arrange(self, columns: int) -> None:
        for index, tile in enumerate(self.tiles.values()):
            self._grid.addWidget(tile, index // columns, index % columns)

    # ------------------------------------------------------------------------------ previews
    def refresh(self) -> None:
        """Recompute the previews from the current frame on a helper thread."""
        result = self._state.latest_result
        if result is None or not self.isVisible():
            return
        if self._busy:  # one at a time: the newest frame is taken when this one is done
            self._again = True
            return
        self._busy, self._again = True, False
        self._request += 1
        request, frame = self._request, result.frame

        # a failure shows no previews but frees the gallery for the next refresh
        self._jobs.run(
            lambda: preset_previews(frame),
            lambda previews: self._show_previews(request, previews),
            lambda _error: self._show_previews(request, {}),
            cancellable=True,
        )

    def _show_previews(self, request: int, previews: dict) -> None:
        self._busy = False
        if request == self._request:
            for name, image in previews.items():
                if name in self.tiles:
                    self.tiles[name].set_preview(image)
        if self._again:
            self.refresh()

    def _result_arrived(self, _result: PipelineResult) -> None:
        if self.isVisible():
            self._live()

    def _choose(self, name: str) -> None:
        self.hide()
        self.chosen.emit(name)

"""The source and output views side by side, and the other ways of comparing them.

Both views draw in source-pixel coordinates (see ``widgets.image_view``), so zoom and pan are
linked, the split wipe lines the two pictures up, and a hover or click means the same place
in both.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from convlab.engine import presets
from convlab.engine.pipeline import PipelineResult
from convlab.ui import text as ui_text
from convlab.ui.widgets.fast_picture import FastImageItem
from convlab.ui.widgets.image_view import DISPLAY_READY, ImageView

COMPARE_MODES: dict[str, str] = {
    "side_by_side": "Side by side",
    "wipe": "Split wipe (drag the divider)",
    "output": "Output only",
    "thumbnail": "Output with original in a corner",
}
INPUT_TITLE = "Input · click a pixel (or hold Shift and move) to inspect it"
OUTPUT_TITLE = "Output · the input filtered by the kernel"
_THUMBNAIL_WIDTH = 220


class CompareView(QWidget):
    """``sourceView`` and ``outputView`` with four ways of comparing them.

    - side_by_side: two linked views;
    - wipe: the output view shows the input left of a draggable divider, the output right;
    - output: the output view alone;
    - thumbnail: the output view with a small live copy of the input in its corner.
    """

    hovered = Signal(object)
    pixelClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_view = ImageView(INPUT_TITLE, self)
        self.source_view.setObjectName("sourceView")
        self.output_view = ImageView(OUTPUT_TITLE, self)
        self.output_view.setObjectName("outputView")
        self.output_view.link_to(self.source_view)
        self._splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self._splitter.addWidget(self.source_view)
        self._splitter.addWidget(self.output_view)
        self._splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._splitter)

        # The wipe: the input drawn under the output, the output clipped to the divider's right.
        self._underlay = FastImageItem()
        self._underlay.setZValue(-5)
        self._underlay.setVisible(False)
        self.output_view.viewbox.addItem(self._underlay, ignoreBounds=True)
        self._clip = QGraphicsRectItem()
        self._clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)
        self._clip.setPen(QPen(Qt.PenStyle.NoPen))
        self.output_view.viewbox.removeItem(self.output_view.image_item)
        self.output_view.viewbox.addItem(self._clip, ignoreBounds=True)
        self.output_view.image_item.setParentItem(self._clip)
        self._divider = pg.InfiniteLine(
            angle=90,
            movable=True,
            pen=pg.mkPen((255, 255, 255), width=2),
            hoverPen=pg.mkPen((255, 220, 0), width=3),
        )
        self._divider.setZValue(20)
        self._divider.setVisible(False)
        self._divider.sigPositionChanged.connect(self._update_clip)
        self.output_view.viewbox.addItem(self._divider, ignoreBounds=True)

        self._thumbnail = pg.GraphicsView(self.output_view, background=QColor(0, 0, 0))
        self._thumbnail.setObjectName("originalThumbnail")
        self._thumbnail.setStyleSheet("#originalThumbnail { border: 2px solid white; }")
        self._thumbnail.setToolTip("The original input")
        self._thumbnail_item = FastImageItem()
        thumb_box = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
        thumb_box.setDefaultPadding(0.0)
        thumb_box.addItem(self._thumbnail_item)
        self._thumbnail.setCentralItem(thumb_box)
        self._thumbnail_box = thumb_box
        self._thumbnail.setVisible(False)

        # a child timer (not QTimer.singleShot): it dies with the view, never fires after it
        self._fit_timer = QTimer(self, singleShot=True, interval=0, timeout=self.output_view.fit)
        self._mode = "side_by_side"
        self._output_name = OUTPUT_TITLE
        self._source_shape: tuple[int, int] | None = None
        self._last_frame: np.ndarray | None = None
        self.output_view.installEventFilter(self)
        for view in (self.source_view, self.output_view):
            view.hovered.connect(self.hovered)
            view.pixelClicked.connect(self.pixelClicked)

    # ----------------------------------------------------------------------------- modes
    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in COMPARE_MODES:
            raise ValueError(f"unknown compare mode {mode!r}")
        self._mode = mode
        self.source_view.setVisible(mode == "side_by_side")
        wipe = mode == "wipe"
        self._underlay.setVisible(wipe)
        self._divider.setVisible(wipe)
        self._thumbnail.setVisible(mode == "thumbnail")
        self._refresh_output_title()
        if wipe and self._source_shape is not None:
            # start the divider in the middle of what is on screen (the view may be zoomed)
            left, right = self.output_view.viewbox.viewRange()[0]
            middle = (max(left, 0.0) + min(right, float(self._source_shape[1]))) / 2
            self._divider.setValue(middle)
        if self._last_frame is not None:
            self._show_frame_extras(self._last_frame, force=True)
        self._update_clip()
        self._place_thumbnail()
        # the visible view changed size: show the whole picture once the layout has settled
        self._fit_timer.start()

    def set_badge(self, text: str | None) -> None:
        """A state both pictures are in (e.g. "Frozen"), marked on each view."""
        for view in (self.source_view, self.output_view):
            view.set_badge(text)

    def set_output_name(self, name: str) -> None:
        """What the output view is showing (the kernel's output, or one feature map)."""
        if name != self._output_name:
            self._output_name = name
            self._refresh_output_title()

    def _refresh_output_title(self) -> None:
        if self._mode == "wipe":
            self.output_view.set_title(f"← Input  |  {self._output_name} →")
        else:
            self.output_view.set_title(self._output_name)

    def set_divider_position(self, x: float) -> None:
        self._divider.setValue(x)

    # ----------------------------------------------------------------------------- frames
    def show_result(self, frame: np.ndarray, output_image: np.ndarray, output_rect: QRectF) -> None:
        """Display one result. The source image is only re-sent when the frame changed."""
        height, width = frame.shape[:2]
        if self._source_shape != (height, width):
            self._source_shape = (height, width)
            for view in (self.source_view, self.output_view):
                view.set_source_size(height, width)
            self._divider.setValue(width / 2)
            self._divider.setBounds((0, width))
        self._show_frame_extras(frame, force=False)
        self.output_view.set_image(output_image, output_rect)
        self._update_clip()

    def _show_frame_extras(self, frame: np.ndarray, *, force: bool) -> None:
        if frame is self._last_frame and not force:
            return
        self._last_frame = frame
        if self._mode == "side_by_side":
            self.source_view.set_image(frame)
        elif self._mode == "wipe":
            self._underlay.setImage(frame, **DISPLAY_READY)
        elif self._mode == "thumbnail":
            height, width = frame.shape[:2]
            scale = _THUMBNAIL_WIDTH / max(width, 1)
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            self._thumbnail_item.setImage(small, **DISPLAY_READY)
            self._thumbnail_box.setRange(QRectF(0, 0, size[0], size[1]), padding=0.0)
            self._place_thumbnail()
        if self._mode != "side_by_side":
            # keep the hidden source view current for hover readouts and later mode switches
            self.source_view.set_image(frame)

    def _update_clip(self) -> None:
        if self._mode == "wipe":
            x = self._divider.value()
            self._clip.setRect(QRectF(x, -1e7, 2e7, 2e7))
        else:
            self._clip.setRect(QRectF(-1e7, -1e7, 2e7, 2e7))

    def _place_thumbnail(self) -> None:
        if not self._thumbnail.isVisible() or self._source_shape is None:
            return
        height, width = self._source_shape
        thumb_h = round(_THUMBNAIL_WIDTH * height / max(width, 1))
        self._thumbnail.setFixedSize(_THUMBNAIL_WIDTH, thumb_h)
        area = self.output_view.size()
        self._thumbnail.move(area.width() - _THUMBNAIL_WIDTH - 8, area.height() - thumb_h - 8)
        self._thumbnail.raise_()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.output_view and event.type() == QEvent.Type.Resize:
            self._place_thumbnail()
        return super().eventFilter(watched, event)


def output_name(result: PipelineResult) -> str:
    """The output view's title for this result: the kernel's output, or which feature map."""
    if result.selected is None:
        return OUTPUT_TITLE
    if result.selected is result.combined:
        return "Combined map · gradient magnitude √(m1² + m2²)"
    number = next((i + 1 for i, m in enumerate(result.maps) if m is result.selected), None)
    # a preset by the name its tile says ("Sobel, vertical edges"), a file's kernel by its own
    name = ui_text.clean(presets.shown_name(result.selected.kernel) or "custom kernel", 80)
    return f"Feature map {number} · {name}" if number else f"Feature map · {name}"

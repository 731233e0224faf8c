"""The source and output image views, the ways of comparing them, and the message banner.

Both views draw in *source-pixel coordinates*: pixel (row, col) of the input frame covers
x in [col, col + 1), y in [row, row + 1). The output image is placed over that same area
(stretched when a stride or "valid" padding made it smaller), so zoom and pan can be linked
between the views, the split wipe lines the two pictures up, and a hover or click means the
same place in both. Images are pyqtgraph ``ImageItem``s fed uint8 RGB with fixed levels: the
fast path that wraps the array as a QImage without a per-frame conversion.
"""

from __future__ import annotations

import math
import time
from typing import ClassVar

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from convlab.engine.pipeline import PipelineResult

# Our images are uint8 RGB already mapped for display. ``levels=None`` with auto-levels off is
# pyqtgraph's zero-copy path (the array is wrapped as a QImage); explicit levels=(0, 255)
# make pyqtgraph 0.14 rescale every pixel on every paint (measured: ~1.5 ms per 720p frame
# per view, on the GUI thread).
DISPLAY_READY = {"levels": None, "autoLevels": False}

COMPARE_MODES: dict[str, str] = {
    "side_by_side": "Side by side",
    "wipe": "Split wipe (drag the divider)",
    "output": "Output only",
    "thumbnail": "Output with original in a corner",
}
INPUT_TITLE = "Input · click a pixel (or hold Shift and move) to inspect it"
INSPECT_MODIFIER = Qt.KeyboardModifier.ShiftModifier  # held while moving: inspect as you go
_INSPECT_INTERVAL_MS = 50  # Shift-hover inspects at most 20 pixels a second
OUTPUT_TITLE = "Output · the input filtered by the kernel"
_THUMBNAIL_WIDTH = 220
_FOOTPRINT_COLOUR = QColor(0, 220, 255)
_BORDER_COLOUR = QColor(255, 150, 0)


def place_output(
    source_shape: tuple[int, int],
    output_shape: tuple[int, int],
    kernel_shape: tuple[int, int],
    *,
    padding: str | int,
    stride: int,
    dilation: int,
) -> QRectF:
    """Where the output image goes in source coordinates.

    Output pixel i is drawn centred on the centre of its receptive field,
    ``i * stride - pad_before + dilation * (k - 1) / 2``, and is ``stride`` source pixels wide,
    so every output pixel sits on top of the input pixels it came from.
    """
    origin = []
    for axis in (1, 0):  # x from columns, y from rows
        k = kernel_shape[axis]
        span = dilation * (k - 1)
        if padding == "same":
            before = span // 2
        elif padding == "valid":
            before = 0
        else:
            before = int(padding)
        centre_of_first = -before + span / 2 + 0.5
        origin.append(centre_of_first - stride / 2)
    width = output_shape[1] * stride
    height = output_shape[0] * stride
    if width <= 0 or height <= 0:
        return QRectF(0, 0, source_shape[1], source_shape[0])
    return QRectF(origin[0], origin[1], width, height)


class ImageView(pg.GraphicsView):
    """One zoomable picture: an ImageItem in an aspect-locked, y-down ViewBox.

    Emits ``hovered((row, col) | None)`` and ``pixelClicked(row, col)`` in source coordinates;
    moving with Shift held emits ``pixelClicked`` too (throttled), so a person can sweep the
    inspector over an edge instead of clicking pixel by pixel.
    """

    hovered = Signal(object)
    pixelClicked = Signal(int, int)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=QColor(32, 32, 36))
        self.viewbox = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.viewbox.setDefaultPadding(0.02)
        self.setCentralItem(self.viewbox)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.viewbox.addItem(self.image_item)
        self._placement: tuple | None = None  # (rect, image size) the item is scaled for
        self._source_size: tuple[int, int] | None = None  # (height, width) of the source frame
        self._title = QLabel(title, self)
        self._title.setObjectName("viewTitle")
        self._title.setStyleSheet(
            "QLabel { color: white; background: rgba(0, 0, 0, 150); padding: 2px 6px;"
            " border-radius: 3px; font-weight: bold; }"
        )
        self._title.move(6, 6)
        self._title.adjustSize()
        self._footprint = _OverlayPath(self.viewbox, _FOOTPRINT_COLOUR, z=10)
        self._outside = _OverlayPath(self.viewbox, _BORDER_COLOUR, z=11)
        self._padded = _OverlayPath(self.viewbox, _BORDER_COLOUR, z=9, dashed=True)
        # a fixed-size crosshair: the inspected pixel stays findable at any zoom
        self._target = pg.TargetItem(
            size=22, pen=pg.mkPen(_FOOTPRINT_COLOUR, width=2), movable=False
        )
        self._target.setZValue(12)
        self._target.setVisible(False)
        self.viewbox.addItem(self._target, ignoreBounds=True)
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.scene().sigMouseClicked.connect(self._mouse_clicked)
        # Shift-hover: the first pixel at once, then the latest one every interval
        self._inspect_pending: tuple[int, int] | None = None
        self._inspect_sent: tuple[int, int] | None = None
        self._inspect_timer = QTimer(
            self, singleShot=True, interval=_INSPECT_INTERVAL_MS, timeout=self._inspect_later
        )

    # ----------------------------------------------------------------------------- images
    def set_title(self, text: str) -> None:
        self._title.setText(text)
        self._title.adjustSize()

    def set_image(self, image: np.ndarray, rect: QRectF | None = None) -> None:
        """Show a uint8 H x W x 3 image; ``rect`` places it in source coordinates."""
        image = np.ascontiguousarray(image)
        self.image_item.setImage(image, **DISPLAY_READY)
        target = rect if rect is not None else QRectF(0, 0, image.shape[1], image.shape[0])
        # setRect scales by the current image's size: redo it when either changes (a pooled
        # feature map is half the size of the output it replaces, over the same rectangle)
        placement = (target.getRect(), image.shape[:2])
        if placement != self._placement:
            self.image_item.setRect(target)
            self._placement = placement

    def set_source_size(self, height: int, width: int) -> None:
        """The source frame's size: the coordinate system hovers and clicks are reported in."""
        size = (int(height), int(width))
        if size != self._source_size:
            self._source_size = size
            self.fit()

    def fit(self) -> None:
        if self._source_size is not None:
            height, width = self._source_size
            self.viewbox.setRange(QRectF(0, 0, width, height), padding=0.02)

    def link_to(self, other: ImageView) -> None:
        """Zoom and pan together with ``other``."""
        self.viewbox.setXLink(other.viewbox)
        self.viewbox.setYLink(other.viewbox)

    # ----------------------------------------------------------------------------- overlays
    def show_receptive_field(
        self,
        center: tuple[int, int] | None,
        taps: tuple[np.ndarray, np.ndarray] | None = None,
        padding: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0)),
    ) -> None:
        """Mark the inspected pixel ``center`` and outline the input taps its output reads.

        ``taps`` is (rows, cols) of the window, as ``explain.window_taps`` gives them (it
        knows padding, stride and dilation); None when no output pixel fits. Taps inside the
        image are drawn in cyan, one outline when they are contiguous, a square each when a
        dilation spreads them. Taps in the padded border (values invented by the border rule)
        are drawn in orange, over the padded image's ring ``padding`` ((top, bottom),
        (left, right)) so the border mode becomes visible.
        """
        if center is None or self._source_size is None:
            for overlay in (self._footprint, self._outside, self._padded):
                overlay.set_path(None)
            self._target.setVisible(False)
            return
        self._show_target(center)
        if taps is None:
            for overlay in (self._footprint, self._outside, self._padded):
                overlay.set_path(None)
            return
        height, width = self._source_size
        rows, cols = (np.asarray(axis, dtype=int) for axis in taps)
        inside, outside = QPainterPath(), QPainterPath()
        for r in rows:
            for c in cols:
                target = inside if 0 <= r < height and 0 <= c < width else outside
                target.addRect(QRectF(float(c), float(r), 1, 1))
        contiguous = bool(np.all(np.diff(rows) == 1) and np.all(np.diff(cols) == 1))
        if contiguous:  # one clean outline reads better than a grid of squares
            inside = QPainterPath()
            inside.addRect(
                QRectF(float(cols[0]), float(rows[0]), float(len(cols)), float(len(rows)))
            )
        self._footprint.set_path(inside)
        self._outside.set_path(outside if not outside.isEmpty() else None)
        if outside.isEmpty():
            self._padded.set_path(None)
        else:
            (top, bottom), (left, right) = padding
            padded = QPainterPath()
            padded.addRect(QRectF(-left, -top, width + left + right, height + top + bottom))
            padded.addRect(QRectF(0, 0, width, height))
            self._padded.set_path(padded)

    def mark_pixel(self, center: tuple[int, int] | None, area: QRectF | None = None) -> None:
        """A square on the inspected pixel: ``area`` is where the output pixel it shows is
        drawn (``stride`` source pixels wide), by default the one source pixel ``center``."""
        if center is None:
            self._footprint.set_path(None)
            self._target.setVisible(False)
            return
        self._show_target(center)
        path = QPainterPath()
        path.addRect(area if area is not None else QRectF(center[1], center[0], 1, 1))
        self._footprint.set_path(path)

    def _show_target(self, center: tuple[int, int]) -> None:
        self._target.setPos(center[1] + 0.5, center[0] + 0.5)
        self._target.setVisible(True)

    # ----------------------------------------------------------------------------- mouse
    def pixel_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        if self._source_size is None:
            return None
        point = self.viewbox.mapSceneToView(scene_pos)
        row, col = math.floor(point.y()), math.floor(point.x())
        height, width = self._source_size
        if 0 <= row < height and 0 <= col < width:
            return row, col
        return None

    def _mouse_moved(self, scene_pos: QPointF) -> None:
        self.hovered.emit(self.pixel_at(scene_pos))

    def _mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pixel = self.pixel_at(event.scenePos())
        if pixel is not None:
            self.pixelClicked.emit(*pixel)

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        if not event.modifiers() & INSPECT_MODIFIER or event.buttons():
            return  # Shift+drag stays pyqtgraph's
        pixel = self.pixel_at(self.mapToScene(event.position().toPoint()))
        if pixel is None:
            return
        if self._inspect_timer.isActive():
            self._inspect_pending = pixel  # sent when the interval is over
        elif pixel != self._inspect_sent:
            self._send_inspect(pixel)

    def _send_inspect(self, pixel: tuple[int, int]) -> None:
        self._inspect_sent = pixel
        self.pixelClicked.emit(*pixel)
        self._inspect_timer.start()

    def _inspect_later(self) -> None:
        pixel, self._inspect_pending = self._inspect_pending, None
        if pixel is not None and pixel != self._inspect_sent:
            self._send_inspect(pixel)
        else:
            self._inspect_sent = None  # a pause: the next Shift-move inspects even the same pixel

    def leaveEvent(self, event) -> None:
        self.hovered.emit(None)
        super().leaveEvent(event)


class _OverlayPath:
    """A cosmetic-pen outline drawn over the image (stays 2 px wide at any zoom)."""

    def __init__(self, viewbox: pg.ViewBox, colour: QColor, z: float, dashed: bool = False):
        self.item = QGraphicsPathItem()
        pen = QPen(colour, 2)
        pen.setCosmetic(True)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
            self.item.setBrush(QBrush(QColor(255, 150, 0, 40)))
        self.item.setPen(pen)
        self.item.setZValue(z)
        self.item.setVisible(False)
        viewbox.addItem(self.item, ignoreBounds=True)

    def set_path(self, path: QPainterPath | None) -> None:
        if path is None:
            self.item.setVisible(False)
            return
        self.item.setPath(path)
        self.item.setVisible(True)


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
        self._underlay = pg.ImageItem(axisOrder="row-major")
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
        self._thumbnail_item = pg.ImageItem(axisOrder="row-major")
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

    def set_output_name(self, name: str) -> None:
        """What the output view is showing (the kernel's output, or one feature map)."""
        if name != self._output_name:
            self._output_name = name
            self._refresh_output_title()

    def _refresh_output_title(self) -> None:
        if self._mode == "wipe":
            self.output_view.set_title(f"◀ Input  |  {self._output_name} ▶")
        else:
            self.output_view.set_title(self._output_name)

    def divider_position(self) -> float:
        return float(self._divider.value())

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


class MessageBanner(QFrame):
    """Messages above the views: never modal, closable, with an optional action.

    Messages that arrive in a burst (each within ``BURST_SECONDS`` of the one before, while
    the banner is up) are listed together, newest last, so several startup problems are all
    readable instead of each overwriting the last. A quiet moment starts a fresh banner.
    """

    _COLOURS: ClassVar[dict[str, str]] = {
        "info": "#dcecff",
        "warning": "#fff1c2",
        "error": "#ffd6d6",
    }
    _SEVERITY: ClassVar[dict[str, int]] = {"info": 0, "warning": 1, "error": 2}
    BURST_SECONDS = 2.0
    MAX_LISTED = 6  # older messages of a long burst are counted, not listed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setTextFormat(Qt.TextFormat.PlainText)  # file names are not markup
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._action_button = QPushButton(self)
        self._action_button.setVisible(False)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._action_button)
        layout.addWidget(close)
        self._hide_timer = QTimer(self, singleShot=True, timeout=self.hide)
        self._action = None
        self._entries: list[tuple[str, str]] = []  # (text, level), oldest first
        self._dropped = 0  # older messages of this burst no longer listed
        self._last_time = -math.inf
        self._action_button.clicked.connect(self._run_action)
        self.hide()

    def show_message(self, text: str, level: str = "info", action=None) -> None:
        """``action``: optional (button text, callable), e.g. ("Reconnect", worker.reconnect)."""
        now = time.monotonic()
        if self.isHidden() or now - self._last_time > self.BURST_SECONDS:
            self._entries, self._dropped, self._action = [], 0, None
        self._last_time = now
        self._entries = [entry for entry in self._entries if entry[0] != text]
        self._entries.append((text, level if level in self._COLOURS else "info"))
        if len(self._entries) > self.MAX_LISTED:
            self._dropped += len(self._entries) - self.MAX_LISTED
            self._entries = self._entries[-self.MAX_LISTED :]
        if action is not None:
            self._action = action
        self._render()

    def _render(self) -> None:
        levels = [level for _, level in self._entries]
        worst = max(levels, key=self._SEVERITY.__getitem__)
        self.setStyleSheet(
            f"#messageBanner {{ background: {self._COLOURS[worst]}; border-bottom: 1px solid"
            " #999; } QLabel { color: #202020; }"
        )
        self._label.setText(self.text())
        self._action_button.setVisible(self._action is not None)
        if self._action is not None:
            self._action_button.setText(self._action[0])
        self.show()
        if worst == "info" and self._action is None:
            self._hide_timer.start(6000)
        else:
            self._hide_timer.stop()

    def text(self) -> str:
        """What the banner says: the message, or a count and the list of them."""
        texts = [text for text, _ in self._entries]
        if len(texts) + self._dropped <= 1:
            return texts[0] if texts else ""
        problems = any(level != "info" for _, level in self._entries)
        header = f"{len(texts) + self._dropped} {'problems' if problems else 'messages'}"
        if self._dropped:
            header += f" ({self._dropped} earlier not listed)"
        return header + ":\n" + "\n".join(f"• {text}" for text in texts)

    def messages(self) -> list[str]:
        """The messages listed, oldest first."""
        return [text for text, _ in self._entries]

    def discard(self, text: str) -> None:
        """Take back a message that no longer holds (the lost camera came back)."""
        kept = [entry for entry in self._entries if entry[0] != text]
        if len(kept) == len(self._entries):
            return
        self._entries = kept
        if not kept:
            self.hide()
        else:
            self._render()

    def hide(self) -> None:  # also the ✕ button and the info timer: a dismissed list is done
        super().hide()
        self._entries, self._dropped, self._action = [], 0, None

    def _run_action(self) -> None:
        action, self._action = self._action, None
        self.hide()
        if action is not None:
            action[1]()


def output_name(result: PipelineResult) -> str:
    """The output view's title for this result: the kernel's output, or which feature map."""
    if result.selected is None:
        return OUTPUT_TITLE
    kernel_name = result.selected.kernel.name or "custom kernel"
    if result.selected is result.combined:
        return "Combined map · gradient magnitude √(m1² + m2²)"
    return f"Feature map · {kernel_name}"


def format_value(array: np.ndarray, row: int, col: int) -> str:
    """A pixel for the status bar: one number for gray or single-channel, else (r, g, b)."""
    if not (0 <= row < array.shape[0] and 0 <= col < array.shape[1]):
        return "—"
    value = array[row, col]
    if np.ndim(value) == 0:
        return _number(float(value))
    if len(value) == 3 and np.allclose(value, value[0]):
        return _number(float(value[0]))
    return "(" + ", ".join(_number(float(v)) for v in value) + ")"


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) and abs(value) < 1e6 else f"{value:.4g}"

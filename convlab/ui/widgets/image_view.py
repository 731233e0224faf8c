"""One zoomable picture in source-pixel coordinates, the widget every image area builds on.

Pixel (row, col) of the input frame covers x in [col, col + 1), y in [row, row + 1). An output
image is placed over that same area (stretched when a stride or "valid" padding made it
smaller), so zoom and pan can be linked between views and a hover or click means the same place
in all of them. Images are pyqtgraph ``ImageItem``s fed uint8 RGB with fixed levels: the fast
path, drawn from a 32-bit copy made once per frame (``FastImageItem``), not converted on
every paint.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QWidget

from convlab.ui.widgets.fast_picture import FastImageItem

# Our images are uint8 RGB already mapped for display. ``levels=None`` with auto-levels off is
# pyqtgraph's zero-copy path (the array is wrapped as a QImage); explicit levels=(0, 255)
# make pyqtgraph 0.14 rescale every pixel on every paint (measured: ~1.5 ms per 720p frame
# per view, on the GUI thread).
DISPLAY_READY = {"levels": None, "autoLevels": False}

INSPECT_MODIFIER = Qt.KeyboardModifier.ShiftModifier  # held while moving: inspect as you go
_INSPECT_INTERVAL_MS = 50  # Shift-hover inspects at most 20 pixels a second
_FOOTPRINT_COLOUR = QColor(0, 220, 255)
_BORDER_COLOUR = QColor(255, 150, 0)
_HOVER_COLOUR = QColor(255, 255, 255)
_TIP_OFFSET = 18  # px from the mouse to the hover tip
_MARKER_PX = 16  # a hovered window smaller than this on screen gets a square this size


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
        self.image_item = FastImageItem()
        self.viewbox.addItem(self.image_item)
        self._placement: tuple | None = None  # (rect, image size) the item is scaled for
        self._source_size: tuple[int, int] | None = None  # (height, width) of the source frame
        self._title = self._label(
            "viewTitle",
            "color: white; background: rgba(0, 0, 0, 150); padding: 2px 6px;"
            " border-radius: 3px; font-weight: bold;",
        )
        self._title.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, False)
        self.set_title(title)
        self._title.move(6, 6)
        self._title.show()
        # a state the picture is in (frozen, paused), in its bottom-right corner
        self._badge = self._label(
            "viewBadge",
            "color: white; background: rgba(25, 105, 210, 225); padding: 4px 10px;"
            " border-radius: 4px; font-weight: bold;",
        )
        self._footprint = _OverlayPath(self.viewbox, _FOOTPRINT_COLOUR, z=10)
        self._outside = _OverlayPath(self.viewbox, _BORDER_COLOUR, z=11)
        self._padded = _OverlayPath(self.viewbox, _BORDER_COLOUR, z=9, dashed=True)
        # the window of the pixel under the mouse, and its sum beside the mouse
        self._hover_window = _OverlayPath(
            self.viewbox, _HOVER_COLOUR, z=8, dashed=True, fill=QColor(255, 255, 255, 45)
        )
        self._hover_marker = self._marker(
            8,
            size=_MARKER_PX,
            symbol="s",
            pen=pg.mkPen(_HOVER_COLOUR, width=2, style=Qt.PenStyle.DashLine),
            brush=None,
        )
        self._tip = self._label(
            "hoverTip",
            "color: white; background: rgba(0, 0, 0, 190); padding: 3px 6px; border-radius: 3px;",
        )
        self._mouse_pos: QPoint | None = None  # widget coordinates while over the picture
        # a fixed-size crosshair: the inspected pixel stays findable at any zoom
        self._target = self._marker(12, size=22, pen=pg.mkPen(_FOOTPRINT_COLOUR, width=2))
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.scene().sigMouseClicked.connect(self._mouse_clicked)
        # Shift-hover: the first pixel at once, then the latest one every interval
        self._inspect_pending: tuple[int, int] | None = None
        self._inspect_sent: tuple[int, int] | None = None
        self._inspect_timer = QTimer(
            self, singleShot=True, interval=_INSPECT_INTERVAL_MS, timeout=self._inspect_later
        )

    def _label(self, name: str, style: str) -> QLabel:
        """A hidden label over the picture (plain text; the mouse goes through it)."""
        label = QLabel(self)
        label.setObjectName(name)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setStyleSheet(f"QLabel {{ {style} }}")
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        label.hide()
        return label

    def _marker(self, z: int, **style: object) -> pg.TargetItem:
        """A hidden marker that keeps its size on screen at any zoom."""
        marker = pg.TargetItem(movable=False, **style)
        marker.setZValue(z)
        marker.setVisible(False)
        self.viewbox.addItem(marker, ignoreBounds=True)
        return marker

    # ----------------------------------------------------------------------------- images
    def set_title(self, text: str) -> None:
        self._title.setText(text)
        self._title.adjustSize()

    def set_badge(self, text: str | None) -> None:
        """A state the picture is in ("Frozen"), shown in the bottom-right corner; None: none."""
        if not text:
            self._badge.hide()
            return
        self._badge.setText(text)
        self._badge.adjustSize()
        self._place_badge()
        self._badge.show()
        self._badge.raise_()

    def badge_text(self) -> str | None:
        return self._badge.text() if not self._badge.isHidden() else None

    def _place_badge(self) -> None:
        # bottom-right: the top-left corner holds the view's title
        self._badge.move(
            max(6, self.width() - self._badge.width() - 6),
            max(6, self.height() - self._badge.height() - 6),
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if hasattr(self, "_badge"):  # pyqtgraph resizes the view while it is being built
            self._place_badge()

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

    def show_hover_window(self, area: QRectF | None) -> None:
        """Outline ``area`` (source coordinates): the window of the pixel under the mouse.
        A window drawn smaller than a fingertip also gets a fixed-size square around it."""
        if area is None:
            self._hover_window.set_path(None)
            self._hover_marker.setVisible(False)
            return
        path = QPainterPath()
        path.addRect(area)
        self._hover_window.set_path(path)
        on_screen = self.widget_rect(area)
        self._hover_marker.setPos(area.center())
        self._hover_marker.setVisible(max(on_screen.width(), on_screen.height()) < _MARKER_PX)

    def show_tip(self, text: str | None) -> None:
        """A few lines beside the mouse while it is over this view's picture."""
        if not text or self._mouse_pos is None:
            self._tip.hide()
            return
        self._tip.setText(text)
        self._tip.adjustSize()
        size = self._tip.size()
        x, y = self._mouse_pos.x() + _TIP_OFFSET, self._mouse_pos.y() + _TIP_OFFSET
        if x + size.width() > self.width():  # flip to the other side of the mouse
            x = self._mouse_pos.x() - _TIP_OFFSET - size.width()
        if y + size.height() > self.height():
            y = self._mouse_pos.y() - _TIP_OFFSET - size.height()
        self._tip.move(max(0, x), max(0, y))
        self._tip.show()
        self._tip.raise_()

    def tip_text(self) -> str | None:
        return self._tip.text() if self._tip.isVisible() else None

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

    def widget_rect(self, area: QRectF) -> QRect:
        """Where ``area`` (source coordinates) is drawn in this widget's coordinates."""
        scene = self.viewbox.mapViewToScene(area).boundingRect()
        return self.mapFromScene(scene).boundingRect()

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
        pixel = self.pixel_at(scene_pos)
        self._mouse_pos = None if pixel is None else self.mapFromScene(scene_pos)
        if pixel is None:
            self._tip.hide()
        self.hovered.emit(pixel)

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
        self._mouse_pos = None
        self._tip.hide()
        self.hovered.emit(None)
        super().leaveEvent(event)


class _OverlayPath:
    """A cosmetic-pen outline drawn over the image (stays 2 px wide at any zoom)."""

    def __init__(
        self,
        viewbox: pg.ViewBox,
        colour: QColor,
        z: float,
        dashed: bool = False,
        fill: QColor | None = None,
    ):
        self.item = QGraphicsPathItem()
        pen = QPen(colour, 2)
        pen.setCosmetic(True)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
            self.item.setBrush(QBrush(fill if fill is not None else QColor(255, 150, 0, 40)))
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

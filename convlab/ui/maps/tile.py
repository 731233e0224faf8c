"""One feature map in the bank grid: the map, its kernel as a tiny coloured grid, its name.

A tile is built once per bank change and then only fed new pixels (``show_map``), so a live
video costs one ``PictureView.set_image`` per tile per frame. Mouse handling lives on the tile,
not on the pyqtgraph view (which is transparent to the mouse): click, double-click, drag to
reorder, right-click menu. The tile only emits signals; the panel turns them into state edits.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDrag,
    QDragEnterEvent,
    QDropEvent,
    QEnterEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from convlab.engine import presets
from convlab.engine.display import weight_colours
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import FeatureMap
from convlab.engine.tile_plan import Chrome
from convlab.ui import text as ui_text
from convlab.ui.fonts import readable
from convlab.ui.widgets.fast_picture import PictureView

BANK_INDEX_MIME = "application/x-convlab-bank-index"
COMBINED_INDEX = -1  # the tile that shows sqrt(map0^2 + map1^2) has no place in the bank
THUMBNAIL_SIZE = 30
COMPACT_THUMBNAIL_SIZE = 18  # small tiles: a smaller kernel picture leaves the map more room
SHORTEST_ELISION = 8  # an elided name this short ("1. So…") says less than the map's number
SELECTED_BORDER = 2  # pixels of the frame around the map the output view shows


def kernel_colors(weights: np.ndarray) -> np.ndarray:
    """RGB uint8 per weight on the weight palette, as the kernel editor's cells: a thumbnail
    reads like the grid."""
    return weight_colours(weights)


class KernelThumbnail(QWidget):
    """A kernel drawn as a small grid of coloured cells (no numbers: it is an icon)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colors = np.zeros((0, 0, 3), dtype=np.uint8)
        self.setFixedSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE)

    def set_kernel(self, kernel: Kernel | None) -> None:
        self._colors = (
            np.zeros((0, 0, 3), dtype=np.uint8) if kernel is None else kernel_colors(kernel.weights)
        )
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        rows, cols = self._colors.shape[:2]
        if not rows or not cols:
            return
        painter = QPainter(self)
        side = min(self.width() / cols, self.height() / rows)
        left = (self.width() - side * cols) / 2.0
        top = (self.height() - side * rows) / 2.0
        for row in range(rows):
            for col in range(cols):
                red, green, blue = (int(v) for v in self._colors[row, col])
                painter.fillRect(
                    QRectF(left + col * side, top + row * side, side, side),
                    QColor(red, green, blue),
                )
        painter.setPen(QColor(90, 90, 90))
        painter.drawRect(QRectF(left, top, side * cols - 1, side * rows - 1))
        painter.end()


class MapTile(QFrame):
    """Shows one FeatureMap; emits what the person did with it, by bank index."""

    clicked = Signal(int)
    doubleClicked = Signal(int)
    moveRequested = Signal(int, int)  # (from, to) bank indices
    removeRequested = Signal(int)
    exportRequested = Signal(int)

    def __init__(self, index: int, kernel: Kernel | None, count: int, parent=None) -> None:
        super().__init__(parent)
        self.index = index
        self._count = count
        self._press_position: QPoint | None = None
        self._ignore_release = False
        self._selected = False
        self._compact = False
        self.setObjectName("mapTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAcceptDrops(index != COMBINED_INDEX)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Esc / Delete reach the panel

        self.thumbnail = KernelThumbnail(self)
        self.thumbnail.set_kernel(kernel if index != COMBINED_INDEX else None)
        self.thumbnail.setVisible(index != COMBINED_INDEX)
        self.title = ui_text.plain_label(parent=self)  # kernel names come from files
        self.title.setElideMode(Qt.TextElideMode.ElideRight)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.installEventFilter(self)
        self.range_label = QLabel(self)
        self.range_label.setObjectName("mapRange")
        self.range_label.setToolTip(
            "Smallest … largest value in this map: the raw response, before the display mapping"
        )
        self.range_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        small = self.range_label.font()
        small.setPointSizeF(readable(small.pointSizeF() * 0.85))
        self.range_label.setFont(small)
        self._name = ""
        self.set_kernel_name(kernel)
        header = self._build_header(index, count)
        self._build_view()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 3, 4, 3)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.range_label)
        self.set_selected(False)

    def _build_header(self, index: int, count: int) -> QHBoxLayout:
        """Thumbnail, name and the move/remove buttons (shown on hover)."""
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(4)
        header.addWidget(self.thumbnail)
        header.addWidget(self.title, 1)
        icons = QStyle.StandardPixmap
        self.left_button = self._tool_button(
            icons.SP_ArrowLeft, "Move this map one place to the left"
        )
        self.right_button = self._tool_button(
            icons.SP_ArrowRight, "Move this map one place to the right"
        )
        self.remove_button = self._tool_button(
            icons.SP_TitleBarCloseButton, "Remove this kernel from the bank"
        )
        self.left_button.clicked.connect(lambda: self.moveRequested.emit(index, index - 1))
        self.right_button.clicked.connect(lambda: self.moveRequested.emit(index, index + 1))
        self.remove_button.clicked.connect(lambda: self.removeRequested.emit(index))
        self._buttons = (self.left_button, self.right_button, self.remove_button)
        for button in self._buttons:
            header.addWidget(button)
            button.setVisible(False)
        self.left_button.setEnabled(index > 0)
        self.right_button.setEnabled(0 <= index < count - 1)
        return header

    def _build_view(self) -> None:
        """The map itself: fitted with its aspect kept, letting clicks through to the tile."""
        self.view = PictureView(self)

    # ------------------------------------------------------------------------------ content
    def set_kernel_name(self, kernel: Kernel | None) -> None:
        if self.index == COMBINED_INDEX:
            self._name = "|∇| = √(map1² + map2²)"
            tip = (
                "Gradient magnitude: the first two maps' responses (before ReLU) combined "
                "pixel by pixel. With Sobel x and y first, this is edge strength in any direction."
            )
        else:
            rows, cols = kernel.shape if kernel is not None else (0, 0)
            name = kernel.name if kernel is not None and kernel.name else "custom"
            label = presets.shown_name(kernel) if kernel is not None and kernel.name else name
            self._name = f"{self.index + 1}. {label}"
            code = f"{name}, " if label != name else ""  # a preset's code name
            tip = (
                f"Map {self.index + 1}: {label} ({code}{rows}x{cols}).\n"
                "Click: show it large in the output view (click again to go back).\n"
                "Double-click: load its kernel into the editor.\n"
                "Drag onto another map to reorder; right-click for more."
            )
        self.title.setToolTip(ui_text.tooltip(self._name))
        self._fit_title()
        self._tip = tip
        self.setToolTip(ui_text.tooltip(tip))

    def chrome(self) -> Chrome:
        """Pixels of a tile that are not map, (width, height), in its full and compact forms:
        header, value-range line (full only), margins and border. The border is counted at
        its selected width, so selecting a tile never pushes its map past its planned room."""
        layout = self.layout()
        margins = layout.contentsMargins()
        border = 2 * SELECTED_BORDER
        width = margins.left() + margins.right() + border
        title = self.title.sizeHint().height()
        base = margins.top() + margins.bottom() + layout.spacing() + border
        full = base + max(THUMBNAIL_SIZE, title) + layout.spacing()
        full += self.range_label.sizeHint().height()
        compact = base + max(COMPACT_THUMBNAIL_SIZE, title)
        return Chrome(full=(width, full), compact=(width, compact))

    def name_width(self, compact: bool) -> int:
        """The width of a tile whose header shows the whole name beside the kernel picture
        (borders counted at their selected width, as in ``chrome``)."""
        margins = self.layout().contentsMargins()
        header = self.layout().itemAt(0).layout()
        name = ui_text.clean(self._name, 300)
        text = self.title.fontMetrics().horizontalAdvance(name) + 4  # the label's own slack
        return (
            margins.left()
            + margins.right()
            + 2 * SELECTED_BORDER
            + (COMPACT_THUMBNAIL_SIZE if compact else THUMBNAIL_SIZE)
            + header.spacing()
            + text
        )

    def set_compact(self, compact: bool) -> None:
        """Small tiles: no value-range line (it stays in the tooltip), a smaller kernel
        picture, and no ◀ ▶ ✕ (the right-click menu and dragging still do their work)."""
        if compact == self._compact:
            return
        self._compact = compact
        side = COMPACT_THUMBNAIL_SIZE if compact else THUMBNAIL_SIZE
        self.thumbnail.setFixedSize(side, side)
        self.range_label.setVisible(not compact)
        self._fit_title()
        self._show_buttons(self._selected or self.underMouse())

    def _fit_title(self) -> None:
        """The name, elided to the room; on a compact tile where so little of it fits that
        it says nothing ("1. So…"), the map's number instead."""
        name = ui_text.clean(self._name, 300)
        if self._compact:
            metrics = self.title.fontMetrics()
            width = max(10, self.title.width())
            elided = metrics.elidedText(name, Qt.TextElideMode.ElideRight, width)
            if elided != name and len(elided) <= SHORTEST_ELISION:
                name = self.short_name()
        if self.title.text() != name:
            self.title.setText(name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.title and event.type() == QEvent.Type.Resize:
            self._fit_title()
        return super().eventFilter(watched, event)

    def short_name(self) -> str:
        """What a compact tile too narrow for its name writes beside its kernel picture."""
        return "|∇|" if self.index == COMBINED_INDEX else str(self.index + 1)

    @property
    def name(self) -> str:
        return self._name

    def show_map(self, feature_map: FeatureMap) -> None:
        """New pixels for the same kernel: one 32-bit copy and a repaint of the map alone."""
        self.view.set_image(feature_map.image)
        low, high = feature_map.value_range
        text = f"{low:.4g} … {high:.4g}"
        if text != self.range_label.text():
            self.range_label.setText(text)

    def set_selected(self, selected: bool) -> None:
        """A highlighted frame marks the map the output view is showing large."""
        self._selected = selected
        self._show_buttons(selected or self.underMouse())
        colour = "palette(highlight)" if selected else "palette(mid)"
        width = SELECTED_BORDER if selected else 1
        self.setStyleSheet(f"#mapTile {{ border: {width}px solid {colour}; border-radius: 3px; }}")

    def _show_buttons(self, visible: bool) -> None:
        """◀ ▶ ✕ appear on hover (and on the selected tile), so small tiles keep their names."""
        visible = visible and self.index != COMBINED_INDEX and not self._compact
        if any(button.isVisible() != visible for button in self._buttons):
            for button in self._buttons:
                button.setVisible(visible)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:  # the value range, hidden on compact tiles
            values = self.range_label.text()
            tip = f"{self._tip}\nValues: {values}" if values else self._tip
            self.setToolTip(ui_text.tooltip(tip))
        return super().event(event)

    def enterEvent(self, event: QEnterEvent) -> None:
        self._show_buttons(True)
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._show_buttons(self._selected)
        super().leaveEvent(event)

    def _tool_button(self, icon: QStyle.StandardPixmap, tip: str) -> QToolButton:
        """The style's arrows and cross: glyphs would depend on the fonts installed."""
        button = QToolButton(self)
        button.setIcon(self.style().standardIcon(icon))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.setFixedSize(QSize(20, 20))
        button.setCursor(Qt.CursorShape.ArrowCursor)
        return button

    # ------------------------------------------------------------------------------ mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_position = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        start = self._press_position
        if (
            start is None
            or self.index == COMBINED_INDEX
            or not event.buttons() & Qt.MouseButton.LeftButton
            or (event.position().toPoint() - start).manhattanLength()
            < QApplication.startDragDistance()
        ):
            return
        self._press_position = None
        mime = QMimeData()
        mime.setData(BANK_INDEX_MIME, str(self.index).encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(self.grab().scaledToWidth(min(160, self.width())))
        drag.exec(Qt.DropAction.MoveAction)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        was_press = self._press_position is not None
        self._press_position = None
        if event.button() == Qt.MouseButton.LeftButton and was_press:
            if self._ignore_release:
                self._ignore_release = False
            else:
                self.clicked.emit(self.index)
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            # The press/release pair of a double-click's second click must not toggle the
            # selection back: the first click already selected this map.
            self._ignore_release = True
            self._press_position = event.position().toPoint()
            self.doubleClicked.emit(self.index)
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        menu.addAction("Show large in the output view", lambda: self.clicked.emit(self.index))
        if self.index != COMBINED_INDEX:
            menu.addAction(
                "Load kernel into the editor", lambda: self.doubleClicked.emit(self.index)
            )
            menu.addSeparator()
            left = menu.addAction(
                "Move left", lambda: self.moveRequested.emit(self.index, self.index - 1)
            )
            left.setEnabled(self.index > 0)
            right = menu.addAction(
                "Move right", lambda: self.moveRequested.emit(self.index, self.index + 1)
            )
            right.setEnabled(self.index < self._count - 1)
            menu.addAction("Remove from bank", lambda: self.removeRequested.emit(self.index))
        menu.addSeparator()
        menu.addAction("Export this map…", lambda: self.exportRequested.emit(self.index))
        menu.exec(event.globalPos())

    # ------------------------------------------------------------------------------ drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(BANK_INDEX_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        source = _dropped_index(event.mimeData())
        if source is None or source == self.index:
            return
        event.acceptProposedAction()
        self.moveRequested.emit(source, self.index)


def _dropped_index(mime: QMimeData) -> int | None:
    try:
        return int(bytes(mime.data(BANK_INDEX_MIME).data()).decode())
    except ValueError:
        return None

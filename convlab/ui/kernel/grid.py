"""The weight grid (objectName ``kernelEditor``): type, step, scroll or scrub each weight.

Keyboard: type a number (Enter or Tab commits; a leading - types a negative number), arrows
and Tab move, + (or =, Page Up) and keypad -/Page Down step the weight, Shift multiplies the
step by 10, Delete sets 0. Mouse: the wheel steps the cell under the pointer, dragging up or
down on a cell scrubs it. Cells are square and sized to fit the space.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QModelIndex, QPoint, QPointF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QStaticText,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLineEdit,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from convlab.engine.kernel_ops import EDITOR_MAX_SIDE, format_weight, stepped
from convlab.engine.kernels import Kernel
from convlab.ui.kernel.table_model import KernelTableModel
from convlab.ui.state import PlaygroundState

MIN_CELL = 22  # readable numbers; kernels up to 15x15 never go below it
TINY_CELL = 9  # larger kernels (up to 31x31) shrink further and show colours only
TEXT_MIN_CELL = 16  # below this a cell shows its colour; the tooltip still gives the number
MAX_CELL = 72
PIXELS_PER_STEP = 6  # scrubbing: one step per 6 px of vertical mouse travel
WHEEL_BURST_MS = 700  # wheel notches closer together than this undo as one step


def step_for_key(key: int, modifiers: Qt.KeyboardModifier) -> float | None:
    """Steps a key press asks for, or None when the key is not a step key.

    The main keyboard's - is left alone so that typing -1 into a cell just works; keypad -
    and Page Down step down. Shift multiplies by 10, except on the main keyboard's +, which
    needs Shift on many layouts.
    """
    keypad = bool(modifiers & Qt.KeyboardModifier.KeypadModifier)
    shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
    if key == Qt.Key.Key_Plus:
        return 10.0 if shift and keypad else 1.0
    if key == Qt.Key.Key_Equal:
        return 1.0
    if key == Qt.Key.Key_Minus and keypad:
        return -10.0 if shift else -1.0
    if key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
        sign = 1.0 if key == Qt.Key.Key_PageUp else -1.0
        return sign * (10.0 if shift else 1.0)
    return None


DIGITS = (4, 3, 2, 1)  # significant digits, tried from the most precise down


def styled_weight(weight: float, digits: int, short: bool) -> str:
    """``weight`` with ``digits`` significant digits; ``short`` writes .25 for 0.25."""
    text = format_weight(weight, digits)
    if short and text.startswith("0."):
        return text[1:]
    if short and text.startswith("-0."):
        return "-" + text[2:]
    return text


def cell_text(weight: float, short: bool, metrics: QFontMetrics, room: int) -> str | None:
    """The most precise text for ``weight`` that fits ``room`` pixels, or None."""
    for digits in DIGITS:
        text = styled_weight(weight, digits, short)
        if metrics.horizontalAdvance(text) <= room:
            return text
    return None


def grid_uses_short_form(weights: np.ndarray, metrics: QFontMetrics, room: int) -> bool | None:
    """Whether the grid writes .25 rather than 0.25 (None: some weight fits neither way).

    One choice for the whole grid keeps neighbouring cells comparable (no 0.02 next to .02);
    the number of digits may still differ from cell to cell.
    """
    values = [float(v) for v in np.unique(weights)]
    for short in (False, True):
        if all(cell_text(v, short, metrics, room) is not None for v in values):
            return short
    return None


class _CellDelegate(QStyledItemDelegate):
    """Draws each weight in the grid's shared text style; edits in a centred line edit.

    Painting is done by hand (fill, text, outline) rather than through the style: a 15x15
    grid repaints while a person scrubs, and the style's item drawing costs ~10x more.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style_key: tuple | None = None
        self._style: tuple[bool, QFont] = (False, QFont())
        self._texts: dict[tuple[float, bool, int, int], str] = {}
        self._static: dict[tuple[str, int], QStaticText] = {}  # laid-out text, reused

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        """The cell's colour, its weight, and a selection outline (a filled highlight would
        hide the colour that shows the weight)."""
        model = index.model()
        if not isinstance(model, KernelTableModel):
            super().paint(painter, option, index)
            return
        weight, background, foreground = model.cell(index.row(), index.column())
        rect = option.rect
        room = rect.width() - 3
        short, font = self.text_style(model.kernel(), option.font, room)
        painter.fillRect(rect, background)
        if rect.width() < TEXT_MIN_CELL:
            self._outline_selection(painter, option)
            return
        text = self.text(weight, short, font, room)
        static = self._static.get((text, font.pixelSize()))
        if static is None:
            static = QStaticText(text)
            static.prepare(font=font)
            if len(self._static) > 4096:
                self._static.clear()
            self._static[(text, font.pixelSize())] = static
        size = static.size()
        painter.setFont(font)
        painter.setPen(foreground)
        painter.drawStaticText(
            QPointF(
                rect.x() + (rect.width() - size.width()) / 2,
                rect.y() + (rect.height() - size.height()) / 2,
            ),
            static,
        )
        self._outline_selection(painter, option)

    @staticmethod
    def _outline_selection(painter: QPainter, option: QStyleOptionViewItem) -> None:
        if option.state & QStyle.StateFlag.State_Selected:
            pen = QPen(option.palette.highlight().color(), 2)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(option.rect.adjusted(1, 1, -1, -1))

    def text(self, weight: float, short: bool, font: QFont, room: int) -> str:
        key = (weight, short, room, font.pixelSize())
        text = self._texts.get(key)
        if text is None:
            text = cell_text(weight, short, QFontMetrics(font), room)
            text = text if text is not None else styled_weight(weight, 1, True)
            if len(self._texts) > 4096:
                self._texts.clear()
            self._texts[key] = text
        return text

    def text_style(self, kernel: Kernel, font: QFont, room: int) -> tuple[bool, QFont]:
        """Short form and font for this kernel at this cell size (cached: the same for every
        cell of one repaint). Shrinks the font up to two pixels if a weight does not fit."""
        key = (room, font.pixelSize())
        if (
            self._style_key is not None
            and self._style_key[0] is kernel
            and (self._style_key[1:] == key)
        ):
            return self._style
        font = QFont(font)
        short = None
        for _attempt in range(3):
            short = grid_uses_short_form(kernel.weights, QFontMetrics(font), room)
            if short is not None:
                break
            font.setPixelSize(max(7, font.pixelSize() - 1))
        self._style_key = (kernel, *key)
        self._style = (bool(short) if short is not None else True, font)
        return self._style

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex
    ) -> QWidget:
        editor = QLineEdit(parent)
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        editor.setFrame(False)
        editor.setToolTip("A number such as -2, 0.25, 1e-3 or 1/16; Esc cancels")
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        if isinstance(editor, QLineEdit):
            editor.setText(index.data(Qt.ItemDataRole.EditRole))
            editor.selectAll()

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:
        if isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class KernelGrid(QTableView):
    """The kernel's weights as square, colour-coded, editable cells."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kernelEditor")
        self._model = KernelTableModel(state, self)
        self.setModel(self._model)
        self.setItemDelegate(_CellDelegate(self))
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setMinimumSectionSize(TINY_CELL)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self._cell = 40
        self._scrub_origin: QPoint | None = None
        self._scrub_index = QModelIndex()
        self._scrub_start = 0.0
        self._scrubbing = False
        self._wheel_timer = QTimer(self)
        self._wheel_timer.setSingleShot(True)
        self._wheel_timer.setInterval(WHEEL_BURST_MS)
        self._wheel_timer.timeout.connect(self._model.end_gesture)
        self._model.modelReset.connect(self._on_reset)

    # ------------------------------------------------------------------------- sizing
    def kernel_model(self) -> KernelTableModel:
        return self._model

    def cell_size(self) -> int:
        return self._cell

    def fit_cells(self, room: QSize) -> QSize:
        """Choose the square cell size that fits ``room``; return the size the grid needs."""
        rows, cols = self._model.rowCount(), self._model.columnCount()
        frame = 2 * self.frameWidth()
        side = min((room.width() - frame) // cols, (room.height() - frame) // rows)
        smallest = MIN_CELL if max(rows, cols) <= EDITOR_MAX_SIDE else TINY_CELL
        cell = max(smallest, min(MAX_CELL, side))
        if cell != self._cell or self.horizontalHeader().defaultSectionSize() != cell:
            self._cell = cell
            for header in (self.horizontalHeader(), self.verticalHeader()):
                header.setDefaultSectionSize(cell)
            font = QFont(self.font())
            font.setPixelSize(max(9, min(16, round(cell * 0.36))))
            self.setFont(font)
        return QSize(
            min(room.width(), cols * self._cell + frame),
            min(room.height(), rows * self._cell + frame),
        )

    def _on_reset(self) -> None:
        self.end_scrub()
        parent = self.parentWidget()
        if isinstance(parent, KernelGridArea):
            parent.relayout()

    # ------------------------------------------------------------------------- keyboard
    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        editing = self.state() == QAbstractItemView.State.EditingState
        if index.isValid() and not editing:
            steps = step_for_key(event.key(), event.modifiers())
            if steps is not None:
                self._burst()
                self._model.step_weight(index.row(), index.column(), steps)
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.edit(index)  # Enter opens the cell, as in a spreadsheet
                return
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self._model.set_weight(index.row(), index.column(), 0.0)
                return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------------- mouse
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Right-click: quick values for the cell under the pointer, then copy/paste."""
        menu = self.context_menu(self.indexAt(event.pos()))
        if not menu.isEmpty():
            menu.exec(event.globalPos())
        menu.deleteLater()

    def context_menu(self, index: QModelIndex) -> QMenu:
        menu = QMenu(self)
        if index.isValid():
            self.setCurrentIndex(index)
            row, col = index.row(), index.column()
            weight = float(index.data(Qt.ItemDataRole.UserRole))
            quick = (
                ("Set to 0", 0.0),
                ("Set to 1", 1.0),
                ("Set to −1", -1.0),
                ("Negate this weight", -weight),
            )
            for label, value in quick:
                menu.addAction(label, lambda v=value: self._model.set_weight(row, col, v))
            menu.addSeparator()
        menu.addActions(self.actions())  # the panel's copy / paste kernel actions
        return menu

    def wheelEvent(self, event: QWheelEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        delta = event.angleDelta().y() or event.angleDelta().x()  # Shift may turn y into x
        if not index.isValid() or delta == 0:
            super().wheelEvent(event)
            return
        self.setCurrentIndex(index)
        coarse = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._burst()
        self._model.step_weight(
            index.row(), index.column(), delta / 120.0 * (10.0 if coarse else 1.0)
        )
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and index.isValid():
            self._scrub_origin = event.position().toPoint()
            self._scrub_index = index
            self._scrub_start = float(index.data(Qt.ItemDataRole.UserRole))
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._scrub_origin is None or not (event.buttons() & Qt.MouseButton.LeftButton):
            super().mouseMoveEvent(event)
            return
        rise = self._scrub_origin.y() - event.position().toPoint().y()
        if not self._scrubbing:
            if abs(rise) < QApplication.startDragDistance():
                return
            self._scrubbing = True
            self._model.begin_gesture()
            self.setCursor(Qt.CursorShape.SizeVerCursor)
        coarse = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.scrub_to(rise / PIXELS_PER_STEP * (10.0 if coarse else 1.0))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        was_scrubbing = self._scrubbing
        self.end_scrub()
        if not was_scrubbing:
            super().mouseReleaseEvent(event)

    def scrub_to(self, steps: float) -> None:
        """Set the scrubbed cell to its value at the press plus ``steps`` whole steps."""
        if not self._scrub_index.isValid():
            return
        value = stepped(self._scrub_start, self._model.gesture_step(), round(steps))
        self._model.set_weight(self._scrub_index.row(), self._scrub_index.column(), value)

    def end_scrub(self) -> None:
        if self._scrubbing:
            self._model.end_gesture()
            self.unsetCursor()
        self._scrubbing = False
        self._scrub_origin = None

    def _burst(self) -> None:
        """Wheel notches and key steps in quick succession merge into one undo step."""
        if not self._wheel_timer.isActive():
            self._model.begin_gesture()
        self._wheel_timer.start()


class KernelGridArea(QWidget):
    """Holds the grid centred at the largest square-cell size that fits."""

    def __init__(self, grid: KernelGrid, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = grid
        grid.setParent(self)
        grid.kernel_model().modelReset.connect(self.updateGeometry)  # a new shape

    def sizeHint(self) -> QSize:
        return QSize(15 * 26, 15 * 26)

    def minimumSizeHint(self) -> QSize:
        """Room for every cell at the smallest readable size: the grid itself never scrolls
        (a kernel half hidden is hard to reason about); a short dock scrolls the panel."""
        model = self._grid.kernel_model()
        rows, cols = model.rowCount(), model.columnCount()
        smallest = MIN_CELL if max(rows, cols) <= EDITOR_MAX_SIDE else TINY_CELL
        frame = 2 * self._grid.frameWidth()
        return QSize(
            max(7 * MIN_CELL, cols * smallest + frame), max(7 * MIN_CELL, rows * smallest + frame)
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.relayout()

    def relayout(self) -> None:
        needed = self._grid.fit_cells(self.size())
        left = (self.width() - needed.width()) // 2
        top = (self.height() - needed.height()) // 2
        self._grid.setGeometry(left, top, needed.width(), needed.height())

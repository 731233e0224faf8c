"""The weight grid (objectName ``kernelEditor``): type, step, scroll or scrub each weight.

Keyboard: type a number (Enter or Tab commits; a leading - types a negative number), arrows
and Tab move, + (or =, Page Up) and keypad -/Page Down step the weight, Shift multiplies the
step by 10, Delete sets 0. Mouse: the wheel steps the cell under the pointer, dragging up or
down on a cell scrubs it. The cells fill the dock's width; their numbers are exact when they
have four significant digits or fewer, otherwise rounded by at most 1%, and never drawn
smaller than 11 pixels (a narrower cut of the font comes first, so a 7x7 kernel fits a laptop's
dock whole): a kernel too large for the room scrolls, with its offsets as headers.
"""

from __future__ import annotations

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

from convlab.engine.kernel_ops import stepped, without_leading_zero
from convlab.ui.kernel.table_model import KernelTableModel
from convlab.ui.state import PlaygroundState

MIN_TEXT_PX = 11  # numbers are never drawn smaller: a 15x15 grid scrolls rather than shrinks
MAX_TEXT_PX = 20
TEXT_PADDING = 4  # pixels beside the widest number of the grid
MAX_CELL_WIDTH = 140  # a 1x1 or 3x3 kernel fills the dock's width, up to this per cell
MAX_CELL_HEIGHT = 96
MIN_AREA_CELLS = 7  # the grid's area asks for 7 x 7 small cells whatever the kernel's size
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


def cell_text(texts: list[str], short: bool, metrics: QFontMetrics, room: int) -> str | None:
    """The most precise of a number's honest ``texts`` that fits ``room`` pixels (``short``:
    written without the leading zero of a fraction), or None."""
    for text in texts:
        shown = without_leading_zero(text) if short else text
        if metrics.horizontalAdvance(shown) <= room:
            return shown
    return None


def narrowest(texts: list[str], metrics: QFontMetrics) -> int:
    """Pixels the shortest honest way of writing a number needs."""
    return min(metrics.horizontalAdvance(without_leading_zero(text)) for text in texts)


def grid_uses_short_form(all_texts: list[list[str]], metrics: QFontMetrics, room: int) -> bool:
    """Whether the grid writes .25 rather than 0.25: only when some number fits no other way.

    One choice for the whole grid keeps neighbouring cells comparable (no 0.02 next to .02);
    the number of digits may still differ from cell to cell.
    """
    return not all(cell_text(texts, False, metrics, room) is not None for texts in all_texts)


class _CellDelegate(QStyledItemDelegate):
    """Draws each weight in the grid's shared text style; edits in a centred line edit.

    Painting is done by hand (fill, text, outline) rather than through the style: a 15x15
    grid repaints while a person scrubs, and the style's item drawing costs ~10x more.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style_key: tuple | None = None
        self._short = False
        self._static: dict[tuple[str, int, int], QStaticText] = {}  # laid-out text, reused

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        """The cell's colour, its number, and a selection outline (a filled highlight would
        hide the colour that shows the weight)."""
        model = index.model()
        if not isinstance(model, KernelTableModel):
            super().paint(painter, option, index)
            return
        _weight, background, foreground = model.cell(index.row(), index.column())
        rect = option.rect
        font = option.font
        painter.fillRect(rect, background)
        text = self.cell_text_for(model, index, font, rect.width())
        key = (text, font.pixelSize(), font.stretch())
        static = self._static.get(key)
        if static is None:
            static = QStaticText(text)
            static.prepare(font=font)
            if len(self._static) > 4096:
                self._static.clear()
            self._static[key] = static
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

    def cell_text_for(
        self, model: KernelTableModel, index: QModelIndex, font: QFont, width: int
    ) -> str:
        """The most precise honest text of the cell's number that fits a cell ``width`` wide."""
        room = width - 2
        metrics = QFontMetrics(font)
        short = self.uses_short_form(model, metrics, room)
        texts = model.texts(index.row(), index.column())
        return cell_text(texts, short, metrics, room) or without_leading_zero(texts[-1])

    def uses_short_form(self, model: KernelTableModel, metrics: QFontMetrics, room: int) -> bool:
        """``grid_uses_short_form`` for this kernel at this cell width (cached: the same for
        every cell of one repaint)."""
        key = (model.kernel(), model.denominator(), room, metrics.height())
        if (
            self._style_key is None
            or self._style_key[0] is not key[0]
            or (self._style_key[1:] != key[1:])
        ):
            self._style_key = key
            self._short = grid_uses_short_form(model.all_texts(), metrics, room)
        return self._short

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
            header.setMinimumSectionSize(1)
            header_font = header.font()
            header_font.setPixelSize(MIN_TEXT_PX)
            header.setFont(header_font)
            header.setToolTip("Offset from the anchor cell, the one placed on the output pixel")
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
        self._cell_width = 40
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
        """Height of a cell (its width is ``cell_width``)."""
        return self._cell

    def cell_width(self) -> int:
        return self._cell_width

    def fit_cells(self, room: QSize) -> QSize:
        """Size the cells for ``room`` and return the size the grid takes in it.

        The cells fill the width (up to MAX_CELL_WIDTH each) and are as tall as the room
        allows (up to their width); the numbers get a font of 11 to 20 pixels and every
        cell is wide enough for the grid's widest number written honestly. When that does
        not fit, the grid takes the whole room, scrolls, and shows the offsets from the
        anchor as headers, so a scrolled cell can still be placed.
        """
        rows, cols = max(1, self._model.rowCount()), max(1, self._model.columnCount())
        frame = 2 * self.frameWidth()
        width, height, font = self._cell_sizes(room.width() - frame, room.height() - frame)
        scrolls = cols * width > room.width() - frame or rows * height > room.height() - frame
        self._show_headers(scrolls)
        if scrolls:  # the headers and scroll bars take some of the room
            bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
            left = self.verticalHeader().sizeHint().width()
            top = self.horizontalHeader().sizeHint().height()
            width, height, font = self._cell_sizes(
                room.width() - frame - left - bar, room.height() - frame - top - bar
            )
        if (width, height) != (self._cell_width, self._cell) or font != self.font():
            self._cell_width, self._cell = width, height
            self.horizontalHeader().setDefaultSectionSize(width)
            self.verticalHeader().setDefaultSectionSize(height)
            self.setFont(font)
        if scrolls:
            return room
        return QSize(cols * width + frame, rows * height + frame)

    def _cell_sizes(self, width: int, height: int) -> tuple[int, int, QFont]:
        """(cell width, cell height, font) for an area of width x height pixels."""
        rows, cols = max(1, self._model.rowCount()), max(1, self._model.columnCount())
        fitting = min(height // rows, MAX_CELL_HEIGHT, max(1, width // cols))
        font = QFont(self.font())
        all_texts = self._model.all_texts()
        # The size that suits the cell, or a smaller one (never under MIN_TEXT_PX) when the
        # widest number needs it, then a narrower cut of the font: a 7x7 kernel's .00134 or
        # 1.94e-7 then fits a laptop's dock whole instead of scrolling.
        ideal = max(MIN_TEXT_PX, min(MAX_TEXT_PX, round(fitting * 0.36)))
        tries = [
            (pixels, QFont.Stretch.Unstretched) for pixels in range(ideal, MIN_TEXT_PX - 1, -1)
        ]
        tries += [
            (MIN_TEXT_PX, QFont.Stretch.SemiCondensed),
            (MIN_TEXT_PX, QFont.Stretch.Condensed),
        ]
        for pixels, stretch in tries:
            font.setPixelSize(pixels)
            font.setStretch(stretch)
            metrics = QFontMetrics(font)
            widest = max(narrowest(texts, metrics) for texts in all_texts)
            if widest + TEXT_PADDING <= width // cols:
                break
        else:
            font.setStretch(QFont.Stretch.Unstretched)  # scrolls anyway: the plain font
            metrics = QFontMetrics(font)
            widest = max(narrowest(texts, metrics) for texts in all_texts)
        cell_width = max(widest + TEXT_PADDING, min(width // cols, MAX_CELL_WIDTH))
        lowest = metrics.height() + 6
        cell_height = max(lowest, min(height // rows, MAX_CELL_HEIGHT, cell_width))
        return cell_width, cell_height, font

    def _show_headers(self, shown: bool) -> None:
        for header in (self.horizontalHeader(), self.verticalHeader()):
            if header.isHidden() == shown:
                header.setVisible(shown)

    def text_for(self, index: QModelIndex) -> str:
        """The text the cell at ``index`` shows at the current cell size (what is painted)."""
        return self.itemDelegate().cell_text_for(self._model, index, self.font(), self._cell_width)

    def text_pixels(self) -> int:
        """Pixel size of the numbers in the cells."""
        return self.font().pixelSize()

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
            quick = (("Set to 0", 0.0), ("Set to 1", 1.0), ("Set to −1", -1.0))
            for label, value in quick:  # the number the cell shows
                menu.addAction(label, lambda v=value: self._model.set_weight(row, col, v))
            menu.addAction(
                "Negate this weight",
                lambda: self._model.set_weight(row, col, -weight, as_shown=False),
            )
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
        index = self._scrub_index
        self._model.set_weight(index.row(), index.column(), value, as_shown=False)

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
        model = grid.kernel_model()
        model.modelReset.connect(self.updateGeometry)  # a new shape
        # new numbers may need wider cells (or allow narrower ones)
        model.dataChanged.connect(lambda *_: self.relayout())

    def sizeHint(self) -> QSize:
        return QSize(15 * 26, 15 * 26)

    def minimumSizeHint(self) -> QSize:
        """The same whatever the kernel's size: a larger kernel scrolls inside the grid
        rather than growing the panel, so nothing around the grid moves (and a scroll bar
        of the dock never appears under the mouse) when the size changes."""
        side = MIN_AREA_CELLS * (QFontMetrics(self.font()).height() + 6)
        return QSize(side, side)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.relayout()

    def relayout(self) -> None:
        needed = self._grid.fit_cells(self.size())
        left = (self.width() - needed.width()) // 2
        top = (self.height() - needed.height()) // 2
        self._grid.setGeometry(left, top, needed.width(), needed.height())

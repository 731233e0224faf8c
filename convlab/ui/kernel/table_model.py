"""The Qt table model over ``state.kernel``: one cell per weight, edits go back to the state.

The model keeps no weights of its own: it reads ``state.kernel`` and every edit becomes a new
kernel through ``state.set_kernel`` (undoable). A gesture (one scrub, a burst of wheel notches)
shares one merge key so it undoes in one step, while two separate typed values stay two steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from convlab.engine.display import dark_text_reads_better, weight_colours
from convlab.engine.kernel_ops import (
    common_denominator,
    format_weight,
    full_precision,
    parse_cell_value,
    step_size,
    stepped,
    weight_texts,
)
from convlab.engine.kernels import Kernel
from convlab.errors import KernelError
from convlab.ui.state import PlaygroundState

CUSTOM_NAME = "custom"
_Index = QModelIndex | QPersistentModelIndex


def cell_colours(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Background RGB per cell on the weight palette (zero neutral), and legible text RGB.

    The scale is symmetric around zero (-max|w| .. +max|w|) so the sign is the hue and the
    size is the saturation; the text is black or white, whichever contrasts with the fill.
    """
    background = weight_colours(weights)
    text = np.where(dark_text_reads_better(background)[..., None], 0, 255) * np.ones(3, np.intp)
    return background, text.astype(np.uint8)


class KernelTableModel(QAbstractTableModel):
    """Rows x columns of weights of ``state.kernel``; ``setData`` edits one weight.

    In the integer view (``set_integer_view``) a kernel whose weights share a common
    denominator n shows, and is typed in, as whole numbers over n: the 3x3 Gaussian reads
    1 2 1 / 16, as the slides and GIMP write it; a typed 3 means 3/16.
    """

    denominatorChanged = Signal(object)  # int | None: the n the cells are shown over

    def __init__(self, state: PlaygroundState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._kernel = state.kernel
        self._integer_view = False
        self._denominator: int | None = None
        self._texts: dict[float, list[str]] = {}
        self._edit_count = 0  # makes every plain edit's merge key unique
        self._gesture: int | None = None
        self._gesture_step = 1.0
        self._shown_divisor = self._kernel.divisor
        self._colours: dict[tuple[int, ...], QColor] = {}  # at most 256 fills + 2 text colours
        self._refresh_colours()
        state.kernelChanged.connect(self._on_kernel_changed)

    # ------------------------------------------------------------------------- Qt model API
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else self._kernel.shape[0]

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._kernel.shape[1]

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        weight = float(self._kernel.weights[row, col])
        if role == Qt.ItemDataRole.DisplayRole:
            return self.texts(row, col)[0]
        if role == Qt.ItemDataRole.EditRole:
            return full_precision(self.shown_value(row, col))
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(self._colour(tuple(self._background_rgb[row, col].tolist())))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(self._colour(tuple(self._text_rgb[row, col].tolist())))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col, weight)
        if role == Qt.ItemDataRole.UserRole:
            return weight
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Offsets from the anchor cell (the one placed on the output pixel): -1, 0, +1."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        axis = 0 if orientation == Qt.Orientation.Vertical else 1
        anchor = (self._kernel.shape[axis] - 1) // 2
        return f"{section - anchor:+d}" if section != anchor else "0"

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Set one weight from a number or typed text; refusals leave the kernel unchanged."""
        if not index.isValid() or role not in (
            Qt.ItemDataRole.EditRole,
            Qt.ItemDataRole.DisplayRole,
        ):
            return False
        return self.set_weight(index.row(), index.column(), value)

    # ------------------------------------------------------------------------- editing
    def set_weight(self, row: int, col: int, value: Any, *, as_shown: bool = True) -> bool:
        """Parse ``value`` and make it the weight at (row, col); report and refuse otherwise.

        ``as_shown``: the value is what the cell shows, a whole number over the common
        denominator in the integer view; otherwise it is the weight itself.
        """
        where = f"Kernel cell row {row + 1}, column {col + 1}"
        try:
            number = parse_cell_value(value, where)
            if as_shown and self._denominator is not None:  # a whole number over n
                number = parse_cell_value(number / self._denominator, where)
        except KernelError as error:
            self._state.report(error, "warning")
            self.dataChanged.emit(self.index(row, col), self.index(row, col))
            return False
        kernel = self._state.kernel
        if float(kernel.weights[row, col]) == number:
            return True
        weights = np.array(kernel.weights)
        weights[row, col] = number
        self._state.set_kernel(
            kernel.replace(weights=weights, name=CUSTOM_NAME),
            text=f"Set cell ({row + 1}, {col + 1}) to {format_weight(number)}",
            merge_key=self._merge_key(row, col),
        )
        return True

    def step_weight(self, row: int, col: int, steps: float) -> bool:
        """Add ``steps`` steps (step sized to the kernel's scale) to the weight at (row, col)."""
        step = self.gesture_step()
        current = float(self._state.kernel.weights[row, col])
        return self.set_weight(row, col, stepped(current, step, steps), as_shown=False)

    def step(self) -> float:
        """The current step size (1 for integer kernels, 0.01 for a small Gaussian, 1/16
        for a Gaussian shown as sixteenths: one unit of what the cells show)."""
        if self._denominator is not None:
            return 1.0 / self._denominator
        return step_size(self._state.kernel.weights)

    def gesture_step(self) -> float:
        """The step fixed at the start of the running gesture, so a scrub never changes pace."""
        return self._gesture_step if self._gesture is not None else self.step()

    def begin_gesture(self) -> None:
        """From now until ``end_gesture``, edits of one cell merge into one undo step."""
        self._edit_count += 1
        self._gesture = self._edit_count
        self._gesture_step = self.step()

    def end_gesture(self) -> None:
        self._gesture = None

    def kernel(self) -> Kernel:
        return self._kernel

    # ------------------------------------------------------------------------- integer view
    def set_integer_view(self, on: bool) -> None:
        """Show the weights as whole numbers over their common denominator, when they have
        one (up to 10,000); otherwise, and when off, as they are."""
        self._integer_view = bool(on)
        self._refresh_denominator(force=True)

    def integer_view(self) -> bool:
        return self._integer_view

    def denominator(self) -> int | None:
        """The n the cells are shown over (None: they show the weights themselves)."""
        return self._denominator

    def shown_value(self, row: int, col: int) -> float:
        """The number a cell shows: the weight, or its numerator over ``denominator()``."""
        weight = float(self._kernel.weights[row, col])
        if self._denominator is None:
            return weight
        return float(round(weight * self._denominator))

    def texts(self, row: int, col: int) -> list[str]:
        """Honest ways to write the cell's number, most precise first (``weight_texts``)."""
        return self._texts_of(self.shown_value(row, col))

    def all_texts(self) -> list[list[str]]:
        """``texts`` of every distinct number in the grid: what the widest cell must hold."""
        weights = np.unique(self._kernel.weights)
        if self._denominator is not None:
            weights = np.round(weights * self._denominator)
        return [self._texts_of(float(value)) for value in weights]

    def _texts_of(self, value: float) -> list[str]:
        texts = self._texts.get(value)
        if texts is None:
            if len(self._texts) > 4096:
                self._texts.clear()
            texts = self._texts[value] = weight_texts(value)
        return texts

    def _refresh_denominator(self, *, force: bool = False, repaint: bool = True) -> None:
        denominator = common_denominator(self._kernel.weights) if self._integer_view else None
        if denominator == 1:
            denominator = None  # whole numbers already: nothing to write under them
        if denominator == self._denominator and not force:
            return
        self._denominator = denominator
        self.denominatorChanged.emit(denominator)
        rows, cols = self._kernel.shape
        if repaint and rows and cols:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, cols - 1))

    def cell(self, row: int, col: int) -> tuple[float, QColor, QColor]:
        """Weight, fill and text colour in one call: the grid paints 225 cells per repaint,
        and three ``data()`` round trips through Qt per cell cost more than the painting."""
        background = tuple(self._background_rgb[row, col].tolist())
        text = tuple(self._text_rgb[row, col].tolist())
        return (
            float(self._kernel.weights[row, col]),
            self._colour(background),
            self._colour(text),
        )

    def _colour(self, rgb: tuple[int, ...]) -> QColor:
        colour = self._colours.get(rgb)
        if colour is None:
            colour = self._colours[rgb] = QColor(*rgb)
        return colour

    # ------------------------------------------------------------------------- internals
    def _merge_key(self, row: int, col: int) -> str:
        if self._gesture is None:
            self._edit_count += 1
            return f"cell {row},{col} edit {self._edit_count}"
        return f"cell {row},{col} gesture {self._gesture}"

    def _on_kernel_changed(self, kernel: Kernel) -> None:
        reshaped = kernel.shape != self._kernel.shape
        if reshaped:
            self.beginResetModel()
        old_weights, old_rgb = self._kernel.weights, self._background_rgb
        self._kernel = kernel
        self._refresh_colours()
        if reshaped:
            self._refresh_denominator(repaint=False)  # the reset repaints every cell
            self.endResetModel()
            return
        before = self._denominator
        self._refresh_denominator()
        if self._denominator != before:
            return  # every cell was repainted
        # Only the cells whose number or colour changed: a scrub repaints one cell, not 225.
        changed = (old_weights != kernel.weights) | np.any(old_rgb != self._background_rgb, axis=-1)
        if kernel.divisor != self._shown_divisor:  # the tooltips show weight / divisor
            changed[:] = True
        self._shown_divisor = kernel.divisor
        if changed.any():
            rows, cols = np.nonzero(changed)
            self.dataChanged.emit(
                self.index(int(rows.min()), int(cols.min())),
                self.index(int(rows.max()), int(cols.max())),
            )

    def _refresh_colours(self) -> None:
        self._background_rgb, self._text_rgb = cell_colours(self._kernel.weights)

    def _tooltip(self, row: int, col: int, weight: float) -> str:
        rows, cols = self._kernel.shape
        dy, dx = row - (rows - 1) // 2, col - (cols - 1) // 2
        lines = [
            f"Row {row + 1}, column {col + 1} (offset {dy:+d}, {dx:+d} from the anchor)",
            f"weight = {full_precision(weight)}",
        ]
        if self._denominator is not None:
            numerator = full_precision(self.shown_value(row, col))
            lines[1] += f" = {numerator}/{self._denominator}"
        if self._kernel.divisor != 1.0:
            effective = float(self._kernel.effective[row, col])
            lines.append(
                f"applied = {full_precision(weight)} / {full_precision(self._kernel.divisor)}"
                f" = {effective:.6g}"
            )
        lines.append("Type a value; + / keypad − / wheel / drag up-down to step (Shift ×10)")
        return "\n".join(lines)

"""The controls around the grid: preset picker, size, divisor/offset, and the action buttons.

Each control reads ``state.kernel`` and writes a new kernel through ``state.set_kernel`` (one
undo step each); refusals go to ``state.report`` and leave the kernel as it was.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QToolButton,
    QWidget,
)
from superqt.utils import signals_blocked

from convlab.engine import presets
from convlab.engine.kernel_ops import (
    EDITOR_MAX_SIDE,
    TEXT_FORMATS,
    check_kernel_range,
    full_precision,
    kernel_from_clipboard,
    kernel_to_clipboard,
    load_kernel_file,
    normalized,
    parse_cell_value,
    randomized,
    save_kernel_file,
)
from convlab.engine.kernels import Kernel
from convlab.errors import ConvlabError, KernelError
from convlab.ui import file_dialogs
from convlab.ui import text as ui_text
from convlab.ui.kernel.gallery import PresetGallery, preset_tooltip
from convlab.ui.kernel.table_model import CUSTOM_NAME
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.background_jobs import BackgroundJobs

log = logging.getLogger(__name__)

JSON_FILTER = "Kernel JSON (*.json);;All files (*)"
COLUMNS = 4  # four buttons a row keep the dock usable down to ~320 px
NORMALIZE_TIP = (
    "Divisor = sum of weights, so flat areas keep their brightness; "
    "zero-sum kernels get offset 128 instead"
)
FLIP_TIP = (
    "Rotate the weights by 180°: correlating with the flipped kernel is convolving with "
    "the original"
)
CONVOLVE_TIP = (
    "On: true convolution, the engine flips the kernel before sliding it. "
    "Off: correlation, the kernel is used as drawn (what CNN layers compute)"
)


def describe_kernel(kernel: Kernel) -> str:
    """One line under the preset picker saying what the current kernel is."""
    if presets.has_preset_weights(kernel):
        if kernel == presets.get(kernel.name):
            return presets.description(kernel.name)
        return (
            f"{presets.description(kernel.name)} Here divided by "
            f"{full_precision(kernel.divisor)}, plus {full_precision(kernel.offset)}."
        )
    if kernel.name in (CUSTOM_NAME, ""):
        return "Your own weights. Pick a preset or a generator to start from a known kernel."
    if kernel.name == "pasted":
        return "Weights pasted from the clipboard."
    name = ui_text.clean(presets.shown_name(kernel) or "Unnamed kernel", 80)  # files'
    return f"{name}: edit any cell to make it your own."


class PresetPicker(QComboBox):
    """Presets by their plain names (code name and description in the tooltip); opening it
    shows the gallery, every preset on the current picture; "custom" once a cell is edited."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.setObjectName("kernelPresets")
        self.setToolTip("Presets: classic kernels to start from")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(10)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.addItem(CUSTOM_NAME, None)
        for name in presets.names():
            self.addItem(presets.title(name), name)
            tip = ui_text.tooltip(preset_tooltip(name))
            self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.gallery = PresetGallery(state, self)
        self.gallery.chosen.connect(self.load)
        self.activated.connect(self._on_activated)
        state.kernelChanged.connect(self.sync)
        self.sync(state.kernel)

    def sync(self, kernel: Kernel) -> None:
        with signals_blocked(self):
            index = self.findData(kernel.name) if presets.is_preset(kernel.name) else -1
            if index > 0 and kernel == presets.get(kernel.name):
                self.setCurrentIndex(index)
            else:
                shown = presets.shown_name(kernel) or CUSTOM_NAME
                self.setItemText(0, ui_text.clean(shown, 60))
                tip = ui_text.tooltip(describe_kernel(kernel))
                self.setItemData(0, tip, Qt.ItemDataRole.ToolTipRole)
                self.setCurrentIndex(0)

    def load(self, name: str) -> None:
        """Make preset ``name`` the current kernel (one undo step)."""
        try:
            kernel = presets.get(name)
        except KernelError as error:
            self._state.report(error)
            return
        self._state.set_kernel(kernel, text=f"Preset {presets.title(name)}")

    def shown_text(self) -> str:
        """The current name as the box draws it: cut with "…" where the dock is too narrow
        for it (the line under the box starts with the whole name)."""
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        return self.fontMetrics().elidedText(
            option.currentText, Qt.TextElideMode.ElideRight, field.width()
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        """As QComboBox draws itself, with the name elided instead of clipped mid-letter."""
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)

    def showPopup(self) -> None:
        """The gallery instead of a bare list: each preset shown by what it does."""
        self.gallery.open_at(self)

    def _on_activated(self, index: int) -> None:
        name = self.itemData(index)
        if name:
            self.load(name)


class SizeControls(QWidget):
    """Rows x columns spin boxes (1..15 each); resizing keeps the centre weights in place."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.rows = self._spin("Rows (1 for a horizontal 1xN pass)")
        self.cols = self._spin("Columns (1 for a vertical Nx1 pass)")
        times = QLabel("×")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.rows)
        layout.addWidget(times)
        layout.addWidget(self.cols)
        state.kernelChanged.connect(self.sync)
        self.sync(state.kernel)

    def _spin(self, tooltip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(1, EDITOR_MAX_SIDE)
        spin.setKeyboardTracking(False)  # typing "12" must not resize to 1 first
        spin.setToolTip(tooltip)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        spin.valueChanged.connect(self._on_changed)
        return spin

    def sync(self, kernel: Kernel) -> None:
        rows, cols = kernel.shape
        for spin, value in ((self.rows, rows), (self.cols, cols)):
            with signals_blocked(spin):
                spin.setMaximum(max(EDITOR_MAX_SIDE, value))
                spin.setValue(value)

    def resize_kernel(self, rows: int, cols: int) -> None:
        """Crop around the anchor cell or grow (``PlaygroundState.resize_kernel``); a size
        refused puts the boxes back."""
        if not self._state.resize_kernel(rows, cols, name=CUSTOM_NAME):
            self.sync(self._state.kernel)

    def _on_changed(self, _value: int) -> None:
        self.resize_kernel(self.rows.value(), self.cols.value())


class DivisorOffsetFields(QWidget):
    """``out = sum(w · patch) / divisor + offset``: the two numbers outside the grid."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.divisor = self._field("Divisor: every weight is divided by it (not zero)")
        self.offset = self._field("Offset: added to every output pixel (128 shows signs)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(QLabel("÷"))
        layout.addWidget(self.divisor)
        layout.addWidget(QLabel("+"))
        layout.addWidget(self.offset)
        self.divisor.editingFinished.connect(lambda: self.apply("divisor", self.divisor.text()))
        self.offset.editingFinished.connect(lambda: self.apply("offset", self.offset.text()))
        state.kernelChanged.connect(self.sync)
        self.sync(state.kernel)

    def _field(self, tooltip: str) -> QLineEdit:
        field = QLineEdit()
        field.setToolTip(tooltip)
        field.setAlignment(Qt.AlignmentFlag.AlignRight)
        # Room for "-0.000000" when the dock has it; down to "0.0000" when the formula beside
        # grows ("out = Σ n·x ÷ 16"), so a longer formula never widens the dock.
        metrics = self.fontMetrics()
        field.setMaximumWidth(metrics.horizontalAdvance("-0.000000") + 8)
        field.setMinimumWidth(metrics.horizontalAdvance("0.0000") + 8)
        field.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        return field

    def sync(self, kernel: Kernel) -> None:
        self.divisor.setText(full_precision(kernel.divisor))
        self.offset.setText(full_precision(kernel.offset))

    def apply(self, which: str, text: str) -> bool:
        """Set the divisor or offset from typed text; refused text is reported and reverted."""
        kernel = self._state.kernel
        try:
            value = parse_cell_value(text, f"Kernel {which}")
            if which == "divisor" and value == 0.0:
                raise KernelError("Kernel divisor: must not be zero (it divides every weight)")
            check_kernel_range(kernel.replace(**{which: value}), f"Kernel {which}")
        except KernelError as error:
            self._state.report(error, "warning")
            self.sync(kernel)
            return False
        if getattr(kernel, which) != value:
            self._state.set_kernel(
                kernel.replace(**{which: value}), text=f"Set {which} to {full_precision(value)}"
            )
        return True


class KernelActions(QWidget):
    """Buttons for whole-kernel edits, clipboard text and JSON files.

    Kernel files are read and written on a helper thread: a file on a slow network share, or
    a "kernel" that is really a pipe, never freezes the window. ``fileFinished`` says how it
    went (True: loaded or saved).
    """

    fileFinished = Signal(bool)

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._jobs = BackgroundJobs(self)
        self._rng = np.random.default_rng()
        self.buttons: dict[str, QToolButton] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(3)
        entries: list[tuple[str, str, str, Callable[[], None]]] = [
            ("normalize", "Normalize", NORMALIZE_TIP, self.normalize),
            ("flip", "Flip 180°", FLIP_TIP, self.flip),
            (
                "transpose",
                "Transpose",
                "Swap rows and columns (sobel_x becomes sobel_y)",
                self.transpose,
            ),
            ("rotate", "Rotate 90°", "Rotate the weights 90° counter-clockwise", self.rotate),
            (
                "negate",
                "Negate",
                "Multiply every weight by −1 (dark edges become bright)",
                self.negate,
            ),
            ("randomize", "Random", "Random weights in [−1, 1]", self.randomize),
            ("clear", "Clear", "Set every weight to 0", self.clear),
            ("convolve", "Convolve", CONVOLVE_TIP, self._on_convolve_toggled),
            (
                "copy",
                "Copy",
                "Copy the weights as a NumPy literal (arrow: CSV or plain text)",
                lambda: self.copy("numpy"),
            ),
            (
                "paste",
                "Paste",
                "Paste weights: NumPy literal, CSV or whitespace-separated rows",
                self.paste,
            ),
            ("save", "Save…", "Save the kernel as a JSON file", self.save_dialog),
            ("load", "Load…", "Load a kernel from a JSON file", self.load_dialog),
        ]
        for position, (key, text, tooltip, slot) in enumerate(entries):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tooltip)
            button.setObjectName(f"kernel_{key}")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(slot)
            grid.addWidget(button, position // COLUMNS, position % COLUMNS)
            self.buttons[key] = button
        copy_menu = QMenu(self.buttons["copy"])
        for fmt, label in TEXT_FORMATS.items():
            copy_menu.addAction(f"Copy as {label}", lambda fmt=fmt: self.copy(fmt))
        self.buttons["copy"].setMenu(copy_menu)
        self.buttons["copy"].setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.buttons["convolve"].setCheckable(True)
        state.settingsChanged.connect(self._sync_mode)
        self._sync_mode()

    # ------------------------------------------------------------------------- mode
    def set_convolve(self, on: bool) -> None:
        """Let the engine flip the kernel (true convolution) or not (correlation, as CNNs)."""
        self._state.update_conv(mode="convolve" if on else "correlate")

    def _on_convolve_toggled(self) -> None:
        self.set_convolve(self.buttons["convolve"].isChecked())

    def _sync_mode(self) -> None:
        with signals_blocked(self.buttons["convolve"]):
            self.buttons["convolve"].setChecked(self._state.pipeline.conv.mode == "convolve")

    # ------------------------------------------------------------------------- whole kernel
    def _edit(self, kernel: Kernel, text: str) -> None:
        self._state.set_kernel(kernel, text=text)

    def normalize(self) -> None:
        try:
            kernel = normalized(self._state.kernel)
        except KernelError as error:
            self._state.report(error, "warning")
            return
        self._edit(kernel.replace(name=self._state.kernel.name), "Normalize kernel")

    def flip(self) -> None:
        self._edit(self._state.kernel.flipped().replace(name=CUSTOM_NAME), "Flip kernel 180°")

    def transpose(self) -> None:
        self._edit(self._state.kernel.transposed().replace(name=CUSTOM_NAME), "Transpose kernel")

    def rotate(self) -> None:
        self._edit(self._state.kernel.rotated90().replace(name=CUSTOM_NAME), "Rotate kernel 90°")

    def negate(self) -> None:
        self._edit(
            self._state.kernel.with_weights(-self._state.kernel.weights).replace(name=CUSTOM_NAME),
            "Negate kernel",
        )

    def randomize(self) -> None:
        weights = randomized(self._state.kernel.shape, self._rng)
        self._edit(Kernel(weights, name="random"), "Randomize kernel")

    def clear(self) -> None:
        self._edit(Kernel(np.zeros(self._state.kernel.shape), name=CUSTOM_NAME), "Clear kernel")

    # ------------------------------------------------------------------------- clipboard
    def copy(self, fmt: str = "numpy") -> str:
        """Put the kernel on the clipboard as text; returns the text."""
        text = kernel_to_clipboard(self._state.kernel, fmt)
        QGuiApplication.clipboard().setText(text)
        self._state.report(f"Kernel copied as {TEXT_FORMATS[fmt]}.", "info")
        return text

    def paste(self, text: str | None = None) -> bool:
        """Read ``text`` (default: the clipboard) as a kernel; garbage leaves it unchanged."""
        if text is None:
            text = QGuiApplication.clipboard().text()
        try:
            kernel = kernel_from_clipboard(text)
        except KernelError as error:
            self._state.report(error, "warning")
            return False
        rows, cols = kernel.shape
        self._edit(kernel, f"Paste {rows}×{cols} kernel")
        return True

    # ------------------------------------------------------------------------- files
    def save_to(self, path: str | os.PathLike) -> None:
        """Write the kernel to ``path`` (on a helper thread; then ``fileFinished``)."""
        kernel = self._state.kernel
        self._file_job(lambda: save_kernel_file(kernel, path), ("saved", path))

    def load_from(self, path: str | os.PathLike) -> None:
        """Read a kernel from ``path`` (on a helper thread; then ``fileFinished``)."""
        self._file_job(lambda: load_kernel_file(path), ("loaded", path))

    def _file_job(self, work: Callable[[], object], what: tuple[str, object]) -> None:
        # a write is never cancelled: closing the window waits for it, so it is never cut off
        self._jobs.run(
            work,
            lambda result: self._file_done(what, result, None),
            lambda error: self._file_done(what, None, error),
        )

    def _file_done(self, what: tuple[str, object], result: object, error: object) -> None:
        action, path = what
        if error is not None:
            self._state.report(error if isinstance(error, ConvlabError) else _failed(what, error))
        elif action == "saved":
            self._state.report(f"Kernel saved to {path}.", "info")
        else:
            self._edit(result, f"Load kernel {os.path.basename(path)}")
        self.fileFinished.emit(error is None)

    def save_dialog(self) -> None:
        name = (self._state.kernel.name or "kernel").replace(" ", "_").replace("/", "_")
        path = file_dialogs.save_file(self, "kernel", "Save kernel", f"{name}.json", JSON_FILTER)
        if path:
            self.save_to(path)

    def load_dialog(self) -> None:
        path = file_dialogs.open_file(self, "kernel", "Load kernel", JSON_FILTER)
        if path:
            self.load_from(path)


def _failed(what: tuple[str, object], error: object) -> str:
    """An unexpected failure (not a ConvlabError) in words: it is logged in full too."""
    action, path = what
    log.error("kernel file %s: %r", path, error)
    verb = "save the kernel to" if action == "saved" else "load a kernel from"
    return f"Could not {verb} {path}: {error}"

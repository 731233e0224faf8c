"""The "Kernel" dock: the weight grid with its presets, tools, generators and conv settings.

The panel only composes widgets that each bind to ``state``; it holds no kernel of its own,
so a kernel sent from the training tab or a double-clicked feature map simply appears here
through ``state.kernelChanged``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from convlab.engine.kernel_ops import MAX_DENOMINATOR, common_denominator
from convlab.engine.kernels import Kernel
from convlab.ui import text as ui_text
from convlab.ui.help import help_button, picture
from convlab.ui.kernel.conv_controls import ConvControls
from convlab.ui.kernel.generators import GeneratorPanel
from convlab.ui.kernel.grid import KernelGrid, KernelGridArea
from convlab.ui.kernel.readouts import KernelReadouts
from convlab.ui.kernel.table_model import KernelTableModel
from convlab.ui.kernel.tools import (
    DivisorOffsetFields,
    KernelActions,
    PresetPicker,
    SizeControls,
    describe_kernel,
)
from convlab.ui.state import PlaygroundState

FORMULA = "out = Σ w·x"
INTEGER_TIP = (
    "Show the weights as whole numbers over their common denominator, as the slides and "
    "GIMP write a blur: the 3x3 Gaussian reads 1 2 1 / 16. Typed numbers are then whole "
    "numbers over it too."
)

NO_DENOMINATOR = (
    "Integers: these weights are not whole numbers over a common denominator (up to "
    f"{MAX_DENOMINATOR:,}), so they are shown as they are."
)


class KernelEditorPanel(QWidget):
    """Edit the kernel: grid, presets, size, generators, tools, and convolution settings."""

    HELP_TITLE = "Kernel editor"
    HELP_HTML = (
        "<p>The <b>kernel</b> is a grid of weights, laid on the picture around each output "
        "pixel: <i>out = Σ weight × pixel ÷ divisor + offset</i>.</p>"
        + picture("kernel.png", 340)
        + "<ul><li><b>Presets</b>: a gallery of each one on your picture (hover: its code "
        "name, for <i>--kernel</i>).</li>"
        "<li>Click a cell and type (-2, 0.25, 1/16); Tab and the arrows move; + − or the "
        "wheel step (Shift ×10); drag to scrub; Ctrl+Z undoes.</li>"
        "<li>Blue negative, red positive; up to four significant digits exactly, more within "
        "1% (tooltip: all); <b>Integers</b> writes 1 2 1 / 16.</li>"
        "<li><i>Sum</i> 1 keeps brightness (a blur), 0 keeps only edges; <b>Normalize</b> "
        "divides by the sum. <i>Separable</i>: a column pass then a row pass. The small "
        "picture: which frequencies pass (bright).</li>"
        "<li><i>Convolution</i> tab: border, padding, stride, dilation, correlation or "
        "convolution (flipped 180°).</li></ul>"
    )

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.setObjectName("kernelEditorPanel")

        self.grid = KernelGrid(state)
        self.grid_area = KernelGridArea(self.grid)
        self.grid_area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.presets = PresetPicker(state)
        self.size_controls = SizeControls(state)
        self.fields = DivisorOffsetFields(state)
        self.readouts = KernelReadouts(state)
        self.actions_bar = KernelActions(state)
        self.generators = GeneratorPanel(state)
        self.conv = ConvControls(state)
        self.description = ui_text.make_plain(QLabel())  # a kernel file's name is not markup
        self.description.setObjectName("kernelDescription")
        self.description.setWordWrap(True)
        self.description.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.description.setStyleSheet("color: palette(placeholder-text);")
        # Two lines reserved, so the grid does not jump when a shorter description arrives.
        self.description.setMinimumHeight(2 * self.description.fontMetrics().lineSpacing())
        self.description.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.undo_action, self.redo_action = self._undo_actions()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(self._header())
        layout.addWidget(self.description)
        layout.addWidget(self.grid_area, 1)
        layout.addLayout(self._formula_row())
        layout.addWidget(self._tool_tabs())

        state.kernelChanged.connect(self._on_kernel_changed)
        self._on_kernel_changed(state.kernel)

    def _header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(4)
        header.addWidget(self.presets, 1)
        header.addWidget(self.size_controls)
        header.addWidget(self._history_button(redo=False))
        header.addWidget(self._history_button(redo=True))
        header.addWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML))
        return header

    def _tool_tabs(self) -> QTabWidget:
        """Tools (actions and readouts), generators and the convolution settings."""
        tools = QWidget()
        tools_layout = QVBoxLayout(tools)
        tools_layout.setContentsMargins(4, 4, 4, 4)
        tools_layout.setSpacing(6)
        tools_layout.addWidget(self.actions_bar)
        tools_layout.addWidget(self.readouts)
        tools_layout.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("kernelTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(tools, "Tools")
        self.tabs.addTab(self.generators, "Generate")
        self.tabs.addTab(self.conv, "Convolution")
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        return self.tabs

    def _formula_row(self) -> QHBoxLayout:
        """out = Σ w·x, the divisor and offset fields, and the kernel's shape."""
        formula_row = QHBoxLayout()
        formula_row.setContentsMargins(0, 0, 0, 0)
        self.formula_label = QLabel(FORMULA)
        self.formula_label.setObjectName("kernelFormula")
        formula_row.addWidget(self.formula_label)
        formula_row.addWidget(self.fields)
        formula_row.addStretch(1)
        self.integer_button = QToolButton()
        self.integer_button.setObjectName("integerView")
        self.integer_button.setText("Integers")
        self.integer_button.setCheckable(True)
        self.integer_button.setToolTip(INTEGER_TIP)
        self.integer_button.toggled.connect(self._on_integer_view)
        self.model.denominatorChanged.connect(self._show_denominator)
        formula_row.addWidget(self.integer_button)
        return formula_row

    @property
    def model(self) -> KernelTableModel:
        return self.grid.kernel_model()

    def _undo_actions(self) -> tuple[QAction, QAction]:
        """Undo/redo on the shared stack while focus is in this panel (dropped where the window
        binds the same keys, see ``_yield_clashing_shortcuts``); copy/paste on the grid."""
        undo = self._state.undo_stack.createUndoAction(self, "Undo")
        redo = self._state.undo_stack.createRedoAction(self, "Redo")
        self._undo_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Undo)
        undo.setShortcuts(self._undo_keys)
        redo_keys = [QKeySequence("Ctrl+Shift+Z")]  # the platform's own redo keys as well
        for key in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo):
            if key not in redo_keys:
                redo_keys.append(key)
        self._redo_keys = redo_keys
        redo.setShortcuts(redo_keys)
        copy = QAction("Copy kernel", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.triggered.connect(lambda: self.actions_bar.copy("numpy"))
        paste = QAction("Paste kernel", self)
        paste.setShortcut(QKeySequence.StandardKey.Paste)
        paste.triggered.connect(lambda: self.actions_bar.paste())
        for action in (undo, redo):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        for action in (copy, paste):  # only on the grid: text fields keep their own copy/paste
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.grid.addAction(action)
        return undo, redo

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._yield_clashing_shortcuts()

    def _yield_clashing_shortcuts(self) -> None:
        """Drop our undo/redo keys where the window binds them too: Qt fires neither of two
        live bindings of one key ("ambiguous shortcut"), and the window's act the same."""
        taken: set[str] = set()
        window_wide = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)
        top: QWidget = self  # the main window, even while the dock floats on its own
        while top.parentWidget() is not None:
            top = top.parentWidget()
        for action in top.findChildren(QAction):
            if action not in (self.undo_action, self.redo_action) and (
                action.shortcutContext() in window_wide
            ):
                taken.update(key.toString() for key in action.shortcuts())
        for action, keys in (
            (self.undo_action, self._undo_keys),
            (self.redo_action, self._redo_keys),
        ):
            action.setShortcuts([key for key in keys if key.toString() not in taken])

    def _history_button(self, redo: bool) -> QToolButton:
        """A compact undo or redo button whose tooltip names the step it will take back."""
        stack = self._state.undo_stack
        button = _HistoryButton(
            "↷" if redo else "↶", "Redo" if redo else "Undo", "Ctrl+Shift+Z" if redo else "Ctrl+Z"
        )
        button.clicked.connect(stack.redo if redo else stack.undo)
        button.setEnabled(stack.canRedo() if redo else stack.canUndo())
        button.show_step(stack.redoText() if redo else stack.undoText())
        (stack.canRedoChanged if redo else stack.canUndoChanged).connect(button.setEnabled)
        (stack.redoTextChanged if redo else stack.undoTextChanged).connect(button.show_step)
        return button

    def _on_kernel_changed(self, kernel: Kernel) -> None:
        self.description.setText(ui_text.wrappable(describe_kernel(kernel), 400))

    def _on_integer_view(self, on: bool) -> None:
        """Switch the grid's view; say so when the click can change nothing on screen."""
        self.model.set_integer_view(on)
        if on and common_denominator(self._state.kernel.weights) is None:
            self._state.report(NO_DENOMINATOR, "info")

    def _show_denominator(self, denominator: int | None) -> None:
        """In the integer view the formula says what the whole numbers are over."""
        self.formula_label.setText(
            FORMULA if denominator is None else f"out = Σ n·x ÷ {denominator}"
        )
        if self.integer_button.isChecked() and denominator is None:
            self.integer_button.setToolTip(f"{INTEGER_TIP}\n{NO_DENOMINATOR}")
        else:
            self.integer_button.setToolTip(INTEGER_TIP)


class _HistoryButton(QToolButton):
    """Undo or redo; a slot of its own so Qt drops the connection when the button goes."""

    def __init__(self, glyph: str, verb: str, shortcut: str) -> None:
        super().__init__()
        self.setText(glyph)
        self._verb = verb
        self._shortcut = shortcut

    def show_step(self, step: str) -> None:
        what = f" {step}" if step else ""
        self.setToolTip(ui_text.tooltip(f"{self._verb}{what} ({self._shortcut})"))

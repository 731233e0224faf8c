"""The main window's toolbar: source actions, undo/redo, the compare mode and Fit."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QWidget

from convlab.ui import text as ui_text
from convlab.ui.playground.compare_view import COMPARE_MODES


class HistoryAction(QAction):
    """Undo or redo for the toolbar: a short fixed label (the Edit menu's say which step,
    and "Undo Set cell (2, 2) to 4" would shift the whole toolbar on every edit), with the
    step in its tooltip. Bound to the undo stack itself; a QAction subclass, so its slots
    are methods Qt disconnects when the action goes."""

    def __init__(self, stack: QUndoStack, *, redo: bool, parent: QWidget) -> None:
        super().__init__("Redo" if redo else "Undo", parent)
        self._verb, self._keys = ("Redo", "Ctrl+Shift+Z") if redo else ("Undo", "Ctrl+Z")
        self.triggered.connect(stack.redo if redo else stack.undo)
        (stack.canRedoChanged if redo else stack.canUndoChanged).connect(self.setEnabled)
        (stack.redoTextChanged if redo else stack.undoTextChanged).connect(self.show_step)
        self.setEnabled(stack.canRedo() if redo else stack.canUndo())
        self.show_step(stack.redoText() if redo else stack.undoText())

    def show_step(self, step: str) -> None:
        text = f"{self._verb} {step} ({self._keys})" if step else self._verb
        self.setToolTip(ui_text.tooltip(text))


def build_toolbar(
    window: QMainWindow,
    *,
    source_actions: list[QAction],
    undo_stack: QUndoStack,
    fit: QAction,
    set_compare_mode: Callable[[str], None],
) -> QComboBox:
    """Add the main toolbar to ``window``; returns its compare-mode combo box."""
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.addActions(source_actions)
    toolbar.addSeparator()
    # The toolbar's own undo/redo keep a short fixed label (the Edit menu's say which step:
    # "Undo Set cell (2, 2) to 4" would shift the whole toolbar on every edit).
    toolbar.addAction(HistoryAction(undo_stack, redo=False, parent=window))
    toolbar.addAction(HistoryAction(undo_stack, redo=True, parent=window))
    toolbar.addSeparator()
    toolbar.addWidget(QLabel(" Compare: "))
    mode_combo = QComboBox()
    mode_combo.setObjectName("compareMode")
    for mode, label in COMPARE_MODES.items():
        mode_combo.addItem(label, mode)
    mode_combo.activated.connect(lambda index: set_compare_mode(mode_combo.itemData(index)))
    toolbar.addWidget(mode_combo)
    toolbar.addAction(fit)
    return mode_combo

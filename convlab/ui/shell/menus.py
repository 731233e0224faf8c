"""The main window's menu bar: Source, Edit (undo/redo), View (compare modes, docks); the Help
menu is ``help_menu``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from convlab.ui.playground.compare_view import COMPARE_MODES


def build_menus(
    window: QMainWindow,
    *,
    source_menu: QMenu,
    undo_stack: QUndoStack,
    docks: list[QDockWidget],
    set_compare_mode: Callable[[str], None],
    fit_image: Callable[[], None],
    reset_layout: Callable[[], None],
) -> tuple[dict[str, QAction], QAction]:
    """Fill the window's menu bar up to Help (``help_menu``); returns the compare-mode actions
    and the Fit action."""
    menus = window.menuBar()
    menus.addMenu(source_menu)
    edit = menus.addMenu("&Edit")
    undo = undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    edit.addActions([undo, redo])

    view = menus.addMenu("&View")
    mode_actions: dict[str, QAction] = {}
    for mode, label in COMPARE_MODES.items():
        action = view.addAction(label)
        action.setCheckable(True)
        action.triggered.connect(lambda _=False, m=mode: set_compare_mode(m))
        mode_actions[mode] = action
    view.addSeparator()
    fit = view.addAction("&Fit image to view", fit_image)
    fit.setShortcut(QKeySequence("Ctrl+0"))
    view.addSeparator()
    for dock in docks:
        view.addAction(dock.toggleViewAction())
    view.addAction("&Reset panel layout", reset_layout)
    return mode_actions, fit

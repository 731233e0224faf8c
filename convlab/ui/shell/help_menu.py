"""The Help menu: the Start here tour, the panel help, the guided tour, keys, and About.

Every item opens one window per topic (asking again raises it), so nothing stacks up.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from convlab import __version__
from convlab.engine.assets import resource_path, resources_root
from convlab.ui.help import HelpWindow, open_help_document, show_help

SHORTCUTS_TITLE = "Keyboard shortcuts"
ABOUT_TITLE = "About ConvLab"
GUIDE_TITLE = "Guided tour"

# Keys that belong to a widget rather than to a menu item (the menu items are listed from the
# window's own actions, so the sheet never disagrees with them).
WIDGET_KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Kernel grid",
        (
            ("a number, Enter", "set the weight (-2, 0.25, 1/16)"),
            ("Tab, arrow keys", "move between cells"),
            ("+ or Page Up, − or Page Down", "step the weight up or down"),
            ("mouse wheel", "step the weight under the mouse"),
            ("Shift with any step", "ten times the step"),
            ("drag up or down on a cell", "scrub the weight"),
            ("Delete", "set the weight to 0"),
            ("Ctrl+C, Ctrl+V", "copy or paste the kernel as text"),
        ),
    ),
    (
        "Pictures",
        (
            ("point at a pixel", "its window lights up on the input, with its sum"),
            ("click a pixel", "the pixel inspector shows its multiply-add"),
            ("Shift + move", "inspect pixel after pixel as you move"),
            ("Esc", "close the pixel inspector"),
            ("mouse wheel, drag", "zoom and pan (both views together)"),
            ("double-click a feature map", "load its kernel into the grid"),
        ),
    ),
    (
        "Arithmetic tab",
        (
            ("← →", "one step back or forward"),
            ("Space", "play or pause"),
        ),
    ),
)

# name, licence, what it is for; versions are read from the installed packages
LICENCES: tuple[tuple[str, str, str, str], ...] = (
    ("ConvLab", "convlab", "MIT", "this program"),
    ("Qt for Python (PySide6)", "PySide6-Essentials", "LGPL-3.0", "the window"),
    ("pyqtgraph", "pyqtgraph", "MIT", "pictures and plots"),
    ("superqt", "superqt", "BSD-3-Clause", "workers, sliders"),
    ("OpenCV", "opencv-python-headless", "Apache-2.0", "filtering, cameras, video"),
    ("NumPy", "numpy", "BSD-3-Clause", "arrays, the CNN"),
    ("threadpoolctl", "threadpoolctl", "BSD-3-Clause", "BLAS threads while training"),
)


def build_help_menu(
    window: QMainWindow,
    *,
    start_tour: Callable[[], None],
    context_help: Callable[[], None],
) -> QMenu:
    """Add the Help menu to ``window``'s menu bar."""
    menu = window.menuBar().addMenu("&Help")
    tour = menu.addAction("&Start here: a short tour", start_tour)
    tour.setObjectName("startTourAction")
    panel_help = menu.addAction("&What am I looking at?", context_help)
    panel_help.setShortcut(QKeySequence.StandardKey.HelpContents)
    guide = menu.addAction("&Guided tour for teachers", lambda: show_guided_tour(window))
    guide.setObjectName("guidedTourAction")
    keys = menu.addAction("&Keyboard shortcuts", lambda: show_shortcuts(window))
    keys.setShortcut(QKeySequence("Ctrl+/"))
    menu.addSeparator()
    menu.addAction("&About ConvLab", lambda: show_about(window))
    for action in (panel_help, keys):
        window.addAction(action)  # the keys work even while the menu bar is hidden
    return menu


# ----------------------------------------------------------------------------- guided tour
def guided_tour_path() -> Path | None:
    """docs/tour.md: shipped inside the package, or beside it in a checkout."""
    for path in (
        resource_path("docs", "tour.md"),
        resources_root().parent / "docs" / "tour.md",
    ):
        if path.is_file():
            return path
    return None


def show_guided_tour(window: QMainWindow) -> HelpWindow:
    path = guided_tour_path()
    window_size = QSize(760, 900)
    if path is not None:
        shown = open_help_document(window, GUIDE_TITLE, path, window_size)
        if shown is not None:
            return shown
    return show_help(
        window,
        GUIDE_TITLE,
        "<p>The guided tour for teachers (<tt>docs/tour.md</tt>) is part of ConvLab's source "
        "repository and was not installed with this copy. <i>Help ▸ Start here</i> walks "
        "through the window, and <b>F1</b> explains the panel you are in.</p>",
    )


# ----------------------------------------------------------------------------- shortcuts
def menu_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what) for every action of ``window`` that has a shortcut: the menus' items in
    menu order, then the window's own (toolbar) actions."""
    found: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(action: QAction) -> None:
        keys = ", ".join(
            key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
        )
        name = _plain_menu_text(action)
        if keys and name and (keys, name) not in seen:
            seen.add((keys, name))
            found.append((keys, name))

    def visit(menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                visit(action.menu())
            else:
                add(action)

    for action in window.menuBar().actions():
        if action.menu() is not None:
            visit(action.menu())
    for action in window.actions():
        add(action)
    return found


def _plain_menu_text(action: QAction) -> str:
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(".…")


def shortcuts_html(window: QMainWindow) -> str:
    sections = [("Window", tuple(menu_shortcuts(window))), *WIDGET_KEYS]
    parts = []
    for title, rows in sections:
        body = "".join(
            f"<tr><td><b>{html.escape(keys)}</b>&nbsp;&nbsp;</td><td>{html.escape(what)}</td></tr>"
            for keys, what in rows
        )
        parts.append(f"<h3>{html.escape(title)}</h3><table cellspacing='3'>{body}</table>")
    return "".join(parts)


def show_shortcuts(window: QMainWindow) -> HelpWindow:
    return show_help(window, SHORTCUTS_TITLE, shortcuts_html(window), size=QSize(520, 700))


# ----------------------------------------------------------------------------- about
def package_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def about_markdown() -> str:
    """Version, the licences of ConvLab and of what it is built on, and the sample images'."""
    rows = "\n".join(
        f"| {name} | {package_version(dist)} | **{licence}** | {role} |"
        for name, dist, licence, role in LICENCES
        if name != "ConvLab"
    )
    try:
        images = resource_path("images", "LICENSE.md").read_text(encoding="utf-8")
    except OSError:
        images = "# Sample images\n\nThe licence file is missing from this installation."
    return (
        f"# ConvLab {__version__}\n\n"
        "A convolution playground: edit a kernel, watch it act live, train a tiny CNN.\n\n"
        "ConvLab is free software under the **MIT** licence.\n\n"
        "## Built on\n\n"
        "| part | version | licence | used for |\n|---|---|---|---|\n"
        f"{rows}\n\n"
        "Qt for Python is used under the LGPL-3.0, as a separately installed library that "
        "can be replaced.\n\n" + images.replace("# Sample images", "## Sample images", 1)
    )


def show_about(window: QMainWindow) -> HelpWindow:
    return show_help(window, ABOUT_TITLE, about_markdown(), markdown=True, size=QSize(720, 640))

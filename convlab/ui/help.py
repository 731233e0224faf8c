"""The "what am I looking at" help every panel carries: a ? button, F1, and the Help menu.

One window per topic: the ? button and F1 of the same panel open the same window, and asking
again raises it instead of stacking a copy on top. Another topic's window opens beside the ones
already open (or, on a screen too small for that, a title bar lower, so none hides another
whole). Help windows never block the main window
(the live view keeps running behind them), and they show pictures from ``resources/help``
where a picture says it better than a paragraph.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from convlab.engine.assets import resource_path

HELP_PICTURES = resource_path("help")
"""Pictures the help texts show (``<img src="name.png">``), drawn by ``make screenshots``."""


class HelpWindow(QDialog):
    """A non-modal window with one help topic: rich text, pictures, links that open outside."""

    def __init__(self, topic: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.topic = topic
        self.setObjectName("helpWindow")
        self.setWindowTitle(f"{topic} — ConvLab help")
        self.setModal(False)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("helpText")
        self.browser.setOpenLinks(False)  # links to files and sites open outside the window
        self.browser.anchorClicked.connect(self._open_link)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)

    def set_content(self, text: str, *, markdown: bool = False, search_paths=()) -> None:
        """Show ``text`` (rich text, or Markdown); relative picture names are looked up in
        ``search_paths`` and in the help pictures folder."""
        paths = [str(path) for path in search_paths] + [str(HELP_PICTURES)]
        self.browser.setSearchPaths(paths)
        if markdown:
            self.browser.setMarkdown(text)
        else:
            self.browser.setHtml(text)

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "file"):
            QDesktopServices.openUrl(url)
        elif url.hasFragment():
            self.browser.scrollToAnchor(url.fragment())

    def sizeHint(self) -> QSize:
        return QSize(560, 520)


def help_window(parent: QWidget, topic: str) -> HelpWindow | None:
    """The open (or hidden) help window of ``topic`` that belongs to ``parent``'s window."""
    top = parent.window()
    for window in top.findChildren(HelpWindow):
        if window.topic == topic:
            return window
    return None


def show_help(
    parent: QWidget,
    title: str,
    text: str,
    *,
    markdown: bool = False,
    search_paths=(),
    size: QSize | None = None,
) -> HelpWindow:
    """Show the help window of topic ``title``: the one already open is raised, not doubled."""
    window = help_window(parent, title)
    if window is None:
        others = [w for w in parent.window().findChildren(HelpWindow) if w.isVisible()]
        window = HelpWindow(title, parent.window())
        window.set_content(text, markdown=markdown, search_paths=search_paths)
        window.resize(_fitting(size or window.sizeHint()))
        if others:  # its frame will be as much larger than its inside as theirs are
            frame = others[-1].frameGeometry().size() - others[-1].size()
            taken = [w.frameGeometry() for w in others]
            window.move(place_beside(window.size() + frame, taken, _screen_room(parent)))
    window.show()
    window.raise_()
    window.activateWindow()
    return window


CASCADE = 36  # px: a window that cannot sit beside the others opens this much lower and right


def place_beside(size: QSize, taken: list[QRect], room: QRect) -> QPoint:
    """Where a new help window of ``size`` goes: beside the open ones (``taken``, the newest
    last), inside ``room``, covering none; or, when the screen has no such place, a title bar
    below and right of the newest (or wherever on the screen covers no window's title corner),
    so every open window still shows its title."""
    beside = []
    for other in reversed(taken):
        beside += [
            QPoint(other.right() + 1, other.top()),
            QPoint(other.left() - size.width(), other.top()),
            QPoint(other.left(), other.bottom() + 1),
        ]
    beside += [room.topLeft(), QPoint(room.right() - size.width() + 1, room.top())]
    for corner in beside:
        place = QRect(corner, size)
        if room.contains(place) and not any(place.intersects(other) for other in taken):
            return corner
    corners = [QRect(other.topLeft(), QSize(CASCADE, CASCADE)) for other in taken]
    wanted = taken[-1].topLeft() + QPoint(CASCADE, CASCADE)
    right, bottom = room.right() - size.width() + 1, room.bottom() - size.height() + 1
    xs = [*range(room.left(), right, CASCADE), right]
    ys = [*range(room.top(), bottom, CASCADE), bottom]
    grid = [QPoint(x, y) for x in xs for y in ys]
    if room.contains(QRect(wanted, size)):
        grid.insert(0, wanted)
    return min(
        grid,
        key=lambda c: (
            sum(QRect(c, size).intersects(corner) for corner in corners),
            (c - wanted).manhattanLength(),
        ),
    )


def _screen_room(widget: QWidget) -> QRect:
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1366, 768)


def _fitting(size: QSize) -> QSize:
    """``size``, made smaller where the screen is (a laptop's 768 pixels)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return size
    room = screen.availableGeometry()
    return QSize(min(size.width(), room.width() - 80), min(size.height(), room.height() - 80))


def help_button(parent: QWidget, title: str, html: str) -> QToolButton:
    """A small ? button that shows ``html``; panels put it in their header row."""
    button = QToolButton(parent)
    button.setText("?")
    button.setToolTip(f"What am I looking at? ({title}; F1)")
    button.setObjectName("helpButton")
    button.clicked.connect(lambda: show_help(parent, title, html))
    return button


def picture(name: str, width: int | None = None) -> str:
    """An ``<img>`` tag for a help picture (drawn from the real window by ``make screenshots``);
    nothing when the picture is missing, so the text still reads."""
    if not (HELP_PICTURES / name).is_file():
        return ""
    size = f' width="{width}"' if width else ""
    return f'<p align="center"><img src="{name}"{size}></p>'


def open_help_document(parent: QWidget, title: str, path, size: QSize) -> HelpWindow | None:
    """A Markdown document (the guided tour) in a help window, pictures beside it; None when
    the file is not there."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    return show_help(parent, title, text, markdown=True, search_paths=[path.parent], size=size)


__all__ = [
    "HELP_PICTURES",
    "HelpWindow",
    "help_button",
    "help_window",
    "open_help_document",
    "picture",
    "place_beside",
    "show_help",
]

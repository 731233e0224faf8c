"""The "what am I looking at" text every panel carries: a ? button, and F1 in the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QToolButton, QWidget


def show_help(parent: QWidget, title: str, html: str) -> None:
    """Open the help text in a non-modal box: the live view keeps running behind it."""
    box = QMessageBox(
        QMessageBox.Icon.Information, title, html, QMessageBox.StandardButton.Close, parent
    )
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("helpBox")
    box.show()


def help_button(parent: QWidget, title: str, html: str) -> QToolButton:
    """A small ? button that shows ``html``; panels put it in their header row."""
    button = QToolButton(parent)
    button.setText("?")
    button.setToolTip(f"What am I looking at? ({title})")
    button.setObjectName("helpButton")
    button.clicked.connect(lambda: show_help(parent, title, html))
    return button

"""Showing text that comes from outside: file and kernel names, URLs, settings, error messages.

Qt renders a label or a tooltip as rich text when its text merely *looks* like HTML, so a
kernel named ``<img src="/dev/zero">`` would make Qt read that file on the GUI thread, and a
name of 100,000 characters would make the window that wide. Everything from outside goes
through here: ``plain_label`` shows it verbatim and elided, ``escaped`` embeds it in our own
rich text, ``tooltip`` makes a tooltip that can only be plain, ``wrappable`` lets a message
wrap even inside a 20,000-character URL.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget
from superqt import QElidingLabel

MAX_SHOWN_CHARS = 2000
"""Longer text is cut in the middle: nobody reads more, and Qt lays out every character."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LONG_RUN = re.compile(r"\S{40}")


def clean(text: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` as a string Qt can show: undecodable bytes of a file name (surrogates) become
    U+FFFD, control characters are dropped, and text over ``limit`` is cut in the middle."""
    value = str(text)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        value = value.encode("utf-8", "replace").decode("utf-8")
    value = _CONTROL.sub("", value)
    if len(value) > limit:
        keep = (limit - 1) // 2
        value = value[:keep] + "…" + value[-keep:]
    return value


def escaped(text: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` ready to sit inside our own rich text: shown literally, never as markup."""
    return html.escape(clean(text, limit), quote=False).replace("\n", "<br>")


def tooltip(text: object, limit: int = 600) -> str:
    """A tooltip that shows ``text`` literally. Qt guesses whether a tooltip is rich text;
    wrapping escaped text in ``<qt>`` makes the guess certain, and long text wraps."""
    return f"<qt>{escaped(text, limit)}</qt>"


def wrappable(text: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """Plain text whose long unbroken runs (URLs, paths) may wrap: a zero-width space every
    40 characters, so a word-wrapped label never grows wider than the window."""
    return _LONG_RUN.sub(lambda match: match.group(0) + "\u200b", clean(text, limit))


def plain_label(text: object = "", *, elide: bool = True, parent: QWidget | None = None) -> QLabel:
    """A label that shows ``text`` verbatim. Elided (…) to the room it gets: its width never
    follows its text. With ``elide=False`` it still never renders markup."""
    label: QLabel = QElidingLabel(parent) if elide else QLabel(parent)
    make_plain(label)
    if elide:
        label.setElideMode(Qt.TextElideMode.ElideMiddle)
        label.setMinimumWidth(20)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setText(clean(text))
    return label


def make_plain(label: QLabel) -> QLabel:
    """Show ``label``'s text verbatim from now on (Qt.PlainText, no links opened)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setOpenExternalLinks(False)
    return label

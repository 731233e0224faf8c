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

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates make text read backwards, so a name could
# pass for another ("evil\u202egnp.exe"); shown text never carries them.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]+")
_LONG_RUN = re.compile(r"\S{40}")


def clean(text: object, limit: int = MAX_SHOWN_CHARS, *, one_line: bool = True) -> str:
    """``text`` as a string Qt can show: undecodable bytes of a file name (surrogates) become
    U+FFFD, line breaks and tabs become spaces (``one_line``; a label must not grow taller
    because a file name holds a newline), control characters and bidirectional overrides
    are dropped, and text over ``limit`` is cut in the middle."""
    value = str(text)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        value = value.encode("utf-8", "replace").decode("utf-8")
    if one_line:
        value = _LINE_BREAKS.sub(" ", value)
    value = _BIDI.sub("", _CONTROL.sub("", value))
    if len(value) > limit:
        keep = (limit - 1) // 2
        value = value[:keep] + "…" + value[-keep:]
    return value


def escaped(text: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` ready to sit inside our own rich text: shown literally, never as markup."""
    return html.escape(clean(text, limit, one_line=False), quote=False).replace("\n", "<br>")


def tooltip(text: object, limit: int = 600) -> str:
    """A tooltip that shows ``text`` literally. Qt guesses whether a tooltip is rich text;
    wrapping escaped text in ``<qt>`` makes the guess certain, and long text wraps."""
    return f"<qt>{escaped(text, limit)}</qt>"


def wrappable(text: object, limit: int = MAX_SHOWN_CHARS, *, one_line: bool = False) -> str:
    """Plain text whose long unbroken runs (URLs, paths) may wrap: a zero-width space every
    40 characters, so a word-wrapped label never grows wider than the window. Its own line
    breaks are kept unless ``one_line``."""
    shown = clean(text, limit, one_line=one_line)
    return _LONG_RUN.sub(lambda match: match.group(0) + "\u200b", shown)


class PlainElidingLabel(QElidingLabel):
    """An eliding label that cleans every text it is given (one line, no controls), so a
    later ``setText`` with a raw file name cannot make it taller or read backwards."""

    def setText(self, text: str) -> None:
        super().setText(clean(text))


def plain_label(text: object = "", *, elide: bool = True, parent: QWidget | None = None) -> QLabel:
    """A label that shows ``text`` verbatim. Elided (…) to the room it gets: its width never
    follows its text. With ``elide=False`` it still never renders markup."""
    label: QLabel = PlainElidingLabel(parent) if elide else QLabel(parent)
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

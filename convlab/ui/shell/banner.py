"""The message banner above the views: never modal, closable, with optional actions."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import ClassVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from convlab.engine.masking import mask_credentials
from convlab.ui import text as ui_text

MAX_BANNER_CHARS = 3000
"""A banner shows at most this much (six messages of a few lines): a flood is cut."""

Action = tuple[str, Callable[[], object]]


class MessageBanner(QFrame):
    """Messages above the views: never modal, closable, with optional action buttons.

    Messages that arrive in a burst (each within ``BURST_SECONDS`` of the one before, while
    the banner is up) are listed together, newest last, so several startup problems are all
    readable instead of each overwriting the last. A quiet moment starts a fresh banner.
    Stream addresses in a message are shown without their credentials.
    """

    _COLOURS: ClassVar[dict[str, str]] = {
        "info": "#dcecff",
        "warning": "#fff1c2",
        "error": "#ffd6d6",
    }
    _SEVERITY: ClassVar[dict[str, int]] = {"info": 0, "warning": 1, "error": 2}
    BURST_SECONDS = 2.0
    MAX_LISTED = 6  # older messages of a long burst are counted, not listed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setTextFormat(Qt.TextFormat.PlainText)  # file names are not markup
        # the window's width never follows a message: a long URL wraps instead
        self._label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self._label.setMinimumWidth(100)
        # not mouse-selectable: that makes Qt lay out a text document, and a wrapped flood of
        # words then took 100-200 ms per message (the log and the status bar hold the text)
        self._buttons: list[QPushButton] = []
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        self._layout = layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        layout.addWidget(self._label, 1)
        layout.addWidget(close)
        self._hide_timer = QTimer(self, singleShot=True, timeout=self.hide)
        self._actions: list[Action] = []
        self._entries: list[tuple[str, str]] = []  # (text, level), oldest first
        self._dropped = 0  # older messages of this burst no longer listed
        self._last_time = -math.inf
        self.hide()

    def show_message(
        self,
        text: str,
        level: str = "info",
        action: Action | None = None,
        *,
        actions: Sequence[Action] = (),
    ) -> None:
        """``action``/``actions``: (button text, callable) pairs offered beside the message,
        e.g. ("Reconnect", worker.reconnect); they replace those of earlier messages."""
        text = mask_credentials(text)
        now = time.monotonic()
        if self.isHidden() or now - self._last_time > self.BURST_SECONDS:
            self._entries, self._dropped, self._actions = [], 0, []
        self._last_time = now
        self._entries = [entry for entry in self._entries if entry[0] != text]
        self._entries.append((text, level if level in self._COLOURS else "info"))
        if len(self._entries) > self.MAX_LISTED:
            self._dropped += len(self._entries) - self.MAX_LISTED
            self._entries = self._entries[-self.MAX_LISTED :]
        offered = ([action] if action is not None else []) + list(actions)
        if offered:
            self._actions = offered
        self._render()

    def _render(self) -> None:
        levels = [level for _, level in self._entries]
        worst = max(levels, key=self._SEVERITY.__getitem__)
        self.setStyleSheet(
            f"#messageBanner {{ background: {self._COLOURS[worst]}; border-bottom: 1px solid"
            " #999; } QLabel { color: #202020; }"
        )
        self._label.setText(ui_text.wrappable(self.text(), MAX_BANNER_CHARS))
        self._show_buttons()
        self.show()
        if worst == "info" and not self._actions:
            self._hide_timer.start(6000)
        else:
            self._hide_timer.stop()

    def text(self) -> str:
        """What the banner says: the message, or a count and the list of them."""
        texts = [text for text, _ in self._entries]
        if len(texts) + self._dropped <= 1:
            return texts[0] if texts else ""
        problems = any(level != "info" for _, level in self._entries)
        header = f"{len(texts) + self._dropped} {'problems' if problems else 'messages'}"
        if self._dropped:
            header += f" ({self._dropped} earlier not listed)"
        return header + ":\n" + "\n".join(f"• {text}" for text in texts)

    def messages(self) -> list[str]:
        """The messages listed, oldest first."""
        return [text for text, _ in self._entries]

    def discard(self, text: str) -> None:
        """Take back a message that no longer holds (the lost camera came back)."""
        kept = [entry for entry in self._entries if entry[0] != text]
        if len(kept) == len(self._entries):
            return
        self._entries = kept
        if not kept:
            self.hide()
        else:
            self._render()

    def action_texts(self) -> list[str]:
        """The texts of the action buttons on show."""
        return [button.text() for button in self._buttons if button.isVisibleTo(self)]

    def trigger(self, text: str) -> None:
        """Press the action button called ``text`` (as a click would)."""
        for button in self._buttons:
            if button.isVisibleTo(self) and button.text() == text:
                button.click()
                return
        raise LookupError(f"no action {text!r} on the banner")

    def _show_buttons(self) -> None:
        while len(self._buttons) < len(self._actions):
            button = QPushButton(self)
            index = len(self._buttons)
            button.clicked.connect(lambda _=False, i=index: self._run_action(i))
            self._layout.insertWidget(1 + index, button)
            self._buttons.append(button)
        for index, button in enumerate(self._buttons):
            button.setVisible(index < len(self._actions))
            if index < len(self._actions):
                button.setText(self._actions[index][0])

    def hide(self) -> None:  # also the ✕ button and the info timer: a dismissed list is done
        super().hide()
        self._entries, self._dropped, self._actions = [], 0, []

    def _run_action(self, index: int) -> None:
        action = self._actions[index] if index < len(self._actions) else None
        self.hide()
        if action is not None:
            action[1]()

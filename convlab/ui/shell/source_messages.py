"""What the banner says about opening and losing sources, and when it takes it back.

A source that cannot be opened is named with the reason, and the picture on show stays; a
camera that cannot be opened also gets the alternatives that need no camera (the moving test
pattern, a video file). A live source that stops gets a Reconnect button. Messages that no
longer hold are taken back: the camera came back, the same file opened after all, or what a
person opened next (the test pattern instead of the missing camera, another file after a
broken one) opened fine. A fallback the window opens by itself takes nothing back.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from convlab.engine.masking import mask_credentials
from convlab.ui.shell.banner import MessageBanner
from convlab.ui.shell.status_line import StatusLine
from convlab.ui.threads.filter_worker import FilterWorker, SourceInfo, is_camera


class SourceMessages(QObject):
    """Connects the worker's source signals to the banner and the status line."""

    def __init__(
        self, worker: FilterWorker, banner: MessageBanner, status: StatusLine, source_menu
    ) -> None:
        super().__init__(banner)
        self._worker, self._banner, self._status = worker, banner, status
        self._source_menu = source_menu
        self._lost_text: str | None = None
        # open-failure message -> (the source it names, the request it answered)
        self._failures: dict[str, tuple[object, int]] = {}
        self._requests = 0  # opens asked for so far
        self._requested: object = None  # the latest
        source_menu.openRequested.connect(self.requested)
        worker.sourceOpened.connect(self.opened)
        worker.sourceFailed.connect(self.failed)
        worker.sourceLost.connect(self.lost)

    def requested(self, spec: object) -> None:
        self._requests += 1
        self._requested = spec

    def opened(self, info: SourceInfo) -> None:
        self._status.source_opened(info)
        self._status.show_message(f"Opened {info.name}", 4000)
        # Stale now: the lost source's warning, or "could not be opened" about this very
        # source (a camera reconnected too early, then plugged back in and opened).
        if self._lost_text is not None:
            self._banner.discard(self._lost_text)
        asked_for = same_source(info.spec, self._requested)
        for text, (spec, request) in self._failures.items():
            if same_source(spec, info.spec) or (asked_for and request < self._requests):
                self._banner.discard(text)
        self._failures.clear()

    def failed(self, spec: object, text: str) -> None:
        text = mask_credentials(text)
        self._failures[text] = (spec, self._requests)
        if is_camera(spec):  # the picture keeps playing; offer what works without a camera
            alternatives = [
                ("Test pattern", self._source_menu.open_pattern),
                ("Open video…", self._source_menu.choose_video),
            ]
            self._banner.show_message(text, "error", actions=alternatives)
        else:
            self._banner.show_message(text, "error")
        self._status.show_message(text)

    def lost(self, text: str) -> None:
        self._lost_text = f"{mask_credentials(text)} — the last frame stays on screen."
        self._banner.show_message(
            self._lost_text, "warning", action=("Reconnect", self._worker.reconnect)
        )
        self._status.source_lost()
        self._status.show_message(text)


def same_source(a: object, b: object) -> bool:
    """Camera indices compare as numbers, stream addresses as text, files as resolved paths."""
    if isinstance(a, (int, str)) and isinstance(b, (int, str)) and type(a) is type(b):
        if isinstance(a, str):
            if "://" in a or "://" in b:
                return a == b
            try:
                return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
            except (OSError, RuntimeError, ValueError):  # a link loop, a name too long
                return a == b
        return a == b
    return False

"""Run an export off the GUI thread and tell the person where the files went.

Encoding sixteen full-resolution PNGs takes a few hundred milliseconds: long enough to stutter
a live video if done on the GUI thread, so the work runs as a background job and the result
comes back as a message (and a signal, which the tests wait on).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from convlab.errors import ConvlabError
from convlab.ui import file_dialogs
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.background_jobs import BackgroundJobs
from convlab.ui.threads.priority import below_the_gui


class ExportRunner(QObject):
    """Runs one export at a time; ``finished`` carries the list of written paths."""

    finished = Signal(list)
    failed = Signal(str)

    def __init__(self, state: PlaygroundState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._jobs = BackgroundJobs(self)
        self._busy = False
        self._what = ""
        self._closing = threading.Event()  # exports check it between strips

    def cancelled(self) -> bool:
        """Whether a running export should stop (the window is closing)."""
        return self._closing.is_set()

    def shutdown(self, timeout: float = 1.0) -> None:
        """Give a running export ``timeout`` seconds to finish, then stop it between two
        strips: its files are not written (a half-written one never replaces a good one)."""
        if self._busy:
            self._jobs.join(int(timeout * 1000))
        self._closing.set()

    def choose_folder(self, parent: QWidget, title: str) -> Path | None:
        folder = file_dialogs.choose_folder(parent, "export", title)
        return Path(folder) if folder else None

    def start(self, job: Callable[[], list[Path]], what: str) -> None:
        """Run ``job`` on a worker thread; report success or the error it raised. A long job
        checks ``cancelled`` now and then."""
        if self._busy:
            self._state.report(
                f"{what}: an export is still running, try again in a moment", "warning"
            )
            return
        self._what = what
        # a write, below the GUI thread (on a busy machine the window stays responsive); if the
        # panel is gone by the time it ends, the files are there and nobody is left to tell
        self._busy = True
        self._jobs.run(below_the_gui(job), self._written, self._failed)

    def _written(self, paths: list[Path] | None) -> None:
        self._busy = False
        paths = list(paths or [])
        folders = sorted({str(Path(p).parent) for p in paths})
        self._state.report(
            f"{self._what}: wrote {len(paths)} file(s) to {', '.join(folders)}", "info"
        )
        self.finished.emit(paths)

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        what = self._what
        text = str(error) if isinstance(error, ConvlabError) else f"{what} failed: {error!r}"
        self._state.report(text, "error")
        self.failed.emit(text)

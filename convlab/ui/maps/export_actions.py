"""Run an export off the GUI thread and tell the person where the files went.

Encoding sixteen full-resolution PNGs takes a few hundred milliseconds: long enough to stutter
a live video if done on the GUI thread, so the work runs in a superqt worker and the result
comes back as a message (and a signal, which the tests wait on).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtWidgets import QFileDialog, QWidget
from superqt.utils import WorkerBase, create_worker

from convlab.errors import ConvlabError
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.priority import below_the_gui


class ExportRunner(QObject):
    """Runs one export at a time; ``finished`` carries the list of written paths."""

    finished = Signal(list)
    failed = Signal(str)

    def __init__(self, state: PlaygroundState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._job: WorkerBase | None = None
        self._what = ""
        self._closing = threading.Event()  # exports check it between strips
        self.last_folder: Path | None = None

    def cancelled(self) -> bool:
        """Whether a running export should stop (the window is closing)."""
        return self._closing.is_set()

    def shutdown(self, timeout: float = 1.0) -> None:
        """Give a running export ``timeout`` seconds to finish, then stop it between two
        strips: its files are not written (a half-written one never replaces a good one)."""
        if self._job is not None:
            QThreadPool.globalInstance().waitForDone(int(timeout * 1000))
        self._closing.set()

    def choose_folder(self, parent: QWidget, title: str) -> Path | None:
        start = str(self.last_folder or Path.home())
        folder = QFileDialog.getExistingDirectory(parent, title, start)
        if not folder:
            return None
        self.last_folder = Path(folder)
        return self.last_folder

    def start(self, job: Callable[[], list[Path]], what: str) -> None:
        """Run ``job`` on a worker thread; report success or the error it raised. A long job
        checks ``cancelled`` now and then."""
        if self._job is not None:
            self._state.report(
                f"{what}: an export is still running, try again in a moment", "warning"
            )
            return
        self._what = what
        # our slots report the failure; superqt must not re-raise it in the GUI thread
        # below the GUI thread: on a busy machine the window stays responsive while it runs
        self._job = create_worker(below_the_gui(job), _start_thread=False, _ignore_errors=True)
        # Bound methods of this QObject: Qt runs them on the GUI thread, and drops them if the
        # panel is closed while writing (the files are there, nobody is left to tell).
        self._job.returned.connect(self._written)
        self._job.errored.connect(self._failed)
        self._job.start()

    def _written(self, paths: list[Path] | None) -> None:
        self._job = None
        paths = list(paths or [])
        folders = sorted({str(Path(p).parent) for p in paths})
        self._state.report(
            f"{self._what}: wrote {len(paths)} file(s) to {', '.join(folders)}", "info"
        )
        self.finished.emit(paths)

    def _failed(self, error: BaseException) -> None:
        self._job = None
        what = self._what
        text = str(error) if isinstance(error, ConvlabError) else f"{what} failed: {error!r}"
        self._state.report(text, "error")
        self.failed.emit(text)

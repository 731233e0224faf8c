"""Run an export off the GUI thread and tell the person where the files went.

Encoding sixteen full-resolution PNGs takes a few hundred milliseconds: long enough to stutter
a live video if done on the GUI thread, so the work runs in a superqt worker and the result
comes back as a message (and a signal, which the tests wait on).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from convlab.errors import ConvlabError
from convlab.ui.state import PlaygroundState


class ExportRunner(QObject):
    """Runs one export at a time; ``finished`` carries the list of written paths.

    A plain Python thread is enough: the job is one function call, and its outcome comes back
    through the private ``_outcome`` signal, which Qt queues onto the GUI thread.
    """

    finished = Signal(list)
    failed = Signal(str)
    _outcome = Signal(str, object, object)  # (what, paths or None, error or None)

    def __init__(self, state: PlaygroundState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._thread: threading.Thread | None = None
        self._outcome.connect(self._deliver)
        self.last_folder: Path | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def choose_folder(self, parent: QWidget, title: str) -> Path | None:
        start = str(self.last_folder or Path.home())
        folder = QFileDialog.getExistingDirectory(parent, title, start)
        if not folder:
            return None
        self.last_folder = Path(folder)
        return self.last_folder

    def start(self, job: Callable[[], list[Path]], what: str) -> None:
        """Run ``job`` on a worker thread; report success or the ConvlabError it raised."""
        if self._thread is not None:
            self._state.report(
                f"{what}: an export is still running, try again in a moment", "warning"
            )
            return

        def work() -> None:
            try:
                outcome = (what, job(), None)
            except Exception as error:  # reported to the person, never swallowed
                outcome = (what, None, error)
            # RuntimeError: the panel was closed while writing; the files are there, nobody
            # is left to tell.
            with contextlib.suppress(RuntimeError):
                self._outcome.emit(*outcome)

        self._thread = threading.Thread(target=work, name="convlab-export", daemon=True)
        self._thread.start()

    def wait(self, timeout_s: float = 10.0) -> None:
        """Block until the running export (if any) has finished writing: for close and tests."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _deliver(self, what: str, paths: list[Path] | None, error: Exception | None) -> None:
        if self._thread is not None:
            self._thread.join()
        self._thread = None
        if error is None:
            folders = sorted({str(Path(p).parent) for p in paths or []})
            self._state.report(
                f"{what}: wrote {len(paths or [])} file(s) to {', '.join(folders)}", "info"
            )
            self.finished.emit(list(paths or []))
            return
        text = str(error) if isinstance(error, ConvlabError) else f"{what} failed: {error!r}"
        self._state.report(text, "error")
        self.failed.emit(text)

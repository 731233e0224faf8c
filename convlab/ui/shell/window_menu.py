"""What every menu of the window starts from (the File menu, its Camera part)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow

from convlab.ui.settings import Settings
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.background_jobs import BackgroundJobs
from convlab.ui.threads.filter_worker import FilterWorker


class WindowMenu(QObject):
    """A menu of one window: the window, its playground state, its filter worker, its
    settings, and the menu's own one-shot jobs (exports, camera lookups) off the GUI thread."""

    def __init__(
        self,
        window: QMainWindow,
        state: PlaygroundState,
        worker: FilterWorker,
        settings: Settings,
    ) -> None:
        super().__init__(window)
        self._window, self._state, self._worker, self._settings = window, state, worker, settings
        self._jobs = BackgroundJobs(self)

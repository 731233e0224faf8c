"""One-shot jobs beside the Train tab (re-measuring accuracy) on the thread pool.

The window's close waits for exactly these jobs, not for everything else in the pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QThreadPool
from superqt.utils import WorkerBase, create_worker


class BackgroundJobs:
    """One-shot jobs (re-measuring accuracy) on the thread pool, through superqt's workers.

    Each job's result comes back on the GUI thread; ``running`` and ``join`` let the window's
    close wait for exactly these jobs, not for everything else in the pool.
    """

    def __init__(self) -> None:
        self._jobs: dict[int, tuple[WorkerBase, threading.Event]] = {}

    def run(
        self,
        function: Callable[[], object],
        on_result: Callable[[object], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Run ``function`` off the GUI thread; ``on_result`` or ``on_error`` gets the outcome."""
        done = threading.Event()

        def job() -> object:
            try:
                return function()
            finally:
                done.set()

        worker = create_worker(
            job, _start_thread=False, _connect={"returned": on_result, "errored": on_error}
        )
        key = id(worker)
        self._jobs[key] = (worker, done)
        worker.finished.connect(lambda: self._jobs.pop(key, None))
        QThreadPool.globalInstance().start(worker)

    def running(self) -> list[WorkerBase]:
        return [worker for worker, done in self._jobs.values() if not done.is_set()]

    def join(self, timeout_ms: int) -> bool:
        """Wait up to ``timeout_ms`` for every job; True when none is still working."""
        deadline = time.monotonic() + timeout_ms / 1000
        for _, done in list(self._jobs.values()):
            if not done.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

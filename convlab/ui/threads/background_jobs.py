"""One-shot jobs off the GUI thread: kernel files, exports, pasted pictures, preset previews,
camera lookups, re-measuring accuracy.

They all run on one pool of the program's own, never on Qt's global pool: nothing else (a
library's workers, a long-running lesson) can hold a save up behind it, and closing the window
waits for exactly these jobs (``finish``). A job that writes must finish: a file cut off
half-way is lost work. A job that only computes something to show is *cancellable*: at close a
queued one is taken back unstarted and a running one is left to end on its own, its result
unused. Long-running work (the Kernel lab's lesson, filtering, training) has threads of its
own and never occupies this pool.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool
from superqt.utils import WorkerBase, create_worker

log = logging.getLogger(__name__)

#: closing: the time everything still running shares (the window closes within a second;
#: the rest is for the window itself)
CLOSE_BUDGET_S = 0.8

#: two threads: one job never waits for a slow other, and the machine keeps its cores
POOL_THREADS = 2

_pool: QThreadPool | None = None
# every owner's jobs that have not ended: a job leaves it the moment it ends (on its own
# thread), so a finished job's callbacks, and the panel they belong to, are never kept alive
_unfinished: set[_Job] = set()
_unfinished_lock = threading.Lock()


def job_pool() -> QThreadPool:
    """The pool every one-shot job runs on (made on first use, after the QApplication)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setObjectName("convlab-jobs")
        _pool.setMaxThreadCount(POOL_THREADS)
    return _pool


@dataclass(eq=False)
class _Job:
    worker: WorkerBase
    owner: BackgroundJobs
    cancellable: bool
    done: threading.Event = field(default_factory=threading.Event)

    def take_back(self) -> None:
        """Drop the job: unstarted, it never runs; running, its result is not delivered."""
        if self.done.is_set():  # it ended: the pool may have deleted its runnable already
            return
        self.worker.quit()  # a quit worker does not emit ``returned``
        if job_pool().tryTake(self.worker):  # it never ran, so ``finished`` never comes
            self.done.set()
            self.owner._forget(self)

    def release(self) -> None:
        """Let go of the callbacks: Qt keeps a worker's connections alive past its end, and
        with them the panel (and everything it holds) a callback belongs to."""
        with warnings.catch_warnings():  # PySide warns about a signal with nothing connected
            warnings.simplefilter("ignore", RuntimeWarning)
            for signal in (self.worker.returned, self.worker.errored, self.worker.finished):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect()


class BackgroundJobs:
    """One owner's one-shot jobs (a panel's, a menu's) on the program's job pool.

    Each job's outcome comes back on the GUI thread, unless ``owner`` (the widget the
    callbacks belong to) was deleted meanwhile. ``running`` and ``join`` see only this owner's
    jobs; ``finish`` (closing the window) sees every owner's.
    """

    def __init__(self, owner: QObject | None = None) -> None:
        self._owner = owner
        self._jobs: set[_Job] = set()

    def run(
        self,
        function: Callable[[], object],
        on_result: Callable[[object], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        *,
        cancellable: bool = False,
    ) -> None:
        """Run ``function`` off the GUI thread; ``on_result`` or ``on_error`` gets the outcome.

        ``cancellable``: the job only prepares something to show (closing may drop it); a job
        that writes a file is not, and closing waits for it.
        """
        job: _Job

        def work() -> object:
            try:
                return function()
            finally:
                job.done.set()
                with _unfinished_lock:
                    _unfinished.discard(job)

        connect = {"errored": self._delivered(on_error or _log_failure)}
        if on_result is not None:
            connect["returned"] = self._delivered(on_result)
        worker = create_worker(work, _start_thread=False, _connect=connect)
        job = _Job(worker, self, cancellable)
        self._jobs.add(job)
        with _unfinished_lock:
            _unfinished.add(job)
        worker.finished.connect(lambda: self._forget(job))
        job_pool().start(worker)

    def _delivered(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        def deliver(outcome: Any) -> None:
            if self._owner is None or shiboken6.isValid(self._owner):
                callback(outcome)

        return deliver

    def _forget(self, job: _Job) -> None:
        self._jobs.discard(job)
        with _unfinished_lock:
            _unfinished.discard(job)
        job.release()

    def running(self) -> list[WorkerBase]:
        return [job.worker for job in self._jobs if not job.done.is_set()]

    def join(self, timeout_ms: int) -> bool:
        """Wait up to ``timeout_ms`` for every job of this owner; True when none still works."""
        return _wait(list(self._jobs), time.monotonic() + timeout_ms / 1000)

    def cancel(self) -> None:
        """Drop this owner's cancellable jobs (queued ones never start)."""
        for job in [job for job in self._jobs if job.cancellable]:
            job.take_back()


def finish(timeout_s: float) -> bool:
    """Closing: drop every cancellable job and wait up to ``timeout_s`` for the others (the
    writes). True when no write is left unfinished."""
    with _unfinished_lock:
        jobs = list(_unfinished)
    for job in jobs:
        if job.cancellable:
            job.take_back()
    writes = [job for job in jobs if not job.cancellable]
    return _wait(writes, time.monotonic() + timeout_s)


def idle(timeout_ms: int) -> bool:
    """Wait up to ``timeout_ms`` until the job pool runs nothing (quitting, tests)."""
    return _pool is None or _pool.waitForDone(timeout_ms)


def _wait(jobs: list[_Job], deadline: float) -> bool:
    return all(job.done.wait(max(0.0, deadline - time.monotonic())) for job in jobs)


def _log_failure(error: Exception) -> None:
    log.warning("background job failed: %r", error)

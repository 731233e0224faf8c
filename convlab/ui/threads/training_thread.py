"""Training off the GUI thread: one QThread that drives ``convlab.cnn.train`` generators, and
the one-shot jobs around it (``BackgroundJobs``).

Why a dedicated QThread and not a pool task: the window must be able to join exactly this
thread on close (within a second) without waiting for other pool tasks, and "Step" needs a
pause that releases exactly one batch. The loop asks each run (a ``RunTally``) for one batch at
a time, checks pause/stop between batches, and emits progress by the clock (a few times a
second), never per batch. Several runs (e.g. "MLP vs CNN") are interleaved batch by batch, so
their curves grow side by side.

The models belong to this thread while it runs: the GUI never calls ``forward`` on them
(layers cache their inputs for ``backward``); it receives copies of the parameters instead.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QThread, QThreadPool, Signal
from superqt.utils import WorkerBase, create_worker

from convlab.cnn.data import Cancel, LoadingStopped
from convlab.cnn.dataset import Dataset
from convlab.cnn.model import Sequential
from convlab.cnn.plan import RunSpec, TrainingSettings
from convlab.cnn.progress import RunTally
from convlab.errors import ConvlabError
from convlab.ui.threads.priority import run_below_the_gui

#: seconds between progress reports sent to the GUI
EMIT_INTERVAL = 0.2
#: how much lower than the GUI the training thread runs (Linux nice value, 0-19)
TRAINING_NICE = 5
#: the GIL switch interval while training runs (seconds; Python's default is 0.005)
GIL_SWITCH_S = 0.001
#: longest the GUI thread waits for the thread to end on close
JOIN_TIMEOUT_MS = 1000


class TrainingThread(QThread):
    """Loads the data, builds the runs, trains them; pause / resume / step / stop from the GUI.

    Signals (delivered queued on the GUI thread) carry the thread first, so the GUI can tell a
    current run from one it has already stopped:
    ``prepared(thread, dataset, [run names], [model copies])`` once the data is loaded and the
    models exist; ``progress(thread, [TrainingProgress])`` one per run, a few times a second,
    when pausing, after a step, at each epoch end and at the end; ``failed(thread, str)`` with
    a ConvlabError's message; ``completed(thread, str)``, the last thing the thread does, with
    why the loop ended: "done", "stopped" or "failed".
    """

    prepared = Signal(object, object, object, object)
    progress = Signal(object, object)
    failed = Signal(object, str)
    completed = Signal(object, str)

    def __init__(
        self,
        load_data: Callable[[Cancel], Dataset],
        build_runs: Callable[[Dataset], list[RunSpec]],
        settings: TrainingSettings,
        *,
        start_paused: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._load_data = load_data
        self._build_runs = build_runs
        self.settings = settings
        self._condition = threading.Condition()
        self._abort = False
        self._paused = start_paused
        self._steps_allowed = 1 if start_paused else 0
        self.runs: list[RunSpec] = []
        self.dataset: Dataset | None = None
        self.outcome = ""
        self._reported_paused = False

    # ------------------------------------------------------------------ control (GUI thread)
    def start(self, priority: QThread.Priority = QThread.Priority.LowPriority) -> None:
        """Start below the GUI's priority: the GUI and the camera come first."""
        super().start(priority)

    def pause(self) -> None:
        with self._condition:
            self._paused = True
            self._steps_allowed = 0
            self._condition.notify_all()

    def resume(self) -> None:
        with self._condition:
            self._paused = False
            self._condition.notify_all()

    def step(self) -> None:
        """Let exactly one more batch (of every run) through, then stay paused."""
        with self._condition:
            self._paused = True
            self._steps_allowed += 1
            self._condition.notify_all()

    def stop(self) -> None:
        """Ask the loop to end after the current batch; ``join`` waits for it."""
        with self._condition:
            self._abort = True
            self._condition.notify_all()

    @property
    def is_paused(self) -> bool:
        return self._paused

    def models(self) -> list[Sequential]:
        """The networks being trained (empty until the data is loaded). They are this
        thread's: change them only while it is paused or after it has ended."""
        return [run.model for run in self.runs]

    def join(self, timeout_ms: int = JOIN_TIMEOUT_MS) -> bool:
        """Stop and wait; True when the thread has ended."""
        self.stop()
        return self.wait(timeout_ms)

    # ------------------------------------------------------------------ the loop (worker thread)
    def run(self) -> None:
        run_below_the_gui(TRAINING_NICE)
        try:
            with _short_gil_turns():
                self.outcome = self._train_all()
        except LoadingStopped:
            self.outcome = "stopped"
        except ConvlabError as error:
            self.outcome = "failed"
            self.failed.emit(self, str(error))
        except Exception as error:  # a thread has no global exception hook: report and go on
            logging.getLogger(__name__).exception("training thread failed")
            self.outcome = "failed"
            self.failed.emit(self, f"training stopped: {type(error).__name__}: {error}")
        self.completed.emit(self, self.outcome)

    def _train_all(self) -> str:
        dataset = self._load_data(lambda: self._abort)  # Stop interrupts loading too
        if self._abort:
            return "stopped"
        self.dataset = dataset
        self.runs = self._build_runs(dataset)
        self.prepared.emit(
            self,
            dataset,
            [spec.name for spec in self.runs],
            [copy.deepcopy(spec.model) for spec in self.runs],
        )
        tallies = [RunTally.start(spec, dataset, self.settings) for spec in self.runs]
        started = time.perf_counter()
        paused_seconds = 0.0
        last_emit = 0.0
        while not all(run.finished for run in tallies):
            waited, stepping = self._wait_for_permission(
                lambda seconds=paused_seconds: self._emit(tallies, started, seconds)
            )
            if self._abort:
                self._emit(tallies, started, paused_seconds)
                return "stopped"
            paused_seconds += waited
            if waited:
                last_emit = time.perf_counter()
            epoch_end = False
            for run in tallies:
                if not run.finished:
                    epoch_end |= run.advance(dataset, self.settings)
                    time.sleep(0)  # hand the GIL to the GUI thread between batches
            now = time.perf_counter()
            if stepping or epoch_end or now - last_emit >= EMIT_INTERVAL or self._paused:
                self._emit(tallies, started, paused_seconds)
                last_emit = now
            failure = next((run for run in tallies if run.error), None)
            if failure is not None:
                self._emit(tallies, started, paused_seconds)
                prefix = f"{failure.spec.name}: " if len(tallies) > 1 else ""
                self.failed.emit(self, prefix + failure.error)
                return "failed"
        self._emit(tallies, started, paused_seconds)
        return "done"

    def _wait_for_permission(self, announce: Callable[[], None]) -> tuple[float, bool]:
        """Block while paused; returns (seconds waited, whether this batch is a single step).

        Before parking, ``announce`` reports the pause unless a report already said so: a
        pause that lands between two batches must still reach the GUI as "paused".
        """
        with self._condition:
            if not self._paused or self._abort:
                return 0.0, False
        began = time.perf_counter()
        if not self._reported_paused:
            announce()  # outside the lock: pause() and resume() never wait for a report
        with self._condition:
            while self._paused and self._steps_allowed == 0 and not self._abort:
                self._condition.wait(0.1)
            stepping = self._paused and self._steps_allowed > 0
            if stepping:
                self._steps_allowed -= 1
            return time.perf_counter() - began, stepping

    def _emit(self, tallies: list[RunTally], started: float, paused: float) -> None:
        elapsed = max(time.perf_counter() - started - paused, 1e-9)
        paused_now = self._paused and not self._abort
        reports = [
            run.report(epochs=self.settings.epochs, elapsed=elapsed, paused=paused_now)
            for run in tallies
        ]
        self._reported_paused = paused_now
        self.progress.emit(self, reports)


_gil_lock = threading.Lock()
_gil_users = 0
_gil_interval_before = 0.005


@contextlib.contextmanager
def _short_gil_turns() -> Iterator[None]:
    """While any training thread runs, Python hands the GIL over every GIL_SWITCH_S seconds.

    Why: PySide releases the GIL inside nearly every Qt call, and must take it back after;
    with training busy in Python, each take-back waits up to the switch interval (5 ms by
    default). A paint handler making a few dozen Qt calls then stalls the GUI for tens of
    milliseconds. Process-wide, so it is counted and restored when the last thread ends.
    """
    global _gil_users, _gil_interval_before
    with _gil_lock:
        if _gil_users == 0:
            _gil_interval_before = sys.getswitchinterval()
            sys.setswitchinterval(GIL_SWITCH_S)
        _gil_users += 1
    try:
        yield
    finally:
        with _gil_lock:
            _gil_users -= 1
            if _gil_users == 0:
                sys.setswitchinterval(_gil_interval_before)


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

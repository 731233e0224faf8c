"""Re-measuring the validation accuracy off the GUI thread, one measurement at a time.

Every write-back, undo, Stop or load asks for a new measurement of the shown network. Each
request is numbered: while one measurement runs, a newer request waits (only the newest: the
ones in between are dropped, their networks no longer exist), and a result measured on a
network that has changed since is dropped too. So ten quick write-backs cost two
measurements, never ten, and an older result never lands after a newer one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, Signal

from convlab.cnn.dataset import Dataset
from convlab.cnn.evaluate import Evaluation, evaluate
from convlab.cnn.model import Sequential
from convlab.ui.threads.background_jobs import BackgroundJobs


class AccuracyMeasurer(QObject):
    """Measures ``network()`` on its data in a background job; at most one runs, one waits."""

    measured = Signal(str, object)  # (why, Evaluation) of the network as it still is
    failed = Signal(object)  # the exception a measurement raised

    def __init__(
        self,
        network: Callable[[], tuple[Sequential | None, Dataset | None]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._network = network
        self._jobs = BackgroundJobs()
        self._generation = 0  # counts requests and network changes
        self._busy = False
        self._waiting: str | None = None  # why the newest request that waits was made
        self._abandoned = False

    def request(self, why: str) -> None:
        """Measure the network as it is now; ``why`` ends up in the message."""
        if self._abandoned:
            return
        self._generation += 1
        if self._busy:
            self._waiting = why
        else:
            self._start(why)

    def forget(self) -> None:
        """The network was replaced (or the window closes): drop what is being measured and
        what waits."""
        self._generation += 1
        self._waiting = None

    def running(self) -> list:
        """Measurements still computing whose results are wanted (none once abandoned)."""
        return [] if self._abandoned else self._jobs.running()

    def abandon(self, timeout_ms: int) -> None:
        """Closing: drop every measurement; wait up to ``timeout_ms`` for one computing, then
        leave it to end on its own (the pool thread is not interrupted; its result is unused)."""
        self.forget()
        self._jobs.join(timeout_ms)
        self._abandoned = True

    def _start(self, why: str) -> None:
        model, dataset = self._network()
        if model is None or dataset is None:
            return
        copied = copy.deepcopy(model)  # the GUI's copy may change while it is measured
        self._busy = True
        generation = self._generation
        self._jobs.run(
            partial(evaluate, copied, dataset.val_images, dataset.val_labels),
            partial(self._done, generation, why),
            partial(self._done, generation, why),
            cancellable=True,  # only computes: closing does not wait for it
        )

    def _done(self, generation: int, why: str, outcome: Evaluation | Exception) -> None:
        self._busy = False
        if generation == self._generation:
            if isinstance(outcome, Exception):
                self.failed.emit(outcome)
            else:
                self.measured.emit(why, outcome)
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._start(waiting)

"""The Train tab's session: one training run after another, and the network they leave behind.

The session holds what the tab shows but draws none of it: the runner that trains, the network
being trained and the GUI's own copy of it (``view_model``, the only one the GUI runs forward
passes on), the data of the last run, whether the network is saved, write-backs of the kernel
editor's kernel into a filter (undoable, through a QUndoStack) and re-measuring the validation
accuracy off the GUI thread. The tab and its sections listen to its signals.

The runner is anything shaped like ``TrainingRunner`` (a ``TrainingProcess``: training runs in a
process of its own, so it never makes the window wait): the session starts, pauses, steps and
stops it, receives ``TrainingProgress`` objects from it, and hands it the weights written into
a filter while paused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QUndoCommand, QUndoStack

from convlab.cnn.dataset import Dataset
from convlab.cnn.evaluate import Evaluation, fits
from convlab.cnn.filter_history import FilterHistory
from convlab.cnn.model import Sequential
from convlab.cnn.plan import TrainingPlan
from convlab.cnn.progress import TrainingProgress
from convlab.cnn.recipe import conv_layers
from convlab.engine.kernels import Kernel
from convlab.errors import ConvlabError, TrainingError
from convlab.ui.threads.background_jobs import CLOSE_BUDGET_S, BackgroundJobs
from convlab.ui.threads.training_process import JOIN_TIMEOUT_MS, process_runner
from convlab.ui.training.measuring import AccuracyMeasurer

#: closing: how long a run gets to finish its batch before its process is killed (the window
#: already holds the weights of its last report)
STOP_GRACE_S = 0.4
#: closing: how long a measurement still computing may take before it is abandoned
MEASURE_WAIT_S = 0.2


class TrainingRunner(Protocol):
    """What the session needs from whatever trains. Signals carry the runner first:
    ``prepared(runner, Dataset, [run names], [model copies])``, ``progress(runner,
    [TrainingProgress])``, ``failed(runner, message)``, ``completed(runner, outcome)``.
    ``models()`` are networks the runner updates from another thread: ``edit`` changes one,
    ``weights`` and ``snapshot`` copy one, under the runner's own lock."""

    prepared: SignalInstance
    progress: SignalInstance
    failed: SignalInstance
    completed: SignalInstance

    @property
    def is_paused(self) -> bool: ...
    def start(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def step(self) -> None: ...
    def stop(self) -> None: ...
    def edit(self, index: int, change: Callable[[Sequential], None]) -> None: ...
    def weights(self, index: int) -> list[dict[str, np.ndarray]]: ...
    def snapshot(self, index: int) -> Sequential: ...
    def wait(self, timeout_ms: int) -> bool: ...
    def kill(self, timeout_ms: int) -> None: ...
    def isRunning(self) -> bool: ...
    def models(self) -> list[Sequential]: ...
    def deleteLater(self) -> None: ...


class TrainingSession(QObject):
    """Run lifecycle, the networks, save / load, write-backs and re-measuring."""

    runStarting = Signal(str)  # what data is being prepared
    prepared = Signal(object)  # [run names]: the data is loaded, the networks exist
    progressed = Signal(object)  # [TrainingProgress], the shown network's first
    failed = Signal(str)
    ended = Signal(str)  # the shown run ended: "done", "stopped" or "failed"
    stopped = Signal()  # Stop was pressed during a run
    networkReset = Signal()  # Reset: no run, no curves, no history
    loading = Signal(str)  # "Loading net.npz…" while a model file is read; "" when it failed
    networkLoaded = Signal(str)  # what was loaded
    freshNetwork = Signal()  # an untrained network from the settings is shown
    modelReplaced = Signal()  # the shown network is another one
    weightsEdited = Signal()  # a write-back (or its undo) changed the shown network
    evaluated = Signal(object)  # Evaluation of the shown network on the validation set
    remeasured = Signal(str)  # "Validation accuracy after …: a → b"
    runningChanged = Signal()
    message = Signal(object, str)  # (text or ConvlabError, level) for the window

    def __init__(
        self,
        fresh_network: Callable[[], Sequential],
        make_runner: Callable[[TrainingPlan, bool], TrainingRunner] = process_runner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._fresh_network = fresh_network
        self._make_runner = make_runner
        self._runner: TrainingRunner | None = None
        self._retiring: list[TrainingRunner] = []
        self._jobs = BackgroundJobs()  # reading model files
        self._measurer = AccuracyMeasurer(self.view, self)
        self._measurer.measured.connect(self._measured)
        self._measurer.failed.connect(self._job_failed)
        self.filter_history = FilterHistory()  # the first layer through the shown run
        self.undo_stack = QUndoStack(self)
        self._model: Sequential | None = None  # the network being / last trained
        self._view_model: Sequential | None = None  # the GUI's own copy for forward passes
        self.dataset: Dataset | None = None
        self.evaluation: Evaluation | None = None
        self.experiment: str | None = None
        self.unsaved = False
        self._steps_done = 0
        self._runs_started = 0

    # ================================================================== what the tab reads
    def is_training(self) -> bool:
        return self._runner is not None

    def is_paused(self) -> bool:
        return self._runner is not None and self._runner.is_paused

    def steps_done(self) -> int:
        """Batches trained in the current (or last) run, as last reported."""
        return self._steps_done

    def current_model(self) -> Sequential | None:
        """The network being (or last) trained. While a runner still updates it, a copy as of
        its last report (taken under the runner's lock, so never half-updated)."""
        owner = self._owner()
        return self._model if owner is None else owner.snapshot(0)

    @property
    def view_model(self) -> Sequential | None:
        return self._view_model

    def view(self) -> tuple[Sequential | None, Dataset | None]:
        """The GUI's copy of the network, and the data when that network fits it."""
        model, dataset = self._view_model, self.dataset
        if model is not None and dataset is not None and not fits(model, dataset):
            dataset = None
        return model, dataset

    def has_unsaved_model(self) -> bool:
        """True when a network was trained (or edited) and not saved since: ask before quitting."""
        return self.unsaved or (self._runner is not None and self._steps_done > 0)

    def running(self) -> list:
        """Runners and background jobs that have not finished (for tests and closing)."""
        runners = [r for r in (self._runner, *self._retiring) if r is not None and r.isRunning()]
        return [*runners, *self._jobs.running(), *self._measurer.running()]

    # ================================================================== run lifecycle
    def start(self, plan: TrainingPlan, *, start_paused: bool = False) -> None:
        """Train new network(s) as ``plan`` says; a run in progress is stopped first."""
        self._retire()
        runner = self._make_runner(plan, start_paused)
        runner.prepared.connect(self._on_prepared)
        runner.progress.connect(self._on_progress)
        runner.failed.connect(self._on_failed)
        runner.completed.connect(self._on_completed)
        self._runner = runner
        self._runs_started += 1
        self.experiment = plan.experiment
        self._steps_done = 0
        self.undo_stack.clear()
        self.evaluation = None
        self.filter_history.clear()
        self.runStarting.emit(plan.describe())
        self.runningChanged.emit()
        runner.start()

    def pause(self) -> None:
        if self._runner is not None:
            self._runner.pause()
            self.runningChanged.emit()

    def resume(self) -> None:
        if self._runner is not None:
            self._runner.resume()
            self.runningChanged.emit()

    def step(self) -> None:
        """One more batch of the run, which then stays paused."""
        if self._runner is not None:
            self._runner.step()
            self.runningChanged.emit()

    def stop(self) -> None:
        """End training after the current batch; the weights learned so far are kept."""
        if self._runner is not None:
            self._retire()
            self.stopped.emit()
            self.runningChanged.emit()

    def reset(self) -> None:
        """Forget the network: a fresh random one from the settings, no curves, no history."""
        self._retire()
        self.undo_stack.clear()
        self.evaluation = None
        self.filter_history.clear()
        self.networkReset.emit()
        self.show_fresh_network()
        self.runningChanged.emit()

    def show_fresh_network(self) -> None:
        """A fresh random network for the current settings: the filters start as noise."""
        try:
            model = self._fresh_network()
        except ConvlabError as error:
            self.message.emit(error, "error")
            return
        self._adopt(model, model)
        self.unsaved = False
        self.evaluation = None
        self.freshNetwork.emit()

    def shutdown(self, deadline: float | None = None) -> None:
        """Closing the window: end every run and job by ``deadline`` (a ``time.monotonic``
        time; ``CLOSE_BUDGET_S`` from now by default), whatever they are doing. A run gets
        ``STOP_GRACE_S`` to finish its batch, then its process is killed: the window already
        holds the weights of its last report. Re-measuring is abandoned: one still computing
        gets ``MEASURE_WAIT_S`` at most, then runs out on its own, its result unused."""
        deadline = time.monotonic() + CLOSE_BUDGET_S if deadline is None else deadline
        grace = min(time.monotonic() + STOP_GRACE_S, deadline)
        self._retire()
        self._measurer.forget()
        for runner in self._retiring:
            runner.stop()
        for runner in self._retiring:
            if not runner.wait(_ms_until(grace)):
                runner.kill(_ms_until(deadline))  # it did not stop in time: no process is left
        self._retiring = [r for r in self._retiring if r.isRunning()]
        self._measurer.abandon(min(_ms_until(deadline), int(MEASURE_WAIT_S * 1000)))
        self._jobs.join(_ms_until(deadline))

    def _retire(self) -> None:
        """Ask the current runner to stop; it is cleaned up when it has finished."""
        runner = self._runner
        if runner is None:
            return
        runner.stop()
        self._retiring.append(runner)
        self._runner = None
        if runner.models():
            # the network stays ours; its final weights arrive with the runner's last report
            self._model = runner.models()[0]
        self.unsaved = self.unsaved or self._steps_done > 0

    def _wait_for_stopped_owner(self) -> None:
        """Right after Stop the old runner may still be finishing its batch on our network:
        wait for it (a batch takes milliseconds) so what is saved or edited is its last word."""
        for runner in self._retiring:
            if runner.models() and runner.models()[0] is self._model:
                runner.wait(JOIN_TIMEOUT_MS)

    def _owner(self) -> TrainingRunner | None:
        """The runner that still updates the shown network from its reports, if any."""
        for runner in (self._runner, *self._retiring):
            if (
                runner is not None
                and runner.isRunning()
                and runner.models()
                and runner.models()[0] is self._model
            ):
                return runner
        return None

    def _owns_stopped(self, runner: TrainingRunner) -> bool:
        """Whether a stopped runner's network is still the one shown (no new run since)."""
        return (
            self._runner is None
            and runner in self._retiring
            and bool(runner.models())
            and runner.models()[0] is self._model
        )

    def _adopt(self, model: Sequential, view_model: Sequential) -> None:
        """Show ``model`` (trained by the runner) through ``view_model`` (the GUI's copy)."""
        if model is not self._model:
            self.undo_stack.clear()  # the edits were made to another network
            self._measurer.forget()  # and what was being measured is another network
        self._model, self._view_model = model, view_model
        self.modelReplaced.emit()

    # ================================================================== runner signals
    def _on_prepared(
        self, runner: TrainingRunner, dataset: Dataset, names: list[str], models: list
    ) -> None:
        if runner is not self._runner:
            return
        self.dataset = dataset
        if dataset.notes:
            self.message.emit(dataset.notes, "warning")
        self.evaluation = None
        self.prepared.emit(names)
        self._adopt(runner.models()[0], models[0])

    def _on_progress(self, runner: TrainingRunner, reports: list[TrainingProgress]) -> None:
        if runner is not self._runner and not self._owns_stopped(runner):
            return
        report = reports[0]
        self._steps_done = report.step
        if self._view_model is not None and runner.models():
            # the runner's network, not the report's state: an edit made after this report
            # was received is in the one and not the other
            self._view_model.set_state(runner.weights(0))
        self.filter_history.add(report.snapshots)
        self.progressed.emit(reports)
        if report.evaluation is not None:
            self.evaluation = report.evaluation
            self.evaluated.emit(report.evaluation)
        if runner is self._runner:
            self.runningChanged.emit()

    def _on_failed(self, runner: TrainingRunner, message: str) -> None:
        if runner is not self._runner and not self._owns_stopped(runner):
            return
        self.message.emit(TrainingError(message), "error")
        self.failed.emit(message)

    def _on_completed(self, runner: TrainingRunner, outcome: str) -> None:
        if runner is self._runner:
            self._retire()
            self.runningChanged.emit()
            if not runner.models():  # ended before any network existed (e.g. unreadable data)
                self.ended.emit(outcome)
        if self._owns_stopped(runner):
            # the runner has ended: its network is ours now, use it directly for the views
            self._adopt(self._model, self._model)
            self.ended.emit(outcome)
            if outcome == "stopped":
                self._remeasure("after stopping")
        if runner in self._retiring:
            self._retiring.remove(runner)
        runner.wait(JOIN_TIMEOUT_MS)  # run() has returned, so the wait is immediate
        runner.deleteLater()

    # ================================================================== write-back
    def write_back(self, kernel: Kernel, layer: int, index: int, channel: int, name: str) -> None:
        """``kernel`` replaces filter ``index`` (input ``channel``) of convolution ``layer``,
        called ``name`` in messages; validation accuracy is re-measured. Undoable."""
        if self._runner is not None and not self._runner.is_paused:
            raise TrainingError(
                "Write back: pause or stop training first (the filter is changing under your hands)"
            )
        if self._model is None or not conv_layers(self._model):
            raise TrainingError("Write back: there is no network with convolution filters")
        self._wait_for_stopped_owner()
        conv = conv_layers(self.current_model())[layer]
        size = conv.kernel_size
        if kernel.shape != (size, size):
            raise TrainingError(
                f"Write back: the editor's kernel is {kernel.shape[0]}×{kernel.shape[1]} but "
                f"{name} is {size}×{size}; make a {size}×{size} kernel (or train with "
                f"{kernel.shape[0]}×{kernel.shape[0]} kernels)"
            )
        self.unsaved = True
        old = conv.params["weight"][index, channel].copy()
        self.undo_stack.push(_WriteBack(self, kernel, old, (layer, index, channel), name))

    def _set_filter(self, where: tuple[int, int, int], weights: np.ndarray) -> None:
        layer, index, channel = where

        def write(model: Sequential) -> None:
            conv_layers(model)[layer].params["weight"][index, channel] = weights

        owner = self._owner()
        if owner is not None:  # paused: it goes on from here; written under its lock
            owner.edit(0, write)
        elif self._model is not None:
            write(self._model)
        if self._view_model is not None and self._view_model is not self._model:
            write(self._view_model)
        self.weightsEdited.emit()

    # ================================================================== re-measuring
    def _remeasure(self, why: str) -> None:
        """Validation accuracy of the current network, measured off the GUI thread (one at a
        time; a newer request replaces one that waits)."""
        self._measurer.request(why)

    def _measured(self, why: str, result: Evaluation) -> None:
        if self._view_model is None:
            return
        before = self.evaluation.accuracy if self.evaluation else None
        self.evaluation = result
        self.evaluated.emit(result)
        change = f"{before:.1%} → " if before is not None else ""
        text = f"Validation accuracy {why}: {change}{result.accuracy:.1%}"
        self.remeasured.emit(text)
        self.message.emit(text, "info")

    def _job_failed(self, error: Exception) -> None:
        if isinstance(error, ConvlabError):
            self.message.emit(error, "error")
        else:
            self.message.emit(f"Measuring failed: {type(error).__name__}: {error}", "error")

    # ================================================================== files
    def save_model(self, path: str | Path, *, wait: bool = True) -> None:
        """Write the network to ``path`` (.npz) atomically. ``wait``: a run just stopped may
        finish its batch first (closing does not wait: the last report's weights are saved)."""
        if self._model is None:
            raise ConvlabError("Save model: there is no network yet")
        if self._runner is not None and not self._runner.is_paused:
            raise ConvlabError("Save model: pause or stop training first")
        if wait:
            self._wait_for_stopped_owner()
        model = self.current_model()
        path = Path(path)
        temporary = path.with_name(path.stem + ".part.npz")
        try:
            model.save(temporary)
            os.replace(temporary, path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise ConvlabError(f"cannot save the model to {path}: {error.strerror}") from error
        self.unsaved = False
        self.message.emit(f"Model saved to {path}", "info")

    def load_model(self, path: str | Path) -> None:
        """Replace the network with one from a .npz file. The file is read on a background job
        (and checked before it is read: see ``Sequential.load``), so a slow disk, a pipe or a
        huge file never holds the window; training stops when the network has arrived. A run
        started meanwhile wins: the loaded network is then not shown."""
        path = Path(path)
        self.loading.emit(f"Loading {path.name}…")
        self._jobs.run(
            partial(Sequential.load, path),
            partial(self._loaded, path, self._runs_started),
            partial(self._load_failed, path),
        )

    def _loaded(self, path: Path, runs_started: int, model: Sequential) -> None:
        if runs_started != self._runs_started:
            text = f"{path.name} was not shown: a training run started meanwhile"
            self.message.emit(text, "info")
            return
        self._retire()
        self.runningChanged.emit()
        self.filter_history.clear()
        self._adopt(model, model)
        self.unsaved = False
        self.networkLoaded.emit(f"Loaded {path.name}: {model.num_parameters:,} parameters")
        self._remeasure("of the loaded model")

    def _load_failed(self, path: Path, error: Exception) -> None:
        if isinstance(error, ConvlabError):
            self.message.emit(error, "error")
        else:  # what the checks do not foresee (out of memory): still a sentence, not a crash
            self.message.emit(
                f"Model file '{path.name}' could not be loaded ({type(error).__name__}: {error})",
                "error",
            )
        self.loading.emit("")


class _WriteBack(QUndoCommand):
    """A kernel written into one filter; undo puts the filter's old weights back."""

    def __init__(
        self,
        session: TrainingSession,
        kernel: Kernel,
        old: np.ndarray,
        where: tuple[int, int, int],
        name: str,
    ) -> None:
        super().__init__(f"Write {kernel.name or 'the kernel'} into {name}")
        self._session = session
        self._where = where
        self._old = old
        self._new = kernel.effective
        self._why = f"after writing {kernel.name or 'the kernel'} into {name}"

    def redo(self) -> None:
        self._session._set_filter(self._where, self._new)
        self._session._remeasure(self._why)

    def undo(self) -> None:
        self._session._set_filter(self._where, self._old)
        self._session._remeasure("after undoing the write-back")


def _ms_until(deadline: float) -> int:
    return max(0, int((deadline - time.monotonic()) * 1000))

"""Training off the GUI thread: one QThread that drives ``convlab.cnn.train`` generators.

Why a dedicated QThread and not a pool task: the window must be able to join exactly this
thread on close (within a second) without waiting for other pool tasks, and "Step" needs a
pause that releases exactly one batch. The loop asks each ``train()`` generator for one batch
at a time (``progress_interval=0``), checks pause/stop between batches, and emits progress by
the clock (a few times a second), never per batch. Several runs (e.g. "MLP vs CNN") are
interleaved batch by batch, so their curves grow side by side.

The models belong to this thread while it runs: the GUI never calls ``forward`` on them
(layers cache their inputs for ``backward``); it receives copies of the parameters instead.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from convlab.cnn.data import LoadingStopped
from convlab.cnn.model import Sequential
from convlab.cnn.optim import Optimizer
from convlab.cnn.train import train
from convlab.errors import ConvlabError

#: seconds between progress reports sent to the GUI
EMIT_INTERVAL = 0.2
#: how much lower than the GUI the training thread runs (Linux nice value, 0-19)
TRAINING_NICE = 5
#: the GIL switch interval while training runs (seconds; Python's default is 0.005)
GIL_SWITCH_S = 0.001
#: longest the GUI thread waits for the thread to end on close
JOIN_TIMEOUT_MS = 1000


@dataclass
class Dataset:
    """Training and validation images (uint8, N x H x W or N x C x H x W) with class names."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    class_names: list[str]
    notes: str = ""  # what the user should know, e.g. files that were skipped

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image, as the network sees it."""
        shape = self.train_images.shape[1:]
        return (1, *shape) if len(shape) == 2 else tuple(shape)  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


@dataclass
class RunSpec:
    """One network to train: its name on screen, the model, and how to build its optimizer."""

    name: str
    model: Sequential
    make_optimizer: Callable[[Sequential], Optimizer]


@dataclass(frozen=True)
class TrainingSettings:
    """The loop's own settings (the model and optimizer ones live in ``RunSpec``)."""

    epochs: int = 3
    batch_size: int = 32
    seed: int = 0
    augment: bool = False
    snapshot_every: int = 10  # steps between first-layer snapshots for the history scrubber


@dataclass
class _RunProgress:
    """Per-run bookkeeping between two reports."""

    spec: RunSpec
    generator: Iterator[dict[str, Any]]
    loss_sum: float = 0.0
    correct_weighted: float = 0.0
    images: int = 0
    batches: int = 0
    compute_seconds: float = 0.0
    last: dict[str, Any] = field(default_factory=dict)
    val_accuracy: float | None = None
    evaluation: dict[str, np.ndarray] | None = None
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)
    last_snapshot_step: int = -(10**9)
    finished: bool = False


def first_conv_weights(model: Sequential) -> np.ndarray | None:
    """A copy of the first convolution's weights (out, in, k, k), or None for an MLP."""
    for layer in model.layers:
        if "weight" in layer.params and layer.params["weight"].ndim == 4:
            return layer.params["weight"].copy()
    return None


def evaluate(model: Sequential, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Predictions and class probabilities on a labelled set, for accuracy and the insight tabs."""
    logits = model.predict_logits(images, batch_size=256).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    predictions = probabilities.argmax(axis=1)
    accuracy = float((predictions == np.asarray(labels)).mean()) if len(labels) else 0.0
    return {
        "predictions": predictions,
        "probabilities": probabilities.astype(np.float32),
        "accuracy": accuracy,
    }


class TrainingThread(QThread):
    """Loads the data, builds the runs, trains them; pause / resume / step / stop from the GUI.

    Signals (delivered queued on the GUI thread) carry the thread first, so the GUI can tell a
    current run from one it has already stopped:
    ``prepared(thread, dataset, [model copies])`` once the data is loaded and the models exist;
    ``progress(thread, list[dict])`` one dict per run, a few times a second, when pausing, after
    a step, at each epoch end and at the end; ``failed(thread, str)`` with a ConvlabError's
    message; ``completed(thread, str)``, the last thing the thread does, with why the loop
    ended: "done", "stopped" or "failed".
    """

    prepared = Signal(object, object, object)
    progress = Signal(object, object)
    failed = Signal(object, str)
    completed = Signal(object, str)

    def __init__(
        self,
        load_data: Callable[[Callable[[], bool]], Dataset],
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

    @property
    def stop_requested(self) -> bool:
        return self._abort

    def join(self, timeout_ms: int = JOIN_TIMEOUT_MS) -> bool:
        """Stop and wait; True when the thread has ended."""
        self.stop()
        return self.wait(timeout_ms)

    # ------------------------------------------------------------------ the loop (worker thread)
    def run(self) -> None:
        _yield_the_cores()
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
        self.prepared.emit(self, dataset, [copy.deepcopy(spec.model) for spec in self.runs])
        progress = [
            _RunProgress(
                spec,
                train(
                    spec.model,
                    spec.make_optimizer(spec.model),
                    dataset.train_images,
                    dataset.train_labels,
                    epochs=self.settings.epochs,
                    batch_size=self.settings.batch_size,
                    seed=self.settings.seed,
                    augment=self.settings.augment,
                    progress_interval=0.0,
                ),
            )
            for spec in self.runs
        ]
        for run in progress:
            self._snapshot(run, step=0)
        started = time.perf_counter()
        paused_seconds = 0.0
        last_emit = 0.0
        while not all(run.finished for run in progress):
            waited, stepping = self._wait_for_permission(
                lambda seconds=paused_seconds: self._emit(progress, started, seconds)
            )
            if self._abort:
                self._emit(progress, started, paused_seconds)
                return "stopped"
            paused_seconds += waited
            if waited:
                last_emit = time.perf_counter()
            epoch_end = False
            for run in progress:
                if not run.finished:
                    epoch_end |= self._one_batch(run, dataset)
                    time.sleep(0)  # hand the GIL to the GUI thread between batches
            now = time.perf_counter()
            if stepping or epoch_end or now - last_emit >= EMIT_INTERVAL or self._paused:
                self._emit(progress, started, paused_seconds)
                last_emit = now
            failure = next((run for run in progress if run.last.get("error")), None)
            if failure is not None:
                self._emit(progress, started, paused_seconds)
                prefix = f"{failure.spec.name}: " if len(progress) > 1 else ""
                self.failed.emit(self, prefix + failure.last["error"])
                return "failed"
        self._emit(progress, started, paused_seconds)
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

    def _one_batch(self, run: _RunProgress, dataset: Dataset) -> bool:
        """Train ``run`` on one batch; returns True when that batch ended an epoch."""
        began = time.perf_counter()
        try:
            report = next(run.generator)
        except StopIteration:
            run.finished = True
            return False
        except ConvlabError as error:
            # train() stops on a NaN, infinite or absurd loss (above its DIVERGED_LOSS) and has
            # already put back the last weights that gave a sensible loss
            run.finished = True
            run.last = {**run.last, "error": str(error), "done": True}
            return False
        run.compute_seconds += time.perf_counter() - began
        run.loss_sum += report["loss"]
        batch = _batch_length(len(dataset.train_labels), self.settings.batch_size, report)
        run.correct_weighted += report["accuracy"] * batch
        run.images += batch
        run.batches += 1
        run.last = report
        run.finished = bool(report["done"])
        if report["step"] - run.last_snapshot_step >= self.settings.snapshot_every:
            self._snapshot(run, report["step"])
        if report["epoch_end"]:
            run.evaluation = evaluate(run.spec.model, dataset.val_images, dataset.val_labels)
            run.val_accuracy = run.evaluation["accuracy"]
        return bool(report["epoch_end"])

    def _snapshot(self, run: _RunProgress, step: int) -> None:
        weights = first_conv_weights(run.spec.model)
        if weights is not None:
            run.snapshots.append((step, weights))
        run.last_snapshot_step = step

    def _emit(self, progress: list[_RunProgress], started: float, paused: float) -> None:
        elapsed = max(time.perf_counter() - started - paused, 1e-9)
        reports = []
        for run in progress:
            last = run.last
            step = int(last.get("step", 0))
            total = int(last.get("total_steps", 0)) or 1
            steps_per_second = step / elapsed if step else 0.0
            reports.append(
                {
                    "name": run.spec.name,
                    "epoch": int(last.get("epoch", 0)),
                    "epochs": self.settings.epochs,
                    "step": step,
                    "total_steps": total,
                    "loss": run.loss_sum / run.batches if run.batches else math.nan,
                    "accuracy": run.correct_weighted / run.images if run.images else math.nan,
                    "val_accuracy": run.val_accuracy,
                    "images_per_s": run.images / run.compute_seconds
                    if run.compute_seconds
                    else 0.0,
                    "eta_s": (total - step) / steps_per_second if steps_per_second else math.nan,
                    "elapsed_s": elapsed,
                    "paused": self._paused and not self._abort,
                    "done": bool(last.get("done", False)),
                    "fresh_batches": run.batches,
                    "state": run.spec.model.state(),
                    "snapshots": run.snapshots,
                    "evaluation": run.evaluation,
                    "validated": run.evaluation is not None,  # measured since the last report
                    "parameters": run.spec.model.num_parameters,
                }
            )
            run.loss_sum, run.correct_weighted, run.images, run.batches = 0.0, 0.0, 0, 0
            run.compute_seconds = 0.0
            run.snapshots = []
            run.evaluation = None
        self._reported_paused = self._paused and not self._abort
        self.progress.emit(self, reports)


def _yield_the_cores() -> None:
    """Let the GUI and the camera thread go first when the cores are busy (Linux: nice).

    QThread.LowPriority does nothing under Linux's default scheduler, and on two cores the
    camera's filter thread, the GUI and training compete: without this, the GUI thread waits
    for a time slice behind training and stalls for tens of milliseconds. A niced thread still
    gets every cycle nobody else wants, so training on an idle machine is as fast as before.
    On Linux, setpriority on a thread id changes that thread only.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):  # not allowed here: training keeps the normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICE)


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


def _batch_length(count: int, batch_size: int, report: dict[str, Any]) -> int:
    """Images in the batch just trained: the last batch of an epoch may be short."""
    if not report["epoch_end"]:
        return batch_size
    return count - ((count - 1) // batch_size) * batch_size


class BackgroundTask(QThread):
    """Runs one function off the GUI thread (re-measuring accuracy, loading a model file)."""

    done = Signal(object, object, str)  # (task, result or None, error message or "")

    def __init__(self, function: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._function = function

    def run(self) -> None:
        try:
            result = self._function()
        except ConvlabError as error:
            self.done.emit(self, None, str(error))
            return
        self.done.emit(self, result, "")

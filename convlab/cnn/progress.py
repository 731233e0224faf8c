"""Training progress as the app shows it: one ``TrainingProgress`` per network, a few a second.

``RunTally`` trains one network batch by batch (asking its ``train()`` generator for one batch
at a time) and sums what happened between two reports: the curves show the average over those
batches, the learned-filter history gets a first-layer snapshot every few steps, and each epoch
end measures the validation set. Nothing here knows who calls it: a thread, a process or a test.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convlab.cnn.dataset import Dataset
from convlab.cnn.evaluate import Evaluation, evaluate, first_conv_weights
from convlab.cnn.plan import RunSpec, TrainingSettings
from convlab.cnn.probes import shift_test
from convlab.cnn.train import train
from convlab.errors import ConvlabError

Snapshot = tuple[int, np.ndarray]  # (step, first-layer weights out x in x k x k)


@dataclass(frozen=True, eq=False)
class TrainingProgress:
    """One network's progress since the previous report. ``loss`` and ``accuracy`` average the
    ``fresh_batches`` trained since then (NaN when none); ``state`` is a copy of every layer's
    parameters, for the window's own copy of the network."""

    name: str
    epoch: int
    epochs: int
    step: int
    total_steps: int
    loss: float
    accuracy: float
    val_accuracy: float | None  # None until the first epoch end
    images_per_s: float
    eta_s: float  # NaN until a step has been timed
    elapsed_s: float
    paused: bool
    done: bool
    fresh_batches: int
    parameters: int
    state: tuple[dict[str, np.ndarray], ...] = ()
    snapshots: tuple[Snapshot, ...] = ()  # taken since the previous report
    evaluation: Evaluation | None = None  # measured since the previous report (epoch end)
    shift_accuracy: float | None = None  # on validation digits moved 3 px (shift test runs)

    @property
    def validated(self) -> bool:
        """Whether the validation set was measured since the previous report."""
        return self.evaluation is not None


@dataclass
class RunTally:
    """One network in training and what it did since its last report."""

    spec: RunSpec
    generator: Iterator[dict[str, Any]]
    loss_sum: float = 0.0
    correct_weighted: float = 0.0
    images: int = 0
    batches: int = 0
    compute_seconds: float = 0.0
    last: dict[str, Any] = field(default_factory=dict)
    val_accuracy: float | None = None
    shift_accuracy: float | None = None
    evaluation: Evaluation | None = None
    snapshots: list[Snapshot] = field(default_factory=list)
    last_snapshot_step: int = -(10**9)
    finished: bool = False

    @classmethod
    def start(cls, spec: RunSpec, dataset: Dataset, settings: TrainingSettings) -> RunTally:
        """A run ready for its first batch, with the snapshot of its starting filters."""
        dataset = spec.data or dataset
        generator = train(
            spec.model,
            spec.make_optimizer(spec.model),
            dataset.train_images,
            dataset.train_labels,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            seed=settings.seed,
            augment=settings.augment,
            progress_interval=0.0,
        )
        tally = cls(spec, generator)
        tally.snapshot(step=0)
        return tally

    @property
    def error(self) -> str:
        """Why training stopped early (a diverged loss), or ""."""
        return str(self.last.get("error", ""))

    def advance(self, dataset: Dataset, settings: TrainingSettings) -> bool:
        """Train on one batch; returns True when that batch ended an epoch."""
        dataset = self.spec.data or dataset
        began = time.perf_counter()
        try:
            report = next(self.generator)
        except StopIteration:
            self.finished = True
            return False
        except ConvlabError as error:
            # train() stops on a NaN, infinite or absurd loss (above its DIVERGED_LOSS) and has
            # already put back the last weights that gave a sensible loss
            self.finished = True
            self.last = {**self.last, "error": str(error), "done": True}
            return False
        self.compute_seconds += time.perf_counter() - began
        self.loss_sum += report["loss"]
        batch = _batch_length(len(dataset.train_labels), settings.batch_size, report)
        self.correct_weighted += report["accuracy"] * batch
        self.images += batch
        self.batches += 1
        self.last = report
        self.finished = bool(report["done"])
        if report["step"] - self.last_snapshot_step >= settings.snapshot_every:
            self.snapshot(report["step"])
        if report["epoch_end"]:
            self.evaluation = evaluate(self.spec.model, dataset.val_images, dataset.val_labels)
            self.val_accuracy = self.evaluation.accuracy
            if self.spec.shift_test:
                moved = shift_test(self.spec.model, dataset.val_images, dataset.val_labels)
                self.shift_accuracy = moved["mean"]
        return bool(report["epoch_end"])

    def snapshot(self, step: int) -> None:
        weights = first_conv_weights(self.spec.model)
        if weights is not None:
            self.snapshots.append((step, weights))
        self.last_snapshot_step = step

    def report(self, *, epochs: int, elapsed: float, paused: bool) -> TrainingProgress:
        """The progress since the previous report; the sums start again from zero."""
        last = self.last
        step = int(last.get("step", 0))
        total = int(last.get("total_steps", 0)) or 1
        steps_per_second = step / elapsed if step else 0.0
        progress = TrainingProgress(
            name=self.spec.name,
            epoch=int(last.get("epoch", 0)),
            epochs=epochs,
            step=step,
            total_steps=total,
            loss=self.loss_sum / self.batches if self.batches else math.nan,
            accuracy=self.correct_weighted / self.images if self.images else math.nan,
            val_accuracy=self.val_accuracy,
            images_per_s=self.images / self.compute_seconds if self.compute_seconds else 0.0,
            eta_s=(total - step) / steps_per_second if steps_per_second else math.nan,
            elapsed_s=elapsed,
            paused=paused,
            done=bool(last.get("done", False)),
            fresh_batches=self.batches,
            parameters=self.spec.model.num_parameters,
            state=tuple(self.spec.model.state()),
            snapshots=tuple(self.snapshots),
            evaluation=self.evaluation,
            shift_accuracy=self.shift_accuracy,
        )
        self.loss_sum, self.correct_weighted, self.images, self.batches = 0.0, 0.0, 0, 0
        self.compute_seconds = 0.0
        self.snapshots = []
        self.evaluation = None
        return progress


def _batch_length(count: int, batch_size: int, report: dict[str, Any]) -> int:
    """Images in the batch just trained: the last batch of an epoch may be short."""
    if not report["epoch_end"]:
        return batch_size
    return count - ((count - 1) // batch_size) * batch_size

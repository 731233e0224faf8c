"""``train()``: mini-batch training as a generator of progress reports.

Being a generator is what lets a test, a script and the GUI share one training loop: the caller
decides when to ask for the next report, so pausing is simply not asking, and stopping is
dropping the generator. Reports come a few times a second (by the clock, never per batch) and
always at the end of each epoch.

Images may be uint8 (N, H, W) or (N, C, H, W); they are scaled to float32 in [0, 1] by
``convlab.cnn.data.normalize_images``, the same function the app uses on a drawn digit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from convlab.cnn.blas import blas_threads
from convlab.cnn.data import normalize_images, random_shift
from convlab.cnn.functional import cross_entropy
from convlab.cnn.model import Sequential
from convlab.cnn.optim import Optimizer
from convlab.errors import DataError, TrainingError

# A huge learning rate often kills every ReLU first and leaves a huge but finite loss
# (1e12 at step 2); cross-entropy over a few classes starts near ln(classes), so a loss
# above this is a run that has diverged, not one that is learning slowly.
DIVERGED_LOSS = 1e3
#: largest shift (pixels) of the random-shift augmentation
AUGMENT_SHIFT = 2


def train(
    model: Sequential,
    optimizer: Optimizer,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
    augment: bool = False,
    progress_interval: float = 0.25,
    threads: int | None = 1,
) -> Iterator[dict[str, Any]]:
    """Train ``model`` in place, yielding progress dicts with the keys:

    epoch (1-based), epochs, step (batches done), total_steps, loss and accuracy (averaged over
    the batches since the previous report), val_accuracy (None until first measured; measured
    at the end of every epoch), images_per_s (time spent waiting for the caller excluded),
    epoch_end and done (True on the last report).

    The same seed, model and data give the same run. A NaN, infinite or absurd loss (above
    ``DIVERGED_LOSS``) raises TrainingError after putting back the last weights that gave a
    sensible loss. ``threads`` limits BLAS threads until the generator finishes (see
    ``convlab.cnn.blas``).
    """
    x = normalize_images(images)
    y = np.asarray(labels, dtype=np.int64)
    _check_arguments(x, y, epochs, batch_size)
    val_x: np.ndarray | None = None
    val_y: np.ndarray | None = None
    if validation is not None:
        val_x, val_y = normalize_images(validation[0]), np.asarray(validation[1], dtype=np.int64)
        if len(val_x) != len(val_y) or len(val_y) == 0:
            raise DataError(
                f"validation set has {len(val_x)} images and {len(val_y)} labels; "
                "it needs the same, non-zero number of each"
            )

    with blas_threads(threads):
        yield from _train_loop(
            model, optimizer, x, y, epochs, batch_size, val_x, val_y, seed, augment,
            progress_interval,
        )  # fmt: skip


@dataclass
class _Window:
    """What happened since the previous report: averaged into the next one."""

    loss: float = 0.0
    correct: int = 0
    images: int = 0
    batches: int = 0
    seconds: float = 0.0  # time spent training, not waiting for the caller

    def add(self, loss: float, correct: int, images: int, seconds: float) -> None:
        self.loss += loss
        self.correct += correct
        self.images += images
        self.batches += 1
        self.seconds += seconds

    def averages(self) -> dict[str, float]:
        return {
            "loss": self.loss / self.batches,
            "accuracy": self.correct / self.images,
            "images_per_s": self.images / self.seconds if self.seconds > 0 else 0.0,
        }


def _train_loop(
    model: Sequential,
    optimizer: Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch_size: int,
    val_x: np.ndarray | None,
    val_y: np.ndarray | None,
    seed: int,
    augment: bool,
    progress_interval: float,
) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    total_steps = epochs * math.ceil(len(x) / batch_size)
    last_good = model.state()
    val_accuracy: float | None = None
    step = 0
    window = _Window()
    last_report = time.perf_counter()

    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            started = time.perf_counter()
            batch_indices = order[start : start + batch_size]
            batch, batch_labels = x[batch_indices], y[batch_indices]
            if augment:
                batch = random_shift(batch, AUGMENT_SHIFT, rng)

            step += 1
            loss, correct = _train_step(
                model, optimizer, batch, batch_labels, last_good, step=step, epoch=epoch
            )
            now = time.perf_counter()
            window.add(loss, correct, len(batch_labels), now - started)

            epoch_end = start + batch_size >= len(x)
            if not epoch_end and now - last_report < progress_interval:
                continue
            if epoch_end and val_x is not None and val_y is not None:
                _, val_accuracy = model.evaluate(val_x, val_y, batch_size=256)
            yield {
                "epoch": epoch,
                "epochs": epochs,
                "step": step,
                "total_steps": total_steps,
                **window.averages(),
                "val_accuracy": val_accuracy,
                "epoch_end": epoch_end,
                "done": step == total_steps,
            }
            window = _Window()
            last_report = time.perf_counter()


def _train_step(
    model: Sequential,
    optimizer: Optimizer,
    batch: np.ndarray,
    labels: np.ndarray,
    last_good: list[dict[str, np.ndarray]],
    *,
    step: int,
    epoch: int,
) -> tuple[float, int]:
    """One batch: forward, loss, backward, update. Returns the loss and how many were right.

    ``last_good`` holds the weights from before this step: a diverged loss puts them back and
    raises TrainingError; otherwise they are overwritten with the weights about to be updated.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below instead
        logits = model.forward(batch, training=True)
        loss, dlogits = cross_entropy(logits, labels)
    if not math.isfinite(loss) or loss > DIVERGED_LOSS:
        model.set_state(last_good)
        raise TrainingError(
            f"training diverged: the loss became {loss} at step {step} "
            f"(epoch {epoch}); the weights from before that step were kept. "
            "Try a smaller learning rate."
        )
    for saved, layer in zip(last_good, model.layers, strict=True):
        for key, value in saved.items():
            np.copyto(value, layer.params[key])
    model.backward(dlogits, input_grad=False)
    optimizer.step()
    return loss, int((logits.argmax(axis=1) == labels).sum())


def _check_arguments(x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int) -> None:
    if len(x) == 0:
        raise DataError("there are no training images")
    if len(x) != len(y):
        raise DataError(f"{len(x)} training images but {len(y)} labels")
    if epochs < 1 or batch_size < 1:
        raise TrainingError(
            f"epochs ({epochs}) and batch size ({batch_size}) must both be at least 1"
        )

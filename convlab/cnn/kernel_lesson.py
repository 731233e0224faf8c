"""The Kernel lab's lesson: a hidden kernel learned from what it does to a live picture.

``learn_hidden_kernel`` runs ``KernelFit`` on the newest frame, one more example every round
(with noise on the target, a fresh draw each time), and reports how close the weights are to
the hidden kernel. ``KernelLesson`` is what the window shows of one lesson: the hidden kernel,
the newest report, a loss curve of bounded size and the clock. No Qt here: the window only
draws what these hold.

Every lesson ends: when the weights are found, or after STEP_BUDGET steps (a flat picture can
never pin every weight down; heavy noise needs more examples than a lesson waits for).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from convlab.cnn.kernel_fit import TOLERANCE, KernelFit
from convlab.engine.convolve import convolve
from convlab.engine.pipeline import shrink

#: the live lesson learns on a copy of the frame no larger than this (pixels, longer side)
LESSON_MAX_SIDE = 200
#: steps between two looks at the newest frame (and, with noise, a fresh draw of it)
STEPS_PER_ROUND = 40
#: every lesson ends after this many steps, found or not
STEP_BUDGET = 20_000
#: the loss curve keeps at most this many points, however long the lesson runs
CURVE_POINTS = 1_000
#: the curve's floor: below this the loss is float64 rounding, not learning
CURVE_FLOOR = 1e-14


@dataclass(frozen=True)
class LessonReport:
    """Where a live lesson stands: ``error`` is the largest |learned - hidden| weight.

    ``done`` is True on the last report; ``found`` says whether it ended within the tolerance
    (False when the step budget ran out first)."""

    step: int
    loss: float
    weights: np.ndarray
    error: float
    rounds: int
    image: np.ndarray  # the reduced frame it learns on (float32)
    done: bool
    identifiable: bool
    found: bool = False


def learn_hidden_kernel(
    newest_frame: Callable[[], np.ndarray | None],
    hidden: np.ndarray,
    *,
    start: str | Any = "zeros",
    seed: int = 0,
    noise: float = 0.0,
    tolerance: float = 1e-3,
    max_side: int = LESSON_MAX_SIDE,
    step_budget: int = STEP_BUDGET,
) -> Iterator[LessonReport]:
    """Learn ``hidden`` from what it does to a live image.

    Every STEPS_PER_ROUND steps it looks at the newest frame (a reduced copy) and, with
    ``noise`` (standard deviation, in the image's units) on the target, draws fresh noise:
    each round is one more example (``KernelFit.add_data``). Reports come a few steps apart at
    first, then more and more steps apart, so the start can be watched and the end comes
    soon. It ends when the weights are within ``tolerance`` of the hidden kernel (without noise
    they get far closer), or after ``step_budget`` steps; a frame that cannot pin every weight
    down (a flat picture) reports ``identifiable`` False until the picture changes.
    """
    hidden = np.asarray(hidden, dtype=np.float64)
    fit = KernelFit(hidden.shape, start=start, seed=seed)
    rng = np.random.default_rng(seed)
    frame: np.ndarray | None = None
    image = np.zeros((1, 1), np.float32)
    clean = image
    report_every = 1.0
    while True:
        newest = newest_frame()
        if newest is not None and (newest is not frame or noise > 0):
            if newest is not frame:
                frame = newest
                image = shrink(frame, max_side).astype(np.float32)
                clean = convolve(image, hidden)
            target = clean + rng.normal(0.0, noise, clean.shape) if noise > 0 else clean
            fit.add_data(image, target)
        if fit.pairs == 0:  # nothing to learn from yet
            yield LessonReport(0, math.nan, fit.kernel(), math.inf, 0, image, False, False)
            continue
        for _ in range(STEPS_PER_ROUND):
            fit.step()
            if fit.steps % max(1, int(report_every)) == 0:
                report_every = min(report_every * 1.08, STEPS_PER_ROUND)
                yield _lesson_report(fit, hidden, image, tolerance, noise)
        finished = _lesson_report(fit, hidden, image, tolerance, noise)
        if finished.found or fit.steps >= step_budget:
            yield replace(finished, done=True)
            return


def _lesson_report(
    fit: KernelFit, hidden: np.ndarray, image: np.ndarray, tolerance: float, noise: float
) -> LessonReport:
    weights = fit.kernel()
    error = float(np.abs(weights - hidden).max())
    settled = fit.distance_bound() < TOLERANCE
    found = error < tolerance and (settled or noise > 0)
    return LessonReport(
        fit.steps, fit.loss(), weights, error, fit.pairs, image, False, fit.identifiable, found
    )


class LessonCurve:
    """The loss and weight-error curves of one lesson, never more than ``capacity`` points.

    When it is full, every other point goes and from then on only every other new step is
    kept (then every fourth, ...): the curve keeps its shape over the whole lesson, and drawing
    it costs the same at step 100 and at step 100,000. The newest point is always shown.
    """

    def __init__(self, capacity: int = CURVE_POINTS) -> None:
        self.capacity = max(2, capacity - capacity % 2)
        self._points = np.empty((self.capacity, 3))
        self._count = 0
        self._every = 1
        self._offered = 0
        self._newest: tuple[float, float, float] | None = None

    def add(self, step: int, loss: float, error: float) -> None:
        point = (float(step), max(loss, CURVE_FLOOR), max(error, CURVE_FLOOR))
        self._newest = point
        if self._offered % self._every == 0:
            if self._count == self.capacity:
                kept = self._points[::2].copy()
                self._points[: len(kept)] = kept
                self._count = len(kept)
                self._every *= 2
            self._points[self._count] = point
            self._count += 1
        self._offered += 1

    def __len__(self) -> int:
        return self._count + (self._newest is not None and not self._holds_newest())

    def _holds_newest(self) -> bool:
        return self._count > 0 and tuple(self._points[self._count - 1]) == self._newest

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, losses, errors): new arrays, ready to plot on a logarithmic scale."""
        points = self._points[: self._count]
        if self._newest is not None and not self._holds_newest():
            points = np.vstack([points, self._newest])
        steps, losses, errors = points.T.copy()
        return steps, losses, errors


class KernelLesson:
    """One lesson as the window shows it: the hidden kernel, the newest report, the curve,
    and when it started (``started``, in the caller's clock)."""

    def __init__(self, hidden: np.ndarray, started: float) -> None:
        self.hidden = np.array(hidden, dtype=np.float64)
        self.started = started
        self.last: LessonReport | None = None
        self.curve = LessonCurve()

    def record(self, report: LessonReport) -> bool:
        """Take the newest report; True when it has steps to show (the waiting ones have none)."""
        self.last = report
        if not report.step:
            return False
        self.curve.add(report.step, report.loss, report.error)
        return True

    @property
    def done(self) -> bool:
        return self.last is not None and self.last.done

    def seconds(self, now: float) -> float:
        return now - self.started

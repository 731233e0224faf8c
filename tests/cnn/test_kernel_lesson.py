"""The Kernel lab's lesson without the window: it learns from the newest frame, always ends,
and keeps a loss curve of bounded size."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn.kernel_lesson import (
    CURVE_FLOOR,
    LESSON_MAX_SIDE,
    STEPS_PER_ROUND,
    KernelLesson,
    LessonCurve,
    learn_hidden_kernel,
)
from convlab.engine import presets


def test_the_live_lesson_learns_from_the_newest_frame_and_waits_for_one():
    rng = np.random.default_rng(9)
    frames = [None, rng.integers(0, 256, (300, 240, 3)).astype(np.uint8)]
    hidden = presets.get("sharpen").effective
    lesson = learn_hidden_kernel(lambda: frames[0], hidden)
    waiting = next(lesson)
    assert not waiting.done and waiting.rounds == 0  # no image yet: nothing to learn from
    frames[0] = frames[1]
    reports = list(lesson)
    last = reports[-1]
    assert last.done and last.error < 1e-6 and last.rounds == 1
    assert max(last.image.shape[:2]) == LESSON_MAX_SIDE  # learns on a reduced copy
    steps = [report.step for report in reports]
    assert steps == sorted(steps) and steps[1] - steps[0] < steps[-1] - steps[-2]
    noisy = list(learn_hidden_kernel(lambda: frames[1], hidden, noise=6.0))[-1]
    assert noisy.done and noisy.error < 1e-3 and noisy.rounds > 1
    assert last.found and not any(report.done for report in reports[:-1])


def test_a_flat_picture_never_pins_the_weights_and_the_lesson_still_ends():
    flat = np.full((60, 80), 120, np.uint8)
    hidden = presets.get("sobel_x").effective
    reports = list(learn_hidden_kernel(lambda: flat, hidden, step_budget=2_000))
    last = reports[-1]
    assert last.done and not last.found and not last.identifiable
    assert 2_000 <= last.step < 2_000 + STEPS_PER_ROUND
    assert last.error > 1e-3  # Sobel sums to 0 like the zeros it started from: nothing to see
    assert sum(report.done for report in reports) == 1


def test_heavy_noise_ends_at_the_budget_and_says_it_was_not_found():
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (120, 90)).astype(np.uint8)
    hidden = presets.get("sharpen").effective
    last = list(learn_hidden_kernel(lambda: frame, hidden, noise=200.0, step_budget=400))[-1]
    assert last.done and not last.found and last.error > 1e-3
    assert last.rounds == last.step // STEPS_PER_ROUND  # a fresh noisy example every round


def test_the_curve_keeps_its_ends_and_never_grows_past_its_capacity():
    curve = LessonCurve(capacity=100)
    everything = []
    for step in range(1, 5_001):
        loss, error = 1.0 / step, 2.0 / step
        curve.add(step, loss, error)
        everything.append((step, loss, error))
        assert len(curve) <= 101  # the capacity, and the newest point when it was not kept
    steps, losses, errors = curve.columns()
    assert 50 <= len(steps) <= 101
    assert steps[0] == 1 and steps[-1] == 5_000  # the start and the newest step stay
    assert np.all(np.diff(steps) > 0)
    # every point kept is one that was added, unchanged
    reference = {step: (loss, error) for step, loss, error in everything}
    for step, loss, error in zip(steps, losses, errors, strict=True):
        assert reference[int(step)] == (loss, error)
    # spread over the whole lesson, not bunched at its start
    assert np.max(np.diff(steps)) <= 4 * 5_000 / len(steps)


def test_the_curve_has_a_floor_for_the_log_plot_and_returns_copies():
    curve = LessonCurve(capacity=10)
    curve.add(1, 0.0, 1e-30)
    _, losses, errors = curve.columns()
    assert losses[0] == CURVE_FLOOR and errors[0] == CURVE_FLOOR
    losses[0] = 5.0
    assert curve.columns()[1][0] == CURVE_FLOOR


def test_a_lesson_records_reports_and_skips_the_waiting_ones():
    hidden = presets.get("sharpen").effective
    lesson = KernelLesson(hidden, started=10.0)
    assert lesson.last is None and not lesson.done
    reports = learn_hidden_kernel(lambda: None, hidden)
    waiting = next(reports)
    assert not lesson.record(waiting) and len(lesson.curve) == 0 and lesson.last is waiting
    frame = np.random.default_rng(0).integers(0, 256, (50, 50)).astype(np.uint8)
    for report in learn_hidden_kernel(lambda: frame, hidden):
        assert lesson.record(report)
    assert lesson.done and lesson.last.found
    assert len(lesson.curve) == len(lesson.curve.columns()[0]) > 10
    assert lesson.seconds(12.5) == pytest.approx(2.5)
    np.testing.assert_array_equal(lesson.hidden, hidden)

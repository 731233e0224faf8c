"""Pressing Train with the defaults: the first-layer filters visibly form, accuracy holds.

This is the run the Train tab's button starts (``TrainingPlan()``: built-in digits, the small
CNN, Adam, the default epochs), trained batch by batch the way the app's training thread does
(``RunTally``). Before the filters were started small, the same run (He start, three epochs)
left them as noise (autocorrelation +0.04 -> +0.15) at 434 of the 450 validation digits right.
That run is deterministic; ``python -m convlab.bench learning`` trains it again beside the
default run ("before: He start, 3 epochs") and prints both, so its accuracy is kept here as a
measured number instead of being retrained by every test run.
"""

from __future__ import annotations

import numpy as np

from convlab.cnn.anatomy import spatial_autocorrelation
from convlab.cnn.evaluate import evaluate, first_conv_weights
from convlab.cnn.plan import RunSpec, TrainingPlan, TrainingSettings
from convlab.cnn.progress import RunTally

#: validation accuracy of the He-start, three-epoch run (measured by bench learning: 96.44 %)
HE_START_ACCURACY = 434 / 450


def run_to_the_end(spec: RunSpec, plan: TrainingPlan, dataset) -> tuple[float, float]:
    """(autocorrelation of conv1 before, after) once ``spec`` has trained, as the app does."""
    before = spatial_autocorrelation(first_conv_weights(spec.model))
    tally = RunTally.start(spec, dataset, plan.settings)
    while not tally.finished:
        tally.advance(dataset, plan.settings)
    assert not tally.error
    return before, spatial_autocorrelation(first_conv_weights(spec.model))


def test_the_default_run_turns_noise_into_smooth_filters_without_losing_accuracy():
    plan = TrainingPlan()
    dataset = plan.load_data()
    [spec] = plan.build_runs(dataset)
    before, after = run_to_the_end(spec, plan, dataset)
    accuracy = evaluate(spec.model, dataset.val_images, dataset.val_labels).accuracy

    assert len(dataset.val_labels) == 450  # the set the accuracy above was measured on
    assert abs(before) < 0.15  # random numbers: no structure
    assert after >= 0.5, f"conv1 autocorrelation {before:.3f} -> {after:.3f}"
    assert accuracy >= HE_START_ACCURACY, f"validation accuracy {accuracy:.4f}"


def test_the_default_plan_is_small_cnn_digits_adam_four_epochs():
    plan = TrainingPlan()
    assert plan.settings == TrainingSettings() and plan.settings.epochs == 4
    assert (plan.data.kind, plan.data.count) == ("digits", 3000)
    assert plan.recipe.architecture == "small" and plan.optimizer.kind == "adam"
    dataset = plan.load_data()
    [spec] = plan.build_runs(dataset)
    weights = first_conv_weights(spec.model)
    assert np.std(weights) < 0.2 * np.sqrt(2 / 25)  # started small: a tenth of He's scale

"""Pressing Train with the defaults: the first-layer filters visibly form, accuracy holds.

This is the run the Train tab's button starts (``TrainingPlan()``: built-in digits, the small
CNN, Adam, the default epochs), trained batch by batch the way the app's training thread does
(``RunTally``). Before the filters were started small, the same run (He start, three epochs)
left them as noise: it is trained here too, as the accuracy to match.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from convlab.cnn.anatomy import spatial_autocorrelation
from convlab.cnn.evaluate import evaluate, first_conv_weights
from convlab.cnn.model import build_cnn
from convlab.cnn.plan import RunSpec, TrainingPlan, TrainingSettings
from convlab.cnn.progress import RunTally


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

    # the run as it was: He start for the first layer too, three epochs
    old_plan = replace(plan, settings=replace(plan.settings, epochs=3))
    recipe = plan.recipe
    old_model = build_cnn(
        recipe.conv_layers, recipe.filters, recipe.kernel_size, recipe.pool,
        dataset.input_shape, dataset.num_classes, seed=recipe.seed, first_layer_start=1.0,
    )  # fmt: skip
    old = RunSpec("CNN (He start, 3 epochs)", old_model, plan.optimizer)
    old_before, old_after = run_to_the_end(old, old_plan, dataset)
    old_accuracy = evaluate(old_model, dataset.val_images, dataset.val_labels).accuracy

    assert abs(before) < 0.15 and abs(old_before) < 0.15  # random numbers: no structure
    assert old_after < 0.3  # what people saw: still noise
    assert after >= 0.5, f"conv1 autocorrelation {before:.3f} -> {after:.3f}"
    assert accuracy >= old_accuracy, f"validation accuracy {accuracy:.4f} < {old_accuracy:.4f}"


def test_the_default_plan_is_small_cnn_digits_adam_four_epochs():
    plan = TrainingPlan()
    assert plan.settings == TrainingSettings() and plan.settings.epochs == 4
    assert (plan.data.kind, plan.data.count) == ("digits", 3000)
    assert plan.recipe.architecture == "small" and plan.optimizer.kind == "adam"
    dataset = plan.load_data()
    [spec] = plan.build_runs(dataset)
    weights = first_conv_weights(spec.model)
    assert np.std(weights) < 0.2 * np.sqrt(2 / 25)  # started small: a tenth of He's scale

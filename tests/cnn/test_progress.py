"""A run's progress between two reports: loss and accuracy averaged over exactly the batches
trained since the last report, first-layer snapshots every few steps, the validation set
measured at each epoch end, and the sums starting again after each report."""

from __future__ import annotations

import math

import numpy as np

from convlab.cnn import Adam
from convlab.cnn.data import synthetic_digits
from convlab.cnn.dataset import Dataset
from convlab.cnn.plan import RunSpec, TrainingSettings
from convlab.cnn.progress import RunTally
from convlab.cnn.recipe import ModelRecipe


def dataset() -> Dataset:
    images, labels = synthetic_digits(60, seed=5)
    return Dataset("digits", images[:40], labels[:40], images[40:], labels[40:], list("0123456789"))


def test_a_report_averages_the_batches_since_the_last_one_and_starts_again():
    data = dataset()
    model = ModelRecipe(conv_layers=1, filters=(4,), kernel_size=3).build((1, 28, 28), 10)
    settings = TrainingSettings(epochs=2, batch_size=16, snapshot_every=2)
    tally = RunTally.start(RunSpec("CNN", model, lambda m: Adam(m, lr=0.01)), data, settings)
    start = tally.report(epochs=2, elapsed=1.0, paused=True)
    assert start.step == 0 and start.fresh_batches == 0 and math.isnan(start.loss)
    assert start.paused and not start.validated and not start.done
    assert [step for step, _ in start.snapshots] == [0]  # the random start
    assert np.array_equal(start.snapshots[0][1], model.layers[0].params["weight"])

    losses, accuracies = [], []
    for _ in range(2):
        assert not tally.advance(data, settings)  # 16 of 40 images, then 32
        losses.append(tally.last["loss"])  # train() reports every batch here
        accuracies.append(tally.last["accuracy"])
    report = tally.report(epochs=2, elapsed=2.0, paused=False)
    assert report.step == 2 and report.fresh_batches == 2 and report.total_steps == 6
    assert math.isclose(report.loss, sum(losses) / 2)
    assert math.isclose(report.accuracy, sum(accuracies) / 2)  # two full batches of 16
    assert [step for step, _ in report.snapshots] == [2]
    assert report.eta_s == (6 - 2) / (2 / 2.0)
    for mine, sent in zip(model.state(), report.state):
        assert all(np.array_equal(mine[key], sent[key]) for key in mine)

    assert tally.advance(data, settings)  # the third batch (8 images) ends the epoch
    after_epoch = tally.report(epochs=2, elapsed=3.0, paused=False)
    assert after_epoch.fresh_batches == 1 and after_epoch.validated
    assert math.isclose(after_epoch.accuracy, tally.last["accuracy"])
    predictions = model.predict(data.val_images)
    expected = float(np.mean(predictions == data.val_labels))
    assert after_epoch.val_accuracy == after_epoch.evaluation.accuracy == expected
    assert np.array_equal(after_epoch.evaluation.predictions, predictions)
    again = tally.report(epochs=2, elapsed=3.1, paused=False)
    assert again.fresh_batches == 0 and not again.validated and again.snapshots == ()

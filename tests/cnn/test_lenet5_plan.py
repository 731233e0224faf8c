"""LeNet-5 as a choice of the training plan: 32 x 32 inputs made from 28 x 28 digits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from convlab.cnn.dataset import DataSpec
from convlab.cnn.plan import TrainingPlan, TrainingSettings
from convlab.cnn.progress import RunTally
from convlab.cnn.recipe import ARCHITECTURES, ModelRecipe
from convlab.errors import ConvlabError, DataError


def test_the_recipe_builds_lenet5_for_32x32_images():
    recipe = ModelRecipe(architecture="lenet5")
    assert "lenet5" in ARCHITECTURES
    assert recipe.input_shape_for((1, 28, 28)) == (1, 32, 32)
    assert ModelRecipe().input_shape_for((1, 28, 28)) == (1, 28, 28)
    model = recipe.build((1, 32, 32), 10)
    assert model.num_parameters == 61_706
    with pytest.raises(ConvlabError, match="32×32"):
        recipe.build((1, 28, 28), 10)
    edges = ModelRecipe(architecture="lenet5", first_layer="edges", freeze=True)
    assert edges.build((1, 32, 32), 10).layers[0].frozen


def test_a_lenet5_plan_centres_the_digits_in_32x32_and_trains():
    plan = TrainingPlan(
        data=DataSpec(count=300),
        recipe=ModelRecipe(architecture="lenet5"),
        settings=TrainingSettings(epochs=1),
    )
    dataset = plan.load_data()
    assert dataset.input_shape == (1, 32, 32)
    plain = plan.data.load()
    np.testing.assert_array_equal(dataset.train_images[:, 2:30, 2:30], plain.train_images)
    assert dataset.train_images[:, :2].sum() == 0
    [spec] = plan.build_runs(dataset)
    tally = RunTally.start(spec, dataset, plan.settings)
    while not tally.finished:
        tally.advance(dataset, plan.settings)
    assert tally.val_accuracy is not None and not tally.error


def test_images_larger_than_32x32_are_refused_for_lenet5():
    plan = TrainingPlan(data=DataSpec(count=200), recipe=ModelRecipe(architecture="lenet5"))
    dataset = plan.data.load()
    big = replace(
        dataset,
        train_images=np.zeros((4, 40, 40), np.uint8),
        val_images=np.zeros((2, 40, 40), np.uint8),
    )
    with pytest.raises(DataError, match="40×40"):
        big.padded_to(32)

"""Networks from recipes: hand-made first layers hold the designed kernels (and stay frozen when
asked), layers get the names a student reads, and a training plan builds the runs each
experiment compares."""

from __future__ import annotations

import math
import pickle

import numpy as np

from convlab.cnn import Adam, Dense
from convlab.cnn.data import synthetic_digits
from convlab.cnn.dataset import Dataset, DataSpec
from convlab.cnn.optim import SGD
from convlab.cnn.plan import TrainingPlan
from convlab.cnn.recipe import (
    ModelRecipe,
    OptimizerRecipe,
    conv_layers,
    hand_made_bank,
    layer_names,
)
from convlab.cnn.train import train
from convlab.engine import presets


def test_hand_made_first_layer_holds_the_designed_kernels_and_stays_frozen():
    recipe = ModelRecipe(kernel_size=3, first_layer="edges", freeze=True)
    model = recipe.build((1, 28, 28), 10)
    conv1, conv2 = conv_layers(model)[:2]
    sobel = presets.get("sobel_x").weights
    first = conv1.params["weight"][0, 0].astype(np.float64)
    assert np.allclose(first / np.linalg.norm(first), sobel / np.linalg.norm(sobel), atol=1e-6)
    assert math.isclose(np.linalg.norm(first), math.sqrt(2.0), rel_tol=1e-5)
    assert len(hand_made_bank("gabor", 5)) == 8
    before1, before2 = conv1.params["weight"].copy(), conv2.params["weight"].copy()
    images = np.random.default_rng(0).integers(0, 255, (32, 28, 28), dtype=np.uint8)
    labels = np.arange(32) % 10
    for _ in train(model, Adam(model, 1e-2), images, labels, epochs=1, batch_size=8):
        pass
    assert np.array_equal(conv1.params["weight"], before1)
    assert not np.array_equal(conv2.params["weight"], before2)


def test_layers_get_short_readable_names():
    model = ModelRecipe(conv_layers=2).build((1, 28, 28), 10)
    assert layer_names(model) == [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "dense1",
    ]  # fmt: skip


def small_dataset() -> Dataset:
    images, labels = synthetic_digits(40, seed=4)
    return Dataset("digits", images[:32], labels[:32], images[32:], labels[32:], list("0123456789"))


def test_each_experiment_builds_the_networks_it_compares():
    dataset = small_dataset()
    plan = TrainingPlan(recipe=ModelRecipe(kernel_size=3), bank="gabor")
    (single,) = plan.build_runs(dataset)
    assert single.name == "CNN" and conv_layers(single.model)
    handmade, free = TrainingPlan(recipe=ModelRecipe(kernel_size=3), experiment="handmade",
                                  bank="gabor").build_runs(dataset)  # fmt: skip
    assert (handmade.name, free.name) == ("hand-made (gabor)", "free (random start)")
    designed = hand_made_bank("gabor", 3)[0].effective
    first = conv_layers(handmade.model)[0].params["weight"][0, 0]
    assert np.allclose(
        first / np.linalg.norm(first), designed / np.linalg.norm(designed), atol=1e-6
    )
    cnn, mlp = TrainingPlan(experiment="mlp").build_runs(dataset)
    assert (cnn.name, mlp.name) == ("CNN", "MLP")
    assert not conv_layers(mlp.model) and isinstance(mlp.model.layers[-1], Dense)


def test_the_optimiser_recipe_builds_the_chosen_optimiser():
    model = ModelRecipe().build((1, 28, 28), 10)
    adam = OptimizerRecipe(kind="adam", lr=0.01, weight_decay=0.001)(model)
    sgd = OptimizerRecipe(kind="sgd", lr=0.05, momentum=0.8)(model)
    assert isinstance(adam, Adam) and adam.lr == 0.01 and adam.weight_decay == 0.001
    assert isinstance(sgd, SGD) and sgd.lr == 0.05 and sgd.momentum == 0.8


def test_a_plan_is_plain_values_and_survives_pickling():
    samples = tuple(np.full((3, 32, 32), value, np.uint8) for value in (10, 200))
    plan = TrainingPlan(
        data=DataSpec(kind="webcam", webcam_names=("a", "b"), webcam_samples=samples),
        optimizer=OptimizerRecipe(kind="sgd", lr=0.03),
        experiment="mlp",
    )
    restored = pickle.loads(pickle.dumps(plan))
    assert restored == plan and restored.describe() == plan.describe()
    dataset = restored.load_data()
    assert dataset.class_names == ["a", "b"] and dataset.input_shape == (1, 32, 32)
    for mine, theirs in zip(plan.build_runs(dataset), restored.build_runs(dataset)):
        assert mine.name == theirs.name
        for a, b in zip(mine.model.state(), theirs.model.state()):
            assert all(np.array_equal(a[key], b[key]) for key in a)

"""One press of Train as plain values: the data, the networks, the optimiser, the loop settings.

A ``TrainingPlan`` holds no Qt and no open files, so whatever trains (a thread today) gets
everything it needs from it: ``load_data()`` and then ``build_runs(dataset)``, one ``RunSpec``
per network (two for the side-by-side experiments).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from convlab.cnn.data import Cancel
from convlab.cnn.dataset import Dataset, DataSpec
from convlab.cnn.model import Sequential
from convlab.cnn.optim import Optimizer
from convlab.cnn.probes import permute_first_dense, shuffle_images
from convlab.cnn.recipe import ModelRecipe, OptimizerRecipe


@dataclass(frozen=True)
class TrainingSettings:
    """The loop's own settings (the model and optimiser ones live in ``RunSpec``)."""

    # Four passes: the first-layer filters (started small, see ``convlab.cnn.model.start_small``)
    # have settled into smooth stroke and edge detectors by then, and the validation accuracy
    # with them (the default run measured in tests/cnn/test_default_training.py).
    epochs: int = 4
    batch_size: int = 32
    seed: int = 0
    augment: bool = False
    snapshot_every: int = 10  # steps between first-layer snapshots for the history scrubber


@dataclass
class RunSpec:
    """One network to train: its name on screen, the model, and how to build its optimiser.

    ``data`` is this run's own copy of the data (the pixels shuffled), None for the plan's;
    ``shift_test`` measures it on validation digits moved 3 pixels after every epoch.
    """

    name: str
    model: Sequential
    make_optimizer: Callable[[Sequential], Optimizer]
    data: Dataset | None = None
    shift_test: bool = False


@dataclass(frozen=True)
class TrainingPlan:
    """What to train on, which network(s), how: ``experiment`` None trains one CNN,
    "handmade" a first layer from ``bank`` next to a random one, "mlp" an MLP next to the CNN."""

    data: DataSpec = field(default_factory=DataSpec)
    recipe: ModelRecipe = field(default_factory=ModelRecipe)
    optimizer: OptimizerRecipe = field(default_factory=OptimizerRecipe)
    settings: TrainingSettings = field(default_factory=TrainingSettings)
    experiment: str | None = None
    bank: str = "edges"
    # MLP vs CNN: also race both on pixels shuffled by one fixed permutation, and measure
    # both on validation digits moved 3 pixels (see convlab.cnn.probes)
    shuffle_pixels: bool = False
    shift_test: bool = False

    def describe(self) -> str:
        return self.data.describe()

    def load_data(self, cancel: Cancel | None = None) -> Dataset:
        """The data, loaded; ``cancel`` is asked between files and chunks (see ``DataSpec``).
        LeNet-5 gets its 32 x 32: smaller images are centred in a black border."""
        dataset = self.data.load(cancel)
        side = self.recipe.input_shape_for(dataset.input_shape)[1]
        return dataset.padded_to(side) if side != dataset.input_shape[1] else dataset

    def build_runs(self, dataset: Dataset) -> list[RunSpec]:
        """The networks to train, built for ``dataset``'s images and classes."""
        shape, classes, recipe = dataset.input_shape, dataset.num_classes, self.recipe
        if self.experiment == "handmade":
            return [
                RunSpec(
                    f"hand-made ({self.bank})",
                    recipe.build(shape, classes, first_layer=self.bank),
                    self.optimizer,
                ),
                RunSpec(
                    "free (random start)",
                    recipe.build(shape, classes, first_layer="random"),
                    self.optimizer,
                ),
            ]
        if self.experiment == "mlp":
            return self._race(dataset)
        return [RunSpec("CNN", recipe.build(shape, classes), self.optimizer)]

    def _race(self, dataset: Dataset) -> list[RunSpec]:
        """CNN and MLP; with ``shuffle_pixels`` the same two again on shuffled pixels, the MLP
        started from the same function (its weights shuffled alike), so its curve repeats."""
        shape, classes, recipe = dataset.input_shape, dataset.num_classes, self.recipe
        shift = self.shift_test
        runs = [
            RunSpec("CNN", recipe.build(shape, classes), self.optimizer, shift_test=shift),
            RunSpec("MLP", recipe.build_mlp(shape, classes), self.optimizer, shift_test=shift),
        ]
        if self.shuffle_pixels:
            shuffled = shuffled_dataset(dataset, SHUFFLE_SEED)
            mlp = recipe.build_mlp(shape, classes)
            permute_first_dense(mlp, shape, SHUFFLE_SEED)
            runs += [
                RunSpec(
                    "CNN, pixels shuffled",
                    recipe.build(shape, classes),
                    self.optimizer,
                    data=shuffled,
                ),
                RunSpec("MLP, pixels shuffled", mlp, self.optimizer, data=shuffled),
            ]
        return runs


#: the one permutation of the pixel-shuffle race
SHUFFLE_SEED = 0


def shuffled_dataset(dataset: Dataset, seed: int) -> Dataset:
    """The same images (train and validation) with every pixel moved by one permutation."""
    return replace(
        dataset,
        name=f"{dataset.name}, pixels shuffled",
        train_images=shuffle_images(dataset.train_images, seed),
        val_images=shuffle_images(dataset.val_images, seed),
    )

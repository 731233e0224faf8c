"""One press of Train as plain values: the data, the networks, the optimiser, the loop settings.

A ``TrainingPlan`` holds no Qt and no open files, so whatever trains (a thread today) gets
everything it needs from it: ``load_data()`` and then ``build_runs(dataset)``, one ``RunSpec``
per network (two for the side-by-side experiments).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from convlab.cnn.data import Cancel
from convlab.cnn.dataset import Dataset, DataSpec
from convlab.cnn.model import Sequential
from convlab.cnn.optim import Optimizer
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
    """One network to train: its name on screen, the model, and how to build its optimiser."""

    name: str
    model: Sequential
    make_optimizer: Callable[[Sequential], Optimizer]


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
            return [
                RunSpec("CNN", recipe.build(shape, classes), self.optimizer),
                RunSpec("MLP", recipe.build_mlp(shape, classes), self.optimizer),
            ]
        return [RunSpec("CNN", recipe.build(shape, classes), self.optimizer)]

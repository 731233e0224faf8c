"""Model and optimiser settings, with the parameter count of every layer shown as you change them.

The counts come from building the actual network (``ModelRecipe.build``) for the current data's
image size, so what the table says is what will train. The settings leave this widget as plain
values (``ModelRecipe``, ``OptimizerRecipe``, ``TrainingSettings``) that training builds from.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from convlab.cnn.layers import Conv2D, Dense
from convlab.cnn.plan import TrainingSettings
from convlab.cnn.recipe import ARCHITECTURES, ModelRecipe, OptimizerRecipe, layer_names
from convlab.errors import ConvlabError
from convlab.ui import text as ui_text

FIRST_LAYER_CHOICES = {
    "random": "Random (learn freely)",
    "edges": "Sobel / Prewitt / Laplacian",
    "gabor": "Gabor bank",
}


class ModelSettings(QWidget):
    """Two compact groups: "Model" (layers, filters, kernel size, pooling, first layer) and
    "Optimiser" (kind, learning rate, batch, epochs, weight decay, augmentation, seed)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._input_shape: tuple[int, int, int] = (1, 28, 28)
        self._num_classes = 10
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._model_group())
        layout.addWidget(self._optimiser_group())
        for box in (self.layers_box, *self.filter_boxes):
            box.valueChanged.connect(self._architecture_changed)
        self.kernel_box.currentIndexChanged.connect(self._architecture_changed)
        self.network_box.currentIndexChanged.connect(self._architecture_changed)
        self.pool_box.toggled.connect(self._architecture_changed)
        self.first_layer_box.currentIndexChanged.connect(self._architecture_changed)
        self.optimizer_box.currentIndexChanged.connect(self._optimizer_changed)
        self._optimizer_changed()
        self._architecture_changed()

    def _model_group(self) -> QGroupBox:
        """Network, layers, filters, kernel size, pooling, first layer, the parameter table."""
        defaults = ModelRecipe()
        model_box = QGroupBox("Model")
        model_form = QFormLayout(model_box)
        _compact(model_form)
        self.network_box = QComboBox()
        self.network_box.setObjectName("networkChoice")
        for key, label in ARCHITECTURES.items():
            self.network_box.addItem(label, key)
        self.network_box.setCurrentIndex(self.network_box.findData(defaults.architecture))
        self.network_box.setToolTip(
            "The small CNN trains in seconds; LeNet-5 is the classic network of LeCun et al. "
            "(1998): 32×32 inputs (28×28 digits are centred in them), 61,706 parameters"
        )
        self.network_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.network_box.setMinimumContentsLength(10)
        self.layers_box = _spin(
            1, 3, defaults.conv_layers, "Convolution layers (each: conv → ReLU → pool)"
        )
        self.filter_boxes = [
            _spin(1, 32, value, f"Filters in convolution layer {index + 1}")
            for index, value in enumerate(defaults.filters)
        ]
        filters_row = QHBoxLayout()
        filters_row.setSpacing(2)
        for box in self.filter_boxes:
            filters_row.addWidget(box)
        self.kernel_box = QComboBox()
        for size in (3, 5, 7):
            self.kernel_box.addItem(f"{size} × {size}", size)
        self.kernel_box.setCurrentIndex(self.kernel_box.findData(defaults.kernel_size))
        self.pool_box = QCheckBox("2×2 max-pool after each")
        self.pool_box.setChecked(defaults.pool)
        self.first_layer_box = QComboBox()
        for key, label in FIRST_LAYER_CHOICES.items():
            self.first_layer_box.addItem(label, key)
        self.first_layer_box.setToolTip(
            "Start the first layer from filters people designed, instead of random numbers"
        )
        self.freeze_box = QCheckBox("Freeze it (no learning)")
        model_form.addRow("Network", self.network_box)
        model_form.addRow("Conv layers", self.layers_box)
        model_form.addRow("Filters", filters_row)
        model_form.addRow("Kernel", self.kernel_box)
        model_form.addRow("", self.pool_box)
        model_form.addRow("First layer", self.first_layer_box)
        model_form.addRow("", self.freeze_box)
        self.parameter_label = QLabel()
        self.parameter_label.setObjectName("parameterCounts")
        self.parameter_label.setTextFormat(Qt.TextFormat.RichText)
        self.parameter_label.setToolTip(
            "Weights and biases per layer for the current data's image size. "
            "ReLU, pooling and flatten have none."
        )
        model_form.addRow(self.parameter_label)
        return model_box

    def _optimiser_group(self) -> QGroupBox:
        """Kind, learning rate (and momentum for SGD), batch, epochs, weight decay, seed."""
        optimiser, loop = OptimizerRecipe(), TrainingSettings()
        optim_box = QGroupBox("Optimiser")
        optim_form = QFormLayout(optim_box)
        _compact(optim_form)
        self.optimizer_box = QComboBox()
        self.optimizer_box.addItem("Adam", "adam")
        self.optimizer_box.addItem("SGD + momentum", "sgd")
        self.lr_box = QDoubleSpinBox()
        self.lr_box.setDecimals(5)
        self.lr_box.setRange(0.00001, 10000.0)
        self.lr_box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr_box.setValue(optimiser.lr)
        self.lr_box.setToolTip(
            "Step size. Too big and the loss explodes (training stops and "
            "keeps the last good weights)."
        )
        self.momentum_box = QDoubleSpinBox()
        self.momentum_box.setRange(0.0, 0.99)
        self.momentum_box.setSingleStep(0.05)
        self.momentum_box.setValue(optimiser.momentum)
        self.batch_box = _spin(1, 1024, loop.batch_size, "Images per step (one step = one batch)")
        self.epochs_box = _spin(1, 100, loop.epochs, "Passes over the training images")
        self.decay_box = QDoubleSpinBox()
        self.decay_box.setDecimals(5)
        self.decay_box.setRange(0.0, 1.0)
        self.decay_box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.decay_box.setToolTip("L2 weight decay: pulls weights towards zero")
        self.decay_box.setValue(optimiser.weight_decay)
        self.augment_box = QCheckBox("Augment (shift ±2 px)")
        self.augment_box.setChecked(loop.augment)
        self.seed_box = _spin(0, 99999, loop.seed, "Same seed, same settings: the same run")
        lr_row = QHBoxLayout()
        lr_row.setSpacing(4)
        lr_row.addWidget(self.lr_box, 1)
        self.momentum_label = QLabel("momentum")
        lr_row.addWidget(self.momentum_label)
        lr_row.addWidget(self.momentum_box)
        optim_form.addRow("Optimiser", self.optimizer_box)
        optim_form.addRow("Learn. rate", lr_row)
        batch_row = QHBoxLayout()
        batch_row.setSpacing(4)
        batch_row.addWidget(self.batch_box, 1)
        batch_row.addWidget(QLabel("epochs"))
        batch_row.addWidget(self.epochs_box, 1)
        optim_form.addRow("Batch", batch_row)
        decay_row = QHBoxLayout()
        decay_row.setSpacing(4)
        decay_row.addWidget(self.decay_box, 1)
        decay_row.addWidget(QLabel("seed"))
        decay_row.addWidget(self.seed_box, 1)
        optim_form.addRow("Wt. decay", decay_row)
        optim_form.addRow("", self.augment_box)
        return optim_box

    # ------------------------------------------------------------------ reading the settings
    def set_data_shape(self, input_shape: tuple[int, int, int], num_classes: int) -> None:
        """The image size and class count of the chosen data (changes the parameter counts)."""
        if (tuple(input_shape), num_classes) != (self._input_shape, self._num_classes):
            self._input_shape, self._num_classes = tuple(input_shape), num_classes
            self._architecture_changed()

    def kernel_size(self) -> int:
        return int(self.kernel_box.currentData())

    def first_layer(self) -> str:
        return str(self.first_layer_box.currentData())

    def recipe(self) -> ModelRecipe:
        return ModelRecipe(
            conv_layers=self.layers_box.value(),
            filters=tuple(box.value() for box in self.filter_boxes),
            kernel_size=self.kernel_size(),
            pool=self.pool_box.isChecked(),
            first_layer=self.first_layer(),
            freeze=self.freeze_box.isChecked(),
            seed=self.seed_box.value(),
            architecture=str(self.network_box.currentData()),
        )

    def optimizer_recipe(self) -> OptimizerRecipe:
        """The chosen optimiser; training calls it to build the optimiser for each network."""
        return OptimizerRecipe(
            kind=str(self.optimizer_box.currentData()),
            lr=self.lr_box.value(),
            momentum=self.momentum_box.value(),
            weight_decay=self.decay_box.value(),
        )

    def training_settings(self, snapshot_every: int = 10) -> TrainingSettings:
        return TrainingSettings(
            epochs=self.epochs_box.value(),
            batch_size=self.batch_box.value(),
            seed=self.seed_box.value(),
            augment=self.augment_box.isChecked(),
            snapshot_every=snapshot_every,
        )

    # ------------------------------------------------------------------ live feedback
    def _optimizer_changed(self) -> None:
        sgd = self.optimizer_box.currentData() == "sgd"
        self.momentum_box.setVisible(sgd)
        self.momentum_label.setVisible(sgd)
        if sgd and self.lr_box.value() < 0.005:
            self.lr_box.setValue(0.02)
        elif not sgd and self.lr_box.value() >= 0.02:
            self.lr_box.setValue(OptimizerRecipe().lr)
        self.changed.emit()

    def _architecture_changed(self) -> None:
        count = self.layers_box.value()
        small = self.network_box.currentData() == "small"
        for index, box in enumerate(self.filter_boxes):
            box.setEnabled(small and index < count)
        for box in (self.layers_box, self.kernel_box, self.pool_box):
            box.setEnabled(small)
        self.freeze_box.setEnabled(self.first_layer() != "random")
        recipe = self.recipe()
        shape = recipe.input_shape_for(self._input_shape)
        try:
            model = recipe.build(shape, self._num_classes, first_layer="random")
        except ConvlabError as error:
            self.parameter_label.setText(
                f"<span style='color:#b00'>{ui_text.escaped(error)}</span>"
            )
            return
        rows = []
        shapes = model.output_shapes(shape)
        for name, layer, shape in zip(layer_names(model), model.layers, shapes):
            if isinstance(layer, (Conv2D, Dense)):
                rows.append(
                    f"<tr><td>{name}</td><td align=right>&nbsp;{layer.parameter_count():,}</td>"
                    f"<td style='color:gray'>&nbsp;→ {' × '.join(map(str, shape))}</td></tr>"
                )
        rows.append(
            f"<tr><td><b>total</b></td><td align=right>&nbsp;<b>{model.num_parameters:,}</b></td>"
            "<td></td></tr>"
        )
        self.parameter_label.setText("<table cellspacing=0>" + "".join(rows) + "</table>")
        self.changed.emit()


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def _compact(form: QFormLayout) -> None:
    form.setContentsMargins(6, 4, 6, 4)
    form.setVerticalSpacing(3)
    form.setHorizontalSpacing(6)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

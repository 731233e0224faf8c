"""The Train tab's defaults are the plan the tests measure, LeNet-5 trains from the window, and
the layer diagram shows parts, shapes, parameters and receptive fields."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget

from convlab.cnn.anatomy import CLASSIFIER, FEATURES
from convlab.cnn.data import synthetic_digits
from convlab.cnn.plan import TrainingPlan
from convlab.cnn.recipe import conv_layers
from convlab.ui.state import PlaygroundState
from convlab.ui.training.draw import prepare_drawing
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import WebcamClasses
from tests.ui.training.test_loop import draw_on_pad


@pytest.fixture
def tab(qtbot, tmp_path):
    widget = TrainingTab(
        PlaygroundState(), webcam_classes=WebcamClasses(autosave_path=tmp_path / "w.npz")
    )
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def wait_idle(qtbot, tab, timeout=30000):
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=timeout)


def test_pressing_train_with_the_defaults_runs_the_default_plan(tab):
    """tests/cnn/test_default_training.py measures TrainingPlan(): it is what Train starts."""
    plan = tab._plan(None)
    default = TrainingPlan()
    # the webcam class names travel along but only matter when "Capture from webcam" is chosen
    data = replace(plan.data, webcam_names=(), webcam_samples=())
    assert data == replace(default.data, seed=plan.recipe.seed)
    assert plan.recipe == default.recipe
    assert plan.optimizer == default.optimizer
    snapshots = plan.settings.snapshot_every
    assert plan.settings == replace(default.settings, snapshot_every=snapshots)


def test_lenet5_is_chosen_counted_and_trained_on_32x32_digits(qtbot, tab):
    settings = tab.settings
    settings.network_box.setCurrentIndex(settings.network_box.findData("lenet5"))
    assert "61,706" in settings.parameter_label.text()
    assert not settings.layers_box.isEnabled() and not settings.kernel_box.isEnabled()
    tab.data.count_box.setValue(200)
    settings.epochs_box.setValue(1)
    tab.train_button.click()
    wait_idle(qtbot, tab)
    model = tab.current_model()
    assert model.num_parameters == 61_706
    assert tab.session.dataset.input_shape == (1, 32, 32)
    assert [layer.out_channels for layer in conv_layers(model)] == [6, 16, 120]
    assert tab.curves.rows and tab.curves.rows[-1]["val_accuracy"] is not None
    # a drawn digit is centred in 28 x 28 and then in LeNet-5's 32 x 32, as the data was
    draw = tab.insight.draw_tab
    digit = synthetic_digits(1, seed=7)[0][0]
    draw_on_pad(draw, digit)
    assert draw.top.top()  # it answers with a class name
    sample = prepare_drawing(digit, "digits", (1, 32, 32))
    assert sample.shape == (1, 32, 32) and sample[0, :2].sum() == 0


def test_the_diagram_marks_the_parts_and_outlines_receptive_fields(qtbot, tab):
    diagram = tab.insight.network
    tab.insight.setCurrentWidget(tab.insight.network_page)
    tab.show()
    blocks = diagram.blocks
    assert [block.name for block in blocks][:3] == ["conv1", "relu1", "pool1"]
    assert [block.shape for block in blocks][:3] == [(8, 28, 28), (8, 28, 28), (8, 14, 14)]
    assert blocks[-1].part == CLASSIFIER and blocks[0].part == FEATURES
    assert sum(block.parameters for block in blocks) == tab.current_model().num_parameters
    diagram.resize(700, 420)
    diagram.grab()
    # a click on a conv1 unit: 5 x 5 pixels around it
    card = diagram._cards[0]
    grid = diagram._grid_rect(card, blocks[0])
    cell = grid.width() / 28
    point = QPoint(int(grid.left() + 10.5 * cell), int(grid.top() + 6.5 * cell))
    qtbot.mouseClick(diagram, Qt.MouseButton.LeftButton, pos=point)
    assert diagram.chosen == (0, 6, 10)
    assert diagram.field == (4, 8, 8, 12)
    # one unit of pool2 depends on a 16 x 16 patch: the field grows layer by layer
    diagram.choose(5, 3, 3)
    top, left, bottom, right = diagram.field
    assert (bottom - top + 1, right - left + 1) == (16, 16)
    flatten = next(i for i, block in enumerate(blocks) if block.name == "flatten")
    diagram.choose(flatten)
    assert diagram.field == (0, 0, 27, 27)
    tab.data.count_box.setValue(200)
    tab.settings.epochs_box.setValue(1)
    tab.train_button.click()
    wait_idle(qtbot, tab)
    np.testing.assert_array_equal(diagram.sample, tab.session.dataset.val_images[0])


def race(qtbot, tab, option: str) -> list[list[str]]:
    tab.data.count_box.setValue(300)
    tab.settings.epochs_box.setValue(1)
    getattr(tab.experiments, option).setChecked(True)
    qtbot.mouseClick(tab.findChild(QWidget, "mlpExperimentButton"), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, tab)
    table = tab.experiments.table
    return [[table.item(r, c).text() for c in range(6)] for r in range(table.rowCount())]


def test_the_race_on_shuffled_pixels_repeats_the_mlp_and_says_so(qtbot, tab):
    rows = race(qtbot, tab, "shuffle_box")
    names = [row[0] for row in rows]
    assert names == ["CNN", "MLP", "CNN, pixels shuffled", "MLP, pixels shuffled"]
    assert rows[1][3] == rows[3][3]  # the MLP: the same validation accuracy, shuffled or not
    assert [row[4] for row in rows] == ["–"] * 4  # no shift test this time
    text = tab.experiments.summary.text()
    assert "MLP</b>, pixels shuffled" in text and "the same curve" in text
    assert "CNN</b>, pixels shuffled" in text


def test_the_shift_test_trains_with_jitter_and_shows_the_moved_accuracy(qtbot, tab):
    experiments = tab.experiments
    experiments.shuffle_box.setChecked(True)
    experiments.shift_box.setChecked(True)  # one at a time
    assert not experiments.shuffle_box.isChecked()
    plan = tab._plan("mlp")
    assert plan.shift_test and not plan.shuffle_pixels and plan.settings.augment
    assert not tab._plan(None).settings.augment  # only the shift test jitters
    rows = race(qtbot, tab, "shift_box")
    assert [row[0] for row in rows] == ["CNN", "MLP"]
    assert all(row[4].endswith("%") for row in rows)
    assert "moved 3 px" in experiments.summary.text()


def test_a_narrow_network_page_scrolls_to_every_card_and_the_chosen_unit(qtbot, tab):
    """At 1366 x 768 the page is about 380 x 540: LeNet-5's twelve cards wrap into rows taller
    than that, and the page scrolls to them instead of cutting the last layers off."""
    settings = tab.settings
    settings.network_box.setCurrentIndex(settings.network_box.findData("lenet5"))
    page = tab.insight.network_page
    tab.insight.setCurrentWidget(page)
    tab.resize(1000, 620)
    tab.show()
    qtbot.waitUntil(lambda: page.viewport().height() > 100)
    page.resize(380, 540)
    diagram = tab.insight.network
    qtbot.waitUntil(lambda: diagram.width() <= page.viewport().width())
    diagram.grab()
    assert len(diagram.blocks) == 12
    lowest = max(card.bottom() for card in diagram._cards)
    assert diagram.height() >= lowest > page.viewport().height()  # all there, by scrolling
    assert page.verticalScrollBar().maximum() > 0
    assert max(card.right() for card in diagram._cards) <= diagram.width()
    diagram.choose(0, 27, 27)  # conv1's last unit: 5 x 5 pixels in the corner
    assert diagram.field == (27, 27, 31, 31)

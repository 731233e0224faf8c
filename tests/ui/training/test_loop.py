"""Closing the loop through the real window and the insight tabs: a learned filter sent to the
editor fills the grid with its exact weights and runs on the shown image; deeper layers show
one tile per input channel; a digit drawn on the pad is recognised; a frozen hand-made first
layer trains next to a free one and keeps its designed kernels."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QLabel, QTableView

from convlab.cnn import Adam
from convlab.cnn.data import class_names, synthetic_digits
from convlab.cnn.dataset import Dataset
from convlab.cnn.plan import TrainingSettings
from convlab.cnn.recipe import ModelRecipe, conv_layers, hand_made_bank
from convlab.cnn.train import train
from convlab.engine.convolve import convolve
from convlab.ui.state import PlaygroundState
from convlab.ui.training.draw import PAD_SIDE, DrawTab
from convlab.ui.training.experiments import COLUMNS
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import WebcamClasses
from tests.ui.conftest import wait_for_result
from tests.ui.training.test_data import capture_bars_and_poles, result_for, webcam_frame


def test_a_sent_filter_fills_the_grid_and_runs_on_the_shown_image(window, qtbot):
    tab = window.training_tab
    tab.filters.grid.select(3)
    tab.filters.send_button.click()
    expected = conv_layers(tab.current_model())[0].params["weight"][3, 0].astype(np.float64)
    grid = window.findChild(QTableView, "kernelEditor").model()
    assert (grid.rowCount(), grid.columnCount()) == expected.shape
    shown = np.array(
        [[float(grid.index(r, c).data()) for c in range(5)] for r in range(5)], dtype=np.float64
    )
    np.testing.assert_allclose(shown, expected, rtol=1e-3, atol=1e-4)  # as the cells print it
    assert np.array_equal(window.state.kernel.weights, expected)  # exactly, in the state
    result = wait_for_result(qtbot, window)
    reference = convolve(result.frame, expected, **window.state.pipeline.conv.as_kwargs())
    np.testing.assert_allclose(result.output, reference, atol=1e-4)


def test_deeper_layers_show_every_filter_per_input_channel(qtbot, tmp_path):
    state = PlaygroundState()
    tab = TrainingTab(state, webcam_classes=WebcamClasses(autosave_path=tmp_path / "w.npz"))
    qtbot.addWidget(tab)
    panel = tab.filters
    panel.layer_box.setCurrentIndex(1)  # conv2: 16 filters over 8 input channels
    weights = conv_layers(tab.current_model())[1].params["weight"]
    assert panel.channel_box.isVisibleTo(panel)
    panel.channel_box.setCurrentIndex(0)  # all channels: rows are channels, columns filters
    assert panel.grid.weights().shape == (16 * 8, 5, 5)
    assert panel.grid.columns_hint == 16
    row, column = 5, 11  # input channel 6, filter 12
    assert np.array_equal(panel.grid.weights()[row * 16 + column], weights[column, row])
    panel.grid.select(row * 16 + column)
    panel.send_button.click()
    assert np.array_equal(state.kernel.weights, weights[column, row].astype(np.float64))
    assert state.kernel.name == "learned conv2 #12 ch 6"
    panel.channel_box.setCurrentIndex(3)  # one channel: input ch 3 of every filter
    assert np.array_equal(panel.grid.weights(), weights[:, 2])
    tab.shutdown()


def draw_on_pad(tab: DrawTab, digit: np.ndarray) -> None:
    """Paint a 28 x 28 digit, enlarged to the pad, as if it had been drawn with the mouse:
    only its strokes (a pen leaves the background black, the generator adds faint noise)."""
    strokes = np.where(digit > 60, digit, 0).astype(np.uint8)
    big = np.ascontiguousarray(cv2.resize(strokes, (PAD_SIDE, PAD_SIDE), cv2.INTER_LINEAR))
    image = QImage(big.data, PAD_SIDE, PAD_SIDE, PAD_SIDE, QImage.Format.Format_Grayscale8)
    painter = QPainter(tab.pad.image)
    painter.drawImage(0, 0, image)
    painter.end()
    tab.refresh()


def test_a_digit_drawn_on_the_pad_is_recognised_after_training(qtbot):
    images, labels = synthetic_digits(1500, seed=0)
    model = ModelRecipe().build((1, 28, 28), 10)
    epochs = TrainingSettings().epochs  # as the Train button trains it
    for _ in train(model, Adam(model, lr=0.002), images, labels, epochs=epochs, batch_size=32):
        pass
    digits, truth = synthetic_digits(50, seed=123)  # digits it has never seen
    dataset = Dataset("digits", images, labels, digits, truth, list(class_names("digits")))
    tab = DrawTab()
    qtbot.addWidget(tab)
    tab.set_context(model, dataset)
    right = 0
    for digit, label in zip(digits, truth):
        tab.pad.clear()
        draw_on_pad(tab, digit)
        right += tab.top.top() == dataset.class_names[int(label)]
    # the pad's preparation keeps digits recognisable: the network scores as it does on the
    # generated digits themselves (about 95 %), give or take a few
    assert right >= 44  # of 50


def test_frozen_hand_made_filters_train_next_to_free_learning(qtbot, tmp_path):
    state = PlaygroundState()
    tab = TrainingTab(state, webcam_classes=WebcamClasses(autosave_path=tmp_path / "w.npz"))
    qtbot.addWidget(tab)
    tab.data.count_box.setValue(200)
    tab.settings.epochs_box.setValue(1)
    tab.settings.batch_box.setValue(16)
    tab.settings.kernel_box.setCurrentIndex(0)  # 3 x 3: Sobel and friends as designed
    tab.settings.freeze_box.setChecked(True)
    tab.experiments.bank_box.setCurrentIndex(0)  # Sobel / Prewitt / Laplacian
    tab.experiments.findChild(object, "handmadeExperimentButton").click()
    qtbot.waitUntil(lambda: not tab.is_training() and not tab.running_threads(), timeout=20000)
    table = tab.experiments.table
    assert [table.item(r, 0).text() for r in range(2)] == [
        "hand-made (edges)",
        "free (random start)",
    ]
    steps = COLUMNS.index("steps")
    assert all(table.item(r, steps).text() == "11 / 11" for r in range(2))
    hand_made = tab.experiments.grids[0].weights()
    bank = hand_made_bank("edges", 3)
    for index in range(8):  # still the designed kernels (scaled), after training: frozen
        designed = bank[index].effective
        ratio = hand_made[index] / np.where(designed == 0, 1, designed)
        scale = ratio[designed != 0]
        assert np.allclose(scale, scale[0], rtol=1e-5) and scale[0] > 0
        assert np.allclose(hand_made[index][designed == 0], 0)
    free = tab.experiments.grids[1].weights()
    assert free.shape == hand_made.shape and not np.allclose(free, hand_made)
    tab.shutdown()


def test_live_classification_shows_on_the_windows_live_view(window, qtbot):
    tab = window.training_tab
    classes = tab.webcam_classes
    capture_bars_and_poles(classes)
    tab.data.set_kind("webcam")
    tab.settings.epochs_box.setValue(8)
    tab.settings.batch_box.setValue(8)
    tab.train_button.click()
    qtbot.waitUntil(lambda: not tab.is_training() and not tab.running_threads(), timeout=20000)
    overlay = window.source_view.findChild(QLabel, "liveClassificationOverlay")
    for kind, name in ((1, "pole"), (0, "bar")):
        window.state.publish_result(result_for(webcam_frame(kind, 999)))  # a camera frame
        qtbot.waitUntil(lambda name=name: overlay.text().startswith(name), timeout=2000)
        assert not overlay.isHidden()
    tab.live_box.setChecked(False)
    assert overlay.isHidden()
    tab.reset()  # nothing unsaved: closing the window must not keep a recovery copy

"""The Train tab: training starts, pauses, steps, stops and closes promptly; filters go to the
kernel editor and back; divergence stops cleanly; start/stop in a loop leaves no threads."""

from __future__ import annotations

import gc
import os
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from convlab.cnn import Sequential
from convlab.cnn.data import synthetic_digits
from convlab.cnn.recipe import conv_layers
from convlab.engine.kernels import Kernel
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.training_process import TrainingProcess
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import WebcamClasses


@pytest.fixture
def state():
    return PlaygroundState()


@pytest.fixture
def tab(qtbot, state, tmp_path):
    classes = WebcamClasses(autosave_path=tmp_path / "webcam.npz")
    widget = TrainingTab(state, webcam_classes=classes)
    qtbot.addWidget(widget)
    widget.data.count_box.setValue(200)  # 170 training, 30 validation images
    widget.settings.epochs_box.setValue(1)
    widget.settings.batch_box.setValue(16)
    yield widget
    widget.shutdown()
    assert widget.running_threads() == []


def wait_idle(qtbot, tab, timeout=20000):
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=timeout)


def long_run(tab):
    tab.settings.epochs_box.setValue(100)


def test_train_button_on_default_data_changes_learned_filters(qtbot, tab):
    grid = tab.findChild(QWidget, "learnedFilters")
    button = tab.findChild(QWidget, "trainButton")
    assert tab.data.kind() == "digits"  # nothing else chosen
    before = grid.weights().copy()
    picture_before = grid.grab().toImage()
    button.click()

    def changed() -> None:
        after = grid.weights()
        assert after.shape == before.shape and not np.array_equal(after, before)

    qtbot.waitUntil(changed, timeout=15000)
    wait_idle(qtbot, tab)
    assert grid.grab().toImage() != picture_before
    assert tab.has_unsaved_model()
    assert tab.curves.rows and tab.curves.rows[-1]["val_accuracy"] is not None


def test_pause_stops_progress_and_resume_continues(qtbot, tab):
    long_run(tab)
    tab.train_button.click()
    qtbot.waitUntil(lambda: tab.steps_done() > 0, timeout=15000)
    tab.pause_button.click()
    assert tab.resume_button.isEnabled() and not tab.pause_button.isEnabled()
    # the batch in flight finishes, then the thread reports that it has parked
    qtbot.waitUntil(lambda: "paused" in tab.progress.text(), timeout=5000)
    paused_at = tab.steps_done()
    qtbot.wait(600)
    assert tab.steps_done() == paused_at
    tab.resume_button.click()
    qtbot.waitUntil(lambda: tab.steps_done() > paused_at, timeout=5000)
    tab.stop_button.click()
    wait_idle(qtbot, tab, timeout=2000)


def test_step_trains_exactly_one_batch(qtbot, tab):
    tab.step_button.click()  # idle: starts a run that pauses after one batch
    qtbot.waitUntil(lambda: tab.steps_done() == 1, timeout=15000)
    qtbot.wait(400)
    assert tab.steps_done() == 1
    tab.step_button.click()
    qtbot.waitUntil(lambda: tab.steps_done() == 2, timeout=3000)
    qtbot.wait(300)
    assert tab.steps_done() == 2
    tab.stop_button.click()
    wait_idle(qtbot, tab, timeout=2000)


def test_stop_ends_the_worker_promptly_and_keeps_the_weights(qtbot, tab):
    reported: list = []
    tab.session.progressed.connect(lambda reports: reported.append(reports[0].state))
    long_run(tab)
    tab.train_button.click()
    qtbot.waitUntil(lambda: tab.steps_done() > 2, timeout=15000)
    started = time.monotonic()
    tab.stop_button.click()
    assert not tab.is_training() and tab.train_button.isEnabled()  # the tab answers at once
    qtbot.waitUntil(lambda: tab.running_threads() == [], timeout=1000)  # the process has ended
    assert time.monotonic() - started < 1.0
    # the network kept is exactly the one training last reported (its last batch included)
    kept = tab.current_model().state()
    assert len(kept) == len(reported[-1])
    for layer, last in zip(kept, reported[-1], strict=True):
        for key, value in last.items():
            np.testing.assert_array_equal(layer[key], value)
    assert not all(
        np.array_equal(layer[key], value)
        for layer, first in zip(kept, reported[0], strict=True)
        for key, value in first.items()
    )  # and it trained on after the first report: the comparison can tell networks apart


def test_shutting_the_tab_down_ends_training_within_a_second(qtbot, tab):
    long_run(tab)
    tab.train_button.click()
    qtbot.waitUntil(lambda: tab.steps_done() > 0, timeout=15000)
    started = time.monotonic()
    tab.shutdown()
    assert tab.running_threads() == []
    assert time.monotonic() - started < 1.0


def test_send_to_editor_puts_exactly_the_filter_weights_in_the_state(qtbot, tab, state):
    tab.train_button.click()
    wait_idle(qtbot, tab)
    tab.filters.grid.select(2)
    tab.filters.send_button.click()
    expected = conv_layers(tab.current_model())[0].params["weight"][2, 0]
    assert state.kernel.shape == expected.shape
    assert np.array_equal(state.kernel.weights, expected.astype(np.float64))
    assert state.kernel.name == "learned conv1 #3"


def test_send_bank_puts_all_first_layer_filters_in_the_bank(qtbot, tab, state):
    tab.send_bank()
    weights = conv_layers(tab.current_model())[0].params["weight"]
    assert len(state.bank) == weights.shape[0]
    for index, kernel in enumerate(state.bank):
        assert np.array_equal(kernel.weights, weights[index, 0].astype(np.float64))


def test_write_back_changes_the_network_and_undo_restores_it(qtbot, tab, state, messages):
    tab.train_button.click()
    wait_idle(qtbot, tab)
    weights = conv_layers(tab.current_model())[0].params["weight"]
    original = weights.copy()
    hand_made = np.arange(25, dtype=np.float64).reshape(5, 5) / 10 - 1.2
    state.set_kernel(Kernel(hand_made, divisor=2.0, name="mine"))
    tab.filters.grid.select(1)
    tab.filters.write_button.click()
    assert np.allclose(weights[1, 0], hand_made / 2.0, atol=1e-6)  # the effective weights
    assert np.array_equal(weights[0], original[0])
    qtbot.waitUntil(lambda: "Validation accuracy after writing" in tab.status.text(), timeout=5000)
    assert tab.filters.undo_button.isEnabled()
    tab.filters.undo_button.click()
    assert np.array_equal(weights, original)
    assert not tab.filters.undo_button.isEnabled()
    qtbot.waitUntil(lambda: tab.running_threads() == [], timeout=5000)


def test_write_back_of_a_kernel_of_the_wrong_size_is_refused_with_a_message(
    qtbot, tab, state, messages
):
    weights = conv_layers(tab.current_model())[0].params["weight"]
    original = weights.copy()
    state.set_kernel(Kernel(np.ones((3, 3))))
    tab.write_back()
    assert np.array_equal(weights, original)
    assert messages and messages[-1][1] == "error"
    assert "3×3" in messages[-1][0] and "5×5" in messages[-1][0]


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_weights(qtbot, tab, messages):
    tab.settings.optimizer_box.setCurrentIndex(1)  # SGD + momentum
    tab.settings.lr_box.setValue(10000.0)
    long_run(tab)
    tab.train_button.click()
    qtbot.waitUntil(lambda: any(level == "error" for _, level in messages), timeout=15000)
    wait_idle(qtbot, tab, timeout=3000)
    text = next(text for text, level in messages if level == "error")
    assert "diverged" in text and "learning rate" in text
    model = tab.current_model()
    for layer in model.layers:
        for value in layer.params.values():
            assert np.isfinite(value).all()
    digits, labels = synthetic_digits(50, seed=3)
    loss, _ = model.evaluate(digits, labels)
    assert loss < 10  # the kept weights still give a sensible loss (chance level is ln 10)
    assert "failed" in tab.progress.text()
    assert tab.train_button.isEnabled()


def test_start_and_stop_fifty_times_leaves_no_thread_running(qtbot, tab):
    long_run(tab)
    for _ in range(50):
        tab.train_button.click()
        qtbot.wait(5)
        tab.stop_button.click()
    qtbot.waitUntil(lambda: tab.running_threads() == [], timeout=10000)
    qtbot.waitUntil(lambda: tab.session._retiring == [], timeout=3000)
    assert tab.train_button.isEnabled() and not tab.stop_button.isEnabled()
    qtbot.wait(50)  # let deleteLater run
    gc.collect()
    assert sum(isinstance(o, TrainingProcess) for o in gc.get_objects()) == 0  # no leak
    # and the tab still trains afterwards
    tab.settings.epochs_box.setValue(1)
    tab.train_button.click()
    wait_idle(qtbot, tab)
    assert tab.steps_done() == 11  # ceil(170 / 16)


def test_saved_model_loads_back_and_clears_the_unsaved_flag(qtbot, tab, tmp_path):
    tab.train_button.click()
    wait_idle(qtbot, tab)
    assert tab.has_unsaved_model()
    path = tmp_path / "model.npz"
    tab.save_model(path)
    assert not tab.has_unsaved_model()
    saved = [layer.params["weight"].copy() for layer in conv_layers(tab.current_model())]
    tab.reset()
    before = tab.current_model()
    tab.load_model(path)  # read on a background job
    qtbot.waitUntil(lambda: tab.current_model() is not before, timeout=5000)
    loaded = [layer.params["weight"] for layer in conv_layers(tab.current_model())]
    assert all(np.array_equal(a, b) for a, b in zip(saved, loaded))
    assert isinstance(Sequential.load(path), Sequential)
    qtbot.waitUntil(lambda: tab.running_threads() == [], timeout=5000)


def test_curves_export_as_csv_with_one_row_per_point(qtbot, tab, tmp_path):
    tab.train_button.click()
    wait_idle(qtbot, tab)
    path = tmp_path / "curves.csv"
    tab.curves.export_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "step,epoch,loss,accuracy,val_accuracy"
    assert len(lines) == len(tab.curves.rows) + 1
    last = lines[-1].split(",")
    assert int(last[0]) == 11 and float(last[4]) == pytest.approx(
        tab.curves.rows[-1]["val_accuracy"]
    )
    png = tmp_path / "curves.png"
    tab.curves.export_png(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parameter_counts_follow_the_settings(qtbot, tab):
    settings = tab.settings
    settings.layers_box.setValue(1)
    settings.filter_boxes[0].setValue(4)
    settings.kernel_box.setCurrentIndex(0)  # 3 x 3
    text = settings.parameter_label.text()
    # conv1: 4 * (1*3*3) + 4 = 40; after a 2x2 pool, 4*14*14 inputs to 10 outputs
    assert "40" in text
    assert f"{4 * 14 * 14 * 10 + 10:,}" in text


def test_history_scrubber_shows_and_sends_an_older_snapshot(qtbot, tab, state):
    tab.filters.snapshot_box.setValue(2)
    tab.settings.epochs_box.setValue(2)
    tab.train_button.click()
    wait_idle(qtbot, tab)
    validated = [row for row in tab.curves.rows if row["val_accuracy"] is not None]
    assert [row["step"] for row in validated] == [11, 22]  # one point per epoch end
    panel = tab.filters
    assert len(panel.history) >= 5 and panel.history[0][0] == 0
    live = conv_layers(tab.current_model())[0].params["weight"].copy()
    panel.view_box.setCurrentIndex(panel.view_box.findData("now"))
    panel.history_slider.setValue(0)  # back to the random start
    start = panel.history[0][1]
    assert np.array_equal(panel.grid.weights(), start[:, 0])
    assert not np.array_equal(start, live)
    assert "step 0" in panel.history_label.text()
    panel.grid.select(4)
    panel.send_button.click()
    assert np.array_equal(state.kernel.weights, start[4, 0].astype(np.float64))
    assert "weights at step 0" in state.kernel.name
    panel.history_slider.setValue(panel.history_slider.maximum())
    panel.view_box.setCurrentIndex(panel.view_box.findData("change"))  # what training added
    assert np.allclose(panel.grid.weights(), live[:, 0] - start[:, 0])
    panel.send_button.click()  # sends what is shown: the change, and says so
    assert np.allclose(state.kernel.weights, live[4, 0] - start[4, 0])
    assert "change of conv1 #5 since the start" in state.kernel.name
    assert "not its weights" in state.kernel.name


def test_a_file_that_is_not_a_model_is_refused_and_the_network_kept(qtbot, tab, tmp_path, messages):
    model = tab.current_model()
    path = tmp_path / "not a model.npz"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    tab.files.loadModel.emit(str(path))
    qtbot.waitUntil(lambda: any(level == "error" for _, level in messages), timeout=5000)
    assert tab.current_model() is model
    assert messages[-1][1] == "error" and "not a model.npz" in messages[-1][0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_loading_a_named_pipe_says_so_and_the_window_goes_on(qtbot, tab, tmp_path, messages):
    fifo = tmp_path / "net.npz"
    os.mkfifo(fifo)
    model = tab.current_model()
    tab.files.loadModel.emit(str(fifo))
    qtbot.waitUntil(lambda: any(level == "error" for _, level in messages), timeout=5000)
    assert "net.npz" in messages[-1][0] and "named pipe" in messages[-1][0]
    assert tab.current_model() is model


def test_a_slow_model_file_is_read_off_the_gui_thread(qtbot, tab, tmp_path, monkeypatch):
    path = tmp_path / "slow.npz"
    tab.current_model().save(path)
    readers: list[threading.Thread] = []
    release = threading.Event()
    real_load = Sequential.load.__func__

    def slow_load(cls, where):
        readers.append(threading.current_thread())
        release.wait(3)  # a slow disk: the window must not wait for it
        return real_load(cls, where)

    monkeypatch.setattr(Sequential, "load", classmethod(slow_load))
    before = tab.current_model()
    started = time.monotonic()
    tab.files.loadModel.emit(str(path))
    assert time.monotonic() - started < 1.0  # the window answers while the file is read
    assert "Loading slow.npz" in tab.status.text()
    release.set()
    qtbot.waitUntil(lambda: tab.current_model() is not before, timeout=5000)
    assert readers and readers[0] is not threading.main_thread()
    assert "Loaded slow.npz" in tab.status.text()


def test_write_back_while_training_runs_asks_to_pause_first(qtbot, tab, state, messages):
    long_run(tab)
    tab.train_button.click()
    qtbot.waitUntil(lambda: tab.steps_done() > 0, timeout=15000)
    state.set_kernel(Kernel(np.ones((5, 5))))
    tab.write_back()
    assert messages[-1][1] == "error" and "pause or stop" in messages[-1][0]
    tab.pause_button.click()
    qtbot.waitUntil(lambda: "paused" in tab.progress.text(), timeout=5000)
    tab.write_back()  # paused: the network holds still, so this works
    first = conv_layers(tab.current_model())[0].params["weight"][0, 0]
    assert np.array_equal(first, np.ones((5, 5)))
    tab.stop_button.click()
    wait_idle(qtbot, tab, timeout=5000)


def test_confusion_matrix_and_mistakes_match_the_networks_predictions(qtbot, tab):
    tab.train_button.click()
    wait_idle(qtbot, tab)
    dataset, model = tab.session.dataset, tab.current_model()
    predicted = model.predict(dataset.val_images)
    matrix = tab.confusion.matrix
    for true_class in range(10):
        for guess in range(10):
            expected = int(np.sum((dataset.val_labels == true_class) & (predicted == guess)))
            assert matrix[true_class, guess] == expected
    wrong = int(np.sum(predicted != dataset.val_labels))
    shown = [tab.mistakes.item(i) for i in range(tab.mistakes.count())]
    if wrong:
        assert len(shown) == min(wrong, 60)
        index = shown[0].data(Qt.ItemDataRole.UserRole)
        assert predicted[index] != dataset.val_labels[index]
    else:
        assert "No mistakes" in shown[0].text()


def test_mlp_versus_cnn_trains_both_on_the_same_data_and_counts_parameters(qtbot, tab):
    tab.experiments.findChild(QWidget, "mlpExperimentButton").click()
    wait_idle(qtbot, tab)
    table = tab.experiments.table
    assert [table.item(row, 0).text() for row in range(2)] == ["CNN", "MLP"]
    # independent counts: conv 8x1x5x5+8, conv 16x8x5x5+16, dense 16*7*7*10+10;
    # MLP: 784*128+128 and 128*10+10
    cnn = (8 * 25 + 8) + (16 * 8 * 25 + 16) + (16 * 7 * 7 * 10 + 10)
    mlp = (784 * 128 + 128) + (128 * 10 + 10)
    assert table.item(0, 1).text() == f"{cnn:,}" and table.item(1, 1).text() == f"{mlp:,}"
    for row in range(2):
        assert table.item(row, 3).text().endswith("%")  # validation accuracy measured
        assert table.item(row, 5).text() == "11 / 11"  # steps (column 4: moved 3 px)


def test_the_start_filters_are_shown_beside_the_current_ones_by_default(qtbot, tab, state):
    panel = tab.filters
    assert panel.view_box.currentData() == "beside"
    assert not panel.start_grid.isVisibleTo(panel)  # nothing to compare before training
    tab.train_button.click()
    wait_idle(qtbot, tab)
    start = panel.history[0][1]
    live = conv_layers(tab.current_model())[0].params["weight"]
    assert panel.start_grid.isVisibleTo(panel) and panel.grid.isVisibleTo(panel)
    assert np.array_equal(panel.start_grid.weights(), start[:, 0])
    assert np.array_equal(panel.grid.weights(), live[:, 0])
    # a click on a start tile: both grids frame filter 3, and the start is what gets sent
    panel.start_grid.resize(300, 200)
    panel.start_grid.grab()
    columns, side, _cell = panel.start_grid._layout()
    point = panel.start_grid._tile_rect(2, columns, side).center()
    qtbot.mouseClick(panel.start_grid, Qt.MouseButton.LeftButton, pos=point)
    assert panel.start_grid.selected == panel.grid.selected == 2
    panel.send_button.click()
    assert np.array_equal(state.kernel.weights, start[2, 0].astype(np.float64))
    assert "at the start" in state.kernel.name
    panel.grid.tileClicked.emit(2)  # the tile now, on the right
    panel.send_button.click()
    assert np.array_equal(state.kernel.weights, live[2, 0].astype(np.float64))
    assert state.kernel.name == "learned conv1 #3"

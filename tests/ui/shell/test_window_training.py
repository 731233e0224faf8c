"""Training in its own process, seen from the window: closing leaves no process behind (within
one second, even when the process hangs and a measurement runs), Cancel in the quit question
leaves training running, a training process that dies is said in the tab and its network
kept, and training again works."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from convlab.cnn.recipe import conv_layers
from convlab.ui.shell.unsaved_network import RECOVERY_NAME
from convlab.ui.training import measuring
from tests.ui.threads.test_training_process import alive


def start_training(window, qtbot, *, steps: int = 1):
    window.training_tab.settings.epochs_box.setValue(100)  # long enough to be caught running
    window.findChild(QPushButton, "trainButton").click()
    qtbot.waitUntil(lambda: window.training_tab.steps_done() >= steps, timeout=30000)
    runner = window.training_tab.session._runner
    assert runner is not None and runner.pid is not None and runner.pid != os.getpid()
    return runner


def test_closing_the_window_leaves_no_training_process(window, qtbot):
    window.worker.open("pattern")
    runner = start_training(window, qtbot)
    pid = runner.pid
    assert alive(pid)
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 1.5
    deadline = time.monotonic() + 2.0
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not alive(pid)
    assert window.training_tab.running_threads() == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_training_process_that_dies_is_said_and_its_network_kept(window, qtbot):
    tab = window.training_tab
    runner = start_training(window, qtbot, steps=3)
    os.kill(runner.pid, signal.SIGKILL)  # the out-of-memory killer, or a crash in a library
    qtbot.waitUntil(lambda: not tab.is_training(), timeout=5000)
    assert "ended unexpectedly" in tab.status.text()
    assert "ended unexpectedly" in window.banner.text()
    model = tab.current_model()
    last = runner.models()[0]
    assert model is last  # the network of the last report is the one shown
    shown = window.findChild(QWidget, "learnedFilters").weights()
    np.testing.assert_allclose(shown, conv_layers(model)[0].params["weight"][:, 0], atol=1e-6)
    assert tab.has_unsaved_model()  # and it can still be saved
    qtbot.waitUntil(lambda: not alive(runner.pid), timeout=3000)
    # training again starts a new process
    again = start_training(window, qtbot)
    assert again.pid != runner.pid


@pytest.mark.skipif(sys.platform == "win32", reason="SIGSTOP")
def test_closing_while_training_hangs_and_a_measurement_runs_takes_under_a_second(
    window, qtbot, monkeypatch
):
    """The worst case: a training process that no longer answers (stopped by the system,
    swapped out) and a slow re-measurement. The window shares one second between them."""
    release = threading.Event()

    def slow_evaluate(*args):
        release.wait(3)  # a large validation set on a busy machine
        raise RuntimeError("abandoned")

    monkeypatch.setattr(measuring, "evaluate", slow_evaluate)
    tab = window.training_tab
    runner = start_training(window, qtbot, steps=2)
    tab.session._remeasure("for the test")
    qtbot.waitUntil(lambda: bool(tab.session._measurer.running()), timeout=3000)
    os.kill(runner.pid, signal.SIGSTOP)  # it will not stop after its batch when asked
    try:
        started = time.perf_counter()
        window.close()
        took = time.perf_counter() - started
    finally:
        release.set()
    assert took < 1.0
    qtbot.waitUntil(lambda: not alive(runner.pid), timeout=2000)  # killed, not left behind
    # the network it had reported is the one kept (saved aside: the window was not shown)
    recovered = window.settings.path.with_name(RECOVERY_NAME)
    assert recovered.is_file()


def test_cancel_in_the_quit_question_leaves_training_running(window, qtbot, monkeypatch):
    asked: list[bool] = []

    def answer(answer_button):
        def question(*_args, **_kwargs):
            asked.append(window.training_tab.is_training())
            return answer_button

        return question

    window.show()
    start_training(window, qtbot)
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    assert not window.close()
    assert asked == [True]  # asked while training ran
    assert window.isVisible() and window.training_tab.is_training()  # and it still does
    steps = window.training_tab.steps_done()
    qtbot.waitUntil(lambda: window.training_tab.steps_done() > steps, timeout=10000)
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Discard))
    assert window.close()
    assert asked == [True, True] and not window.training_tab.is_training()

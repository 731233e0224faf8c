"""The training thread: a pause between two batches is reported, and the thread runs below the
GUI's priority so the live view keeps its frame rate."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from convlab.cnn import Adam, build_cnn
from convlab.cnn.data import synthetic_digits
from convlab.cnn.dataset import Dataset
from convlab.cnn.plan import RunSpec, TrainingSettings
from convlab.cnn.progress import TrainingProgress
from convlab.ui.threads.training_thread import GIL_SWITCH_S, TRAINING_NICE, TrainingThread


def small_dataset() -> Dataset:
    images, labels = synthetic_digits(64, seed=1)
    return Dataset("digits", images[:48], labels[:48], images[48:], labels[48:], list("0123456789"))


def build_runs(dataset: Dataset) -> list[RunSpec]:
    model = build_cnn(
        conv_layers=1, filters=(4,), kernel_size=3, pool=True, input_shape=(1, 28, 28),
        num_classes=10, seed=0,
    )  # fmt: skip
    return [RunSpec("CNN", model, lambda m: Adam(m, lr=0.01))]


def test_a_pause_before_the_first_batch_is_reported_as_paused(qtbot):
    loading = threading.Event()

    def load(cancel) -> Dataset:
        loading.wait(5)
        return small_dataset()

    thread = TrainingThread(load, build_runs, TrainingSettings(epochs=50, batch_size=8))
    reports: list[TrainingProgress] = []
    thread.progress.connect(lambda _thread, runs: reports.append(runs[0]))
    thread.start()
    thread.pause()  # lands while the data loads: no batch ever runs before the loop parks
    loading.set()
    try:
        qtbot.waitUntil(lambda: any(report.paused for report in reports), timeout=5000)
        assert all(report.step == 0 for report in reports)  # parked before any batch
        thread.step()
        qtbot.waitUntil(lambda: reports[-1].step == 1, timeout=5000)
        assert reports[-1].paused
    finally:
        assert thread.join(2000)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_training_thread_runs_niced_with_short_gil_turns(qtbot):
    seen: list[int] = []
    switch: list[float] = []
    before = sys.getswitchinterval()

    def load(cancel) -> Dataset:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        switch.append(sys.getswitchinterval())
        return small_dataset()

    thread = TrainingThread(load, build_runs, TrainingSettings(epochs=1, batch_size=8))
    thread.start()
    assert thread.wait(10000)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen == [min(19, own + TRAINING_NICE)]  # TRAINING_NICE steps below the GUI
    assert own == os.getpriority(os.PRIO_PROCESS, threading.get_native_id())  # GUI unchanged
    # short GIL turns while training runs, Python's own setting back afterwards
    assert switch == [GIL_SWITCH_S] and sys.getswitchinterval() == before

"""Training in its own process: pause, step, stop and edited weights go over; a process that
dies is said and its last weights kept; nothing is left running."""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np
import pytest

from convlab.cnn.dataset import DataSpec
from convlab.cnn.plan import TrainingPlan, TrainingSettings
from convlab.cnn.progress import TrainingProgress
from convlab.ui.threads.training_process import TrainingProcess


def plan(epochs: int = 50, count: int = 200) -> TrainingPlan:
    return TrainingPlan(
        data=DataSpec(kind="digits", count=count),
        settings=TrainingSettings(epochs=epochs, batch_size=16),
    )


class Recorder:
    """Everything a runner says, in order."""

    def __init__(self, runner: TrainingProcess) -> None:
        self.reports: list[TrainingProgress] = []
        self.failures: list[str] = []
        self.outcome: str | None = None
        self.prepared = False
        runner.prepared.connect(lambda *_: setattr(self, "prepared", True))
        runner.progress.connect(lambda _runner, reports: self.reports.append(reports[0]))
        runner.failed.connect(lambda _runner, message: self.failures.append(message))
        runner.completed.connect(lambda _runner, outcome: setattr(self, "outcome", outcome))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (ended, not reaped) does not count as running
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


@pytest.fixture
def runner():
    made: list[TrainingProcess] = []

    def make(training_plan: TrainingPlan, **options) -> TrainingProcess:
        made.append(TrainingProcess(training_plan, **options))
        return made[-1]

    yield make
    for process in made:
        process.stop()
        if not process.wait(3000):
            process.kill()
        assert not process.isRunning()


def test_a_pause_before_the_first_batch_then_one_step(qtbot, runner):
    process = runner(plan())
    seen = Recorder(process)
    process.start()
    process.pause()  # lands while the process starts: no batch runs before it parks
    qtbot.waitUntil(lambda: any(report.paused for report in seen.reports), timeout=20000)
    assert all(report.step == 0 for report in seen.reports)
    assert process.is_paused and seen.prepared
    process.step()
    qtbot.waitUntil(lambda: seen.reports[-1].step == 1, timeout=5000)
    assert seen.reports[-1].paused
    process.resume()
    qtbot.waitUntil(lambda: seen.reports[-1].step > 3, timeout=5000)


def test_it_trains_in_another_process_started_fresh(qtbot, runner):
    process = runner(plan(epochs=1))
    seen = Recorder(process)
    process.start()
    qtbot.waitUntil(lambda: seen.outcome is not None, timeout=30000)
    assert seen.outcome == "done" and seen.failures == []
    assert process.pid not in (None, os.getpid())
    assert type(process._process._popen).__module__.endswith("popen_spawn_posix") or (
        sys.platform == "win32"
    )  # spawned: a fresh interpreter, never a fork of this one with its Qt threads
    final = seen.reports[-1]
    assert final.done and final.step == 11  # ceil(170 / 16)
    for layer, state in zip(process.models()[0].layers, final.state):
        for key, value in state.items():
            np.testing.assert_array_equal(layer.params[key], value)  # the last weights
    assert process.wait(3000) and not alive(process.pid)


def test_stop_ends_the_process_after_the_current_batch(qtbot, runner):
    process = runner(plan())
    seen = Recorder(process)
    process.start()
    qtbot.waitUntil(lambda: len(seen.reports) >= 3, timeout=30000)
    asked = time.perf_counter()
    process.stop()
    qtbot.waitUntil(lambda: seen.outcome is not None, timeout=3000)
    # a batch takes milliseconds; on a quiet machine this is well under 0.5 s (the figure is
    # measured by ``python -m convlab.bench training``), a busy one may take longer
    assert time.perf_counter() - asked < 1.5
    assert seen.outcome == "stopped" and seen.failures == []
    assert seen.reports[-1].step < 100 * 11  # it did not run on to the end
    assert process.wait(1000) and not alive(process.pid)


def test_stopped_while_starting_it_ends_at_once(qtbot, runner):
    process = runner(plan())
    seen = Recorder(process)
    process.start()
    process.stop()
    qtbot.waitUntil(lambda: seen.outcome is not None, timeout=5000)
    assert seen.outcome == "stopped" and seen.failures == [] and not seen.prepared
    assert process.wait(1000)


def test_weights_written_while_paused_are_trained_on(qtbot, runner):
    process = runner(plan())
    seen = Recorder(process)
    process.start(), process.pause()
    qtbot.waitUntil(lambda: any(report.paused for report in seen.reports), timeout=20000)
    # the first convolution's filters
    process.edit(0, lambda model: model.layers[0].params["weight"].fill(0.0))
    process.step()
    qtbot.waitUntil(lambda: seen.reports[-1].step == 1, timeout=5000)
    first_filters = seen.reports[-1].state[0]["weight"]
    assert np.abs(first_filters).max() < 0.05  # one small step from zero, not the old filters


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_process_that_dies_is_said_and_its_last_weights_kept(qtbot, runner):
    process = runner(plan())
    seen = Recorder(process)
    process.start()
    qtbot.waitUntil(lambda: len(seen.reports) >= 3, timeout=30000)
    os.kill(process.pid, signal.SIGKILL)  # as the out-of-memory killer would
    qtbot.waitUntil(lambda: seen.outcome is not None, timeout=5000)
    assert seen.outcome == "failed"
    assert len(seen.failures) == 1 and "ended unexpectedly" in seen.failures[0]
    assert "signal 9" in seen.failures[0]
    last = seen.reports[-1]
    for layer, state in zip(process.models()[0].layers, last.state):
        for key, value in state.items():
            np.testing.assert_array_equal(layer.params[key], value)
    assert process.wait(1000) and not alive(process.pid)


def test_the_process_runs_below_the_windows_priority(qtbot, runner):
    if not hasattr(os, "getpriority"):
        pytest.skip("no nice values here")
    process = runner(plan())
    seen = Recorder(process)
    process.start()
    qtbot.waitUntil(lambda: len(seen.reports) >= 1, timeout=30000)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, process.pid) == min(own + 5, 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == own  # the window keeps its own


@pytest.mark.parametrize(
    "main_module",
    [
        "import runpy; runpy.run_path('main.py', run_name='__mp_main__')",  # python main.py
        "import convlab.__main__",  # the convlab command's script imports its entry point
    ],
)
def test_a_training_process_does_not_load_the_window(main_module):
    """A spawned process imports the program's main module first; the window (Qt) must not
    come with it: it would cost the training process seconds and a lot of memory."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    check = f"{main_module}; import sys; print('PySide6' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

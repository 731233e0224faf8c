"""The training session against its runner boundary: whatever trains only has to start, pause,
step and stop, and report ``TrainingProgress``; the session keeps the GUI's copy of the network
in step, ignores a replaced run, keeps the network a stopped run leaves, and makes write-backs
undoable."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal

from convlab.cnn.data import synthetic_digits
from convlab.cnn.dataset import Dataset
from convlab.cnn.filter_history import FilterHistory
from convlab.cnn.plan import TrainingPlan
from convlab.cnn.progress import TrainingProgress
from convlab.cnn.recipe import ModelRecipe, conv_layers
from convlab.engine.kernels import Kernel
from convlab.errors import TrainingError
from convlab.ui.threads.training_process import TrainingProcess
from convlab.ui.training import measuring
from convlab.ui.training.session import TrainingSession

RECIPE = ModelRecipe(conv_layers=1, filters=(4,), kernel_size=3)


class ScriptedRunner(QObject):
    """A runner the test drives by hand: it trains nothing, it reports what it is told."""

    prepared = Signal(object, object, object, object)
    progress = Signal(object, object)
    failed = Signal(object, str)
    completed = Signal(object, str)

    def __init__(self, plan: TrainingPlan, start_paused: bool) -> None:
        super().__init__()
        self.plan = plan
        self.is_paused = start_paused
        self.calls: list[str] = []
        self.running = False
        self._models = []
        self.snapshots: tuple = ()

    def start(self) -> None:
        self.running = True
        self.calls.append("start")

    def pause(self) -> None:
        self.is_paused = True
        self.calls.append("pause")

    def resume(self) -> None:
        self.is_paused = False
        self.calls.append("resume")

    def step(self) -> None:
        self.calls.append("step")

    def stop(self) -> None:
        self.calls.append("stop")

    def edit(self, index: int, change) -> None:
        """Weights written into a filter while paused: what training goes on from."""
        self.calls.append("edit")
        change(self.models()[index])
        self.sent_state = (index, self.models()[index].state())

    def weights(self, index: int = 0):
        return self.models()[index].state()

    def snapshot(self, index: int = 0):
        return self.models()[index].copy()

    def kill(self, timeout_ms: int = 1000) -> None:
        self.calls.append("kill")
        self.running = False

    def wait(self, timeout_ms: int) -> bool:
        return not self.running

    def isRunning(self) -> bool:
        return self.running

    def models(self) -> list:
        return [run.model for run in self._models]

    # ---- the script
    def load(self, dataset: Dataset) -> None:
        self._models = self.plan.build_runs(dataset)
        names = [run.name for run in self._models]
        self.prepared.emit(self, dataset, names, [copy.deepcopy(m) for m in self.models()])

    def report(self, step: int) -> None:
        model = self.models()[0]
        self.progress.emit(
            self,
            [
                TrainingProgress(
                    name="CNN", epoch=1, epochs=1, step=step, total_steps=10, loss=1.0,
                    accuracy=0.5, val_accuracy=None, images_per_s=100.0, eta_s=1.0,
                    elapsed_s=1.0, paused=self.is_paused, done=False, fresh_batches=1,
                    parameters=model.num_parameters, state=tuple(model.state()),
                    snapshots=self.snapshots,
                )
            ],
        )  # fmt: skip

    def finish(self, outcome: str) -> None:
        self.running = False
        self.completed.emit(self, outcome)


def small_dataset() -> Dataset:
    images, labels = synthetic_digits(60, seed=7)
    return Dataset("digits", images[:40], labels[:40], images[40:], labels[40:], list("0123456789"))


@pytest.fixture
def session(qtbot):
    runners: list[ScriptedRunner] = []

    def make_runner(plan: TrainingPlan, start_paused: bool) -> ScriptedRunner:
        runners.append(ScriptedRunner(plan, start_paused))
        return runners[-1]

    made = TrainingSession(lambda: RECIPE.build((1, 28, 28), 10), make_runner)
    made.runners = runners
    made.show_fresh_network()
    yield made
    made.shutdown()
    assert made.running() == []


def test_progress_keeps_the_guis_copy_in_step_and_stop_keeps_the_network(qtbot, session):
    shown: list[list[TrainingProgress]] = []
    session.progressed.connect(shown.append)
    session.start(TrainingPlan(recipe=RECIPE))
    runner = session.runners[0]
    assert runner.calls == ["start"] and session.is_training()
    runner.load(small_dataset())
    trained = runner.models()[0]
    assert session._model is trained and session.view_model is not trained
    # while the runner updates it, callers get a copy as of the last report
    assert session.current_model() is not trained
    trained.layers[0].params["weight"] += 1.0  # what a batch would do, on the runner's side
    runner.report(step=3)
    view_weights = conv_layers(session.view_model)[0].params["weight"]
    assert np.array_equal(view_weights, trained.layers[0].params["weight"])
    assert session.steps_done() == 3 and shown[-1][0].step == 3
    assert session.has_unsaved_model()

    session.pause()
    assert runner.calls[-1] == "pause" and session.is_paused()
    session.stop()
    assert runner.calls[-1] == "stop" and not session.is_training()
    runner.report(step=4)  # the stopped run's last report still counts: its network is shown
    assert session.steps_done() == 4
    ended: list[str] = []
    session.ended.connect(ended.append)
    runner.finish("stopped")
    assert ended == ["stopped"]
    assert session.view_model is session.current_model() is trained  # its runner has ended
    assert session.has_unsaved_model()
    qtbot.waitUntil(lambda: session.running() == [], timeout=5000)  # re-measured after Stop


def test_a_replaced_run_is_ignored(qtbot, session):
    session.start(TrainingPlan(recipe=RECIPE))
    first = session.runners[0]
    first.load(small_dataset())
    session.start(TrainingPlan(recipe=RECIPE))
    second = session.runners[1]
    assert first.calls == ["start", "stop"] and second.calls == ["start"]
    shown: list = []
    session.progressed.connect(shown.append)
    first.report(step=7)  # the old run, stopped when the new one started
    assert shown == [] and session.steps_done() == 0
    second.load(small_dataset())
    second.report(step=1)
    assert len(shown) == 1 and session._model is second.models()[0]
    first.finish("stopped")
    second.finish("done")
    assert session.current_model() is second.models()[0] and not session.is_training()


def test_write_back_is_refused_while_running_and_undone_through_the_undo_stack(qtbot, session):
    session.start(TrainingPlan(recipe=RECIPE))
    runner = session.runners[0]
    runner.load(small_dataset())
    kernel = Kernel(np.arange(9, dtype=np.float64).reshape(3, 3), name="mine")
    with pytest.raises(TrainingError, match="pause or stop"):
        session.write_back(kernel, 0, 1, 0, "conv1 #2")
    runner.pause()
    weights = conv_layers(runner.models()[0])[0].params["weight"]
    before = weights.copy()
    texts: list[str] = []
    session.remeasured.connect(texts.append)
    session.write_back(kernel, 0, 1, 0, "conv1 #2")
    assert np.array_equal(weights[1, 0], kernel.effective)
    view = conv_layers(session.view_model)[0].params["weight"]
    assert np.array_equal(view[1, 0], kernel.effective)  # the GUI's copy too
    index, sent = runner.sent_state  # and training goes on from the written weights
    assert index == 0 and np.array_equal(sent[0]["weight"][1, 0], kernel.effective)
    assert session.undo_stack.canUndo() and session.unsaved
    qtbot.waitUntil(lambda: bool(texts), timeout=5000)
    assert texts[-1].startswith("Validation accuracy after writing mine into conv1 #2")
    session.undo_stack.undo()
    assert np.array_equal(weights, before) and not session.undo_stack.canUndo()
    qtbot.waitUntil(lambda: "undoing" in texts[-1], timeout=5000)
    with pytest.raises(TrainingError, match="3×3"):
        session.write_back(Kernel(np.ones((5, 5))), 0, 1, 0, "conv1 #2")
    runner.finish("stopped")


# ----------------------------------------------------------------------------- write-back race
class IdleProcess(TrainingProcess):
    """The real runner with no process behind it: the test plays the report thread."""

    def start(self) -> None:
        self.sent: list[tuple] = []

    def _send(self, *command: object) -> None:
        self.sent.append(command)

    def isRunning(self) -> bool:
        return True


class LockLettingOneReportIn:
    """The runner's lock, which lets one report be handled just before it is next taken: the
    moment the report thread can win the race against an edit made in the window."""

    def __init__(self, report_first) -> None:
        self._lock = threading.Lock()
        self._report_first = report_first

    def __enter__(self):
        report, self._report_first = self._report_first, None
        if report is not None:
            report()
        self._lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()


def progress_of(model, step: int) -> TrainingProgress:
    return TrainingProgress(
        name="CNN", epoch=1, epochs=1, step=step, total_steps=10, loss=1.0, accuracy=0.5,
        val_accuracy=None, images_per_s=1.0, eta_s=1.0, elapsed_s=1.0, paused=True,
        done=False, fresh_batches=1, parameters=model.num_parameters, state=tuple(model.state()),
    )  # fmt: skip


def test_a_report_received_while_a_filter_is_written_never_undoes_the_edit(qtbot):
    runners: list[IdleProcess] = []

    def make_runner(plan, start_paused):
        runners.append(IdleProcess(plan, start_paused=start_paused))
        return runners[-1]

    session = TrainingSession(lambda: RECIPE.build((1, 28, 28), 10), make_runner)
    session.start(TrainingPlan(recipe=RECIPE))
    runner = runners[0]
    dataset = small_dataset()
    models = [run.model for run in runner.plan.build_runs(dataset)]
    runner._handle(("prepared", dataset, ["CNN"], models))
    session.pause()
    trained = runner.models()[0]
    stale = progress_of(trained, step=5)  # made by the process before it had the edit
    runner._lock = LockLettingOneReportIn(lambda: runner._handle(("progress", [stale], 0)))
    kernel = Kernel(np.full((3, 3), 7.0), name="sevens")

    session.write_back(kernel, 0, 1, 0, "conv1 #2")

    assert np.array_equal(conv_layers(trained)[0].params["weight"][1, 0], kernel.effective)
    state_commands = [command for command in runner.sent if command[0] == "state"]
    assert len(state_commands) == 1  # what training goes on from carries the edit
    assert np.array_equal(state_commands[0][2][0]["weight"][1, 0], kernel.effective)
    view = conv_layers(session.view_model)[0].params["weight"]
    assert np.array_equal(view[1, 0], kernel.effective)
    # a report the process made before taking the edit arrives later: the edit stands
    runner._handle(("progress", [progress_of(models[0].copy(), step=6)], 0))
    assert np.array_equal(conv_layers(trained)[0].params["weight"][1, 0], kernel.effective)
    assert np.array_equal(view[1, 0], kernel.effective)
    assert np.array_equal(
        conv_layers(session.current_model())[0].params["weight"][1, 0], kernel.effective
    )
    session._retiring.clear()  # nothing runs: there is no process to stop
    session._runner = None
    session.shutdown()


# ----------------------------------------------------------------------------- re-measuring
def test_quick_write_backs_measure_once_at_a_time_and_only_the_newest_lands(
    qtbot, session, monkeypatch
):
    gate = threading.Event()
    running, most, measured = [0], [0], []
    real_evaluate = measuring.evaluate

    def slow_evaluate(model, images, labels):
        running[0] += 1
        most[0] = max(most[0], running[0])
        gate.wait(5)
        running[0] -= 1
        measured.append(float(conv_layers(model)[0].params["weight"][1, 0, 0, 0]))
        return real_evaluate(model, images, labels)

    monkeypatch.setattr(measuring, "evaluate", slow_evaluate)
    texts: list[str] = []
    session.remeasured.connect(texts.append)
    session.start(TrainingPlan(recipe=RECIPE))
    runner = session.runners[0]
    runner.load(small_dataset())
    runner.pause()
    for value in range(1, 6):
        session.write_back(Kernel(np.full((3, 3), float(value)), name=f"k{value}"), 0, 1, 0, "c")
    qtbot.wait(100)
    gate.set()
    qtbot.waitUntil(lambda: bool(texts), timeout=5000)
    qtbot.wait(200)  # time for a third measurement or a second message, were there one
    assert most[0] == 1  # never two at once
    assert measured == [1.0, 5.0]  # the first, then only the newest: not five measurements
    assert len(texts) == 1 and "after writing k5" in texts[0]  # the stale result was dropped
    runner.finish("stopped")


# ----------------------------------------------------------------------------- filter history
def test_the_filter_history_is_the_sessions_and_thins_out_keeping_start_and_newest(qtbot, session):
    session.start(TrainingPlan(recipe=RECIPE))
    runner = session.runners[0]
    runner.load(small_dataset())
    weights = conv_layers(runner.models()[0])[0].params["weight"]
    for step in range(0, 5):
        runner.snapshots = ((step, weights + step),)
        runner.report(step=step)
    assert [step for step, _ in session.filter_history] == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(session.filter_history.start(), weights)
    session.start(TrainingPlan(recipe=RECIPE))  # a new run starts a new history
    assert len(session.filter_history) == 0
    session.runners[1].finish("stopped")
    runner.finish("stopped")

    history = FilterHistory(limit=10)
    for step in range(0, 100, 5):
        history.add([(step, np.zeros((1, 1, 3, 3)))])
        assert len(history) <= 10
    assert history[0][0] == 0 and history[len(history) - 1][0] == 95

"""A spare training process, made while the Train tab is on screen: Train hands it the plan
(it trains exactly as a fresh process would), one busy making other data is ended instead,
and closing the window leaves no process behind."""

from __future__ import annotations

import pytest

from convlab.cnn.dataset import DataSpec
from convlab.cnn.plan import TrainingPlan, TrainingSettings
from convlab.ui.threads import spare_process
from convlab.ui.threads.training_process import TrainingProcess
from tests.ui.threads.test_training_process import Recorder, alive


@pytest.fixture
def spares(monkeypatch):
    monkeypatch.setattr(spare_process, "ENABLED", True)
    yield spare_process
    spare_process.discard()


def plan(count: int) -> TrainingPlan:
    return TrainingPlan(
        data=DataSpec(kind="digits", count=count),
        settings=TrainingSettings(epochs=1, batch_size=16),
    )


def ready_spare(qtbot) -> spare_process.Spare:
    def ready() -> bool:
        spare = spare_process.current()
        return spare is not None and spare.ready()

    qtbot.waitUntil(ready, timeout=60000)
    spare = spare_process.current()
    assert spare is not None
    return spare


def train(qtbot, training_plan: TrainingPlan) -> tuple[TrainingProcess, Recorder]:
    process = TrainingProcess(training_plan)
    seen = Recorder(process)
    process.start()
    qtbot.waitUntil(lambda: seen.outcome is not None, timeout=60000)
    assert process.wait(3000)
    return process, seen


def test_train_hands_its_plan_to_the_spare_made_for_its_data(qtbot, spares):
    spare_process.keep(DataSpec(kind="digits", count=200))
    spare = ready_spare(qtbot)
    process, seen = train(qtbot, plan(200))
    assert process.pid == spare.process.pid  # the spare trained it
    assert spare_process.current() is None  # taken: nobody's spare any more
    assert seen.outcome == "done" and seen.failures == [] and seen.prepared
    assert seen.reports[-1].done and seen.reports[-1].step == 11  # ceil(170 / 16), as fresh
    assert not alive(process.pid)


def test_a_ready_spare_made_for_other_data_still_serves(qtbot, spares):
    spare_process.keep(DataSpec(kind="shapes", count=100))
    spare = ready_spare(qtbot)
    process, seen = train(qtbot, plan(200))
    assert process.pid == spare.process.pid
    assert seen.outcome == "done" and seen.reports[-1].step == 11  # the plan's data, not its


def test_a_spare_still_making_other_data_is_ended_and_a_fresh_process_trains(qtbot, spares):
    spare_process.keep(DataSpec(kind="digits", count=60000))  # a minute of making digits
    qtbot.waitUntil(lambda: spare_process.current() is not None, timeout=30000)
    spare = spare_process.current()
    assert spare is not None and not spare.ready()
    process, seen = train(qtbot, plan(200))
    assert process.pid != spare.process.pid
    assert seen.outcome == "done" and seen.reports[-1].step == 11
    assert not alive(spare.process.pid)


def test_a_newer_wish_replaces_the_spare_and_discard_ends_it(qtbot, spares):
    spare_process.keep(DataSpec(kind="digits", count=100))
    qtbot.waitUntil(lambda: spare_process.current() is not None, timeout=30000)
    first = spare_process.current()
    spare_process.keep(DataSpec(kind="digits", count=100))  # the same wish: kept as it is
    assert spare_process.current() is first
    spare_process.keep(DataSpec(kind="digits", count=300))
    qtbot.waitUntil(lambda: spare_process.current() not in (None, first), timeout=30000)
    assert not alive(first.process.pid)
    second = spare_process.current()
    spare_process.discard()
    assert spare_process.current() is None and not alive(second.process.pid)


def show_train_tab(window) -> None:
    window.show()
    tabs = window.tabs
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.tabText(i) == "Train"))
    assert window.training_tab.isVisible()


def test_the_train_tab_keeps_a_spare_for_its_data_and_closing_ends_it(qtbot, spares, window):
    tab = window.training_tab
    show_train_tab(window)
    qtbot.waitUntil(lambda: spare_process.current() is not None, timeout=30000)
    spare = spare_process.current()
    assert spare.data == tab._plan(experiment=None).data  # what Train would ask for
    tab.data.count_box.setValue(tab.data.count_box.value() + 100)  # another choice: replaced
    qtbot.waitUntil(lambda: spare_process.current() not in (None, spare), timeout=30000)
    assert not alive(spare.process.pid)
    newer = spare_process.current()
    window.close()
    assert spare_process.current() is None and not alive(newer.process.pid)


def test_a_glance_at_the_train_tab_makes_no_spare(qtbot, spares, window):
    show_train_tab(window)
    qtbot.wait(300)
    window.tabs.setCurrentIndex(0)
    qtbot.wait(1500)
    assert spare_process.current() is None

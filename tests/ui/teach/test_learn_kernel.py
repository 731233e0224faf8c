"""The Kernel lab's kernel that learns itself, driven as a person would: pick, Learn, watch."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool

from convlab.engine import presets
from convlab.engine.assets import resource_path
from convlab.engine.kernels import Kernel, gaussian_kernel
from convlab.engine.sources import load_image
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.kernel_lab import KernelLabPanel
from convlab.ui.teach.learn_kernel import LearnKernelTab


@pytest.fixture
def state() -> PlaygroundState:
    state = PlaygroundState()
    photo = load_image(resource_path("images", "chelsea.jpg"))
    state.publish_result(state.pipeline.run(photo))
    return state


@pytest.fixture
def tab(qtbot, state) -> LearnKernelTab:
    widget = LearnKernelTab(state)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.shutdown()
    qtbot.waitUntil(lambda: widget.learn_button.isEnabled(), timeout=2000)


def choose(box, key) -> None:
    box.setCurrentIndex(box.findData(key))


def learn(qtbot, tab, timeout=20_000) -> None:
    tab.learn_button.click()
    qtbot.waitUntil(lambda: tab.last is not None and tab.last.done, timeout=timeout)
    qtbot.waitUntil(lambda: tab.learn_button.isEnabled(), timeout=2000)


@pytest.mark.parametrize(
    ("key", "hidden"),
    [("sobel_x", presets.get("sobel_x").effective), ("gaussian", gaussian_kernel(2, 1).effective)],
)
def test_the_grid_reaches_the_hidden_kernel_while_the_loss_falls(qtbot, tab, key, hidden):
    choose(tab.target_box, key)
    assert not tab.hidden_grid.isVisible()  # hidden while it learns
    learn(qtbot, tab)
    np.testing.assert_allclose(tab.learned_grid.values, hidden, atol=1e-3)
    assert tab.last.error < 1e-3
    steps, losses = tab.loss_curve.xData, tab.loss_curve.yData  # as given, not log10
    assert len(steps) > 20 and losses[-1] < 1e-6 * losses[0]
    assert "Found it" in tab.status.text()
    assert tab.hidden_grid.isVisible()  # revealed at the end
    np.testing.assert_allclose(tab.hidden_grid.values, hidden)
    target, learned = tab.pictures.image_data(0), tab.pictures.image_data(1)
    assert target.shape == learned.shape and np.abs(target.astype(int) - learned).max() <= 1


def test_noise_on_the_target_still_converges_after_more_looks(qtbot, tab):
    choose(tab.target_box, "sobel_y")
    tab.noise_slider.setValue(4.0)
    learn(qtbot, tab, timeout=40_000)
    assert tab.last.error < 1e-3
    assert tab.last.rounds > 1  # fresh noise each look: more looks than the clean case's one
    losses = tab.loss_curve.yData
    scale = float(tab.last.image.max()) ** 2  # the loss is measured on the image scaled to 1
    assert losses[-1] * scale == pytest.approx(4.0**2, rel=0.2)  # it ends at the noise level


def test_the_editors_kernel_is_learned_and_sent_back(qtbot, tab, state):
    typed = np.array([[0.0, 1.0, 0.0], [2.0, -3.0, 0.5], [0.0, 1.0, -1.0]])
    state.set_kernel(Kernel(typed, divisor=2.0, name="mine"))
    choose(tab.target_box, "editor")
    choose(tab.start_box, "random")
    learn(qtbot, tab)
    np.testing.assert_allclose(tab.last.weights, typed / 2.0, atol=1e-3)
    tab.send_button.click()
    np.testing.assert_allclose(state.kernel.weights, tab.last.weights)
    assert state.kernel.name == "learned (The kernel in the editor, found)"
    np.testing.assert_array_equal(state.kernel.weights, tab.learned_grid.values)  # as shown


def test_a_kernel_too_big_to_learn_is_explained(qtbot, tab, state):
    messages = []
    state.message.connect(lambda text, _level: messages.append(text))
    state.set_kernel(Kernel(np.ones((9, 9))))
    choose(tab.target_box, "editor")
    tab.learn_button.click()
    assert tab.job is None and tab.learn_button.isEnabled()
    assert "up to 7×7" in tab.status.text() and messages


def test_stop_and_a_new_target_end_the_running_lesson(qtbot, tab):
    choose(tab.start_box, "random")
    tab.learn_button.click()
    qtbot.waitUntil(lambda: tab.last is not None and tab.last.step > 0, timeout=5000)
    first = tab.job
    choose(tab.target_box, "laplacian")  # restarts with the new target
    assert tab.job is not first and tab.running
    tab.stop_button.click()
    qtbot.waitUntil(lambda: tab.learn_button.isEnabled(), timeout=2000)
    assert not tab.stop_button.isEnabled()


def test_the_lab_has_the_learner_tab_and_stops_it_on_shutdown(qtbot, state):
    lab = KernelLabPanel(state)
    qtbot.addWidget(lab)
    lab.show()
    titles = [lab.tabs.tabText(index) for index in range(lab.tabs.count())]
    assert "Kernel that learns itself" in titles
    lab.tabs.setCurrentWidget(lab.learner)
    lab.learner.learn_button.click()
    qtbot.waitUntil(lambda: lab.learner.last is not None, timeout=5000)
    lab.shutdown()
    qtbot.waitUntil(lambda: lab.learner.learn_button.isEnabled(), timeout=1000)


def test_a_flat_picture_ends_the_lesson_and_says_it_was_not_found(qtbot, tab, state, monkeypatch):
    from convlab.ui.teach import learn_kernel

    short = functools.partial(learn_kernel.learn_hidden_kernel, step_budget=400)
    monkeypatch.setattr(learn_kernel, "learn_hidden_kernel", short)
    state.publish_result(state.pipeline.run(np.full((90, 120, 3), 128, np.uint8)))
    learn(qtbot, tab)
    assert tab.last.done and not tab.last.found
    text = tab.status.text()
    assert "Stopped after" in text and "Found it" not in text and "too flat" in text
    assert len(tab.loss_curve.xData) == len(tab.lesson.curve)


def test_the_lesson_has_a_thread_of_its_own_and_leaves_the_shared_pool_free(qtbot, tab):
    shared = QThreadPool.globalInstance()
    before = shared.activeThreadCount()
    tab.learn_button.click()
    qtbot.waitUntil(lambda: tab.last is not None and tab.last.step > 0, timeout=5000)
    assert tab.pool.activeThreadCount() == 1
    assert shared.activeThreadCount() == before  # saves and exports do not wait behind it
    tab.shutdown()  # stops it at its next report, well within the wait
    assert tab.pool.activeThreadCount() == 0

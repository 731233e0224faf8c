"""Shared fixtures for the window tests.

``_no_threads_left`` (autouse, napari-style) fails any test that leaves a QThread running or
a thread-pool job unfinished: a thread that outlives its window is how "QThread: Destroyed
while thread is still running" crashes and cameras left open start. Every UI test also gets
its own settings file, so tests never read or write a person's real settings.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QThread, QThreadPool

from convlab.ui.threads import background_jobs


@pytest.fixture(autouse=True)
def _no_threads_left(monkeypatch, request):
    started: list[weakref.ref] = []
    original_start = QThread.start

    def tracking_start(self, *args, **kwargs):
        started.append(weakref.ref(self))
        return original_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", tracking_start)
    yield
    # Give threads that were asked to stop a moment to finish (the window allows 1 s).
    running = []
    for ref in started:
        thread = ref()
        try:
            if thread is not None and thread.isRunning() and not thread.wait(1500):
                running.append(thread)
        except RuntimeError:  # the C++ object is gone, so the thread is too
            continue
    pool_idle = QThreadPool.globalInstance().waitForDone(3000) and background_jobs.idle(3000)
    if running:
        names = ", ".join(f"{type(t).__name__}({t.objectName()!r})" for t in running)
        pytest.fail(f"{request.node.name} left QThreads running: {names}")
    if not pool_idle:
        pytest.fail(f"{request.node.name} left thread-pool jobs running")


@pytest.fixture(autouse=True)
def _no_spare_training_process(monkeypatch):
    """A spare training process (made while the Train tab is on screen) would cost each test
    that shows the tab a process; ``tests/ui/threads/test_spare_process.py`` tests it."""
    from convlab.ui.threads import spare_process

    monkeypatch.setattr(spare_process, "ENABLED", False)


@pytest.fixture(autouse=True)
def _no_modal_questions(monkeypatch):
    """A modal question would wait for a person forever: a test that raises one fails instead
    (tests that mean to answer one patch ``QMessageBox.question`` themselves)."""
    from PySide6.QtWidgets import QMessageBox

    def unanswerable(_parent, title, text, *args, **kwargs):
        raise AssertionError(f"a modal question was asked: {title}: {text}")

    monkeypatch.setattr(QMessageBox, "question", unanswerable)


@pytest.fixture(autouse=True)
def _fresh_dialog_folders():
    """Each test's file dialogs start from the defaults, not where another test saved."""
    from convlab.ui import file_dialogs

    file_dialogs.forget_all()


@pytest.fixture(autouse=True)
def _private_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVLAB_SETTINGS", str(tmp_path / "convlab-settings.ini"))


def make_scene(height: int = 96, width: int = 128, seed: int = 0) -> np.ndarray:
    """A small RGB picture with edges, a gradient and noise: every kernel changes it."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = (cols * 255 // max(width - 1, 1)).astype(np.uint8)
    image[..., 1] = (rows * 255 // max(height - 1, 1)).astype(np.uint8)
    image[..., 2] = rng.integers(0, 256, (height, width), dtype=np.uint8)
    cv2.rectangle(image, (width // 4, height // 4), (width // 2, height // 2), (255, 255, 255), -1)
    return image


@pytest.fixture
def scene_path(tmp_path) -> Path:
    path = tmp_path / "scene.png"
    cv2.imwrite(str(path), cv2.cvtColor(make_scene(), cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def messages(state):
    """Every (text, level) the ``state`` fixture of the test module reported."""
    received: list[tuple[str, str]] = []
    state.message.connect(lambda text, level: received.append((text, level)))
    return received


def wait_for_result(qtbot, window, *, generation: int | None = None, timeout: int = 5000):
    """Wait until the window has displayed a result of at least ``generation``."""
    wanted = window.state.pipeline.generation if generation is None else generation

    def shown() -> None:
        result = window.last_result
        assert result is not None and result.generation >= wanted

    qtbot.waitUntil(shown, timeout=timeout)
    return window.last_result


# What a 1366x768 screen leaves the window (less a title bar and a desktop panel)
LAPTOP = (1326, 708)


@pytest.fixture
def laptop(qtbot, scene_path):
    """The real window at a laptop screen's size on a generated image, shown, its first
    result displayed and the first-run tour closed."""
    from convlab.app import build_window

    window = build_window([str(scene_path)])
    qtbot.addWidget(window)
    window.resize(*LAPTOP)
    window.show()
    qtbot.waitExposed(window)
    wait_for_result(qtbot, window)
    window.tour.close()
    yield window
    window.close()


@pytest.fixture
def window(qtbot, scene_path):
    """The real window (build_window) on a generated image, with its first result shown."""
    from convlab.app import build_window

    win = build_window([str(scene_path)])
    qtbot.addWidget(win)
    win.resize(1200, 800)
    wait_for_result(qtbot, win)
    yield win
    win.close()

"""One-shot jobs run on a pool of the program's own: long work elsewhere never holds them up,
and closing waits for the writes only."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
from PySide6.QtCore import QRunnable, QThreadPool
from PySide6.QtGui import QGuiApplication, QImage

from convlab.engine import presets
from convlab.ui.kernel.tools import KernelActions
from convlab.ui.state import PlaygroundState
from convlab.ui.threads import background_jobs
from convlab.ui.threads.background_jobs import POOL_THREADS, BackgroundJobs
from tests.ui.conftest import make_scene


class _Blocker(QRunnable):
    """Holds a thread of Qt's global pool until ``gate`` opens (as a long lesson would)."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate

    def run(self) -> None:
        self.gate.wait(10)


def test_a_kernel_save_does_not_queue_behind_work_on_the_global_pool(qtbot, tmp_path):
    gate = threading.Event()
    pool = QThreadPool.globalInstance()
    try:
        for _ in range(pool.maxThreadCount()):
            pool.start(_Blocker(gate))
        state = PlaygroundState()
        state.set_kernel(presets.get("sobel_x"))
        actions = KernelActions(state)
        qtbot.addWidget(actions)
        target = tmp_path / "kernel.json"
        with qtbot.waitSignal(actions.fileFinished, timeout=5000) as outcome:
            actions.save_to(target)
        assert outcome.args == [True]
        saved = json.loads(target.read_text())
        assert np.allclose(saved["weights"], presets.get("sobel_x").weights)
        assert not gate.is_set()  # the global pool was busy the whole time
    finally:
        gate.set()
        pool.waitForDone(5000)


def test_closing_waits_for_writes_and_drops_lookups(qtbot):
    gate = threading.Event()
    delivered: list[str] = []
    jobs = BackgroundJobs()
    # a lookup holds one thread and a write the other; another lookup waits in the queue
    jobs.run(lambda: gate.wait(10), lambda _: delivered.append("running lookup"), cancellable=True)
    jobs.run(lambda: (time.sleep(0.3), delivered.append("write")))
    ran_queued = threading.Event()
    jobs.run(ran_queued.set, lambda _: delivered.append("queued lookup"), cancellable=True)
    try:
        assert POOL_THREADS == 2
        assert background_jobs.finish(timeout_s=10)
        assert "write" in delivered  # finished before ``finish`` returned
    finally:
        gate.set()
    assert background_jobs.idle(5000)
    qtbot.wait(50)  # any outcome still on its way to the GUI thread arrives now
    assert not ran_queued.is_set()  # taken back before it started
    assert "running lookup" not in delivered  # it ended on its own, its result unused
    assert jobs.running() == []


def test_a_job_whose_owner_is_gone_delivers_nothing(qtbot):
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    gate = threading.Event()
    delivered: list[object] = []
    BackgroundJobs(owner).run(lambda: gate.wait(10), delivered.append)
    owner.deleteLater()
    qtbot.wait(20)
    gate.set()
    assert background_jobs.idle(5000)
    qtbot.wait(50)
    assert delivered == []


def test_a_pasted_picture_is_encoded_off_the_gui_thread(window, qtbot, monkeypatch):
    encoded_on: list[threading.Thread] = []
    original_save = QImage.save

    def recording_save(image, *args, **kwargs):
        encoded_on.append(threading.current_thread())
        return original_save(image, *args, **kwargs)

    monkeypatch.setattr(QImage, "save", recording_save)
    picture = make_scene(30, 40, seed=3)
    image = QImage(picture.data, 40, 30, 40 * 3, QImage.Format.Format_RGB888).copy()
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.paste()
    assert encoded_on and threading.main_thread() not in encoded_on
    qtbot.waitUntil(lambda: window.last_result.frame.shape == picture.shape, timeout=5000)
    assert np.array_equal(window.last_result.frame, picture)


def test_a_finished_job_keeps_nothing_of_its_owner_alive(qtbot):
    import gc
    import weakref

    results: list[object] = []

    class Panel:
        def show(self, value: object) -> None:
            results.append(value)

    panels = [Panel()]
    BackgroundJobs().run(lambda: 42, panels[0].show)
    qtbot.waitUntil(lambda: results == [42], timeout=5000)
    qtbot.wait(20)  # the job's end reaches the GUI thread
    gone = weakref.ref(panels.pop())
    gc.collect()
    assert gone() is None

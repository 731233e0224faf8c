"""The filter worker on its own: flow control, sources, failures, stopping."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from convlab.engine import presets
from convlab.engine.convolve import convolve
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import ConvSettings, Pipeline
from convlab.engine.sources import FrameSource
from convlab.errors import SourceError
from convlab.ui.threads.filter_worker import FilterWorker
from tests.ui.conftest import make_scene


class _CountingSource(FrameSource):
    """A fast live source that counts reads and remembers being closed."""

    is_live = True
    name = "counting"
    fps = None

    def __init__(self, delay: float = 0.002) -> None:
        self.reads = 0
        self.closed = False
        self.delay = delay

    @property
    def size(self):
        return (32, 24)

    def read(self):
        time.sleep(self.delay)
        self.reads += 1
        frame = np.full((24, 32, 3), self.reads % 256, np.uint8)
        return frame

    def close(self):
        self.closed = True


def _take(qtbot, worker, timeout=5000):
    """The next result (the mailbox may already hold one: then no signal is coming)."""
    taken = []

    def arrived() -> None:
        result = worker.take_result()
        if result is not None:
            taken.append(result)
        assert taken

    qtbot.waitUntil(arrived, timeout=timeout)
    return taken[0]


def test_video_file_frames_come_through_filtered(qtbot, worker, tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (64, 48))
    for index in range(10):
        writer.write(cv2.cvtColor(make_scene(48, 64, seed=index), cv2.COLOR_RGB2BGR))
    writer.release()
    kernel = presets.get("sobel_x")
    worker.set_pipeline(Pipeline(kernel=kernel))
    with qtbot.waitSignal(worker.sourceOpened, timeout=5000) as opened:
        worker.open(str(path))
    info = opened.args[0]
    assert (info.width, info.height) == (64, 48) and not info.is_still
    assert info.fps == pytest.approx(25.0)
    frames = [_take(qtbot, worker) for _ in range(4)]
    for result in frames:
        np.testing.assert_allclose(result.output, convolve(result.frame, kernel), atol=1e-4)
    assert len({r.frame.tobytes() for r in frames}) > 1  # the video moves


def test_a_video_file_loops_through_the_worker(qtbot, worker, tmp_path):
    path = tmp_path / "short.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 100.0, (32, 24))
    scenes = [make_scene(24, 32, seed=index) for index in range(4)]
    for scene in scenes:
        writer.write(cv2.cvtColor(scene, cv2.COLOR_RGB2BGR))
    writer.release()
    worker.open(str(path))
    seen = [_take(qtbot, worker).frame for _ in range(10)]  # 4 frames in the file

    # frame i shows scene i % 4 (MJPG is lossy: the nearest scene, by a wide margin)
    def nearest(frame: np.ndarray) -> int:
        errors = [np.abs(frame.astype(int) - s.astype(int)).mean() for s in scenes]
        return int(np.argmin(errors))

    assert [nearest(frame) for frame in seen] == [i % 4 for i in range(10)]


def test_video_is_paced_at_its_own_rate(qtbot, worker, tmp_path):
    path = tmp_path / "slow.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 24))
    for index in range(30):
        writer.write(cv2.cvtColor(make_scene(24, 32, seed=index), cv2.COLOR_RGB2BGR))
    writer.release()
    worker.open(str(path))
    _take(qtbot, worker)
    started = time.perf_counter()
    for _ in range(5):
        _take(qtbot, worker)
    rate = 5 / (time.perf_counter() - started)
    assert 6.0 < rate < 14.0


def test_results_never_queue_when_the_gui_is_busy(qtbot, worker):
    source = _CountingSource()
    with qtbot.waitSignal(worker.resultAvailable, timeout=5000):
        worker.open(source)
    time.sleep(0.3)  # the GUI "is busy": nobody takes the result
    filtered = worker.frames_read
    time.sleep(0.2)
    # the capture thread keeps the source's queue empty, but nothing more is filtered
    assert source.reads > 50 and worker.frames_read == filtered <= 2
    assert worker.results_emitted == 1
    assert worker.take_result() is not None
    assert worker.take_result() is None  # one result at a time, never a backlog
    reads_before = source.reads
    second = _take(qtbot, worker)
    assert second.frame[0, 0, 0] >= reads_before % 256  # the newest frame comes next


def test_a_still_image_is_filtered_once_per_pipeline(qtbot, worker):
    image = make_scene(40, 60)
    worker.open(image)
    first = _take(qtbot, worker)
    assert np.array_equal(first.output_image, image)
    qtbot.wait(200)
    assert worker.results_emitted == 1
    kernel = Kernel(np.ones((3, 3)), divisor=9.0, name="box")
    worker.set_pipeline(Pipeline(kernel=kernel).evolve())
    second = _take(qtbot, worker)
    assert second.generation == 1
    np.testing.assert_allclose(second.output, convolve(image, kernel), atol=1e-4)
    qtbot.wait(200)
    assert worker.results_emitted == 2


def test_an_unusable_pipeline_is_reported_once(qtbot, worker):
    worker.open(make_scene(8, 8))
    _take(qtbot, worker)
    too_big = Pipeline(kernel=Kernel(np.ones((11, 11))), conv=ConvSettings(padding="valid"))
    with qtbot.waitSignal(worker.pipelineFailed, timeout=3000) as failed:
        worker.set_pipeline(too_big.evolve())
    assert "11" in failed.args[0]
    with qtbot.assertNotEmitted(worker.pipelineFailed, wait=200):
        worker.set_pipeline(too_big.evolve())  # same generation as before: no repeat


def test_open_failure_keeps_the_source_and_tries_the_fallback(qtbot, worker, tmp_path):
    image = make_scene(20, 30)
    with qtbot.waitSignal(worker.sourceOpened, timeout=5000):
        worker.open(image)
    with qtbot.waitSignal(worker.sourceFailed, timeout=5000) as failed:
        worker.open(str(tmp_path / "missing.png"))
    assert "missing.png" in failed.args[1]
    assert worker.spec is image
    fresh = FilterWorker()
    try:
        with qtbot.waitSignal(fresh.sourceOpened, timeout=5000) as opened:
            fresh.open(str(tmp_path / "missing.png"), fallback="pattern")
        assert opened.args[0].spec == "pattern"
    finally:
        assert fresh.stop()


class _Flaky(_CountingSource):
    """A camera that is unplugged until ``plugged`` is set again."""

    plugged = False

    def read(self):
        if not self.plugged:
            raise SourceError("Camera 3: unplugged")
        return super().read()


def test_a_source_that_stops_is_lost_and_can_reconnect(qtbot, worker):
    camera = _Flaky()
    with qtbot.waitSignal(worker.sourceLost, timeout=3000) as lost:
        worker.open(camera)
    assert "unplugged" in lost.args[0]
    with qtbot.assertNotEmitted(worker.resultAvailable, wait=200):
        pass  # lost: no more reads, no busy loop
    camera.plugged = True
    with qtbot.waitSignal(worker.sourceOpened, timeout=3000):
        worker.reconnect()
    assert _take(qtbot, worker).frame.shape == (24, 32, 3)


def test_stop_joins_quickly_and_closes_the_source(qtbot, worker):
    source = _CountingSource(delay=0.03)
    worker.open(source)
    _take(qtbot, worker)
    started = time.perf_counter()
    assert worker.stop(timeout=1.0)
    assert time.perf_counter() - started < 1.0
    assert source.closed
    assert not worker.isRunning()


class _Buggy(_CountingSource):
    def read(self):
        raise RuntimeError("driver exploded")


def test_an_unexpected_error_loses_the_source_but_not_the_thread(qtbot, worker):
    with qtbot.waitSignal(worker.sourceLost, timeout=3000) as lost:
        worker.open(_Buggy())
    assert "driver exploded" in lost.args[0]
    assert worker.isRunning()
    image = make_scene(10, 12)
    worker.open(image)
    assert np.array_equal(_take(qtbot, worker).frame, image)


def test_nothing_opens_once_stopping(qtbot, worker):
    assert worker.stop()
    worker.open(make_scene(10, 12))
    assert not worker.isRunning()


class _DrainableSource(_CountingSource):
    """Counts frames only grabbed (not decoded) apart from those read."""

    def __init__(self) -> None:
        super().__init__()
        self.skips = 0

    def skip(self) -> bool:
        time.sleep(self.delay)
        self.skips += 1
        return True


def test_frozen_live_source_is_drained_not_filtered_and_edits_still_apply(qtbot, worker):
    source = _DrainableSource()
    worker.open(source)
    first = _take(qtbot, worker)
    worker.set_frozen(True)
    qtbot.wait(100)
    in_flight = worker.take_result()  # at most one frame was already on its way
    frozen_frame = (in_flight or first).frame
    reads, skips, filtered = source.reads, source.skips, worker.frames_read
    qtbot.wait(150)
    assert source.reads <= reads + 1  # nothing decoded while frozen ...
    assert source.skips > skips + 10  # ... but the camera's queue is kept empty
    assert worker.frames_read == filtered
    kernel = presets.get("sharpen")
    worker.set_pipeline(Pipeline(kernel=kernel).evolve())
    edited = _take(qtbot, worker)
    assert edited.frame is frozen_frame
    np.testing.assert_allclose(edited.output, convolve(frozen_frame, kernel), atol=1e-4)
    worker.set_frozen(False)
    assert _take(qtbot, worker).frame[0, 0, 0] > first.frame[0, 0, 0]


def test_mirror_flips_camera_frames_only(worker):
    frame = make_scene(6, 8)
    worker.set_mirror(True)
    worker._spec = "clip.mp4"
    assert np.array_equal(worker._prepare(frame), frame)
    worker._spec = 0  # a webcam index
    assert np.array_equal(worker._prepare(frame), frame[:, ::-1])


def test_stop_does_not_wait_for_a_slow_device_and_its_source_is_released(monkeypatch):
    import convlab.ui.threads.filter_worker as workers

    opened: list[_CountingSource] = []
    answer = threading.Event()

    def slow_open(spec, **options):
        answer.wait(10.0)  # a camera or stream that takes its time to answer
        opened.append(_CountingSource())
        return opened[-1]

    monkeypatch.setattr(workers, "open_source", slow_open)
    thread = FilterWorker()
    thread.open("rtsp://camera.example/stream")
    time.sleep(0.1)
    assert thread.stop(timeout=1.0)
    assert opened == []  # it stopped while the device had not answered yet
    answer.set()
    deadline = time.perf_counter() + 5.0
    while not (opened and opened[0].closed) and time.perf_counter() < deadline:
        time.sleep(0.02)
    assert opened and opened[0].closed  # opened after the window left, then let go

"""The filter worker with live sources: opens beside the playing picture, last request wins,
idle when unseen, a rate cap, and a real MJPEG stream that dies."""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import pytest

from convlab.bench.mjpeg_server import MjpegServer, read_frame_number
from convlab.engine import presets
from convlab.engine.pipeline import Pipeline
from convlab.engine.sources import FrameSource
from convlab.errors import SourceError
from convlab.ui.threads import filter_worker as workers
from tests.ui.conftest import make_scene


class Numbered(FrameSource):
    """A live source at ``fps``: frame n has value n % 256 everywhere."""

    is_live = True

    def __init__(self, fps: float = 100.0, name: str = "numbered") -> None:
        self.name, self.fps = name, fps
        self.count = 0
        self.closed = threading.Event()

    @property
    def size(self):
        return (16, 12)

    def read(self):
        time.sleep(1.0 / self.fps)
        self.count += 1
        return np.full((12, 16, 3), self.count % 256, np.uint8)

    def close(self):
        self.closed.set()


def collect(qtbot, worker, seconds: float, *, until: int | None = None) -> list:
    """Every result the worker hands over during ``seconds`` (taken as soon as offered);
    with ``until``, as soon as that many came (``seconds`` is then the most it waits)."""
    results = []

    def take() -> None:
        result = worker.take_result()
        if result is not None:
            results.append(result)

    worker.resultAvailable.connect(take)
    try:
        take()
        if until is None:
            qtbot.wait(int(seconds * 1000))
        else:
            qtbot.waitUntil(lambda: len(results) >= until, timeout=int(seconds * 1000))
    finally:
        worker.resultAvailable.disconnect(take)
    return results


def slow_opener(delay: float, made: list, *, fail: bool = False):
    """Stands in for ``open_source``: answers after ``delay`` s (a camera taking its time)."""

    def opener(spec, **_options):
        time.sleep(delay)
        if fail:
            raise SourceError(f"Camera {spec}: could not be opened (no such device?)")
        made.append(Numbered(fps=50.0, name=f"slow {spec}"))
        return made[-1]

    return opener


def test_a_slow_open_does_not_stop_the_picture_or_the_edits(qtbot, worker, monkeypatch):
    playing = Numbered()
    with qtbot.waitSignal(worker.sourceOpened, timeout=3000):
        worker.open(playing)
    made: list = []
    monkeypatch.setattr(workers, "open_source", slow_opener(1.5, made))
    worker.open(5)  # a camera that takes 1.5 s to answer
    assert worker.opening == 5
    edited_at = time.perf_counter()
    worker.set_pipeline(Pipeline(kernel=presets.get("sharpen")).evolve())
    during = collect(qtbot, worker, 1.0)
    assert len(during) >= 15  # the old source kept playing
    assert [r.frame[0, 0, 0] for r in during] == sorted(r.frame[0, 0, 0] for r in during)
    # the edit applied at once (the first result may have been waiting from before it)
    assert all(r.generation == 1 for r in during[1:]) and time.perf_counter() - edited_at < 1.5
    with qtbot.waitSignal(worker.sourceOpened, timeout=3000) as opened:
        pass
    assert opened.args[0].name == "slow 5"
    assert worker.spec == 5 and worker.opening is None
    assert playing.closed.wait(2.0)  # the old source is let go once the new one is in


def test_a_newer_open_cancels_a_pending_one(qtbot, worker, monkeypatch):
    worker.open(make_scene(20, 30))
    qtbot.waitSignal(worker.sourceOpened, timeout=3000).wait()
    made: list = []
    monkeypatch.setattr(workers, "open_source", slow_opener(0.6, made))
    opened: list = []
    worker.sourceOpened.connect(lambda info: opened.append(info.spec))
    worker.open(1)
    qtbot.wait(100)
    worker.open(2)  # changed their mind: the last request wins
    qtbot.waitUntil(lambda: opened == [2], timeout=4000)

    def by_name() -> dict:
        return {source.name: source for source in made}

    # the first open finishes later, opened for nobody: it is released as soon as it is made
    def first_released() -> bool:
        return "slow 1" in by_name() and by_name()["slow 1"].closed.is_set()

    qtbot.waitUntil(first_released, timeout=4000)
    assert opened == [2]
    assert sorted(by_name()) == ["slow 1", "slow 2"]
    assert not by_name()["slow 2"].closed.is_set()


def test_a_failed_open_leaves_the_current_source_playing(qtbot, worker, monkeypatch):
    playing = Numbered()
    worker.open(playing)
    qtbot.waitSignal(worker.sourceOpened, timeout=3000).wait()
    made: list = []
    monkeypatch.setattr(workers, "open_source", slow_opener(0.3, made, fail=True))
    with qtbot.waitSignal(worker.sourceFailed, timeout=3000) as failed:
        worker.open(0)
    assert "Camera 0: could not be opened" in failed.args[1]
    assert worker.spec is playing and not playing.closed.is_set()
    assert len(collect(qtbot, worker, 0.5)) >= 8  # still playing


def test_reopening_the_same_camera_lets_go_of_it_first(qtbot, worker, monkeypatch):
    cameras: list = []
    holding = threading.Lock()

    def exclusive_camera(spec, **_options):
        # a device opens once: a second open while the first is held fails
        if not holding.acquire(blocking=False):
            raise SourceError(f"Camera {spec}: opened but delivered no picture (in use?)")
        camera = Numbered(name=f"Camera {spec}")
        original_close = camera.close
        camera.close = lambda: (original_close(), holding.release())
        cameras.append(camera)
        return camera

    monkeypatch.setattr(workers, "open_source", exclusive_camera)
    worker.open(0)
    qtbot.waitSignal(worker.sourceOpened, timeout=3000).wait()
    with qtbot.waitSignal(worker.sourceOpened, timeout=3000):
        worker.open(0, width=1280, height=720)  # e.g. another resolution
    assert len(cameras) == 2 and cameras[0].closed.is_set()


def test_nothing_is_filtered_while_unseen_and_a_video_waits_where_it_was(qtbot, worker):
    class Clip(Numbered):
        is_live = False  # a file: paced, every frame in order

    clip = Clip(fps=50.0)
    worker.open(clip)
    shown = collect(qtbot, worker, 0.4)
    assert shown
    worker.set_demand(False)
    qtbot.wait(50)
    worker.take_result()  # one may have been on its way
    before = worker.frames_read
    assert collect(qtbot, worker, 0.5) == []
    assert worker.frames_read == before
    worker.set_demand(True)
    resumed = collect(qtbot, worker, 0.3)
    assert resumed and resumed[0].frame[0, 0, 0] == (before + 1) % 256  # the next frame, no jump


def test_a_still_image_costs_nothing_until_it_is_edited(qtbot, worker):
    worker.open(make_scene(30, 40))
    qtbot.waitUntil(lambda: worker.take_result() is not None, timeout=3000)
    emitted = worker.results_emitted
    qtbot.wait(600)
    assert worker.results_emitted == emitted
    worker.set_demand(False)
    worker.set_pipeline(Pipeline(kernel=presets.get("box")).evolve())
    qtbot.wait(300)
    assert worker.results_emitted == emitted  # unseen: the edit waits ...
    with qtbot.waitSignal(worker.resultAvailable, timeout=3000):
        worker.set_demand(True)  # ... and is shown when someone looks again
    assert worker.take_result().generation == 1


def test_the_frame_rate_cap(qtbot, worker):
    worker.open(Numbered(fps=100.0))
    qtbot.waitSignal(worker.sourceOpened, timeout=3000).wait()
    assert len(collect(qtbot, worker, 0.5)) >= 20  # uncapped: the source's rate
    worker.set_demand(True, max_fps=15.0)
    assert worker.max_fps == 15.0
    qtbot.wait(100)
    results = collect(qtbot, worker, 2.0)
    assert 20 <= len(results) <= 32  # 15 a second
    worker.set_demand(True, None)
    assert len(collect(qtbot, worker, 0.5)) >= 20


def test_a_dead_stream_is_said_within_a_second_without_stale_frames(qtbot, worker):
    server = MjpegServer(fps=30).start()
    try:
        with qtbot.waitSignal(worker.sourceOpened, timeout=5000) as opened:
            worker.open(server.url)
        assert opened.args[0].is_live
        collect(qtbot, worker, 10.0, until=5)  # playing (its rate: bench live)
        lost: list[str] = []
        lost_at: list[float] = []
        worker.sourceLost.connect(
            lambda text: (lost.append(text), lost_at.append(time.monotonic()))
        )
        after: list = []

        def take() -> None:
            result = worker.take_result()
            if result is not None:
                after.append((time.monotonic(), read_frame_number(result.frame)))

        server.kill()
        last_sent = server.sent_at(server.last_sent)
        worker.take_result()  # (it waited while this thread was busy killing the server)
        worker.resultAvailable.connect(take)
        qtbot.waitUntil(lambda: bool(lost), timeout=5000)
        said_at = lost_at[0]
        qtbot.wait(300)  # anything shown from now on would be a frame after "lost"
        worker.resultAvailable.disconnect(take)
        assert said_at - last_sent < 3.0  # 0.75 s of silence (test_capture), on a busy machine
        assert "127.0.0.1" in lost[0]
        numbers = [number for _shown_at, number in after]
        # what was still in flight may be shown (a busy machine decodes behind the stream),
        # newest first and never an older frame again; after "lost", no new frame at all
        assert all(n is not None and n <= server.last_sent for n in numbers), numbers
        assert numbers == sorted(set(numbers)), numbers
        assert all(shown_at <= said_at for shown_at, _number in after), (after, said_at)
        # the last frame stays and edits still apply to it
        with qtbot.waitSignal(worker.resultAvailable, timeout=3000):
            worker.set_pipeline(Pipeline(kernel=presets.get("sharpen")).evolve())
        assert worker.take_result().generation == 1
    finally:
        server.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_capture_threads_step_aside_for_the_gui_thread(qtbot, worker):
    """A capture thread (decoding a camera's JPEGs may take a third of a core) is started by
    the filter worker and runs at its priority, below the GUI thread."""
    seen: list[int] = []

    class Reporting(Numbered):
        def read(self):
            if not seen:
                seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            return super().read()

    worker.open(Reporting())
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen == [min(19, own + workers.FILTER_NICE)]


def test_a_failed_open_logs_no_password(qtbot, worker, monkeypatch, caplog):
    def broken(spec, **_options):
        raise RuntimeError(f"driver could not parse {spec}")  # not a ConvlabError: logged

    monkeypatch.setattr(workers, "open_source", broken)
    with qtbot.waitSignal(worker.sourceFailed, timeout=3000) as failed:
        worker.open("rtsp://admin:hunter2@cam.local/live")
    shown = failed.args[1] + "\n" + caplog.text
    assert "rtsp://***@cam.local/live" in shown and "hunter2" not in shown

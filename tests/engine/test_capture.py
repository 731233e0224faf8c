"""Capture threads: live sources give their newest frame, files keep their own clock, and a
source that stops is declared lost quickly, without replaying what came before."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from convlab.engine.capture import Capture
from convlab.engine.sources import FrameSource, SourceLost, VideoSource
from convlab.errors import SourceError


class FakeLive(FrameSource):
    """A camera delivering numbered frames every ``period`` seconds (read() waits for them).

    After ``stop_after`` frames it fails every read (an unplugged camera) or, with
    ``hang``, blocks in read until ``release`` is set (a frozen stream).
    """

    is_live = True

    def __init__(self, period: float, *, stop_after: int | None = None, hang: bool = False):
        self.name = "Fake camera"
        self.fps = 1.0 / period
        self.period = period
        self.stop_after = stop_after
        self.hang = hang
        self.release = threading.Event()
        self.delivered = 0
        self.skipped = 0
        self.reads = 0
        self.closed = threading.Event()
        self.late_frames = 0
        self._start = time.monotonic()

    @property
    def size(self) -> tuple[int, int]:
        return (8, 8)

    def _wait_for_next(self) -> bool:
        if self.stop_after is not None and self.delivered + self.skipped >= self.stop_after:
            if self.hang:
                self.release.wait(10)
                self.late_frames += 1
                return True  # a frame after the hang: must never be shown
            time.sleep(0.01)
            return False
        due = self._start + (self.delivered + self.skipped + 1) * self.period
        time.sleep(max(0.0, due - time.monotonic()))
        return True

    def read(self) -> np.ndarray | None:
        self.reads += 1
        if not self._wait_for_next():
            return None
        self.delivered += 1
        return np.full((8, 8, 3), self.delivered + self.skipped, np.uint8)

    def skip(self) -> bool:
        if not self._wait_for_next():
            return False
        self.skipped += 1
        return True

    def close(self) -> None:
        self.closed.set()


class FakeFile(FrameSource):
    """A video file of ``count`` numbered frames at ``fps``; loops unless ``loop`` is False."""

    def __init__(self, count: int, fps: float, *, loop: bool = True) -> None:
        self.name, self.fps, self.count, self.loop = "clip.avi", fps, count, loop
        self.position = 0
        self.reads = 0
        self.closed = threading.Event()

    @property
    def size(self) -> tuple[int, int]:
        return (8, 8)

    def read(self) -> np.ndarray | None:
        self.reads += 1
        if self.position >= self.count:
            if not self.loop:
                return None
            self.position = 0
        self.position += 1
        return np.full((8, 8, 3), self.position - 1, np.uint8)

    def close(self) -> None:
        self.closed.set()


def number(frame) -> int:
    return int(frame.image[0, 0, 0])


def wait_for(condition, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def take_next(capture: Capture, timeout: float = 3.0):
    deadline = time.monotonic() + timeout
    while (frame := capture.take()) is None:
        assert time.monotonic() < deadline, "no frame came"
        time.sleep(0.002)
    return frame


def until_lost(capture: Capture, timeout: float = 5.0, seen: list | None = None) -> SourceLost:
    """Take frames until the capture says the source is lost (``seen`` collects any frame)."""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, "never said lost"
        try:
            frame = capture.take()
        except SourceLost as lost:
            return lost
        if frame is not None and seen is not None:
            seen.append(frame)
        time.sleep(0.005)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------------ live sources
def test_a_slow_consumer_always_gets_the_newest_frame() -> None:
    source = FakeLive(period=0.01)
    capture = Capture(source)
    try:
        gaps = []
        for _ in range(8):
            time.sleep(0.1)  # a filter ten times slower than the camera
            frame = take_next(capture)
            gaps.append(source.delivered - number(frame))
        # the newest frame, never a queue behind (in order, the last one taken would be
        # some 70 frames behind the camera); the age in seconds is the bench's business
        assert max(gaps) <= 2, gaps
        assert capture.dropped >= 8 * 5  # the frames nobody had time for were dropped
    finally:
        assert capture.close()
    assert source.closed.is_set()


def test_a_frame_is_taken_once() -> None:
    capture = Capture(FakeLive(period=0.2))
    try:
        first = take_next(capture)
        assert capture.take() is None  # nothing newer yet
        second = take_next(capture)
        assert second.number == first.number + 1
    finally:
        capture.close()


def test_wake_is_called_for_every_new_frame() -> None:
    woken = threading.Semaphore(0)
    capture = Capture(FakeLive(period=0.1), wake=woken.release)
    try:
        for _ in range(3):
            assert woken.acquire(timeout=1.0)
            assert capture.take() is not None  # woken: there is something to take
        assert capture.take() is None
    finally:
        capture.close()


def test_an_unplugged_camera_is_lost_and_nothing_old_replays() -> None:
    source = FakeLive(period=1 / 30, stop_after=10)
    capture = Capture(source)
    try:
        wait_for(lambda: source.delivered >= 10)
        last_frame_at = time.monotonic()
        seen: list = []
        info = until_lost(capture, seen=seen)
        assert len(seen) <= 1  # the one frame left, if not taken yet; nothing older
        assert time.monotonic() - last_frame_at < 3.0  # the exact silence: the next test
        assert "Fake camera" in str(info)
        assert "no picture" in str(info)
        with pytest.raises(SourceLost):
            capture.take()  # and it stays lost
        assert capture.lost is not None
        assert capture.wait_time() is None
    finally:
        capture.close()
    assert source.closed.is_set()


def test_lost_means_silent_for_more_than_lost_after_and_wait_time_says_when() -> None:
    clock = Clock()
    source = FakeLive(period=1 / 100, stop_after=10)
    capture = Capture(source, lost_after=0.75, clock=clock)
    try:
        wait_for(lambda: capture.captured >= 10)  # every frame came at the same clock time
        take_next(capture)
        assert capture.wait_time() == pytest.approx(0.75)
        clock.now += 0.74
        assert capture.take() is None and capture.lost is None
        assert capture.wait_time() == pytest.approx(0.01)
        clock.now += 0.02
        with pytest.raises(SourceLost, match=r"Fake camera: no picture for 0\.8 s"):
            capture.take()
    finally:
        capture.close()


def test_a_frozen_stream_is_lost_while_its_read_still_hangs() -> None:
    source = FakeLive(period=1 / 30, stop_after=5, hang=True)
    capture = Capture(source)
    try:
        wait_for(lambda: source.delivered >= 5)
        take_next(capture)
        wait_time = capture.wait_time()
        assert wait_time is not None and wait_time <= 0.76  # when to look again
        seen: list = []
        until_lost(capture, seen=seen)
        assert seen == []
        started = time.monotonic()
        assert not capture.close(timeout=0.1)  # stuck in the read: not waited for
        assert time.monotonic() - started < 5.0  # (the read hangs for 10 s)
        assert not source.closed.is_set()
        source.release.set()  # the read returns at last, with a frame
        assert capture.join(5.0)
        assert source.closed.is_set()  # the thread released the source itself
        assert source.late_frames == 1
        with pytest.raises(SourceLost):
            capture.take()  # the late frame was dropped, not shown
    finally:
        source.release.set()


def test_a_slow_camera_is_not_declared_lost_between_its_frames() -> None:
    source = FakeLive(period=0.3)  # ~3 fps: longer than the 0.25 s floor below
    capture = Capture(source, lost_after=0.25)
    try:
        taken = [take_next(capture) for _ in range(6)]
        assert [f.number for f in taken] == list(range(taken[0].number, taken[0].number + 6))
        assert capture.lost is None
    finally:
        capture.close()


def test_a_source_that_raises_lost_passes_its_message_on() -> None:
    class Dying(FakeLive):
        def read(self):
            if self.delivered >= 2:
                raise SourceLost("Camera 0: stopped delivering frames")
            return super().read()

    capture = Capture(Dying(period=0.01))
    try:
        assert "Camera 0: stopped delivering frames" in str(until_lost(capture))
    finally:
        capture.close()


def test_an_unexpected_error_in_a_driver_is_reported_as_lost() -> None:
    class Broken(FakeLive):
        def read(self):
            raise RuntimeError("driver fell over")

    capture = Capture(Broken(period=0.01))
    try:
        wait_for(lambda: capture.lost is not None)
        with pytest.raises(SourceLost, match="stopped with an error"):
            capture.take()
    finally:
        capture.close()


def test_draining_grabs_without_decoding_and_resumes_with_a_fresh_frame() -> None:
    source = FakeLive(period=0.01)
    capture = Capture(source)
    try:
        take_next(capture)
        time.sleep(0.05)  # a frame is waiting when the view goes away
        capture.set_draining(True)
        assert capture.take() is None  # the waiting frame is dropped: it will be old
        reads_before, skips_before = source.reads, source.skipped
        time.sleep(0.2)
        assert source.skipped - skips_before >= 10  # still emptying the camera's queue
        assert source.reads - reads_before <= 1  # ... without decoding
        assert capture.lost is None  # grabbed frames count as alive
        capture.set_draining(False)
        switched = time.monotonic()
        frame = take_next(capture)
        assert frame.captured_at >= switched - 0.02
    finally:
        capture.close()


# ------------------------------------------------------------------------------ files
def test_a_file_plays_at_its_own_rate_in_order_and_loops() -> None:
    source = FakeFile(count=5, fps=50.0)
    capture = Capture(source)
    try:
        assert not capture.newest_first
        started = time.monotonic()
        frames = [take_next(capture) for _ in range(12)]
        elapsed = time.monotonic() - started
        assert [number(f) for f in frames] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
        assert elapsed >= 11 / 50 - 0.01  # not faster than the file
    finally:
        capture.close()


def test_a_file_does_not_skip_ahead_while_nobody_takes_frames() -> None:
    source = FakeFile(count=100, fps=100.0)
    capture = Capture(source)
    try:
        assert number(take_next(capture)) == 0
        capture.set_draining(True)  # nobody looks: a file is not drained, it waits
        time.sleep(0.3)  # 30 frame times unseen
        capture.set_draining(False)
        assert number(take_next(capture)) == 1
        assert source.reads <= 3  # decoded one ahead, no more
        wait_for(lambda: capture.wait_time() is not None)  # the next one is decoded
        wait = capture.wait_time()
        assert wait is not None and wait <= 0.011  # the next one is due a period later
        assert number(take_next(capture)) == 2
    finally:
        capture.close()


def test_a_slow_filter_slows_a_file_down_without_jumps() -> None:
    capture = Capture(FakeFile(count=50, fps=100.0))
    try:
        taken = []
        for _ in range(5):
            taken.append(number(take_next(capture)))
            time.sleep(0.05)  # five frame times per frame
        assert taken == [0, 1, 2, 3, 4]
    finally:
        capture.close()


def test_a_file_that_ends_without_loop_says_so() -> None:
    capture = Capture(FakeFile(count=3, fps=200.0, loop=False))
    try:
        assert [number(take_next(capture)) for _ in range(3)] == [0, 1, 2]
        wait_for(lambda: capture.ended)
        assert capture.take() is None
        assert capture.wait_time() is None
    finally:
        capture.close()


def test_close_stops_the_thread_and_closes_the_source() -> None:
    source = FakeFile(count=3, fps=30.0)
    capture = Capture(source)
    take_next(capture)
    assert capture.close(timeout=1.0)
    assert source.closed.is_set()
    assert capture.take() is None


# ------------------------------------------------------------------------------ with OpenCV
class UnpluggableCapture:
    """cv2.VideoCapture's surface: frames at 30 fps until ``unplugged`` is set, then every
    read and grab fails at once, as V4L2 does when the device node disappears."""

    def __init__(self) -> None:
        self.unplugged = threading.Event()
        self.settings: dict[int, float] = {}
        self.count = 0
        self.released = False

    def isOpened(self) -> bool:
        return not self.released

    def grab(self) -> bool:
        if self.unplugged.is_set():
            return False
        time.sleep(1 / 30)
        self.count += 1
        return True

    def read(self):
        if not self.grab():
            return False, None
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[:] = self.count % 256
        return True, frame

    def set(self, prop: int, value: float) -> bool:
        self.settings[prop] = value
        return True

    def get(self, prop: int) -> float:
        return {cv2.CAP_PROP_FPS: 30.0, cv2.CAP_PROP_FOURCC: float(0x47504A4D)}.get(prop, 0.0)

    def release(self) -> None:
        self.released = True


def test_a_camera_unplugged_mid_stream_is_lost_within_a_second_then_reconnects() -> None:
    devices = [UnpluggableCapture(), UnpluggableCapture()]
    opened = iter(devices)
    factory = lambda target, api, params: next(opened)  # noqa: E731
    source = VideoSource(0, width=1280, height=720, capture_factory=factory)
    assert source.negotiated == "64x48 MJPG 30 fps"
    assert devices[0].settings[cv2.CAP_PROP_BUFFERSIZE] == 1.0
    capture = Capture(source)
    try:
        take_next(capture)
        devices[0].unplugged.set()
        unplugged_at = time.monotonic()
        assert "Camera 0: no picture for" in str(until_lost(capture))
        assert time.monotonic() - unplugged_at < 3.0  # 0.75 s of silence: the test above
        assert capture.join(3.0)
        assert devices[0].released  # the device is free for the reconnect
    finally:
        capture.close()
    again = Capture(VideoSource(0, capture_factory=factory))
    try:
        frame = take_next(again)
        assert frame.image.shape == (48, 64, 3)
    finally:
        again.close()
    assert devices[1].released


def test_a_closed_source_reports_itself_lost_not_crashed() -> None:
    source = FakeFile(count=3, fps=30.0)

    def closed_read():
        raise SourceError("clip.avi: already closed")

    source.read = closed_read  # type: ignore[method-assign]
    capture = Capture(source)
    try:
        wait_for(lambda: capture.lost is not None)
        assert "already closed" in capture.lost
    finally:
        capture.close()

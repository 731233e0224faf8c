"""Seeking in a video file: the source jumps to a frame, the capture thread shows it at once
(dropping the frame it had decoded ahead) and the file's clock goes on from there."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from convlab.engine.capture import Capture
from convlab.engine.sources import FrameSource, TestPatternSource, VideoSource
from convlab.errors import SourceError
from tests.engine.test_capture import take_next

FRAMES = 40
STEP = 6  # grey level between frames: MJPEG's error stays far below it


def write_clip(path, frames: int = FRAMES, fps: float = 20.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (32, 24))
    for index in range(frames):
        writer.write(np.full((24, 32, 3), index * STEP, np.uint8))
    writer.release()


def frame_number(image: np.ndarray) -> int:
    return round(float(image.mean()) / STEP)


class SeekableFile(FrameSource):
    """``count`` numbered frames at ``fps``, looping, that can jump to any of them."""

    seekable = True

    def __init__(self, count: int, fps: float) -> None:
        self.name, self.fps, self.frame_count = "clip.avi", fps, count
        self.next_index = 0
        self.seeks: list[int] = []
        self.lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int]:
        return (4, 4)

    def read(self) -> np.ndarray:
        with self.lock:
            if self.next_index >= self.frame_count:
                self.next_index = 0
            self.next_index += 1
            return np.full((4, 4, 3), (self.next_index - 1) % 256, np.uint8)

    def seek(self, index: int) -> None:
        with self.lock:
            self.seeks.append(index)
            self.next_index = index


def test_a_video_file_jumps_to_a_frame_and_goes_on_from_there(tmp_path) -> None:
    path = tmp_path / "clip.avi"
    write_clip(path)
    source = VideoSource(path)
    try:
        assert source.seekable and source.frame_count == FRAMES
        assert source.next_index == 0
        assert frame_number(source.read()) == 0 and source.next_index == 1
        source.seek(25)
        assert source.next_index == 25
        assert [frame_number(source.read()) for _ in range(3)] == [25, 26, 27]
        assert source.next_index == 28
        source.seek(10_000)  # past the end: the last frame
        assert frame_number(source.read()) == FRAMES - 1
        assert frame_number(source.read()) == 0 and source.next_index == 1  # looped
        source.seek(-5)
        assert frame_number(source.read()) == 0
    finally:
        source.close()


def test_cameras_streams_and_patterns_cannot_seek() -> None:
    pattern = TestPatternSource(32, 24)
    assert not pattern.seekable
    with pytest.raises(SourceError, match="cannot jump"):
        pattern.seek(3)


def test_a_seek_shows_the_frame_asked_for_at_once_and_keeps_the_clock() -> None:
    now = [100.0]  # the file's clock, moved by hand: "at once" means before it moves
    source = SeekableFile(count=100, fps=50.0)
    capture = Capture(source, clock=lambda: now[0])
    try:
        first = take_next(capture)
        assert (int(first.image[0, 0, 0]), first.index) == (0, 0)
        time.sleep(0.05)  # frame 1 is decoded ahead by now (due in 20 ms of the clock)
        assert capture.take() is None
        capture.seek(60)
        jumped = take_next(capture)  # the clock has not moved
        assert (int(jumped.image[0, 0, 0]), jumped.index) == (60, 60)  # not the stale frame 1
        following = []
        for _ in range(3):
            assert capture.take() is None  # the next frame waits for its time
            now[0] += 0.02
            following.append(take_next(capture))
        assert [f.index for f in following] == [61, 62, 63]
        assert [int(f.image[0, 0, 0]) for f in following] == [61, 62, 63]
        assert source.seeks == [60]
    finally:
        capture.close()


def test_many_seeks_in_a_row_end_on_the_last_one() -> None:
    """Scrubbing: a burst of seeks shows the frame of the last one, never an older one."""
    capture = Capture(SeekableFile(count=500, fps=30.0))
    try:
        take_next(capture)
        for index in range(100, 400, 7):
            capture.seek(index)
        capture.seek(321)
        frame = take_next(capture)
        assert frame.index == 321 and int(frame.image[0, 0, 0]) == 321 % 256
    finally:
        capture.close()

"""Videos, cameras, the test pattern and ``open_source``: frames in order, sources that stop,
open deadlines, and how failures read (image files: test_sources.py).

Every video is generated here with OpenCV's MJPEG encoder; cameras are faked.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from convlab.engine import sources
from convlab.engine.sources import (
    ImageSource,
    SourceLost,
    TestPatternSource,
    VideoSource,
    list_cameras,
    load_image,
    open_source,
)
from convlab.errors import SourceError
from tests.engine.test_sources import (
    assert_rgb8,
    bgr,
    make_video,
    rgb_test_image,
    video_frame,
    write_image,
)

# -- videos --------------------------------------------------------------------------------


def gray_level(frame: np.ndarray) -> int:
    return round(float(frame[24:, 32:].mean()))


def test_video_file_frames_in_order_then_loop(tmp_path: Path) -> None:
    path = make_video(tmp_path / "clip.avi", 4)
    with VideoSource(path) as source:
        assert source.size == (64, 48)
        assert source.fps == pytest.approx(25.0)
        assert not source.is_live
        assert not source.is_still
        assert source.frame_count == 4
        levels = []
        for _ in range(10):
            frame = source.read()
            assert_rgb8(frame, (48, 64))
            assert np.abs(frame[8, 8].astype(int) - (255, 0, 0)).max() < 40  # red, in RGB
            levels.append(gray_level(frame))
    expected = [20 + 40 * (i % 4) for i in range(10)]  # 4 frames, then again from the start
    assert np.abs(np.array(levels) - expected).max() <= 6


def test_video_without_loop_ends_with_none(tmp_path: Path) -> None:
    path = make_video(tmp_path / "clip.avi", 3)
    source = VideoSource(path, loop=False)
    frames = [source.read() for _ in range(3)]
    assert all(frame is not None for frame in frames)
    assert source.read() is None
    assert source.read() is None
    source.close()
    source.close()  # twice is fine
    with pytest.raises(SourceError, match="closed"):
        source.read()


def test_zero_frame_video_fails_at_open(tmp_path: Path) -> None:
    path = make_video(tmp_path / "empty.avi", 0)
    with pytest.raises(SourceError) as info:
        VideoSource(path)
    assert str(path) in str(info.value)


def test_corrupt_video_fails_at_open(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.avi"
    path.write_bytes(bytes(np.random.default_rng(2).integers(0, 256, 8000, dtype=np.uint8)))
    with pytest.raises(SourceError) as info:
        open_source(path)
    assert str(path) in str(info.value)


def test_missing_video_names_path(tmp_path: Path) -> None:
    path = tmp_path / "gone.mp4"
    with pytest.raises(SourceError, match=re.escape(str(path))):
        VideoSource(path)


def test_missing_camera_fails_fast() -> None:
    if Path("/dev/video7").exists():
        pytest.skip("this machine has a /dev/video7")
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"^Camera 7: could not be opened \(no such device"):
        open_source(7)
    assert time.monotonic() - started < 5.0


def test_a_camera_without_a_device_node_fails_at_once_on_linux(monkeypatch) -> None:
    if not sys.platform.startswith("linux") or Path("/dev/video7").exists():
        pytest.skip("needs Linux without a /dev/video7")
    asked: list[object] = []

    def opencv(*args):
        asked.append(args)
        raise AssertionError("OpenCV asked for a camera that has no device node")

    monkeypatch.setattr(sources, "opencv_capture", opencv)
    with pytest.raises(SourceError, match=re.escape("/dev/video7 does not exist")):
        VideoSource(7)
    assert asked == []  # OpenCV was not even asked


def test_unreachable_stream_fails_fast() -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match=re.escape("rtsp://127.0.0.1:1/none")):
        open_source("rtsp://127.0.0.1:1/none", open_timeout=2.0)
    assert time.monotonic() - started < 4.0


def test_list_cameras_is_empty_and_quick_without_cameras() -> None:
    if any(Path(f"/dev/video{i}").exists() for i in range(6)):
        pytest.skip("this machine has video devices")
    started = time.monotonic()
    assert list_cameras() == []
    assert time.monotonic() - started < 2.0


# -- cameras, simulated --------------------------------------------------------------------


class FakeCapture:
    """Stands in for cv2.VideoCapture: delivers ``frames`` then (if ``then_fail``) nothing."""

    def __init__(self, frames: list[np.ndarray], *, opened: bool = True, fps: float = 30.0):
        self.frames = list(frames)
        self.opened = opened
        self.fps = fps
        self.settings: dict[int, float] = {}
        self.released = False

    def isOpened(self) -> bool:
        return self.opened and not self.released

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.released or not self.frames:
            return False, None
        return True, self.frames.pop(0)

    def set(self, prop: int, value: float) -> bool:
        self.settings[prop] = value
        return True

    def get(self, prop: int) -> float:
        return self.fps if prop == cv2.CAP_PROP_FPS else 0.0

    def release(self) -> None:
        self.released = True


def factory_of(*captures: FakeCapture):
    made: list[FakeCapture] = []
    pending = list(captures)

    def factory(target, api, params) -> FakeCapture:
        capture = pending.pop(0)
        made.append(capture)
        return capture

    factory.made = made  # type: ignore[attr-defined]
    return factory


def test_a_camera_that_stops_delivering_reads_nothing_new_and_can_be_opened_again() -> None:
    """Whether a silent camera is lost is the capture thread's call (``test_capture``): the
    source itself answers None, without spinning on a device that fails at once."""
    frames = [video_frame(i) for i in range(3)]
    factory = factory_of(FakeCapture(frames), FakeCapture([video_frame(3)] * 5))
    source = VideoSource(0, capture_factory=factory)
    assert source.is_live
    assert source.name == "Camera 0"
    delivered = [source.read() for _ in range(3)]
    assert [gray_level(f) for f in delivered] == [20, 60, 100]
    started = time.monotonic()
    assert [source.read() for _ in range(5)] == [None] * 5
    assert time.monotonic() - started >= 5 * 0.015  # it waited between failed reads
    source.close()
    assert factory.made[0].released
    again = VideoSource(0, capture_factory=factory)
    assert gray_level(again.read()) == 140
    again.close()
    assert factory.made[1].released


def test_camera_that_does_not_open() -> None:
    factory = factory_of(FakeCapture([], opened=False))
    with pytest.raises(SourceError, match=r"^Camera 3: could not be opened \(no such device\?\)"):
        VideoSource(3, capture_factory=factory)


def test_camera_that_opens_but_gives_nothing() -> None:
    factory = factory_of(FakeCapture([]))
    with pytest.raises(SourceError, match="Camera 1: opened but delivered no picture"):
        VideoSource(1, capture_factory=factory)
    assert factory.made[0].released


def test_open_deadlines_are_for_cameras_and_streams_only(tmp_path: Path) -> None:
    assert sources.open_deadline(2, {}) == ("Camera 2", sources.DEFAULT_OPEN_TIMEOUT_S)
    assert sources.open_deadline("2", {"open_timeout": 0.5}) == ("Camera 2", 0.5)
    named = sources.open_deadline(1, {"camera_name": "HD Webcam"})
    assert named is not None and named[0] == "Camera 1 (HD Webcam)"
    assert sources.open_deadline("rtsp://me:pw@cam/live", {}) == (
        "rtsp://***@cam/live",
        sources.DEFAULT_OPEN_TIMEOUT_S,
    )
    assert sources.open_deadline(str(tmp_path / "clip.mp4"), {}) is None
    assert sources.open_deadline("pattern", {}) is None


def test_camera_mirror_and_resolution_request() -> None:
    frame = np.zeros((4, 6, 3), np.uint8)
    frame[:, 0] = (255, 0, 0)  # BGR blue in the left column
    factory = factory_of(FakeCapture([frame]))
    source = VideoSource(0, mirror=True, width=1280, height=720, capture_factory=factory)
    capture = factory.made[0]
    assert capture.settings[cv2.CAP_PROP_FRAME_WIDTH] == 1280
    assert capture.settings[cv2.CAP_PROP_FRAME_HEIGHT] == 720
    image = source.read()
    assert image[:, 5].tolist() == [[0, 0, 255]] * 4  # blue, now in the right column (RGB)
    assert image[:, 0].tolist() == [[0, 0, 0]] * 4
    assert source.fps == 30.0


def test_video_that_cannot_seek_is_reopened_to_loop(tmp_path: Path) -> None:
    path = make_video(tmp_path / "unseekable.avi", 2)  # only for the path checks
    first = FakeCapture([video_frame(0), video_frame(1)])  # ignores the rewind request
    again = FakeCapture([video_frame(0), video_frame(1)])
    factory = factory_of(first, again)
    source = VideoSource(path, capture_factory=factory)
    levels = [gray_level(source.read()) for _ in range(4)]
    assert levels == [20, 60, 20, 60]
    assert first.released
    assert first.settings[cv2.CAP_PROP_POS_FRAMES] == 0


def test_video_that_cannot_restart_is_lost(tmp_path: Path) -> None:
    path = make_video(tmp_path / "dies.avi", 1)
    factory = factory_of(FakeCapture([video_frame(0)]), FakeCapture([], opened=False))
    source = VideoSource(path, capture_factory=factory)
    assert source.read() is not None
    with pytest.raises(SourceLost, match="could not restart"):
        source.read()


def test_negative_camera_index() -> None:
    with pytest.raises(SourceError, match="Camera -1"):
        VideoSource(-1)


# -- test pattern, still images, dispatch, samples -----------------------------------------


def test_pattern_moves_and_is_deterministic() -> None:
    source = open_source("pattern")
    assert isinstance(source, TestPatternSource)
    first, second = source.read(), source.read()
    assert_rgb8(first, (480, 640))
    assert not np.array_equal(first, second)
    assert first.std() > 40  # a busy, high-contrast picture
    again = TestPatternSource()
    assert np.array_equal(again.read(), first)
    assert source.size == (640, 480)
    assert source.fps == 30.0
    small = TestPatternSource(width=160, height=120)
    assert_rgb8(small.read(), (120, 160))


def test_pattern_size_is_checked() -> None:
    with pytest.raises(SourceError, match="3x3"):
        TestPatternSource(width=3, height=3)


def test_image_source_repeats_one_read_only_frame(tmp_path: Path) -> None:
    rgb = rgb_test_image()
    source = open_source(write_image(tmp_path / "still.png", bgr(rgb)))
    assert isinstance(source, ImageSource)
    assert source.is_still
    assert source.name == "still.png"
    first = source.read()
    assert source.read() is first
    assert np.array_equal(first, rgb)
    assert not first.flags.writeable
    assert source.size == (32, 24)


def test_image_source_from_arrays() -> None:
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    frame = open_source(gray).read()
    assert frame.shape == (3, 4, 3)
    assert (frame[:, :, 1] == gray).all()
    with pytest.raises(SourceError, match="float"):
        ImageSource(np.zeros((3, 3), np.float64))


def test_open_source_dispatch(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", 2)
    assert isinstance(open_source(video), VideoSource)
    assert isinstance(open_source(str(video)), VideoSource)
    with pytest.raises(SourceError, match="Camera 6"):
        open_source("6")
    with pytest.raises(SourceError, match=re.escape(str(tmp_path / "none.mp4"))):
        open_source(tmp_path / "none.mp4")
    with pytest.raises(SourceError):
        open_source(3.5)


def test_open_source_unknown_file(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SourceError, match="neither an image nor a video") as info:
        open_source(path)
    assert str(path) in str(info.value)


def test_sample_images_ship_with_licences() -> None:
    images = sources.sample_images()
    names = [path.name for path in images]
    assert "test_card.png" in names
    assert len(images) >= 3
    assert images[0] == sources.default_image_path()
    licence = (images[0].parent / "LICENSE.md").read_text(encoding="utf-8")
    for path in images:
        assert path.name in licence
        image = load_image(path)
        assert image.shape[0] >= 256
        assert image.shape[1] >= 256
    total = sum(path.stat().st_size for path in images)
    assert total < 2_000_000

"""Where frames come from: a still image, a video file, a stream, a webcam, a test pattern.

The window's capture thread (``engine.capture``) calls a ``FrameSource``'s ``read()`` in a
loop. Every source gives the same thing, a C-contiguous HxWx3 uint8 RGB frame (OpenCV's BGR is
converted here, once), so nothing downstream cares where pixels came from. ``read()`` returns
None when there is nothing new (a video that ended without looping, a camera that skipped a
beat, or one that was unplugged: the capture thread says it is lost after a silence) and raises
``SourceLost`` when a file cannot go on, so the window keeps the last frame and offers to
reconnect instead of freezing or crashing.

Cameras are the risky part: a missing device, a device in use or a network stream that never
answers can block ``cv2.VideoCapture`` for a long time. The window therefore opens beside the
picture it plays (``engine.opening``), giving cameras and streams ``open_deadline`` seconds;
whether a source that was playing has stopped is the capture thread's call (``engine.capture``).
"""

from __future__ import annotations

import abc
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import cv2
import numpy as np

from convlab.engine.assets import resource_path
from convlab.engine.cameras import (
    camera_device_missing,
    describe_mode,
    probe_indices,
    request_mode,
)
from convlab.engine.image_files import (
    DEFAULT_PREVIEW_PIXELS,
    IMAGE_EXTENSIONS,
    LoadedImage,
    load_image,
    preview_size,
    read_head,
    read_image,
    reduce_for_preview,
    sniff_format,
    sniff_video,
)
from convlab.engine.masking import mask_url
from convlab.engine.patterns import MovingPattern
from convlab.engine.video_frames import (
    bgr_to_rgb,
    opencv_capture,
    plausible_fps,
    to_uint8_frame,
)
from convlab.errors import SourceError

MAX_CAMERA_INDEX = 9999  # OpenCV adds the index to a backend's number: keep it an index

__all__ = [
    "DEFAULT_PREVIEW_PIXELS",
    "VIDEO_EXTENSIONS",
    "FrameSource",
    "ImageSource",
    "LoadedImage",
    "SourceError",
    "SourceLost",
    "TestPatternSource",
    "VideoSource",
    "default_image_path",
    "list_cameras",
    "load_image",
    "open_deadline",
    "open_source",
    "preview_size",
    "read_image",
    "reduce_for_preview",
    "sample_images",
]

VIDEO_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".wmv", ".flv", ".mpg", ".mpeg",
        ".ts", ".mts", ".m2ts", ".3gp", ".ogv", ".mjpeg", ".mjpg", ".y4m",
    }
)  # fmt: skip
MOTION_JPEG_EXTENSIONS: frozenset[str] = frozenset({".mjpeg", ".mjpg"})
STREAM_SCHEMES: tuple[str, ...] = (
    "rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "rtp", "mms",
)  # fmt: skip

# The built-in pictures: installed with the package (see convlab.engine.assets).
RESOURCE_IMAGES = resource_path("images")
_DEFAULT_IMAGE_NAMES = ("astronaut.jpg", "test_card.png")

# How long a camera or stream may take to open (and FFmpeg's timeouts for streams and files).
DEFAULT_OPEN_TIMEOUT_S = 5.0
_RETRY_INTERVAL_S = 0.02
_FILE_FALLBACK_FPS = 30.0


class SourceLost(SourceError):  # noqa: N818 (the name the UI and DESIGN use)
    """A source that was delivering frames has stopped; opening it again may help."""


class FrameSource(abc.ABC):
    """One stream of HxWx3 uint8 RGB frames. Use as a context manager, or call close().

    ``fps`` is the native rate (for pacing a file or pattern; None if unknown), ``is_live``
    means ``read()`` itself waits for the next frame (camera, stream), ``is_still`` means
    every read returns the same picture (recompute only when the kernel changes). A
    ``seekable`` file has ``frame_count`` frames; ``read()`` gives ``next_index`` next.
    """

    name: str = ""
    fps: float | None = None
    is_live: bool = False
    is_still: bool = False
    seekable: bool = False
    frame_count: int | None = None
    next_index: int | None = None
    warnings: tuple[str, ...] = ()

    @abc.abstractmethod
    def read(self) -> np.ndarray | None:
        """The next frame, or None when there is nothing new; SourceLost if it has died."""

    @property
    @abc.abstractmethod
    def size(self) -> tuple[int, int] | None:
        """(width, height) of the frames, None if not known yet."""

    def skip(self) -> bool:
        """Take the next frame without converting it (keeps a live source's queues empty
        while nobody looks); True if there was one. SourceLost if the source has died."""
        return self.read() is not None

    def seek(self, index: int) -> None:
        """Make frame ``index`` the next one ``read()`` gives (seekable sources only)."""
        raise SourceError(f"{self.name or 'this source'}: cannot jump to a frame (not a file)")

    def close(self) -> None:
        """Release the device or file. Safe to call twice."""
        return None

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class ImageSource(FrameSource):
    """A still image: every ``read()`` returns the same (read-only) frame.

    Pictures larger than ``max_pixels`` are shrunk for live work (``preview_scale`` < 1 and
    a warning says so); ``full_image`` keeps every pixel for export. ``max_pixels=None``
    keeps the full size.
    """

    is_still = True

    def __init__(
        self,
        image: str | os.PathLike[str] | np.ndarray,
        *,
        name: str | None = None,
        background: str = "white",
        max_pixels: int | None = DEFAULT_PREVIEW_PIXELS,
    ) -> None:
        warnings: list[str] = []
        if isinstance(image, np.ndarray):
            full = _array_to_rgb(image)
            self.path: Path | None = None
            self.name = name or "image"
        else:
            loaded = read_image(image, background=background)
            full = loaded.image
            warnings.extend(loaded.warnings)
            self.path = loaded.path
            self.name = name or loaded.path.name
        full.flags.writeable = False
        self.full_image = full
        frame, scale = (full, 1.0) if max_pixels is None else reduce_for_preview(full, max_pixels)
        if scale < 1.0:
            height, width = full.shape[:2]
            warnings.append(
                f"large image ({width}x{height}, {width * height / 1e6:.0f} MP): working on a "
                f"{frame.shape[1]}x{frame.shape[0]} preview; export uses the full resolution"
            )
            frame.flags.writeable = False
        self.preview_scale = scale
        self._frame = frame
        self.warnings = tuple(warnings)

    @property
    def size(self) -> tuple[int, int]:
        return self._frame.shape[1], self._frame.shape[0]

    def read(self) -> np.ndarray:
        return self._frame


def _array_to_rgb(image: np.ndarray) -> np.ndarray:
    """An in-memory picture (clipboard, tests) as HxWx3 uint8 RGB; gray is expanded."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise SourceError(f"Image array of type {array.dtype}: expected uint8 pixels")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        return cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_GRAY2RGB)
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array).copy()
    if array.ndim == 3 and array.shape[2] == 4:
        return np.ascontiguousarray(array[:, :, :3])
    raise SourceError(f"Image array of shape {array.shape}: expected HxW, HxWx3 or HxWx4")


class TestPatternSource(FrameSource):
    """A moving test card (``patterns.MovingPattern``), paced by the reader at ``fps``."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        if not (16 <= int(width) <= 8192 and 16 <= int(height) <= 8192):
            raise SourceError(f"Test pattern of {width}x{height}: size must be 16..8192 pixels")
        if not fps > 0:
            raise SourceError(f"Test pattern at {fps} fps: the rate must be positive")
        self._pattern = MovingPattern(int(width), int(height), float(fps))
        self.name = "Test pattern"
        self.fps = float(fps)
        self.frame_index = 0

    @property
    def size(self) -> tuple[int, int]:
        return self._pattern.width, self._pattern.height

    def read(self) -> np.ndarray:
        frame = self._pattern.frame(self.frame_index)
        self.frame_index += 1
        return frame


CaptureFactory = Callable[[Any, int, Sequence[int]], Any]
"""(target, api_preference, params) -> an object with cv2.VideoCapture's methods."""


class VideoSource(FrameSource):
    """Webcam index, video file or stream URL, on one ``cv2.VideoCapture``.

    Files rewind at the end when ``loop`` (else ``read()`` returns None from then on) and
    report their own ``fps`` for pacing. Cameras take a requested ``width``/``height`` (the
    driver picks the nearest mode it has), ``fourcc`` (e.g. "MJPG"; by default MJPG above
    640x480, where uncompressed video cannot reach 30 fps over USB 2), ``camera_name`` (shown
    beside the index) and ``mirror`` (selfie view); ``negotiated`` then says what the driver
    agreed to. A camera or stream with nothing new reads None (``engine.capture`` decides when
    that means lost). Opening blocks until the device answers: ``engine.opening`` runs it beside
    the playing source with a deadline; ``open_timeout`` is FFmpeg's own for streams and files.
    ``capture_factory`` replaces ``cv2.VideoCapture`` (tests, custom backends).
    """

    def __init__(
        self,
        spec: int | str | os.PathLike[str],
        *,
        loop: bool = True,
        width: int | None = None,
        height: int | None = None,
        fourcc: str | None = None,
        camera_name: str | None = None,
        mirror: bool = False,
        open_timeout: float = DEFAULT_OPEN_TIMEOUT_S,
        capture_factory: CaptureFactory | None = None,
    ) -> None:
        self._spec = spec
        self.loop = loop
        self.mirror = mirror
        self._requested = (width, height)
        self._fourcc = fourcc
        self.negotiated: str | None = None
        self._open_timeout = float(open_timeout)
        self._factory = capture_factory or opencv_capture
        self._lock = threading.Lock()
        self._capture: Any = None
        self._pending: np.ndarray | None = None
        self._size: tuple[int, int] | None = None
        self._ended = False
        self._closed = False
        self.frame_count: int | None = None

        if isinstance(spec, bool) or not isinstance(spec, (int, str, os.PathLike)):
            raise SourceError(f"Video source {spec!r}: expected a camera index, a path or a URL")
        if isinstance(spec, int):
            if spec < 0:
                raise SourceError(f"Camera {spec}: a camera index cannot be negative")
            if spec > MAX_CAMERA_INDEX:
                raise SourceError(
                    f"Camera {spec}: no such camera (indices go from 0 to {MAX_CAMERA_INDEX})"
                )
            self.kind = "camera"
            self.name = f"Camera {spec}" + (f" ({camera_name})" if camera_name else "")
            self.is_live = True
        elif isinstance(spec, str) and _is_url(spec):
            self.kind = "stream"
            self.name = mask_url(spec)
            self.is_live = True
        else:
            self.kind = "file"
            self.path = Path(spec)
            self.name = self.path.name
            self.is_live = False
            self.seekable = True
            self.next_index = 0
            read_head(self.path, "Video")  # missing, folder, permission, empty: say so now
        self._label = f"Video '{self.path}'" if self.kind == "file" else self.name
        self._open()

    # -- opening -------------------------------------------------------------------------

    def _target_and_params(self) -> tuple[Any, int, list[int]]:
        if self.kind == "camera":
            # No timeout properties here: V4L2 and others refuse to open when given a
            # property they do not support; ``engine.opening`` gives up on it instead.
            return int(self._spec), cv2.CAP_ANY, []
        millis = max(1, round(self._open_timeout * 1000))
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, millis, cv2.CAP_PROP_READ_TIMEOUT_MSEC, millis]
        target = str(self._spec) if self.kind == "stream" else str(self.path)
        return target, cv2.CAP_FFMPEG, params

    def _create_and_grab(self) -> tuple[Any, np.ndarray | None]:
        """Open, configure, and read one frame to prove it works."""
        target, api, params = self._target_and_params()
        capture = self._factory(target, api, params)
        if not capture.isOpened() and self.kind == "file":
            capture.release()
            capture = self._factory(target, cv2.CAP_ANY, [])  # e.g. OpenCV's own MJPEG reader
        if not capture.isOpened():
            capture.release()
            return None, None
        if self.kind == "camera":
            request_mode(capture, *self._requested, self._fourcc)
        ok, frame = capture.read()
        if not ok or frame is None or frame.size == 0:
            return capture, None
        return capture, frame

    def _open(self) -> None:
        if (
            self.kind == "camera"
            and self._factory is opencv_capture
            and camera_device_missing(int(self._spec))
        ):
            # Asking OpenCV would only print driver warnings and fail anyway, a little later.
            raise SourceError(
                f"{self._label}: could not be opened (no such device: "
                f"/dev/video{int(self._spec)} does not exist)"
            )

        try:
            capture, first = self._create_and_grab()
        except cv2.error as exc:
            raise SourceError(f"{self._label}: could not be opened ({exc.err})") from exc
        if capture is None:
            raise SourceError(f"{self._label}: {self._why_not_opened()}")
        if first is None:
            capture.release()
            raise SourceError(f"{self._label}: {self._why_no_frame()}")
        self._capture = capture
        self._pending = first
        frame_height, frame_width = first.shape[:2]
        self._size = (frame_width, frame_height)
        native = plausible_fps(float(capture.get(cv2.CAP_PROP_FPS) or 0.0))
        self.fps = native if native or self.kind != "file" else _FILE_FALLBACK_FPS
        if self.kind == "file":
            count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            self.frame_count = count if count > 0 else None
        if self.kind == "camera":
            self.negotiated = describe_mode(frame_width, frame_height, capture, self.fps)
        self._ended = False

    def _why_not_opened(self) -> str:
        if self.kind == "camera":
            return "could not be opened (no such device?)"
        if self.kind == "stream":
            return "could not be opened (wrong address, or the stream is not running?)"
        return "could not be opened (not a video, or a format OpenCV cannot decode)"

    def _why_no_frame(self) -> str:
        if self.kind == "camera":
            return "opened but delivered no picture (in use by another program?)"
        if self.kind == "stream":
            return "connected but delivered no picture"
        return "contains no frames that can be decoded (empty or corrupt video)"

    # -- reading -------------------------------------------------------------------------

    @property
    def size(self) -> tuple[int, int] | None:
        return self._size

    def read(self) -> np.ndarray | None:
        return self._next(decode=True)

    def skip(self) -> bool:
        """A live source's next frame grabbed but not decoded; True if there was one."""
        return self._next(decode=not self.is_live) is not None

    def _next(self, decode: bool) -> Any:
        with self._lock:
            if self._closed:
                raise SourceError(f"{self._label}: already closed")
            if self._pending is not None:
                frame, self._pending = self._pending, None
                self.next_index = None if self.next_index is None else self.next_index + 1
                return self._deliver(frame, decode)
            if self._ended:
                return None
            ok, frame = self._grab(decode)
            if ok:
                self.next_index = None if self.next_index is None else self.next_index + 1
                return self._deliver(frame, decode)
            if self.kind == "file":
                return self._at_end_of_file()
            return self._missed_live_frame()

    def _grab(self, decode: bool = True) -> tuple[bool, np.ndarray | None]:
        try:
            if not decode:
                return bool(self._capture.grab()), None
            ok, frame = self._capture.read()
        except cv2.error:
            return False, None
        return bool(ok) and frame is not None and frame.size > 0, frame

    def _deliver(self, frame: np.ndarray | None, decode: bool = True) -> Any:
        if not decode:
            return True
        rgb = bgr_to_rgb(to_uint8_frame(frame))
        if self.mirror:
            rgb = cv2.flip(rgb, 1)
        self._size = (rgb.shape[1], rgb.shape[0])
        return np.ascontiguousarray(rgb)

    def _at_end_of_file(self) -> np.ndarray | None:
        if not self.loop:
            self._ended = True
            return None
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        ok, frame = self._grab()
        if not ok:
            # Some containers cannot seek; reopening always starts at frame 0.
            self._capture.release()
            self._capture = self._factory(*self._target_and_params())
            ok, frame = self._grab() if self._capture.isOpened() else (False, None)
        if not ok:
            raise SourceLost(f"{self._label}: could not restart from the beginning")
        self.next_index = 1
        return self._deliver(frame)

    def seek(self, index: int) -> None:
        """Jump a file to frame ``index`` (clamped to the file): ``read()`` gives it next."""
        if self.kind != "file":
            super().seek(index)
        with self._lock:
            if self._closed or self._capture is None:
                raise SourceError(f"{self._label}: already closed")
            index = min(max(int(index), 0), max((self.frame_count or 1) - 1, 0))
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            self._pending, self._ended, self.next_index = None, False, index

    def _missed_live_frame(self) -> None:
        time.sleep(_RETRY_INTERVAL_S)  # a dead device fails instantly: do not spin
        return None

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        # Waits for a read in progress (at most one frame time, or the read timeout).
        with self._lock:
            self._closed = True
            self._pending = None
            if self._capture is not None:
                self._capture.release()
                self._capture = None

    def __del__(self) -> None:
        capture = getattr(self, "_capture", None)
        if capture is not None:
            capture.release()


def _is_url(text: str) -> bool:
    scheme, separator, _ = text.partition("://")
    return bool(separator) and scheme.lower() in STREAM_SCHEMES


list_cameras = probe_indices  # the indices that open; cameras.find_cameras also names them


def open_source(spec: Any, **options: Any) -> FrameSource:
    """A FrameSource for whatever a person named.

    int (or a string of digits that is not a file) -> webcam; "pattern" -> test pattern;
    a URL (rtsp://, http(s)://, ...) -> stream; a path -> image or video, decided by the
    file's content (then its extension); a numpy array -> still image; a FrameSource is
    returned as is. ``options`` go to the chosen source (e.g. ``mirror``, ``loop``, ``width``).
    """
    if isinstance(spec, FrameSource):
        return spec
    if isinstance(spec, np.ndarray):
        return ImageSource(spec, **options)
    if isinstance(spec, bool):
        raise SourceError(f"Source {spec!r}: expected a camera index, a path, a URL or 'pattern'")
    if isinstance(spec, int):
        return VideoSource(spec, **options)
    if isinstance(spec, str):
        text = spec.strip()
        if text.lower() == "pattern":
            return TestPatternSource(**options)
        if _is_url(text):
            return VideoSource(text, **options)
        if text.lower().startswith("file://"):  # a file's URL, as pasted from a file manager
            spec = text = url2pathname(urlsplit(text).path)
        if text.isdigit() and not os.path.exists(text):
            return VideoSource(int(text), **options)
        if not text:
            raise SourceError("Source '': empty name; give a file, a camera number or 'pattern'")
    if not isinstance(spec, (str, os.PathLike)):
        raise SourceError(f"Source {spec!r}: expected a camera index, a path, a URL or 'pattern'")
    path = Path(spec)
    head = read_head(path, "File")
    extension = path.suffix.lower()
    if extension in MOTION_JPEG_EXTENSIONS:
        return VideoSource(path, **options)  # a stream of JPEGs: its first bytes are a JPEG's
    if sniff_format(head):
        return ImageSource(path, **options)
    if sniff_video(head) or extension in VIDEO_EXTENSIONS:
        return VideoSource(path, **options)
    if extension in IMAGE_EXTENSIONS:
        return ImageSource(path, **options)  # raises, with the reason it is not an image
    try:
        return VideoSource(path, **options)
    except SourceError as exc:
        raise SourceError(
            f"File '{path}': neither an image nor a video that ConvLab can read"
        ) from exc


def open_deadline(spec: Any, options: dict[str, Any]) -> tuple[str, float] | None:
    """(name, seconds): how long opening ``spec`` may take before it is given up. Cameras and
    streams only (a driver or a server may never answer); pictures and files take their time."""
    seconds = float(options.get("open_timeout", DEFAULT_OPEN_TIMEOUT_S))
    text = spec.strip() if isinstance(spec, str) else None
    if text is not None and text.isdigit() and not os.path.exists(text):
        spec = int(text)
    if isinstance(spec, int) and not isinstance(spec, bool):
        name = options.get("camera_name")
        return f"Camera {spec}" + (f" ({name})" if name else ""), seconds
    if text is not None and _is_url(text):
        return mask_url(text), seconds
    return None


def sample_images() -> list[Path]:
    """The built-in pictures (resources/images), the default (first impression) first."""
    if not RESOURCE_IMAGES.is_dir():
        return []
    found = sorted(
        p for p in RESOURCE_IMAGES.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )
    rank = {name: position for position, name in enumerate(_DEFAULT_IMAGE_NAMES)}
    return sorted(found, key=lambda p: (rank.get(p.name, len(rank)), p.name))


def default_image_path() -> Path:
    """The picture the app opens on: a photo with a face and edges, else the test card."""
    images = sample_images()
    if not images:
        raise SourceError(f"Sample images: none found in '{RESOURCE_IMAGES}'")
    return images[0]

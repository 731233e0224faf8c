"""Which cameras there are, what they are called, and which sizes and rates they offer.

On Linux every webcam is a V4L2 device, /dev/videoN, whose name is in
/sys/class/video4linux/videoN/name ("HD Webcam C270"). Its formats, frame sizes and frame
rates are asked with four ioctls (QUERYCAP, ENUM_FMT, ENUM_FRAMESIZES, ENUM_FRAMEINTERVALS)
that do not start streaming, so listing works even while another program uses the camera and
never waits for a driver. Many webcams have a second node for metadata: QUERYCAP tells, and
only capture devices are listed. Elsewhere (macOS, Windows) OpenCV cannot name devices: the
indices that open are listed as "Camera N", without modes.

Indices change when cameras are plugged in another order; names do not. ``pick_camera``
finds the camera a person chose last time by its name first.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from convlab.engine.opening import PendingOpen
from convlab.errors import SourceError

SYSFS = Path("/sys/class/video4linux")
DEVICES = Path("/dev")

# ioctl numbers and struct layouts of linux/videodev2.h (checked against the header).
VIDIOC_QUERYCAP = 0x80685600  # struct v4l2_capability, 104 bytes
VIDIOC_ENUM_FMT = 0xC0405602  # struct v4l2_fmtdesc, 64 bytes
VIDIOC_ENUM_FRAMESIZES = 0xC02C564A  # struct v4l2_frmsizeenum, 44 bytes
VIDIOC_ENUM_FRAMEINTERVALS = 0xC034564B  # struct v4l2_frmivalenum, 52 bytes
CAPABILITY = struct.Struct("=16s32s32sIII12x")
FMTDESC = struct.Struct("=III32sII12x")
FRMSIZE = struct.Struct("=III6I8x")
FRMIVAL = struct.Struct("=IIIII6I8x")
V4L2_BUF_TYPE_VIDEO_CAPTURE = 1
V4L2_CAP_VIDEO_CAPTURE = 0x1
V4L2_CAP_VIDEO_CAPTURE_MPLANE = 0x1000
V4L2_CAP_DEVICE_CAPS = 0x80000000
DISCRETE, CONTINUOUS, STEPWISE = 1, 2, 3

# Sizes offered from a device that reports a range instead of a list.
COMMON_SIZES = ((320, 240), (640, 480), (800, 600), (1280, 720), (1920, 1080), (3840, 2160))
_MAX_ENTRIES = 256  # a driver that never says "no more" must not keep us looping
_PROBE_MAX_INDEX = 5

Ioctl = Callable[[int, int, bytearray], object]


@dataclass(frozen=True)
class CameraMode:
    """One way a camera can deliver: pixel format, size, and its fastest frame rate there."""

    fourcc: str  # "YUYV" (uncompressed), "MJPG" (JPEG-compressed), ...
    width: int
    height: int
    fps: float

    @property
    def label(self) -> str:
        return f"{self.width}x{self.height} · {self.fps:g} fps ({self.fourcc})"


@dataclass(frozen=True)
class Camera:
    """A camera as the system reports it: its index, its name, the modes it offers."""

    index: int
    name: str
    modes: tuple[CameraMode, ...] = ()

    @property
    def label(self) -> str:
        """What a menu shows: "HD Webcam C270 (camera 0)", or "Camera 0" without a name."""
        generic = f"Camera {self.index}"
        return generic if self.name == generic else f"{self.name} (camera {self.index})"

    def sizes(self) -> list[tuple[int, int]]:
        """The frame sizes the camera offers, smallest first."""
        return sorted({(m.width, m.height) for m in self.modes}, key=lambda s: (s[0] * s[1], s))

    def best_mode(self, width: int, height: int, fps: float = 30.0) -> CameraMode | None:
        """The mode to ask for at this size: uncompressed when it reaches ``fps`` (no JPEG
        decoding, no artefacts), else the fastest (usually MJPG: uncompressed video over USB 2
        gives 720p at ~10 fps, MJPG keeps 30). None if the camera does not offer the size."""
        at_size = [m for m in self.modes if (m.width, m.height) == (width, height)]
        if not at_size:
            return None
        reaching = [m for m in at_size if m.fps >= fps - 0.5]
        if reaching:
            return max(reaching, key=lambda m: (m.fourcc not in _COMPRESSED, m.fourcc == "MJPG"))
        return max(at_size, key=lambda m: (m.fps, m.fourcc == "MJPG"))


_COMPRESSED = frozenset({"MJPG", "JPEG", "H264", "HEVC", "H265", "VP80", "VP90", "MPG2"})


def find_cameras(
    *,
    sysfs: Path = SYSFS,
    devices: Path = DEVICES,
    ioctl: Ioctl | None = None,
    platform: str = sys.platform,
) -> list[Camera]:
    """The cameras on this machine, by index. Linux: named, with modes, instantly; elsewhere
    the indices 0..5 that OpenCV opens (a few seconds at most; run it off the GUI thread)."""
    if not platform.startswith("linux"):
        return [Camera(index, f"Camera {index}") for index in probe_indices()]
    cameras = []
    for index in _linux_indices(sysfs, devices):
        camera = _linux_camera(index, sysfs, devices, ioctl or fcntl.ioctl)
        if camera is not None:
            cameras.append(camera)
    return cameras


def pick_camera(cameras: Sequence[Camera], name: str | None, index: int | None) -> Camera | None:
    """The camera chosen last time: by its name (the same name twice: the one at the same
    index, else the first), else by its index; None if neither is here."""
    named = [c for c in cameras if name and c.name == name]
    for camera in named:
        if camera.index == index:
            return camera
    if named:
        return named[0]
    return next((c for c in cameras if c.index == index), None)


def camera_device_missing(index: int, *, devices: Path = DEVICES) -> bool:
    """On Linux a webcam is /dev/videoN: no node means no camera, no need to ask OpenCV.

    Indices of 100 and more pick an OpenCV backend (e.g. 200 + n is V4L2 device n), so they
    are left to OpenCV.
    """
    return (
        sys.platform.startswith("linux")
        and 0 <= index < 100
        and not (devices / f"video{index}").exists()
    )


def request_mode(
    capture: Any, width: int | None, height: int | None, fourcc: str | None = None
) -> None:
    """Ask an opened camera for a size and pixel format (the driver picks the nearest it has).

    Without a ``fourcc``, MJPG above 640x480: uncompressed YUYV tops out near 10 fps at 720p
    over USB 2. One driver buffer where the backend honours it (V4L2), so even the first
    frames read are recent.
    """
    if fourcc is None and width and height and width * height > 640 * 480:
        fourcc = "MJPG"
    if fourcc:
        capture.set(cv2.CAP_PROP_FOURCC, float(fourcc_code(fourcc)))
    if width:
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, float(width))
    if height:
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, float(height))
    capture.set(cv2.CAP_PROP_BUFFERSIZE, 1.0)


def describe_mode(width: int, height: int, capture: Any, fps: float | None) -> str:
    """What a camera's driver agreed to, e.g. "1280x720 MJPG 30 fps" (parts it does not
    report are left out)."""
    parts = [f"{width}x{height}"]
    code = int(capture.get(cv2.CAP_PROP_FOURCC) or 0)
    if code > 0:
        parts.append(fourcc_text(code))
    if fps:
        parts.append(f"{fps:g} fps")
    return " ".join(parts)


def _opens(index: int) -> bool:
    """Whether OpenCV opens camera ``index`` (released again at once)."""
    capture = cv2.VideoCapture(index)
    try:
        return bool(capture.isOpened())
    finally:
        capture.release()


def probe_indices(max_index: int = _PROBE_MAX_INDEX, timeout: float = 2.0) -> list[int]:
    """Indices 0..max_index of the cameras that OpenCV opens, probed quickly and quietly.

    Each probe opens the device on a helper thread with a deadline and releases it; on
    Linux indices without a /dev/videoN node are skipped without touching OpenCV.
    """
    found: list[int] = []
    previous_level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # probes fail by design
    try:
        for index in range(max_index + 1):
            if camera_device_missing(index):
                continue

            pending = PendingOpen(index, opener=_opens, deadline=timeout)
            pending.done.wait()  # the deadline answers if the driver does not
            try:
                if pending.result():
                    found.append(index)
            except (SourceError, cv2.error):
                continue
    finally:
        cv2.utils.logging.setLogLevel(previous_level)
    return found


# ------------------------------------------------------------------------------- Linux
def _linux_indices(sysfs: Path, devices: Path) -> list[int]:
    names = [p.name for p in sysfs.glob("video*")] if sysfs.is_dir() else []
    if not names:  # no sysfs (a container): the device nodes alone
        names = [p.name for p in devices.glob("video*")]
    return sorted(int(m[1]) for n in names if (m := re.fullmatch(r"video(\d+)", n)))


def _linux_camera(index: int, sysfs: Path, devices: Path, ioctl: Ioctl) -> Camera | None:
    name = _sysfs_name(sysfs / f"video{index}" / "name") or f"Camera {index}"
    try:
        fd = os.open(devices / f"video{index}", os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return Camera(index, name)  # not readable by us: listed, and opening it says why
    try:
        capture_kind = _capture_kind(fd, ioctl)
        if capture_kind is False:
            return None  # a metadata or output node, not a camera
        return Camera(index, name, tuple(_modes(fd, ioctl)))
    finally:
        os.close(fd)


def _sysfs_name(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:200]
    except OSError:
        return None
    cleaned = "".join(ch for ch in text.strip() if ch.isprintable())
    return cleaned or None


def _capture_kind(fd: int, ioctl: Ioctl) -> bool | None:
    """True: a capture device; False: some other node; None: it would not say."""
    buffer = bytearray(CAPABILITY.size)
    try:
        ioctl(fd, VIDIOC_QUERYCAP, buffer)
    except OSError:
        return None
    _driver, _card, _bus, _version, capabilities, device_caps = CAPABILITY.unpack(buffer)
    caps = device_caps if capabilities & V4L2_CAP_DEVICE_CAPS else capabilities
    return bool(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE))


def _enumerate(fd: int, ioctl: Ioctl, request: int, layout: struct.Struct, fields: tuple):
    """Yield each unpacked entry of a V4L2 enumeration (index 0, 1, ... until EINVAL).

    Every one of these structs starts with its index and then the 32-bit ``fields`` that
    say what to enumerate (buffer type; pixel format; pixel format, width, height)."""
    for index in range(_MAX_ENTRIES):
        buffer = bytearray(layout.size)
        struct.pack_into(f"={1 + len(fields)}I", buffer, 0, index, *fields)
        try:
            ioctl(fd, request, buffer)
        except OSError as error:
            if error.errno not in (errno.EINVAL, errno.ENOTTY):
                raise
            return
        yield layout.unpack(buffer)


def _modes(fd: int, ioctl: Ioctl) -> list[CameraMode]:
    modes: list[CameraMode] = []
    try:
        for fmt in _enumerate(fd, ioctl, VIDIOC_ENUM_FMT, FMTDESC, (V4L2_BUF_TYPE_VIDEO_CAPTURE,)):
            pixel_format = fmt[4]
            fourcc = fourcc_text(pixel_format)
            for width, height in _sizes(fd, ioctl, pixel_format):
                fps = _fastest_rate(fd, ioctl, pixel_format, width, height)
                if fps:
                    modes.append(CameraMode(fourcc, width, height, fps))
    except OSError:
        return modes  # a driver that answers oddly: what was learnt so far
    return modes


def _sizes(fd: int, ioctl: Ioctl, pixel_format: int) -> list[tuple[int, int]]:
    sizes: list[tuple[int, int]] = []
    for entry in _enumerate(fd, ioctl, VIDIOC_ENUM_FRAMESIZES, FRMSIZE, (pixel_format,)):
        kind, values = entry[2], entry[3:]
        if kind == DISCRETE:
            sizes.append((values[0], values[1]))
            continue
        min_w, max_w, step_w, min_h, max_h, step_h = values
        for width, height in COMMON_SIZES:
            fits_w = min_w <= width <= max_w and (width - min_w) % max(step_w, 1) == 0
            fits_h = min_h <= height <= max_h and (height - min_h) % max(step_h, 1) == 0
            if fits_w and fits_h:
                sizes.append((width, height))
        break  # a range is the one and only entry
    return sizes


def _fastest_rate(fd: int, ioctl: Ioctl, pixel_format: int, width: int, height: int) -> float:
    fastest = 0.0
    fields = (pixel_format, width, height)
    for entry in _enumerate(fd, ioctl, VIDIOC_ENUM_FRAMEINTERVALS, FRMIVAL, fields):
        kind, numerator, denominator = entry[4], entry[5], entry[6]
        # discrete: one interval; stepwise/continuous: the first fraction is the shortest
        if numerator > 0 and denominator > 0:
            fastest = max(fastest, round(denominator / numerator, 2))
        if kind != DISCRETE:
            break
    return fastest


def fourcc_text(code: int) -> str:
    """The 32-bit code V4L2 and OpenCV use -> "MJPG" (hex if it is not four letters)."""
    text = "".join(chr((code >> shift) & 0xFF) for shift in (0, 8, 16, 24)).strip()
    return text if text.isascii() and text.isprintable() else f"0x{code:08x}"


def fourcc_code(text: str) -> int:
    """ "MJPG" -> the little-endian 32-bit code V4L2 and OpenCV use."""
    padded = text[:4].ljust(4)
    return sum(ord(ch) << shift for ch, shift in zip(padded, (0, 8, 16, 24)))

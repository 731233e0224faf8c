"""Cameras by name, with the modes they report: a simulated V4L2 driver answers the ioctls.

No webcam is attached here; the driver below answers QUERYCAP, ENUM_FMT, ENUM_FRAMESIZES
and ENUM_FRAMEINTERVALS from a table, through the same struct layouts the kernel uses."""

from __future__ import annotations

import errno
import os
import struct
import sys
from pathlib import Path

import cv2
import pytest

from convlab.engine import cameras
from convlab.engine.cameras import (
    CAPABILITY,
    FMTDESC,
    FRMIVAL,
    FRMSIZE,
    Camera,
    CameraMode,
    describe_mode,
    find_cameras,
    fourcc_code,
    fourcc_text,
    pick_camera,
    request_mode,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the simulated driver finds devices in /proc"
)

C270 = {
    "name": "HD Webcam C270",
    "caps": cameras.V4L2_CAP_VIDEO_CAPTURE,
    "formats": {
        "YUYV": {(640, 480): [30, 15], (1280, 720): [10, 5]},
        "MJPG": {(640, 480): [30], (1280, 720): [30, 15], (1920, 1080): [15]},
    },
}
METADATA = {"name": "HD Webcam C270", "caps": 0x00800000, "formats": {}}  # V4L2_CAP_META_CAPTURE
RANGE_CAMERA = {
    "name": "USB Capture Card",
    "caps": cameras.V4L2_CAP_VIDEO_CAPTURE_MPLANE,
    "stepwise": (160, 1920, 16, 120, 1080, 8),
    "formats": {"NV12": {}},
}


class FakeDriver:
    """Answers V4L2 ioctls for the devices in ``table`` (index -> description)."""

    def __init__(self, table: dict[int, dict]) -> None:
        self.table = table
        self.requests: list[int] = []

    def device(self, fd: int) -> dict:
        name = os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1]
        return self.table[int(name.removeprefix("video"))]

    def __call__(self, fd: int, request: int, buffer: bytearray) -> int:
        self.requests.append(request)
        device = self.device(fd)
        formats = list(device["formats"])
        if request == cameras.VIDIOC_QUERYCAP:
            caps = device["caps"]
            CAPABILITY.pack_into(
                buffer, 0, b"uvcvideo", device["name"].encode(), b"usb-1", 1,
                caps | cameras.V4L2_CAP_DEVICE_CAPS | 0x04000000, caps,
            )  # fmt: skip
        elif request == cameras.VIDIOC_ENUM_FMT:
            index, kind = struct.unpack_from("=II", buffer)
            if kind != cameras.V4L2_BUF_TYPE_VIDEO_CAPTURE or index >= len(formats):
                raise OSError(errno.EINVAL, "no such format")
            code = fourcc_code(formats[index])
            FMTDESC.pack_into(buffer, 0, index, kind, 0, formats[index].encode(), code, 0)
        elif request == cameras.VIDIOC_ENUM_FRAMESIZES:
            index, code = struct.unpack_from("=II", buffer)
            sizes = device["formats"][fourcc_text(code)]
            if "stepwise" in device and index == 0:
                FRMSIZE.pack_into(buffer, 0, index, code, cameras.STEPWISE, *device["stepwise"])
            elif "stepwise" in device or index >= len(sizes):
                raise OSError(errno.EINVAL, "no such size")
            else:
                width, height = list(sizes)[index]
                FRMSIZE.pack_into(
                    buffer, 0, index, code, cameras.DISCRETE, width, height, 0, 0, 0, 0
                )
        elif request == cameras.VIDIOC_ENUM_FRAMEINTERVALS:
            index, code, width, height = struct.unpack_from("=IIII", buffer)
            if "stepwise" in device:
                if index > 0:
                    raise OSError(errno.EINVAL, "no such interval")
                # continuous from 1/60 s to 1 s
                FRMIVAL.pack_into(
                    buffer, 0, 0, code, width, height, cameras.CONTINUOUS, 1, 60, 1, 1, 1, 1
                )
                return 0
            rates = device["formats"][fourcc_text(code)].get((width, height), [])
            if index >= len(rates):
                raise OSError(errno.EINVAL, "no such interval")
            FRMIVAL.pack_into(
                buffer, 0, index, code, width, height, cameras.DISCRETE, 1, rates[index], 0, 0, 0, 0
            )
        else:
            raise OSError(errno.ENOTTY, "unknown ioctl")
        return 0


def machine(tmp_path: Path, table: dict[int, dict], *, sysfs: bool = True) -> tuple[Path, Path]:
    """A /sys/class/video4linux and a /dev with a node per device (plain files here)."""
    sys_dir, dev_dir = tmp_path / "sys", tmp_path / "dev"
    sys_dir.mkdir()
    dev_dir.mkdir()
    for index, device in table.items():
        (dev_dir / f"video{index}").write_bytes(b"")
        if sysfs:
            (sys_dir / f"video{index}").mkdir()
            (sys_dir / f"video{index}" / "name").write_text(device["name"] + "\n")
    return sys_dir, dev_dir


def test_struct_layouts_match_the_sizes_encoded_in_the_ioctl_numbers() -> None:
    # _IOC encodes the argument's size in bits 16..29: an independent check of each layout
    for request, layout in (
        (cameras.VIDIOC_QUERYCAP, CAPABILITY),
        (cameras.VIDIOC_ENUM_FMT, FMTDESC),
        (cameras.VIDIOC_ENUM_FRAMESIZES, FRMSIZE),
        (cameras.VIDIOC_ENUM_FRAMEINTERVALS, FRMIVAL),
    ):
        assert (request >> 16) & 0x3FFF == layout.size
        assert request & 0xFF00 == ord("V") << 8


def test_fourcc_codes_agree_with_opencv() -> None:
    for text in ("MJPG", "YUYV", "H264", "NV12"):
        assert fourcc_code(text) == cv2.VideoWriter.fourcc(*text)
        assert fourcc_text(fourcc_code(text)) == text
    assert fourcc_text(0x01020304).startswith("0x")


def test_cameras_are_listed_by_name_with_their_modes(tmp_path: Path) -> None:
    table = {0: C270, 1: METADATA, 2: RANGE_CAMERA}
    sys_dir, dev_dir = machine(tmp_path, table)
    found = find_cameras(sysfs=sys_dir, devices=dev_dir, ioctl=FakeDriver(table), platform="linux")
    assert [(c.index, c.name) for c in found] == [(0, "HD Webcam C270"), (2, "USB Capture Card")]
    webcam = found[0]
    assert webcam.label == "HD Webcam C270 (camera 0)"
    assert set(webcam.modes) == {
        CameraMode("YUYV", 640, 480, 30.0),
        CameraMode("YUYV", 1280, 720, 10.0),
        CameraMode("MJPG", 640, 480, 30.0),
        CameraMode("MJPG", 1280, 720, 30.0),
        CameraMode("MJPG", 1920, 1080, 15.0),
    }
    assert webcam.sizes() == [(640, 480), (1280, 720), (1920, 1080)]
    assert CameraMode("MJPG", 1280, 720, 30.0).label == "1280x720 · 30 fps (MJPG)"


def test_mjpg_is_chosen_only_where_it_is_faster(tmp_path: Path) -> None:
    table = {0: C270}
    sys_dir, dev_dir = machine(tmp_path, table)
    (webcam,) = find_cameras(
        sysfs=sys_dir, devices=dev_dir, ioctl=FakeDriver(table), platform="linux"
    )
    assert webcam.best_mode(640, 480) == CameraMode("YUYV", 640, 480, 30.0)  # no JPEG needed
    assert webcam.best_mode(1280, 720) == CameraMode("MJPG", 1280, 720, 30.0)  # 30 instead of 10
    assert webcam.best_mode(1920, 1080) == CameraMode("MJPG", 1920, 1080, 15.0)  # the only one
    assert webcam.best_mode(1280, 720, fps=10) == CameraMode("YUYV", 1280, 720, 10.0)
    assert webcam.best_mode(800, 600) is None


def test_a_device_reporting_ranges_offers_the_common_sizes_within_them(tmp_path: Path) -> None:
    table = {0: RANGE_CAMERA}
    sys_dir, dev_dir = machine(tmp_path, table)
    (card,) = find_cameras(
        sysfs=sys_dir, devices=dev_dir, ioctl=FakeDriver(table), platform="linux"
    )
    assert card.sizes() == [(320, 240), (640, 480), (800, 600), (1280, 720), (1920, 1080)]
    assert all(mode.fps == 60.0 and mode.fourcc == "NV12" for mode in card.modes)


def test_a_device_we_may_not_open_is_still_listed(tmp_path: Path) -> None:
    table = {0: C270}
    sys_dir, dev_dir = machine(tmp_path, table)
    (dev_dir / "video0").unlink()
    (dev_dir / "video0").mkdir()  # opening it fails, as a node without permission would
    driver = FakeDriver(table)
    (camera,) = find_cameras(sysfs=sys_dir, devices=dev_dir, ioctl=driver, platform="linux")
    assert (camera.index, camera.name, camera.modes) == (0, "HD Webcam C270", ())
    assert driver.requests == []


def test_without_sysfs_the_device_nodes_are_enough(tmp_path: Path) -> None:
    table = {3: C270}
    sys_dir, dev_dir = machine(tmp_path, table, sysfs=False)
    (camera,) = find_cameras(
        sysfs=sys_dir, devices=dev_dir, ioctl=FakeDriver(table), platform="linux"
    )
    assert (camera.index, camera.name, camera.label) == (3, "Camera 3", "Camera 3")
    assert len(camera.modes) == 5


def test_a_driver_that_refuses_everything_gives_a_camera_without_modes(tmp_path: Path) -> None:
    table = {0: C270}
    sys_dir, dev_dir = machine(tmp_path, table)

    def refusing(fd: int, request: int, buffer: bytearray) -> int:
        raise OSError(errno.ENOTTY, "not a V4L2 device")

    (camera,) = find_cameras(sysfs=sys_dir, devices=dev_dir, ioctl=refusing, platform="linux")
    assert camera.modes == ()


def test_no_cameras_on_a_machine_without_video_devices(tmp_path: Path) -> None:
    sys_dir, dev_dir = machine(tmp_path, {})
    assert (
        find_cameras(sysfs=sys_dir, devices=dev_dir, ioctl=FakeDriver({}), platform="linux") == []
    )


def test_elsewhere_cameras_are_the_indices_that_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cameras, "probe_indices", lambda: [0, 2])
    found = find_cameras(platform="darwin")
    assert [(c.index, c.label, c.modes) for c in found] == [
        (0, "Camera 0", ()),
        (2, "Camera 2", ()),
    ]


def test_the_chosen_camera_is_found_by_name_after_renumbering() -> None:
    usb = Camera(0, "USB Camera")
    c270 = Camera(1, "HD Webcam C270")
    assert pick_camera([usb, c270], "HD Webcam C270", 0) is c270  # plugged in another order
    assert pick_camera([usb, c270], "Gone camera", 1) is c270  # by index when the name is gone
    assert pick_camera([usb, c270], None, 0) is usb
    assert pick_camera([usb, c270], "Gone camera", 5) is None
    twin_a, twin_b = Camera(2, "USB Camera"), Camera(4, "USB Camera")
    assert pick_camera([twin_a, twin_b], "USB Camera", 4) is twin_b  # two alike: the same one
    assert pick_camera([twin_a, twin_b], "USB Camera", 7) is twin_a


class RecordingCapture:
    def __init__(self, fourcc: str = "YUYV", fps: float = 30.0) -> None:
        self.settings: dict[int, float] = {}
        self.fourcc, self.fps = fourcc, fps

    def set(self, prop: int, value: float) -> bool:
        self.settings[prop] = value
        return True

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FOURCC:
            return float(cv2.VideoWriter.fourcc(*self.fourcc)) if self.fourcc else 0.0
        return self.fps if prop == cv2.CAP_PROP_FPS else 0.0


def test_request_mode_asks_for_size_format_and_one_buffer() -> None:
    capture = RecordingCapture()
    request_mode(capture, 1280, 720)
    assert capture.settings == {
        cv2.CAP_PROP_FOURCC: float(cv2.VideoWriter.fourcc(*"MJPG")),  # no modes known: MJPG
        cv2.CAP_PROP_FRAME_WIDTH: 1280.0,
        cv2.CAP_PROP_FRAME_HEIGHT: 720.0,
        cv2.CAP_PROP_BUFFERSIZE: 1.0,
    }
    capture = RecordingCapture()
    request_mode(capture, 1280, 720, "YUYV")  # what the camera's modes said
    assert capture.settings[cv2.CAP_PROP_FOURCC] == float(cv2.VideoWriter.fourcc(*"YUYV"))
    capture = RecordingCapture()
    request_mode(capture, 640, 480)
    assert cv2.CAP_PROP_FOURCC not in capture.settings  # the driver's default is fine
    capture = RecordingCapture()
    request_mode(capture, None, None)
    assert capture.settings == {cv2.CAP_PROP_BUFFERSIZE: 1.0}


def test_the_negotiated_mode_is_described() -> None:
    assert describe_mode(1280, 720, RecordingCapture("MJPG"), 30.0) == "1280x720 MJPG 30 fps"
    assert describe_mode(640, 480, RecordingCapture(""), None) == "640x480"
    assert describe_mode(640, 480, RecordingCapture("YUYV"), 7.5) == "640x480 YUYV 7.5 fps"

"""Bad files, bad values and lost cameras, thrown at the real window, end to end.

Each case goes in through the window's own entry points (the File menu's ``open_spec``, the
kernel grid's model, the kernel tools' paste and normalize, the camera action) and is judged by
what a person sees: a non-modal banner and status message naming the file (or cell) and the
reason, the previous picture and kernel still on screen, no traceback, and a window that goes on
working (a later valid open or edit shows up). The engine-level checks of the same inputs live in
``tests/engine/test_sources.py`` and ``test_video_sources.py``; the README's robustness table
names the test that covers each input.

The file and kernel cases share one window (module scope) so the whole file stays fast; every
test leaves that window on a valid picture of its own.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTableView

from convlab.bench.report import StallProbe
from convlab.engine import presets
from convlab.engine.kernels import Kernel
from tests.engine.test_sources import CMYK_JPEG, encoded_noise, make_video, png_bytes
from tests.ui.conftest import make_scene
from tests.ui.shell.conftest import (
    assert_no_traceback_shown,
    banner_level,
    expected_output,
    open_and_wait,
    show_valid_picture,
    shown_frame,
    wait_until,
    write_bgr,
)


# ----------------------------------------------------------------------------- bad files
def _unreadable(folder: Path, monkeypatch) -> Path:
    """Permission denied, also when the tests run as root (root reads through chmod 000)."""
    path = write_bgr(folder / "locked.png", cv2.cvtColor(make_scene(20, 20), cv2.COLOR_RGB2BGR))
    path.chmod(0)
    real_open = Path.open

    def refusing_open(self: Path, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    real_os_open = os.open

    def refusing_os_open(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    monkeypatch.setattr(os, "open", refusing_os_open)
    return path


def _truncated(suffix: str, keep: float) -> Callable[[Path, object], Path]:
    def make(folder: Path, _monkeypatch) -> Path:
        data = encoded_noise(suffix)
        path = folder / f"cut_{keep}{suffix}"
        path.write_bytes(data[: int(len(data) * keep)] if keep < 1 else data[:100])
        return path

    return make


def _random_bytes(folder: Path, _monkeypatch) -> Path:
    path = folder / "noise.jpg"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return path


def _corrupt_video(folder: Path, _monkeypatch) -> Path:
    path = folder / "corrupt.mp4"
    noise = np.random.default_rng(2).integers(0, 256, 8000, dtype=np.uint8).tobytes()
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + noise)  # an MP4 header, then garbage
    return path


def _write(name: str, content: bytes) -> Callable[[Path, object], Path]:
    def make(folder: Path, _monkeypatch) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return make


def _directory(folder: Path, _monkeypatch) -> Path:
    path = folder / "holiday pictures.png"
    path.mkdir(exist_ok=True)
    return path


BAD_FILES: dict[str, tuple[Callable[[Path, object], Path], str]] = {
    # case: (how to make it, a word the message must contain besides the file name)
    "empty": (_write("empty.png", b""), "empty"),
    "text_with_png_extension": (_write("notes.png", b"my shopping list\n" * 20), "text"),
    "random_bytes": (_random_bytes, "not a JPG"),
    "truncated_png": (_truncated(".png", 0.5), "truncated PNG"),
    "truncated_jpeg_headers": (_truncated(".jpg", 1.0), "truncated JPEG"),
    "damaged_png": (_write("damaged.png", b"\x89PNG\r\n\x1a\n" + b"junk" * 60), "damaged"),
    "directory": (_directory, "folder"),
    "missing": (lambda folder, _m: folder / "gone away.png", "not found"),
    "unreadable": (_unreadable, "permission denied"),
    "corrupt_video": (_corrupt_video, "could not be opened"),
    "zero_frame_video": (lambda folder, _m: make_video(folder / "zero.avi", 0), "no frames"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_named_with_its_reason_and_the_picture_stays(
    win, folder, case, monkeypatch, caplog
):
    make, reason = BAD_FILES[case]
    path = make(folder, monkeypatch)
    before, spec_before = shown_frame(win).copy(), win.source_info.spec
    caplog.set_level(logging.WARNING)

    kind, message = open_and_wait(win, str(path))

    assert kind == "failed"
    for seen in (win.banner.text(), win.statusBar().currentMessage(), message):
        assert path.name in seen and reason.lower() in seen.lower(), seen
    assert banner_level(win) == "error"
    assert_no_traceback_shown(win)
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    # the previous picture stays, and edits still apply to it
    assert win.source_info.spec == spec_before
    win.state.set_kernel(presets.get("sharpen"))
    wanted = win.state.pipeline.generation
    assert wait_until(lambda: win.last_result.generation >= wanted)
    assert np.array_equal(shown_frame(win), before)
    np.testing.assert_allclose(win.last_result.output, expected_output(win), atol=1e-4)
    monkeypatch.undo()
    show_valid_picture(win, folder)  # and the next valid open works


# ----------------------------------------------------------------------------- odd files that load
def _sixteen_bit(folder: Path) -> tuple[Path, np.ndarray, str | None]:
    rgb16 = (np.arange(20 * 28 * 3).reshape(20, 28, 3) * 97 % 65536).astype(np.uint16)
    path = folder / "sixteen bit.png"
    path.write_bytes(png_bytes(rgb16, 2))  # hand-written PNG, RGB order
    return path, np.rint(rgb16 / 257.0).astype(np.uint8), None


def _float_tiff(folder: Path) -> tuple[Path, np.ndarray, str | None]:
    values = np.random.default_rng(5).random((18, 26, 3)).astype(np.float32)
    path = folder / "float.tiff"
    assert cv2.imwrite(str(path), values[:, :, ::-1].copy())  # OpenCV writes BGR
    return path, np.rint(values * 255.0).astype(np.uint8), None


def _one_pixel(folder: Path) -> tuple[Path, np.ndarray, str | None]:
    pixel = np.array([[[10, 200, 30]]], np.uint8)
    path = folder / "one.png"
    path.write_bytes(png_bytes(pixel, 2))
    return path, pixel, None


def _rgba(folder: Path) -> tuple[Path, np.ndarray, str | None]:
    rng = np.random.default_rng(6)
    rgba = rng.integers(0, 256, (16, 24, 4), dtype=np.uint8)
    path = folder / "transparent.png"
    path.write_bytes(png_bytes(rgba, 6))
    colour, alpha = rgba[..., :3].astype(int), rgba[..., 3:].astype(int)
    over_white = (colour * alpha + 255 * (255 - alpha) + 127) // 255  # round half up
    return path, over_white.astype(np.uint8), None


def _grayscale(folder: Path) -> tuple[Path, np.ndarray, str | None]:
    gray = np.random.default_rng(7).integers(0, 256, (21, 17), dtype=np.uint8)
    path = folder / "gray.png"
    path.write_bytes(png_bytes(gray, 0))
    return path, np.repeat(gray[:, :, None], 3, axis=2), None


def _non_ascii_path(folder: Path) -> tuple[Path, np.ndarray, str | None]:
    rgb = make_scene(30, 44, seed=9)
    where = folder / "Fotos ü ñ 日本"
    where.mkdir(exist_ok=True)
    return write_bgr(where / "my picture é.png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)), rgb, None


def _truncated_jpeg(folder: Path) -> tuple[Path, np.ndarray, str | None]:
    data = encoded_noise(".jpg")
    path = folder / "half a photo.jpg"
    path.write_bytes(data[: int(len(data) * 0.6)])
    whole = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), 1), cv2.COLOR_BGR2RGB)
    return path, whole, "truncated"  # only the top rows are compared (the rest is grey)


ODD_FILES = {
    "sixteen_bit": _sixteen_bit,
    "float_tiff": _float_tiff,
    "one_by_one": _one_pixel,
    "rgba": _rgba,
    "grayscale": _grayscale,
    "spaces_and_non_ascii_path": _non_ascii_path,
    "truncated_jpeg_with_data": _truncated_jpeg,
}


@pytest.mark.parametrize("case", list(ODD_FILES))
def test_an_odd_but_readable_file_is_shown_and_filtered(win, folder, case):
    path, expected, warning = ODD_FILES[case](folder)
    kind, info = open_and_wait(win, str(path))
    assert kind == "opened", info
    assert wait_until(lambda: shown_frame(win).shape == expected.shape)
    frame = shown_frame(win)
    if warning:
        rows = 16  # libjpeg decoded the first MCU rows exactly as in the whole file
        assert np.array_equal(frame[:rows], expected[:rows])
        assert warning in win.banner.text() and path.name in win.banner.text()
        assert banner_level(win) == "info"
    else:
        assert np.abs(frame.astype(int) - expected.astype(int)).max() <= 1
    assert path.name in win.status.source_label.text()
    np.testing.assert_allclose(win.last_result.output, expected_output(win), atol=1e-4)


def test_a_cmyk_jpeg_shows_its_colours(win, folder):
    path = folder / "print shop.jpg"
    path.write_bytes(CMYK_JPEG)  # left half red, right half blue (made with Pillow)
    assert open_and_wait(win, str(path))[0] == "opened"
    assert wait_until(lambda: shown_frame(win).shape == (8, 16, 3))
    frame = shown_frame(win).astype(int)
    assert np.abs(frame[4, 2] - (255, 0, 0)).max() < 20
    assert np.abs(frame[4, 13] - (0, 0, 255)).max() < 20


def test_an_animated_gif_shows_its_first_frame(win, folder):
    if not hasattr(cv2, "imencodeanimation"):
        pytest.skip("this OpenCV cannot write animated GIFs")
    first = np.zeros((12, 16, 3), np.uint8)
    first[:, :8] = (0, 0, 255)  # BGR red on the left
    animation = cv2.Animation()
    animation.frames = [first, np.full((12, 16, 3), 255, np.uint8)]
    animation.durations = [100, 100]
    ok, encoded = cv2.imencodeanimation(".gif", animation)
    assert ok
    path = folder / "dancing.gif"
    path.write_bytes(bytes(encoded))
    assert open_and_wait(win, str(path))[0] == "opened"
    assert wait_until(lambda: shown_frame(win).shape == (12, 16, 3))
    frame = shown_frame(win).astype(int)
    assert np.abs(frame[6, 2] - (255, 0, 0)).max() < 30 and frame[6, 12].max() < 30


def test_tens_of_megapixels_are_previewed_live_with_a_notice(win, folder):
    height, width = 4000, 5000  # 20 MP
    tile = cv2.cvtColor(make_scene(100, 125, seed=11), cv2.COLOR_RGB2BGR)
    big = np.ascontiguousarray(np.tile(tile, (height // 100, width // 125, 1)))
    path = write_bgr(folder / "panorama.jpg", big)
    kind, info = open_and_wait(win, str(path), timeout=20.0)
    assert kind == "opened"
    assert info.preview_of == (height, width)
    assert info.width * info.height <= 2_000_000
    assert abs(info.width / info.height - width / height) < 0.01
    assert wait_until(lambda: "preview" in win.banner.text(), 3.0)
    assert "5000x4000" in win.banner.text() and "full resolution" in win.banner.text()
    assert "preview of 5000x4000" in win.status.source_label.text()
    assert wait_until(lambda: shown_frame(win).shape == (info.height, info.width, 3), 5.0)
    assert win.worker.full_frame().shape == (height, width, 3)  # exports use every pixel


# ----------------------------------------------------------------------------- cameras


def test_a_camera_that_does_not_exist_fails_in_seconds_without_blocking(win):
    before, spec_before = shown_frame(win).copy(), win.source_info.spec
    probe = StallProbe()
    started = time.perf_counter()
    failures: list[str] = []
    connection = win.worker.sourceFailed.connect(lambda _spec, text: failures.append(text))
    win.source_menu.open_camera(9)
    assert wait_until(lambda: bool(failures), 8.0)
    took, worst = time.perf_counter() - started, probe.stop()
    win.worker.sourceFailed.disconnect(connection)
    assert took < 5.0
    assert worst < 0.25, f"GUI stalled {worst * 1000:.0f} ms while the camera failed"
    assert "Camera 9" in win.banner.text() and "could not be opened" in win.banner.text()
    assert win.source_info.spec == spec_before and np.array_equal(shown_frame(win), before)


def test_a_camera_driver_that_hangs_is_given_up_without_blocking(win, monkeypatch):
    from convlab.engine import sources
    from convlab.engine.sources import VideoSource
    from convlab.ui.threads import filter_worker as workers

    def hanging_driver(target, api, params):
        time.sleep(2.5)  # a driver stuck in open(), as busy USB cameras do
        raise AssertionError("never used")

    monkeypatch.setattr(sources, "DEFAULT_OPEN_TIMEOUT_S", 0.8)
    monkeypatch.setattr(
        workers,
        "open_source",
        lambda spec, **_: VideoSource(spec, capture_factory=hanging_driver),
    )
    before = shown_frame(win).copy()
    probe = StallProbe()
    started = time.perf_counter()
    kind, message = open_and_wait(win, 3)
    took, worst = time.perf_counter() - started, probe.stop()
    assert kind == "failed" and "Camera 3: did not respond within 0.8 s" in message
    assert took < 2.0 and worst < 0.25
    assert "Camera 3" in win.banner.text()
    assert np.array_equal(shown_frame(win), before)


class _ScriptedCapture:
    """Stands in for cv2.VideoCapture: ``frames`` good reads (then only failures), ~100 fps."""

    def __init__(self, level: int, frames: int, *, plugged_in: bool = True) -> None:
        self.level, self.left, self.released = level, frames, False
        self.plugged_in = plugged_in

    def isOpened(self) -> bool:
        return self.plugged_in and not self.released

    def read(self):
        time.sleep(0.01)
        if self.released or self.left <= 0:
            return False, None
        self.left -= 1
        frame = np.full((36, 48, 3), self.level, np.uint8)
        frame[:8, :8] = (0, 0, 255)  # BGR red corner: catches channel swaps and mirroring
        return True, frame

    def set(self, _prop, _value) -> bool:
        return True

    def get(self, _prop) -> float:
        return 0.0

    def release(self) -> None:
        self.released = True


@pytest.fixture
def camera_plug(win, monkeypatch):
    """Camera 0 is played by scripted captures, one per open (``plug.captures``, in order)."""
    from convlab.engine.sources import VideoSource
    from convlab.ui.threads import filter_worker as workers

    plug = SimpleNamespace(captures=[], made=[])

    def camera(spec, **_options):
        capture = plug.captures.pop(0)
        plug.made.append(capture)
        return VideoSource(spec, capture_factory=lambda *_: capture)

    monkeypatch.setattr(workers, "open_source", camera)
    win.source_menu.set_mirror(False)
    yield plug
    win.source_menu.set_mirror(True)


def lose_the_camera(win) -> np.ndarray:
    """Open camera 0 (which dies after a few frames); check what the person sees; the frame."""
    lost: list[str] = []
    connection = win.worker.sourceLost.connect(lost.append)
    try:
        assert open_and_wait(win, 0)[0] == "opened"
        assert wait_until(lambda: bool(lost), 5.0), "the dead camera was never reported"
    finally:
        win.worker.sourceLost.disconnect(connection)
    # the person sees: the last frame, a warning naming the camera, a Reconnect button
    assert wait_until(lambda: shown_frame(win).shape == (36, 48, 3))
    last = shown_frame(win)
    assert last[20, 30].tolist() == [60, 60, 60] and last[2, 2].tolist() == [255, 0, 0]
    assert banner_level(win) == "warning"
    assert "Camera 0" in win.banner.text() and "last frame stays" in win.banner.text()
    assert win.banner.action_texts() == ["Reconnect"]
    return last


def reconnect_too_early(win, camera_plug, last: np.ndarray) -> None:
    """Reconnect while the camera is still unplugged: it says so, the last frame stays."""
    failures: list[str] = []
    failed = win.worker.sourceFailed.connect(lambda _spec, text: failures.append(text))
    win.banner.trigger("Reconnect")
    assert wait_until(lambda: bool(failures), 5.0)
    win.worker.sourceFailed.disconnect(failed)
    assert "Camera 0: could not be opened" in win.banner.text()
    assert np.array_equal(shown_frame(win), last)
    # the lost camera is let go by its capture thread as that thread ends
    assert wait_until(lambda: camera_plug.made[0].released, 2.0)
    # plugged back in: the toolbar's Camera button brings it back live
    win.source_menu.camera_action.trigger()
    assert wait_until(lambda: shown_frame(win)[20, 30].tolist() == [180, 180, 180], 5.0)
    shown = win.displayed_frames
    assert wait_until(lambda: win.displayed_frames > shown + 3, 3.0)


def test_a_camera_that_stops_keeps_the_last_frame_and_reconnect_works(win, camera_plug):
    camera_plug.captures = [_ScriptedCapture(60, frames=8), _ScriptedCapture(180, frames=10_000)]
    lose_the_camera(win)
    win.state.set_kernel(presets.get("box"))  # edits still apply to the last frame
    wanted = win.state.pipeline.generation
    assert wait_until(lambda: win.last_result.generation >= wanted)
    np.testing.assert_allclose(win.last_result.output, expected_output(win), atol=1e-4)
    win.banner.trigger("Reconnect")  # the camera is plugged back in: Reconnect
    assert wait_until(lambda: shown_frame(win)[20, 30].tolist() == [180, 180, 180], 5.0)
    assert camera_plug.made[0].released and win.banner.isHidden()
    shown = win.displayed_frames
    assert wait_until(lambda: win.displayed_frames > shown + 3, 3.0)  # live again


_EARLY = [
    (60, 8, True),
    (0, 0, False),  # the first Reconnect comes before the camera is back
    (180, 10_000, True),
]


def test_reconnecting_too_early_says_so_and_a_later_open_works(win, camera_plug):
    camera_plug.captures = [_ScriptedCapture(v, frames=n, plugged_in=p) for v, n, p in _EARLY]
    reconnect_too_early(win, camera_plug, lose_the_camera(win))
    assert win.banner.isHidden(), win.banner.text()  # no stale "could not be opened" once live


# ----------------------------------------------------------------------------- kernels
def kernel_grid_model(window):
    return window.findChild(QTableView, "kernelEditor").model()


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        (float("nan"), "not a finite number"),
        ("NaN", "not a finite number"),
        (float("inf"), "not a finite number"),
        ("-inf", "not a finite number"),
        ("1e308", "too large"),
        (1e308, "too large"),
        ("", "empty"),
        ("   ", "empty"),
        ("two", "not a number"),
        ("1/0", "divides by zero"),
    ],
)
def test_a_refused_cell_value_names_the_cell_and_keeps_the_kernel(win, typed, reason):
    model = kernel_grid_model(win)
    kernel, generation = win.state.kernel, win.state.pipeline.generation
    output = win.last_result.output.copy()
    assert not model.setData(model.index(1, 2), typed)
    assert win.state.kernel == kernel and win.state.pipeline.generation == generation
    assert model.data(model.index(1, 2)) == "-1"  # the cell still shows the old weight
    text = win.banner.text()
    assert "row 2, column 3" in text and reason in text, text
    assert banner_level(win) == "warning"
    assert np.array_equal(win.last_result.output, output)
    assert model.setData(model.index(1, 2), "2.5")  # the next good value goes in
    wanted = win.state.pipeline.generation
    assert wait_until(lambda: win.last_result.generation >= wanted)
    assert win.state.kernel.weights[1, 2] == 2.5
    np.testing.assert_allclose(win.last_result.output, expected_output(win), atol=1e-4)


@pytest.mark.parametrize(
    ("pasted", "reason"),
    [
        ("garbage", "cannot read 'garbage'"),
        ("1 2\n3", "same length"),
        ("nan 1\n1 1", "not a finite number"),
        ("[[inf]]", "not a finite number"),
        ("\n".join(" ".join(["1"] * 64) for _ in range(64)), "64x64; the largest allowed is 31x31"),
        ("7" * 200_000, "far more than a kernel"),
        ("", "no text"),
    ],
)
def test_pasted_garbage_is_refused_and_the_kernel_stays(win, pasted, reason):
    kernel = win.state.kernel
    assert not win.kernel_panel.actions_bar.paste(pasted)
    assert win.state.kernel == kernel
    assert reason in win.banner.text() and "Paste" in win.banner.text()
    assert banner_level(win) == "warning"


def test_pasted_huge_weights_are_refused_like_typed_ones(win):
    kernel = win.state.kernel
    accepted = win.kernel_panel.actions_bar.paste("[[1e308, 1e308], [1e308, 1e308]]")
    QTest.qWait(300)  # the readouts are throttled
    assert not accepted and win.state.kernel == kernel
    assert "too large" in win.banner.text()


def test_a_divisor_that_overflows_the_weights_is_refused(win):
    kernel = win.state.kernel
    accepted = win.kernel_panel.fields.apply("divisor", "1e-300")
    wanted = win.state.pipeline.generation
    assert wait_until(lambda: win.last_result.generation >= wanted)
    QTest.qWait(300)
    assert np.isfinite(win.last_result.output).all()
    assert not accepted and win.state.kernel == kernel
    assert "divisor" in win.banner.text().lower()


def test_normalizing_an_all_zero_kernel_explains_instead_of_dividing_by_zero(win):
    tools = win.kernel_panel.actions_bar
    tools.clear()
    cleared = win.state.kernel
    tools.normalize()
    assert win.state.kernel == cleared and not np.any(cleared.weights)
    assert "all zeros" in win.banner.text() and "Normalize" in win.banner.text()
    wanted = win.state.pipeline.generation
    assert wait_until(lambda: win.last_result.generation >= wanted)
    assert np.isfinite(win.last_result.output).all()
    assert not np.any(win.last_result.output)


def test_a_kernel_larger_than_the_image(win, folder):
    path = folder / "tiny.png"
    tiny = make_scene(5, 6, seed=12)
    write_bgr(path, cv2.cvtColor(tiny, cv2.COLOR_RGB2BGR))
    assert open_and_wait(win, str(path))[0] == "opened"
    assert wait_until(lambda: shown_frame(win).shape == (5, 6, 3))
    big = Kernel(np.random.default_rng(3).normal(size=(15, 15)), name="big")
    win.state.set_kernel(big)  # 'same' padding: the border rule fills what is missing
    wanted = win.state.pipeline.generation
    assert wait_until(lambda: win.last_result.generation >= wanted)
    np.testing.assert_allclose(win.last_result.output, expected_output(win), atol=1e-3)
    output = win.last_result.output.copy()
    win.state.update_conv(padding="valid")  # no output pixel fits: say so, keep the picture
    assert wait_until(lambda: "no output pixel fits" in win.banner.text(), 3.0)
    assert "15" in win.banner.text() and banner_level(win) == "error"
    assert np.array_equal(win.last_result.output, output)
    win.state.update_conv(padding="same")
    wanted = win.state.pipeline.generation
    assert wait_until(lambda: win.last_result.generation >= wanted)


def test_huge_kernel_sizes_are_refused_everywhere_a_person_can_ask(win, folder, qtbot):
    panel = win.kernel_panel
    assert panel.size_controls.rows.maximum() == 15  # the spin boxes stop at 15
    kernel = win.state.kernel
    path = folder / "enormous.json"
    path.write_text('{"weights": ' + str(np.ones((40, 40)).tolist()) + "}")
    with qtbot.waitSignal(panel.actions_bar.fileFinished, timeout=5000) as outcome:
        panel.actions_bar.load_from(path)
    assert outcome.args == [False]
    assert win.state.kernel == kernel
    assert "enormous.json" in win.banner.text() and "31x31" in win.banner.text()

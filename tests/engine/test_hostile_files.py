"""Files that try to freeze or flood: pipes, devices, loops, sparse giants, decompression bombs.

Every refusal must come before a byte of payload is read or a pixel allocated, so each case
here runs in milliseconds; the memory figures are measured in a child process.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from convlab.bench import bombs
from convlab.engine import Kernel
from convlab.engine.image_files import MAX_IMAGE_PIXELS, read_image
from convlab.engine.image_header import read_header
from convlab.engine.sources import ImageSource, VideoSource, open_source
from convlab.errors import ConvlabError, KernelError, SourceError
from convlab.files import check_file, describe_os_error, read_file

REPO = Path(__file__).resolve().parents[2]


def refused_quickly(action, *words: str, within: float = 10.0) -> str:
    """Run ``action`` on a thread: it must raise a ConvlabError naming ``words`` in time (what
    goes wrong here blocks for good, so the bound can be generous for a busy machine)."""
    outcome: dict = {}

    def run() -> None:
        try:
            action()
        except ConvlabError as error:
            outcome["error"] = error
        except BaseException as error:  # reported below
            outcome["other"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(within)
    assert not thread.is_alive(), f"still blocked after {within} s"
    assert "other" not in outcome, outcome.get("other")
    message = str(outcome["error"])
    for word in words:
        assert word.lower() in message.lower(), message
    return message


# ----------------------------------------------------------------------------- special files
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_named_pipe_called_png_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    for action in (lambda: read_image(pipe), lambda: open_source(str(pipe))):
        message = refused_quickly(action, "named pipe", str(pipe))
        assert "Errno" not in message
    refused_quickly(lambda: VideoSource(pipe), "named pipe")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "x.png"
    link.symlink_to("/dev/zero")
    refused_quickly(lambda: open_source(str(link)), "device")
    refused_quickly(lambda: read_image(link), "device")


def test_a_sparse_six_gigabyte_png_is_refused_before_reading(tmp_path: Path) -> None:
    giant = tmp_path / "giant.png"
    with giant.open("wb") as handle:
        handle.write(bombs.png(16, 16))
        handle.truncate(6 * 1024**3)  # sparse: no disk space used
    message = refused_quickly(lambda: read_image(giant), "too large", "6.0 GB")
    assert "512.0 MB" in message


def test_a_symlink_loop_and_a_too_long_name_read_as_sentences(tmp_path: Path) -> None:
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    assert "loop of symbolic links" in refused_quickly(lambda: open_source(str(loop)))
    long_name = tmp_path / ("x" * 300 + ".png")
    message = refused_quickly(lambda: open_source(str(long_name)), "name is too long")
    assert "OSError" not in message and "36" not in message.replace(str(long_name), "")
    nul = refused_quickly(lambda: read_image("bad\0name.png"), "not valid")
    assert "ValueError" not in nul


def test_os_errors_become_words() -> None:
    assert describe_os_error(OSError(errno.ENAMETOOLONG, "x")) == (
        "the name is too long for the file system"
    )
    assert describe_os_error(OSError(errno.ELOOP, "x")).startswith("the path goes round")
    assert describe_os_error(OSError(errno.EXDEV, "Invalid cross-device link")) == (
        "invalid cross-device link"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_file_swapped_for_a_named_pipe_after_the_check_is_refused(tmp_path, monkeypatch):
    from convlab import files

    pipe = tmp_path / "kernel.json"
    os.mkfifo(pipe)
    monkeypatch.setattr(files, "check_file", lambda *args, **kwargs: 1)  # it was a file then
    try:
        refused_quickly(lambda: read_file(pipe, "kernel", max_bytes=100), "named pipe")
    finally:  # a reader still blocked in open() gets a writer and ends
        with contextlib.suppress(OSError):
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))


def test_read_file_never_reads_past_the_limit_or_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"abcdef")
    assert read_file(path, "f", max_bytes=10, limit=4) == b"abcd"
    assert check_file(path, "f", max_bytes=6) == 6
    with pytest.raises(ConvlabError, match="too large"):
        read_file(path, "f", max_bytes=5)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    with pytest.raises(SourceError, match="is a folder"):
        read_file(folder, "f", max_bytes=None, error=SourceError)


# ----------------------------------------------------------------------------- image headers
FORMATS = [
    (".png", (), np.uint8, 3),
    (".png", (), np.uint16, 4),
    (".jpg", (), np.uint8, 3),
    (".jpg", (cv2.IMWRITE_JPEG_PROGRESSIVE, 1), np.uint8, 1),
    (".tiff", (), np.uint8, 3),
    (".tiff", (), np.uint16, 1),
    (".webp", (), np.uint8, 3),
    (".webp", (cv2.IMWRITE_WEBP_QUALITY, 101), np.uint8, 4),
    (".bmp", (), np.uint8, 3),
    (".ppm", (), np.uint8, 3),
    (".pgm", (), np.uint16, 1),
    (".pbm", (), np.uint8, 1),
    (".pam", (), np.uint8, 3),
    (".pfm", (), np.float32, 3),
    (".hdr", (), np.float32, 3),
    (".sr", (), np.uint8, 3),
    (".jp2", (), np.uint8, 3),
    (".gif", (), np.uint8, 3),
    (".avif", (), np.uint8, 3),
]


@pytest.mark.parametrize(("suffix", "params", "dtype", "channels"), FORMATS)
def test_the_header_size_is_the_size_opencv_decodes(suffix, params, dtype, channels) -> None:
    """The independent reference is OpenCV's own decoder: a parser that read a smaller size
    than the decoder allocates would let a bomb through."""
    rng = np.random.default_rng(len(suffix))
    shape = (67, 93) if channels == 1 else (67, 93, channels)
    image = rng.integers(0, 255, shape).astype(dtype)
    if dtype == np.float32:
        image = image / np.float32(255)
    ok, encoded = cv2.imencode(suffix, image, list(params))
    assert ok
    data = encoded.tobytes()
    from convlab.engine.image_files import sniff_format

    header = read_header(data, sniff_format(data[:64]))
    decoded = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)
    assert (header.height, header.width) == decoded.shape[:2]
    assert header.decoded_bytes >= decoded.nbytes


@pytest.mark.parametrize("name", sorted(bombs.BOMBS))
def test_a_decompression_bomb_is_refused_with_the_numbers(tmp_path: Path, name: str) -> None:
    suffix, make = bombs.BOMBS[name]
    side = 16384 if name == "webp" else 30000
    path = tmp_path / f"bomb{suffix}"
    path.write_bytes(make(side, side))
    assert path.stat().st_size < 4096
    started = time.perf_counter()
    message = refused_quickly(lambda: read_image(path), f"{side}x{side}", "MP")
    assert time.perf_counter() - started < 1.0
    assert "100 MP" in message and str(path) in message


def test_a_baseline_jpeg_bomb_is_decoded_reduced_by_libjpeg(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jpg"
    path.write_bytes(bombs.jpeg(30000, 20000))
    loaded = read_image(path)
    assert loaded.image.shape == (5000, 7500, 3)  # 1/4 size: the first factor within 100 MP
    assert any("decoded at 1/4 size" in warning for warning in loaded.warnings)
    assert 30000 * 20000 > MAX_IMAGE_PIXELS >= 7500 * 5000


def test_a_deep_image_past_the_memory_budget_is_decoded_as_8_bit(tmp_path: Path) -> None:
    from convlab.engine import image_files

    path = tmp_path / "deep.png"
    image = np.full((40, 50, 4), 40000, np.uint16)
    assert cv2.imwrite(str(path), image)
    budget = image_files.MAX_DECODE_BYTES
    try:
        image_files.MAX_DECODE_BYTES = 40 * 50 * 3 * 2  # pretend 16-bit RGBA is too deep
        loaded = read_image(path)
    finally:
        image_files.MAX_DECODE_BYTES = budget
    assert loaded.image.shape == (40, 50, 3)
    assert loaded.image[0, 0, 0] == round(40000 / 257)
    assert any("8-bit colour" in warning for warning in loaded.warnings)


MEASURE = """
import re, sys
from convlab.engine.sources import ImageSource
try:
    source = ImageSource(sys.argv[1])
    outcome = "x".join(map(str, source.full_image.shape))
except Exception as error:
    outcome = type(error).__name__
status = open("/proc/self/status").read()  # VmHWM: this process's peak, not its parent's
print(outcome, int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) // 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_peak_memory_of_opening_bombs_stays_small(tmp_path: Path) -> None:
    """In a child process (peak RSS is per process): a 629-byte JPEG that declares 900 MP
    and a PNG bomb. Before header checks these took 2.7 GB and more."""
    jpeg = tmp_path / "bomb.jpg"
    jpeg.write_bytes(bombs.jpeg(30000, 30000))
    png = tmp_path / "bomb.png"
    png.write_bytes(bombs.png(30000, 30000))
    for path, expected, limit_mb in ((jpeg, "7500x7500x3", 700), (png, "SourceError", 200)):
        result = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path)],
            capture_output=True, text=True, timeout=60, cwd=REPO,
        )  # fmt: skip
        outcome, peak_mb = result.stdout.split()
        assert outcome == expected, result.stderr
        assert int(peak_mb) < limit_mb


# ----------------------------------------------------------------------------- videos
def test_an_mjpeg_file_opens_as_a_video_not_a_still(tmp_path: Path) -> None:
    frames = [np.full((32, 48, 3), value, np.uint8) for value in (30, 120, 210)]
    path = tmp_path / "clip.mjpeg"
    path.write_bytes(b"".join(cv2.imencode(".jpg", frame)[1].tobytes() for frame in frames))
    with open_source(str(path)) as source:
        assert isinstance(source, VideoSource)
        assert not source.is_still
        first = source.read()
        second = source.read()
    assert first is not None and second is not None
    assert abs(int(first.mean()) - 30) < 5 and abs(int(second.mean()) - 120) < 5


def test_a_jpeg_still_is_still_an_image(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    with open_source(str(path)) as source:
        assert isinstance(source, ImageSource)


# ----------------------------------------------------------------------------- kernel data
@pytest.mark.parametrize(
    ("weights", "words"),
    [
        ([["1", "2"], ["3", "4"]], ("row 1, column 1", "str")),
        ([[True, 0], [0, 1]], ("row 1, column 1", "bool")),
        ([[1, None]], ("row 1, column 2", "NoneType")),
        # not one number in it: a size check made after the values would name "str"
        ([["x"] * 10000] * 10000, ("10000x10000", "31x31")),
        ("[[1]]", ("2-D grid",)),
        ([[1, [2]]], ("row 1, column 2", "list")),
    ],
)
def test_kernel_data_takes_only_numbers_and_checks_the_size_first(weights, words) -> None:
    with pytest.raises(KernelError) as info:
        Kernel.from_dict({"weights": weights, "name": "x"})
    for word in words:
        assert word in str(info.value)


def test_kernel_data_refuses_text_divisors_and_names_that_are_not_text() -> None:
    with pytest.raises(KernelError, match="divisor must be a number"):
        Kernel.from_dict({"weights": [[1]], "divisor": "2"})
    with pytest.raises(KernelError, match="name must be text"):
        Kernel.from_dict({"weights": [[1]], "name": {"html": "<b>"}})
    kernel = Kernel.from_dict(json.loads('{"weights": [[1, 2.5]], "divisor": 2, "name": "ok"}'))
    assert kernel.weights.tolist() == [[1.0, 2.5]] and kernel.divisor == 2.0


@pytest.mark.parametrize("url", ["http://" + "u" * 50_000, "x" * 50_000 + "://", "a" * 50_000])
def test_masking_a_huge_address_takes_no_time(url: str) -> None:
    from convlab.engine.masking import mask_credentials, mask_url

    started = time.perf_counter()
    mask_url(url)
    mask_credentials(url + " " + url)
    # a linear scan takes milliseconds; a backtracking one, tens of seconds
    assert time.perf_counter() - started < 2.0

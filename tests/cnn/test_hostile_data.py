"""Training data that lies about its size: IDX headers promising 10^9 items, gzip bombs,
image folders holding decompression bombs, special files, and Stop while loading."""

from __future__ import annotations

import gzip
import os
import struct
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from convlab.bench import bombs
from convlab.cnn import data as cnn_data
from convlab.cnn.data import MAX_IDX_BYTES, LoadingStopped, image_folder, load_idx
from convlab.errors import DataError


def idx_header(*shape: int) -> bytes:
    return bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def write_pair(folder: Path, images: np.ndarray, labels: np.ndarray, compress: bool) -> None:
    pack = gzip.compress if compress else (lambda data: data)
    (folder / "images").write_bytes(pack(idx_header(*images.shape) + images.tobytes()))
    (folder / "labels").write_bytes(pack(idx_header(*labels.shape) + labels.tobytes()))


def gzip_of_zeros(header: bytes, zero_bytes: int) -> bytes:
    """A gzip stream of ``header`` then ``zero_bytes`` zeros, compressed as it is made."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    parts = [packer.compress(header)]
    block = bytes(1 << 20)
    for _ in range(zero_bytes >> 20):
        parts.append(packer.compress(block))
    parts.append(packer.flush())
    return b"".join(parts)


def test_a_gzip_idx_promising_a_billion_labels_is_refused_before_decompressing(
    tmp_path, monkeypatch
):
    images = np.zeros((2, 28, 28), np.uint8)
    (tmp_path / "images").write_bytes(idx_header(2, 28, 28) + images.tobytes())
    (tmp_path / "labels.gz").write_bytes(gzip_of_zeros(idx_header(10**9), 2 << 20))
    inflated: list[int] = []

    class CountingGzip(gzip.GzipFile):
        def read(self, size=-1):
            data = super().read(size)
            inflated.append(len(data))
            return data

    monkeypatch.setattr(cnn_data.gzip, "GzipFile", CountingGzip)
    with pytest.raises(DataError) as info:
        load_idx(tmp_path / "images", tmp_path / "labels.gz")
    assert sum(inflated) <= 64  # the header only, none of the 2 MB of zeros behind it
    message = str(info.value)
    assert "1,000,000,000" in message and "512.0 MB" in message and "labels.gz" in message


def test_counts_are_compared_before_any_payload_is_read(tmp_path):
    """2 images but a (small) promise of 5 labels: refused from the headers alone."""
    (tmp_path / "images.gz").write_bytes(gzip_of_zeros(idx_header(2, 28, 28), 0))
    (tmp_path / "labels").write_bytes(idx_header(5) + bytes(5))
    with pytest.raises(DataError, match="holds 2 images but labels holds 5 labels"):
        load_idx(tmp_path / "images.gz", tmp_path / "labels")


def test_a_gzip_that_ends_early_is_truncated_not_padded(tmp_path):
    (tmp_path / "images.gz").write_bytes(gzip_of_zeros(idx_header(100, 28, 28), 0))
    (tmp_path / "labels").write_bytes(idx_header(100) + bytes(100))
    with pytest.raises(DataError, match="truncated: its header promises 78400 bytes"):
        load_idx(tmp_path / "images.gz", tmp_path / "labels")


def test_a_damaged_gzip_names_the_file(tmp_path):
    data = bytearray(gzip.compress(idx_header(3, 2, 2) + bytes(12)))
    data[14:20] = b"\xff" * 6
    (tmp_path / "images.gz").write_bytes(bytes(data))
    (tmp_path / "labels").write_bytes(idx_header(3) + bytes(3))
    with pytest.raises(DataError, match=r"images\.gz is a damaged gzip file"):
        load_idx(tmp_path / "images.gz", tmp_path / "labels")


@pytest.mark.parametrize("compress", [False, True])
def test_labels_stay_bytes_and_values_survive_streaming(tmp_path, compress):
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (3000, 28, 28), dtype=np.uint8)  # 2.35 MB: several chunks
    labels = rng.integers(0, 10, 3000, dtype=np.uint8)
    write_pair(tmp_path, images, labels, compress)
    got_images, got_labels = load_idx(tmp_path / "images", tmp_path / "labels")
    assert got_labels.dtype == np.uint8 and got_images.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_stop_interrupts_idx_loading_between_chunks(tmp_path):
    images = np.zeros((3000, 28, 28), np.uint8)
    write_pair(tmp_path, images, np.zeros(3000, np.uint8), compress=True)
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) >= 2  # after the first 1 MB chunk

    with pytest.raises(LoadingStopped):
        load_idx(tmp_path / "images", tmp_path / "labels", cancel=cancel)
    assert len(asked) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_an_idx_path_that_is_a_pipe_or_a_folder_is_refused(tmp_path):
    os.mkfifo(tmp_path / "images")
    (tmp_path / "labels").mkdir()
    with pytest.raises(DataError, match="named pipe"):
        load_idx(tmp_path / "images", tmp_path / "labels")
    (tmp_path / "images").unlink()
    (tmp_path / "images").write_bytes(idx_header(1, 1, 1) + b"\0")
    with pytest.raises(DataError, match="is a folder"):
        load_idx(tmp_path / "images", tmp_path / "labels")


def test_the_idx_budget_is_the_limit_on_the_payload():
    assert MAX_IDX_BYTES == 512 * 1024 * 1024


# ----------------------------------------------------------------------------- image folders
def folder_with(tmp_path: Path, extra: dict[str, bytes]) -> Path:
    root = tmp_path / "classes"
    for name, value in (("dark", 20), ("light", 230)):
        (root / name).mkdir(parents=True)
        for index in range(3):
            image = np.full((40, 40), value, np.uint8)
            cv2.imwrite(str(root / name / f"{index}.png"), image)
    for relative, data in extra.items():
        (root / relative).write_bytes(data)
    return root


def test_bombs_in_an_image_folder_are_skipped_one_by_one(tmp_path):
    root = folder_with(
        tmp_path,
        {
            "dark/bomb.png": bombs.png(30000, 30000),
            "light/bomb.gif": bombs.gif(30000, 30000),
            "light/bomb.jpg": bombs.jpeg(30000, 30000, progressive=True),
        },
    )
    started = time.perf_counter()
    found = image_folder(root)
    assert time.perf_counter() - started < 2.0
    assert len(found.images) == 6
    assert sorted(path.name for path in found.skipped) == ["bomb.gif", "bomb.jpg", "bomb.png"]
    assert all("30000x30000" in reason for reason in found.reasons)


def test_a_baseline_jpeg_bomb_in_a_folder_is_read_reduced(tmp_path):
    root = folder_with(tmp_path, {"dark/huge.jpg": bombs.jpeg(30000, 30000)})
    found = image_folder(root)
    assert len(found.images) == 7 and not found.skipped


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_special_files_in_a_folder_are_skipped_without_blocking(tmp_path):
    root = folder_with(tmp_path, {})
    os.mkfifo(root / "dark" / "pipe.png")
    (root / "light" / "zero.png").symlink_to("/dev/zero")
    (root / "light" / "loop.png").symlink_to(root / "light" / "loop.png")
    found = image_folder(root)
    assert len(found.images) == 6
    reasons = " | ".join(found.reasons)
    assert "named pipe" in reasons and "device" in reasons and "loop" in reasons


def test_stop_interrupts_image_folder_loading(tmp_path):
    root = folder_with(tmp_path, {})
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(LoadingStopped):
        image_folder(root, cancel=cancel)
    assert len(calls) == 3

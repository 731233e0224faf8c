"""Datasets: IDX files, image folders, generated digits and shapes, splitting, augmentation."""

from __future__ import annotations

import gzip
import struct

import cv2
import numpy as np
import pytest

from convlab.cnn.data import (
    SHAPE_CLASSES,
    class_names,
    image_folder,
    load_idx,
    normalize_images,
    random_shift,
    shapes,
    synthetic_digits,
    train_val_split,
)
from convlab.cnn.handwriting import mnist_normalize
from convlab.errors import DataError


def idx_bytes(array: np.ndarray, magic_dims: int | None = None, count: int | None = None) -> bytes:
    """An IDX file written by hand from the format's definition (big-endian header)."""
    dims = array.ndim if magic_dims is None else magic_dims
    shape = list(array.shape)
    if count is not None:
        shape[0] = count
    header = struct.pack(">HBB", 0, 0x08, dims) + struct.pack(f">{len(shape)}I", *shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def idx_pair(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    return tmp_path, images, labels


@pytest.mark.parametrize("compressed", [False, True])
def test_load_idx_reads_raw_and_gzip(idx_pair, compressed):
    folder, images, labels = idx_pair
    write = gzip.compress if compressed else (lambda data: data)
    (folder / "images").write_bytes(write(idx_bytes(images)))
    (folder / "labels").write_bytes(write(idx_bytes(labels)))
    got_images, got_labels = load_idx(folder / "images", folder / "labels")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_images.dtype == np.uint8 and got_labels.dtype == np.uint8  # labels stay bytes


def test_load_idx_rejects_wrong_magic(idx_pair):
    folder, images, labels = idx_pair
    (folder / "images").write_bytes(idx_bytes(images))
    (folder / "labels").write_bytes(idx_bytes(labels))
    with pytest.raises(DataError, match="magic number"):
        load_idx(folder / "labels", folder / "images")  # swapped: 1-D file where 3-D expected
    (folder / "text").write_bytes(b"hello world, not an idx file")
    with pytest.raises(DataError, match="magic number"):
        load_idx(folder / "text", folder / "labels")


def test_load_idx_rejects_truncated_files(idx_pair):
    folder, images, labels = idx_pair
    (folder / "images").write_bytes(idx_bytes(images)[:-7])
    (folder / "labels").write_bytes(idx_bytes(labels))
    with pytest.raises(DataError, match="truncated"):
        load_idx(folder / "images", folder / "labels")
    (folder / "images").write_bytes(idx_bytes(images)[:6])
    with pytest.raises(DataError, match="truncated"):
        load_idx(folder / "images", folder / "labels")
    (folder / "images").write_bytes(gzip.compress(idx_bytes(images))[:-10])
    with pytest.raises(DataError, match="gzip"):
        load_idx(folder / "images", folder / "labels")


def test_load_idx_rejects_count_mismatch_and_missing_files(idx_pair):
    folder, images, labels = idx_pair
    (folder / "images").write_bytes(idx_bytes(images))
    (folder / "labels").write_bytes(idx_bytes(labels[:4]))
    with pytest.raises(DataError, match="5 images but labels holds 4 labels"):
        load_idx(folder / "images", folder / "labels")
    with pytest.raises(DataError, match="nope"):
        load_idx(folder / "nope", folder / "labels")


def write_image(path, image: np.ndarray) -> None:
    ok, encoded = cv2.imencode(path.suffix, image)
    assert ok
    encoded.tofile(path)


def test_image_folder_loads_classes_resizes_and_skips_bad_files(tmp_path):
    (tmp_path / "cats").mkdir()
    (tmp_path / "dögs").mkdir()  # non-ASCII folder names work (np.fromfile + imdecode)
    write_image(tmp_path / "cats" / "a.png", np.full((40, 30), 200, np.uint8))
    write_image(tmp_path / "cats" / "b.jpg", np.zeros((10, 10, 3), np.uint8))
    write_image(tmp_path / "dögs" / "c.bmp", np.full((28, 28), 50, np.uint8))
    (tmp_path / "dögs" / "notes.txt").write_text("not an image")
    dataset = image_folder(tmp_path, size=16)
    assert dataset.class_names == ("cats", "dögs")
    assert dataset.images.shape == (3, 16, 16) and dataset.images.dtype == np.uint8
    np.testing.assert_array_equal(dataset.labels, [0, 0, 1])
    assert [path.name for path in dataset.skipped] == ["notes.txt"]
    assert dataset.images[0].min() == 200
    colour = image_folder(tmp_path, size=8, grayscale=False)
    assert colour.images.shape == (3, 3, 8, 8)


def test_image_folder_needs_two_classes_and_some_images(tmp_path):
    (tmp_path / "only").mkdir()
    with pytest.raises(DataError, match="two sub-folders"):
        image_folder(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "broken.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DataError, match="no readable images"):
        image_folder(tmp_path)
    with pytest.raises(DataError, match="not a folder"):
        image_folder(tmp_path / "missing")


def test_synthetic_digits_are_mnist_like_and_deterministic():
    images, labels = synthetic_digits(200, seed=5)
    assert images.shape == (200, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist() == [20] * 10
    again, again_labels = synthetic_digits(200, seed=5)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, again_labels)
    assert not np.array_equal(images, synthetic_digits(200, seed=6)[0])
    # white strokes on black: the border is (nearly) empty and the centre of mass is central
    assert images[:, :2, :].mean() < 5 and images.max() > 200
    mass = images.astype(float).sum(axis=(1, 2))
    centre_y = (images.sum(axis=2) @ np.arange(28)) / mass
    centre_x = (images.sum(axis=1) @ np.arange(28)) / mass
    assert np.all(np.abs(centre_y - 13.5) < 1.5) and np.all(np.abs(centre_x - 13.5) < 1.5)


def test_mnist_normalize_fits_the_glyph_in_a_20_pixel_box():
    canvas = np.zeros((100, 100), np.uint8)
    canvas[10:90, 40:60] = 255  # a tall bar, off-centre
    image = mnist_normalize(canvas)
    rows = np.flatnonzero(image.max(axis=1) > 0)
    assert 19 <= rows[-1] - rows[0] + 1 <= 21
    assert mnist_normalize(np.zeros((5, 5), np.uint8)).sum() == 0


def test_shapes_dataset():
    images, labels = shapes(80, seed=2)
    assert images.shape == (80, 28, 28) and images.dtype == np.uint8
    assert set(labels.tolist()) == set(range(len(SHAPE_CLASSES)))
    np.testing.assert_array_equal(images, shapes(80, seed=2)[0])
    assert class_names("shapes") == SHAPE_CLASSES and class_names("digits")[3] == "3"
    with pytest.raises(DataError, match="unknown dataset"):
        class_names("imagenet")


def test_normalize_images_scales_and_adds_channels():
    uint8 = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = normalize_images(uint8)
    assert x.shape == (1, 1, 2, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    assert normalize_images(np.zeros((28, 28), np.uint8)).shape == (1, 1, 28, 28)
    floats = np.full((2, 3, 4, 4), 0.5, np.float64)
    assert normalize_images(floats).dtype == np.float32
    with pytest.raises(DataError, match="shape"):
        normalize_images(np.zeros(5))


def test_train_val_split_is_a_disjoint_shuffle():
    images = np.arange(100).reshape(100, 1, 1)
    labels = np.arange(100)
    train_x, train_y, _, val_y = train_val_split(images, labels, fraction=0.2, seed=1)
    assert len(val_y) == 20 and len(train_y) == 80
    assert set(train_y) | set(val_y) == set(range(100)) and not set(train_y) & set(val_y)
    np.testing.assert_array_equal(train_x[:, 0, 0], train_y)
    with pytest.raises(DataError):
        train_val_split(images, labels, fraction=1.5)


def test_random_shift_moves_each_image_by_its_own_offset():
    batch = np.zeros((50, 1, 9, 9), np.float32)
    batch[:, 0, 4, 4] = 1.0  # one bright pixel in the centre of every image
    shifted = random_shift(batch, 2, np.random.default_rng(0))
    positions = [np.argwhere(image[0] == 1.0) for image in shifted]
    assert all(len(p) == 1 for p in positions)  # moved, not lost or duplicated
    offsets = np.array([p[0] - 4 for p in positions])
    assert np.abs(offsets).max() == 2 and len({tuple(o) for o in offsets}) > 5
    # reference: shift with zero fill, one image at a time
    rng = np.random.default_rng(3)
    images = np.random.default_rng(4).random((6, 2, 5, 5), dtype=np.float32)
    result = random_shift(images, 1, rng)
    replay = np.random.default_rng(3)
    dy, dx = replay.integers(-1, 2, size=6), replay.integers(-1, 2, size=6)
    for index in range(6):
        expected = np.zeros((2, 5, 5), np.float32)
        for y in range(5):
            for x in range(5):
                if 0 <= y - dy[index] < 5 and 0 <= x - dx[index] < 5:
                    expected[:, y, x] = images[index, :, y - dy[index], x - dx[index]]
        np.testing.assert_array_equal(result[index], expected)

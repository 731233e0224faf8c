"""Data choices load into a ``Dataset``: bad files and folders give messages that name the file
or the class, unreadable images are skipped and reported, and generated sets hold out a
validation set."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from convlab.cnn.dataset import MAX_VALIDATION, VALIDATION_FRACTION, DataSpec
from convlab.errors import DataError


def write_idx(path, magic: int, dims: list[int], payload: bytes) -> None:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    path.write_bytes(header + payload)


def test_generated_digits_hold_out_a_validation_set():
    dataset = DataSpec(kind="digits", count=400, seed=2).load()
    total = len(dataset.train_labels) + len(dataset.val_labels)
    assert total == 400 and len(dataset.val_labels) == round(400 * VALIDATION_FRACTION)
    assert len(dataset.val_labels) <= MAX_VALIDATION
    assert dataset.input_shape == (1, 28, 28) and dataset.num_classes == 10
    assert dataset.class_names[3] == "3"


def test_webcam_classes_need_three_captures_each():
    samples = (np.zeros((2, 32, 32), np.uint8), np.zeros((5, 32, 32), np.uint8))
    with pytest.raises(DataError, match="at least 3"):
        DataSpec(kind="webcam", webcam_names=("a", "b"), webcam_samples=samples).load()


def test_idx_file_with_a_wrong_magic_number_names_the_file(tmp_path):
    images, labels = tmp_path / "imgs-idx3-ubyte", tmp_path / "labels-idx1-ubyte"
    write_idx(images, 0x0803, [2, 28, 28], bytes(2 * 28 * 28))
    write_idx(labels, 0x0999, [2], bytes(2))
    with pytest.raises(DataError, match="labels-idx1-ubyte"):
        DataSpec(kind="idx", images_path=str(images), labels_path=str(labels)).load()


def test_idx_files_whose_counts_differ_are_refused(tmp_path):
    images, labels = tmp_path / "imgs-idx3-ubyte", tmp_path / "labels-idx1-ubyte"
    write_idx(images, 0x0803, [3, 28, 28], bytes(3 * 28 * 28))
    write_idx(labels, 0x0801, [2], bytes([0, 1]))
    with pytest.raises(DataError, match=r"3 images.*2 labels"):
        DataSpec(kind="idx", images_path=str(images), labels_path=str(labels)).load()


def test_idx_without_files_chosen_says_what_is_missing():
    with pytest.raises(DataError, match="choose both"):
        DataSpec(kind="idx").load()


def test_image_folder_with_one_class_is_refused(tmp_path):
    (tmp_path / "cats").mkdir()
    cv2.imwrite(str(tmp_path / "cats" / "a.png"), np.zeros((8, 8), np.uint8))
    with pytest.raises(DataError, match="two"):
        DataSpec(kind="folder", folder=str(tmp_path)).load()


def test_image_folder_whose_second_class_is_unreadable_names_the_class(tmp_path):
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
    for index in range(3):
        cv2.imwrite(str(tmp_path / "cats" / f"{index}.png"), np.full((8, 8), index, np.uint8))
        (tmp_path / "dogs" / f"{index}.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match="only the class 'cats'"):
        DataSpec(kind="folder", folder=str(tmp_path)).load()


def test_unreadable_images_in_a_folder_are_skipped_and_reported(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for index in range(4):
            cv2.imwrite(
                str(tmp_path / name / f"{index}.png"), np.full((9, 9), 50 * index, np.uint8)
            )
    (tmp_path / "a" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    dataset = DataSpec(kind="folder", folder=str(tmp_path)).load()
    assert len(dataset.train_labels) + len(dataset.val_labels) == 8
    assert dataset.class_names == ["a", "b"]
    assert "broken.jpg" in dataset.notes and "skipped 1" in dataset.notes

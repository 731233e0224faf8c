"""Webcam captures as the network sees them: a centred square crop, then a small grey image.

A capture keeps a ``CROP_SIZE`` colour crop of the frame (what the thumbnails show); the
network sees that crop shrunk to a ``WEBCAM_SIZE`` grey image. Live classification prepares
each frame the same way (``frame_to_sample``), so training and use agree.

Captures are kept in a ``.npz`` file (``write_classes`` / ``read_classes``): the class names
and one ``N x CROP_SIZE x CROP_SIZE x 3`` array per class. A class keeps at most
``MAX_CROPS_PER_CLASS`` captures, so the file stays small enough to write in a moment and is
read only after it was checked (``convlab.cnn.npz``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from convlab.cnn.npz import read_npz
from convlab.errors import ConvlabError
from convlab.files import MB, describe_os_error

#: side of the colour crop kept for every capture (and shown as its thumbnail)
CROP_SIZE = 64
#: side of the grey image a network trained on webcam captures sees
WEBCAM_SIZE = 32
MIN_CLASSES, MAX_CLASSES = 2, 5
#: the most captures a class keeps (ten a second for almost a minute; 12 kB each)
MAX_CROPS_PER_CLASS = 500
#: the largest file of captures read back: every class full, and room for the names
MAX_CLASSES_FILE_BYTES = MAX_CLASSES * MAX_CROPS_PER_CLASS * CROP_SIZE * CROP_SIZE * 3 + MB


def centre_crop(frame: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """The largest centred square of an RGB (or grey) frame, resized to size x size RGB uint8."""
    height, width = frame.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = frame[top : top + side, left : left + side]
    if square.ndim == 2:
        square = cv2.cvtColor(square, cv2.COLOR_GRAY2RGB)
    return np.ascontiguousarray(cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA))


def crop_to_sample(crop: np.ndarray) -> np.ndarray:
    """A colour crop as the network's WEBCAM_SIZE x WEBCAM_SIZE grey input (uint8)."""
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (WEBCAM_SIZE, WEBCAM_SIZE), interpolation=cv2.INTER_AREA)


def frame_to_sample(frame: np.ndarray) -> np.ndarray:
    """A live frame exactly as captured frames are prepared for training."""
    return crop_to_sample(centre_crop(frame))


def samples_of(crops: list[np.ndarray]) -> np.ndarray:
    """The network inputs of one class's crops (N x WEBCAM_SIZE x WEBCAM_SIZE uint8)."""
    return np.array([crop_to_sample(crop) for crop in crops], dtype=np.uint8).reshape(
        -1, WEBCAM_SIZE, WEBCAM_SIZE
    )


def write_classes(path: Path, names: list[str], crops: list[np.ndarray]) -> None:
    """Write the class names and their crops (one array per class) atomically: a temporary
    file beside ``path``, then a rename. Uncompressed: a full set takes a moment, not seconds.
    ConvlabError when it cannot be written."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            arrays = {f"class{index}": array for index, array in enumerate(crops)}
            np.savez(stream, names=np.array(names), **arrays)
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise ConvlabError(
            f"Webcam classes could not be saved to {path}: {describe_os_error(error)}"
        ) from None


def read_classes(path: Path) -> tuple[list[str], list[np.ndarray]]:
    """The class names and crops saved by ``write_classes``, checked before they are read (no
    pipes, nothing larger than a full set); a class's captures beyond the most kept are
    dropped. ConvlabError when the file is not such a set."""
    label = f"Saved webcam classes in {path}"
    arrays = read_npz(path, label, max_bytes=MAX_CLASSES_FILE_BYTES)
    names = arrays.get("names")
    if names is None or names.ndim != 1 or names.dtype.kind != "U":
        raise ConvlabError(f"{label}: the class names are missing")
    if not MIN_CLASSES <= len(names) <= MAX_CLASSES:
        raise ConvlabError(f"{label}: {len(names)} classes (ConvLab keeps 2 to 5)")
    crops = []
    for index in range(len(names)):
        array = arrays.get(f"class{index}")
        if array is None or array.dtype != np.uint8 or array.shape[1:] != (CROP_SIZE,) * 2 + (3,):
            raise ConvlabError(f"{label}: the captures of class {index + 1} are damaged")
        crops.append(array[:MAX_CROPS_PER_CLASS])
    return [str(name) for name in names], crops

"""Datasets for the CNN: generated ones (no download, ever), MNIST-format files, image folders.

Images travel as uint8 arrays, N x H x W (grey) or N x C x H x W, white strokes on black, like
MNIST. ``normalize_images`` is the one place they become the network's float32 input in [0, 1];
training, evaluation and the app's draw-a-digit pad all go through it, so they agree.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from convlab.cnn.handwriting import CANVAS, draw_digit, finish
from convlab.engine.image_files import MAX_IMAGE_FILE_BYTES, decode_plan, sniff_format
from convlab.errors import ConvlabError, DataError
from convlab.files import MB, check_file, describe_os_error, format_size, read_file

DIGIT_CLASSES: tuple[str, ...] = tuple(str(digit) for digit in range(10))
SHAPE_CLASSES: tuple[str, ...] = (
    "horizontal bar",
    "vertical bar",
    "diagonal bar /",
    "diagonal bar \\",
    "circle",
    "square",
    "triangle",
    "cross",
)
FASHION_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)
#: the class names of each built-in or well-known dataset, by dataset name
CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "digits": DIGIT_CLASSES,
    "mnist": DIGIT_CLASSES,
    "shapes": SHAPE_CLASSES,
    "fashion-mnist": FASHION_CLASSES,
}


def class_names(dataset: str) -> tuple[str, ...]:
    """Names of the classes of ``dataset`` ("digits", "shapes", "mnist", "fashion-mnist")."""
    try:
        return CLASS_NAMES[dataset]
    except KeyError:
        raise DataError(f"unknown dataset {dataset!r}; known: {', '.join(CLASS_NAMES)}") from None


# ---------------------------------------------------------------------- network input


def normalize_images(images: np.ndarray) -> np.ndarray:
    """Images as the network sees them: float32 (N, C, H, W) in [0, 1].

    uint8 is divided by 255 (other integer types by their maximum); float input is taken to be
    in [0, 1] already. (N, H, W) gets a channel axis; a single (H, W) image becomes (1, 1, H, W).
    """
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None, None]
    elif images.ndim == 3:
        images = images[:, None]
    elif images.ndim != 4:
        raise DataError(f"images must be N x H x W or N x C x H x W, got shape {images.shape}")
    if np.issubdtype(images.dtype, np.integer):
        scale = np.float32(1.0 / np.iinfo(images.dtype).max)
        return images.astype(np.float32) * scale
    return images.astype(np.float32, copy=False)


def train_val_split(
    images: np.ndarray, labels: np.ndarray, fraction: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle, then hold out ``fraction`` of the samples: (train_x, train_y, val_x, val_y)."""
    if len(images) != len(labels):
        raise DataError(f"{len(images)} images but {len(labels)} labels")
    if not 0.0 < fraction < 1.0:
        raise DataError(f"validation fraction must be between 0 and 1, got {fraction}")
    order = np.random.default_rng(seed).permutation(len(images))
    held_out = max(1, round(len(images) * fraction))
    if held_out >= len(images):
        raise DataError(f"{len(images)} samples are too few to split off a validation set")
    val, train = order[:held_out], order[held_out:]
    return images[train], labels[train], images[val], labels[val]


def random_shift(batch: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Move each (N, C, H, W) image by its own random offset of up to ``max_shift`` pixels,
    filling with zeros: cheap augmentation that teaches the network a digit is a digit anywhere.

    Samples that drew the same offset are moved together, so there are at most (2m + 1)^2
    array operations, whatever the batch size.
    """
    if max_shift <= 0:
        return batch
    n, _, h, w = batch.shape
    m = max_shift
    padded = np.zeros((*batch.shape[:2], h + 2 * m, w + 2 * m), dtype=batch.dtype)
    padded[:, :, m : m + h, m : m + w] = batch
    dy = rng.integers(-m, m + 1, size=n)
    dx = rng.integers(-m, m + 1, size=n)
    shifted = np.empty_like(batch)
    for oy in range(-m, m + 1):
        for ox in range(-m, m + 1):
            chosen = (dy == oy) & (dx == ox)
            if chosen.any():
                shifted[chosen] = padded[chosen, :, m - oy : m - oy + h, m - ox : m - ox + w]
    return shifted


# ---------------------------------------------------------------------- MNIST-format files

_IDX_UBYTE = 0x08
MAX_IDX_BYTES = 512 * MB
"""Largest image or label payload an IDX file may promise: ~650,000 MNIST-size images."""
_CHUNK = 1 * MB  # read (and decompress) this much at a time: Stop is checked in between

Cancel = Callable[[], bool]
"""Asked between chunks and files: True stops the loading with ``LoadingStopped``."""


class LoadingStopped(DataError):  # noqa: N818 (a stop, not an error)
    """Loading was interrupted on request (the person pressed Stop)."""


def _check_cancel(cancel: Cancel | None) -> None:
    if cancel is not None and cancel():
        raise LoadingStopped("loading the training data was stopped")


class _IdxFile:
    """One IDX file, opened for streaming: its header is read, its payload not yet.

    Gzip files are decompressed as they are read, so nothing larger than the header's
    promise (itself checked against ``MAX_IDX_BYTES``) is ever held in memory.
    """

    def __init__(self, path: Path, expected_dims: int, max_bytes: int) -> None:
        self.path = path
        size = check_file(path, str(path), max_bytes=max_bytes, error=DataError)
        try:
            self._raw = path.open("rb")
        except OSError as error:
            raise DataError(f"{path}: {describe_os_error(error)}") from None
        self.compressed = self._raw.read(2) == b"\x1f\x8b"  # gzip's magic, whatever the name
        self._raw.seek(0)
        self._stream = gzip.GzipFile(fileobj=self._raw) if self.compressed else self._raw
        self._file_size = size
        self.shape = self._read_header(expected_dims)
        self.promised = math.prod(self.shape)
        self.header_size = 4 + 4 * expected_dims

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    def _read(self, count: int) -> bytes:
        try:
            return self._stream.read(count)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(f"{self.path} is a damaged gzip file ({error})") from None

    def _read_header(self, expected_dims: int) -> tuple[int, ...]:
        magic = self._read(4)
        if len(magic) < 4:
            raise DataError(f"{self.path} is too short to be an IDX file ({len(magic)} bytes)")
        zero, data_type, dims = int.from_bytes(magic[:2], "big"), magic[2], magic[3]
        if zero != 0 or data_type != _IDX_UBYTE or dims != expected_dims:
            raise DataError(
                f"{self.path} has the wrong magic number 0x{int.from_bytes(magic, 'big'):08x}: "
                f"expected 0x{_IDX_UBYTE << 8 | expected_dims:08x} "
                f"(unsigned bytes, {expected_dims} dimension{'s' if expected_dims > 1 else ''})"
            )
        sizes = self._read(4 * dims)
        if len(sizes) < 4 * dims:
            raise DataError(f"{self.path} is truncated inside its header")
        return tuple(int.from_bytes(sizes[4 * i : 4 * i + 4], "big") for i in range(dims))

    def check_budget(self, max_bytes: int) -> None:
        """Refuse a promise larger than ``max_bytes`` or (raw files) than the file holds."""
        if self.promised > max_bytes:
            shape = " x ".join(f"{side:,}" for side in self.shape)
            raise DataError(
                f"{self.path}: its header promises {shape} = {self.promised:,} bytes of data, "
                f"more than the {format_size(max_bytes)} ConvLab loads for training"
            )
        if not self.compressed and self._file_size - self.header_size < self.promised:
            self._truncated(self._file_size - self.header_size)

    def _truncated(self, available: int) -> None:
        raise DataError(
            f"{self.path} is truncated: its header promises {self.promised} bytes of data, "
            f"the file holds {available}"
        )

    def payload(self, cancel: Cancel | None) -> np.ndarray:
        """The promised bytes, read in chunks (never more), as a uint8 array of ``shape``."""
        data = np.empty(self.promised, dtype=np.uint8)
        view = memoryview(data)
        filled = 0
        while filled < self.promised:
            _check_cancel(cancel)
            wanted = min(_CHUNK, self.promised - filled)
            try:
                got = self._stream.readinto(view[filled : filled + wanted])
            except (OSError, EOFError, zlib.error) as error:
                raise DataError(f"{self.path} is a damaged gzip file ({error})") from None
            if not got:
                self._truncated(filled)
            filled += got
        return data.reshape(self.shape)


def load_idx(
    images_path: str | Path,
    labels_path: str | Path,
    *,
    cancel: Cancel | None = None,
    max_bytes: int = MAX_IDX_BYTES,
) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST / Fashion-MNIST image and label file pair (gzip-compressed or raw).

    Returns (uint8 N x H x W, uint8 N). Both headers are read and checked (magic numbers,
    matching counts, a payload within ``max_bytes``) before anything is allocated; the
    payload is then streamed in chunks, asking ``cancel`` in between. DataError on a wrong
    magic number, a truncated or damaged file, counts that do not match, or a payload too
    large; ``LoadingStopped`` when ``cancel`` says so.
    """
    images_path, labels_path = Path(images_path), Path(labels_path)
    images = _IdxFile(images_path, 3, max_bytes)
    try:
        labels = _IdxFile(labels_path, 1, max_bytes)
        try:
            for file in (images, labels):
                file.check_budget(max_bytes)
            if images.shape[0] != labels.shape[0]:
                raise DataError(
                    f"{images_path.name} holds {images.shape[0]} images but "
                    f"{labels_path.name} holds {labels.shape[0]} labels"
                )
            return images.payload(cancel), labels.payload(cancel)
        finally:
            labels.close()
    finally:
        images.close()


#: the environment variable that names the folder holding the real MNIST test set
MNIST_DIR_VARIABLE = "CONVLAB_MNIST_DIR"
#: the MNIST test set's two files, as published
MNIST_TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def mnist_test_dir() -> Path:
    """Where the tests and benchmarks look for the MNIST test set: the folder named by
    ``CONVLAB_MNIST_DIR``, else ``shared/data/mnist`` beside the source checkout. The data is
    never downloaded; without it, what needs it is skipped and says so."""
    named = os.environ.get(MNIST_DIR_VARIABLE, "").strip()
    if named:
        return Path(named).expanduser()
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"


# ---------------------------------------------------------------------- image folders


@dataclass
class FolderDataset:
    """What ``image_folder`` found: the images, their labels and the files it had to skip."""

    images: np.ndarray  # uint8, N x size x size (grey) or N x 3 x size x size (RGB)
    labels: np.ndarray  # int64, indices into class_names
    class_names: tuple[str, ...]
    skipped: list[Path] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    """Why each skipped file was skipped (same order as ``skipped``)."""


def _read_folder_image(file: Path, grayscale: bool) -> np.ndarray:
    """One image of a training folder, header checked first (no bomb is decoded whole)."""
    data = read_file(file, file.name, max_bytes=MAX_IMAGE_FILE_BYTES, error=DataError)
    fmt = sniff_format(data[:64])
    if fmt is None:
        raise DataError(f"{file.name}: not an image")
    try:
        flag = decode_plan(data, fmt, file.name, [])
    except ConvlabError as error:
        raise DataError(str(error)) from None
    if flag in _REDUCED_GRAY:  # a huge JPEG: libjpeg decodes it at 1/2, 1/4 or 1/8 size
        flag = _REDUCED_GRAY[flag] if grayscale else flag
    else:
        flag = cv2.IMREAD_GRAYSCALE if grayscale else cv2.IMREAD_COLOR
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        raise DataError(f"{file.name}: damaged {fmt} data")
    return image


_REDUCED_GRAY = {  # the reduced colour decode that decode_plan picks -> its grey twin
    cv2.IMREAD_REDUCED_COLOR_2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
    cv2.IMREAD_REDUCED_COLOR_4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    cv2.IMREAD_REDUCED_COLOR_8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


def image_folder(
    path: str | Path, size: int = 28, grayscale: bool = True, *, cancel: Cancel | None = None
) -> FolderDataset:
    """Load a folder with one sub-folder of images per class (the sub-folder name is the class).

    Any format OpenCV reads is accepted, each image resized to size x size. Files that are not
    readable images (damaged, special files, images too large to decode) are skipped and
    listed in ``skipped`` with the reason in ``reasons``. DataError if there are fewer than
    two classes or no readable image at all; ``LoadingStopped`` when ``cancel`` says so.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder")
    class_dirs = sorted(child for child in root.iterdir() if child.is_dir())
    if len(class_dirs) < 2:
        raise DataError(
            f"{root} needs at least two sub-folders, one per class; found {len(class_dirs)}"
        )
    images, labels, skipped, reasons = [], [], [], []
    for label, class_dir in enumerate(class_dirs):
        for file in sorted(class_dir.iterdir()):
            _check_cancel(cancel)
            if file.is_dir():
                continue
            try:
                image = _read_folder_image(file, grayscale)
            except DataError as error:
                skipped.append(file)
                reasons.append(str(error))
                continue
            image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
            if not grayscale:
                image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)
            images.append(image)
            labels.append(label)
    if not images:
        raise DataError(f"no readable images in the class folders of {root}")
    return FolderDataset(
        images=np.stack(images),
        labels=np.array(labels, dtype=np.int64),
        class_names=tuple(class_dir.name for class_dir in class_dirs),
        skipped=skipped,
        reasons=reasons,
    )


# ---------------------------------------------------------------------- generated datasets


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` MNIST-like 28 x 28 digits, white on black: (uint8 N x 28 x 28, int64 N labels).

    Each is drawn with hand-like pen strokes (now and then with one of OpenCV's fonts) under a
    random rotation, shear, scale, stroke width and elastic wobble, centred like MNIST (fit in
    20 x 20, centre of mass in the middle), blurred and noised. Classes are balanced; the same
    seed gives the same images.
    """
    if n < 0:
        raise DataError(f"number of samples must not be negative, got {n}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for index, digit in enumerate(labels):
        images[index] = finish(draw_digit(int(digit), rng), rng)
    return images, labels


def _draw_shape(kind: int, rng: np.random.Generator) -> np.ndarray:
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.uint8)
    centre = rng.uniform(40, 72, size=2)
    half = rng.uniform(20, 36)
    thickness = int(rng.integers(6, 14))
    cx, cy = centre

    def point(x: float, y: float) -> tuple[int, int]:
        return round(x), round(y)

    name = SHAPE_CLASSES[kind]
    if name == "horizontal bar":
        tilt = rng.uniform(-4, 4)
        cv2.line(canvas, point(cx - half, cy - tilt), point(cx + half, cy + tilt), 255, thickness)
    elif name == "vertical bar":
        tilt = rng.uniform(-4, 4)
        cv2.line(canvas, point(cx - tilt, cy - half), point(cx + tilt, cy + half), 255, thickness)
    elif name == "diagonal bar /":
        cv2.line(canvas, point(cx - half, cy + half), point(cx + half, cy - half), 255, thickness)
    elif name == "diagonal bar \\":
        cv2.line(canvas, point(cx - half, cy - half), point(cx + half, cy + half), 255, thickness)
    elif name == "circle":
        cv2.circle(canvas, point(cx, cy), int(half), 255, thickness, cv2.LINE_AA)
    elif name == "square":
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half * 0.85 + centre
        cv2.polylines(canvas, [corners.astype(np.int32)], True, 255, thickness, cv2.LINE_AA)
    elif name == "triangle":
        corners = np.array([[0, -1], [0.95, 0.75], [-0.95, 0.75]]) * half + centre
        cv2.polylines(canvas, [corners.astype(np.int32)], True, 255, thickness, cv2.LINE_AA)
    else:  # cross
        cv2.line(canvas, point(cx - half, cy), point(cx + half, cy), 255, thickness)
        cv2.line(canvas, point(cx, cy - half), point(cx, cy + half), 255, thickness)
    return cv2.resize(canvas, (28, 28), interpolation=cv2.INTER_AREA)


def shapes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 28 x 28 images of simple shapes (see SHAPE_CLASSES), white on black, balanced.

    Telling bars of different orientations apart makes a CNN's first-layer filters visibly
    turn into oriented edge detectors.
    """
    if n < 0:
        raise DataError(f"number of samples must not be negative, got {n}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(SHAPE_CLASSES)).astype(np.int64)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for index, kind in enumerate(labels):
        images[index] = finish(_draw_shape(int(kind), rng), rng)
    return images, labels


def pad_to(images: np.ndarray, size: int) -> np.ndarray:
    """Centre N x H x W (or N x C x H x W) images in ``size`` x ``size`` with zeros.

    LeNet-5 takes 32 x 32 inputs; LeCun et al. centred MNIST's 28 x 28 digits in 32 x 32 so
    that strokes reach the centre of the top feature detectors' receptive fields.
    """
    images = np.asarray(images)
    height, width = images.shape[-2:]
    if height > size or width > size:
        raise DataError(f"{height}x{width} images do not fit in {size}x{size}")
    top, left = (size - height) // 2, (size - width) // 2
    spec = [(0, 0)] * (images.ndim - 2)
    spec += [(top, size - height - top), (left, size - width - left)]
    return np.pad(images, spec)

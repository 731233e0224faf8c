"""What a network trains on in the app: a ``Dataset``, and ``DataSpec``, the choice that makes one.

A ``DataSpec`` is a plain value (which kind of data, how many images, which files), so it can
be handed to whatever loads it: ``DataSpec.load`` does the slow part (generating, reading
files) away from the window, so picking 60,000 MNIST images never freezes it. Generated sets
are cached: pressing Train twice does not draw the same digits twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from convlab.cnn import data as cnn_data
from convlab.cnn.data import Cancel
from convlab.cnn.webcam_samples import WEBCAM_SIZE
from convlab.errors import DataError

#: data choices as shown, in order; the first is the default
KIND_LABELS = {
    "digits": "Synthetic digits (built in)",
    "shapes": "Shapes (built in)",
    "idx": "MNIST / Fashion-MNIST files",
    "folder": "Image folder (one sub-folder per class)",
    "webcam": "Capture from webcam",
}
VALIDATION_FRACTION = 0.15
#: the largest validation set evaluated after each epoch (keeps Stop and epoch ends quick)
MAX_VALIDATION = 2000

Loaded = tuple[np.ndarray, np.ndarray, tuple[str, ...], str]
"""images, labels, class names, a note for the person"""

_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_cache_lock = threading.Lock()


@dataclass
class Dataset:
    """Training and validation images (uint8, N x H x W or N x C x H x W) with class names."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    class_names: list[str]
    notes: str = ""  # what the user should know, e.g. files that were skipped

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image, as the network sees it."""
        shape = self.train_images.shape[1:]
        return (1, *shape) if len(shape) == 2 else tuple(shape)  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def padded_to(self, side: int) -> Dataset:
        """The same images centred in ``side`` x ``side`` (LeNet-5 reads 32 x 32: MNIST's 28 x 28
        digits centred in it, as LeCun et al. did); refused when they are larger."""
        height, width = self.input_shape[1:]
        if (height, width) == (side, side):
            return self
        if height > side or width > side:
            raise DataError(
                f"these images are {height}×{width}; LeNet-5 reads {side}×{side} images, so it "
                "can only take smaller ones (centred with a black border): choose the small CNN"
            )
        return replace(
            self,
            train_images=cnn_data.pad_to(self.train_images, side),
            val_images=cnn_data.pad_to(self.val_images, side),
        )


@dataclass(frozen=True)
class DataSpec:
    """A data choice, loadable on any thread."""

    kind: str = "digits"
    count: int = 3000
    seed: int = 0
    images_path: str = ""
    labels_path: str = ""
    folder: str = ""
    webcam_names: tuple[str, ...] = ()
    webcam_samples: tuple[np.ndarray, ...] = field(default=(), compare=False)

    def input_shape(self) -> tuple[int, int, int]:
        """The image shape this choice will give (used for live parameter counts)."""
        size = WEBCAM_SIZE if self.kind == "webcam" else 28
        return (1, size, size)

    def load(self, cancel: Cancel | None = None) -> Dataset:
        """Generate or read the images, then hold out a validation set. Reading files asks
        ``cancel`` between chunks and files (True: ``LoadingStopped``)."""
        images, labels, names, notes = self._images(cancel)
        if len(np.unique(labels)) < 2:
            raise DataError(f"{self.describe()}: training needs at least two classes with images")
        train_x, train_y, val_x, val_y = cnn_data.train_val_split(
            images, labels, fraction=VALIDATION_FRACTION, seed=self.seed
        )
        return Dataset(
            name=self.kind,
            train_images=train_x,
            train_labels=train_y,
            val_images=val_x[:MAX_VALIDATION],
            val_labels=val_y[:MAX_VALIDATION],
            class_names=list(names),
            notes=notes,
        )

    def describe(self) -> str:
        if self.kind == "idx":
            return f"IDX files {Path(self.images_path).name} / {Path(self.labels_path).name}"
        if self.kind == "folder":
            return f"image folder {self.folder}"
        return KIND_LABELS[self.kind]

    def _images(self, cancel: Cancel | None) -> Loaded:
        if self.kind in ("digits", "shapes"):
            key = (self.kind, self.count, self.seed)
            with _cache_lock:
                cached = _cache.get(key)
            if cached is None:
                make = cnn_data.synthetic_digits if self.kind == "digits" else cnn_data.shapes
                cached = make(self.count, seed=self.seed)
                with _cache_lock:
                    _cache.clear()  # one set at a time is plenty
                    _cache[key] = cached
            return (*cached, cnn_data.class_names(self.kind), "")
        if self.kind == "idx":
            return self._idx(cancel)
        if self.kind == "folder":
            return self._folder(cancel)
        return self._webcam()

    def _idx(self, cancel: Cancel | None) -> Loaded:
        if not self.images_path or not self.labels_path:
            raise DataError("MNIST files: choose both the images file and the labels file")
        images, labels = cnn_data.load_idx(self.images_path, self.labels_path, cancel=cancel)
        if len(images) == 0:
            raise DataError(f"{Path(self.images_path).name} holds no images")
        if labels.max() >= 10 or labels.min() < 0:
            raise DataError(
                f"{Path(self.labels_path).name}: labels must be 0-9, found {labels.min()} to "
                f"{labels.max()}"
            )
        if self.count < len(images):  # a random subset keeps every class
            chosen = np.random.default_rng(self.seed).permutation(len(images))[: self.count]
            images, labels = images[chosen], labels[chosen]
        fashion = "fashion" in (self.images_path + self.labels_path).lower()
        names = cnn_data.class_names("fashion-mnist" if fashion else "mnist")
        return images, labels, names, ""

    def _folder(self, cancel: Cancel | None) -> Loaded:
        if not self.folder:
            raise DataError("Image folder: choose a folder with one sub-folder of images per class")
        found = cnn_data.image_folder(self.folder, size=28, grayscale=True, cancel=cancel)
        present = np.unique(found.labels)
        if len(present) < 2:
            raise DataError(
                f"image folder {self.folder}: only the class "
                f"'{found.class_names[int(present[0])]}' has readable images; "
                "training needs at least two"
            )
        notes = ""
        if found.skipped:
            shown = ", ".join(path.name for path in found.skipped[:3])
            more = f" and {len(found.skipped) - 3} more" if len(found.skipped) > 3 else ""
            notes = (
                f"image folder {self.folder}: skipped {len(found.skipped)} unreadable "
                f"file(s): {shown}{more} (first: {found.reasons[0]})"
            )
        return found.images, found.labels, found.class_names, notes

    def _webcam(self) -> Loaded:
        counts = [len(samples) for samples in self.webcam_samples]
        empty = [name for name, count in zip(self.webcam_names, counts) if count == 0]
        if empty or len(counts) < 2:
            raise DataError(
                "Webcam classes: capture some frames for every class first "
                f"(empty: {', '.join(empty) or 'need at least two classes'})"
            )
        if min(counts) < 3:
            raise DataError("Webcam classes: capture at least 3 frames per class")
        images = np.concatenate([np.asarray(s) for s in self.webcam_samples])
        labels = np.concatenate(
            [np.full(count, index, dtype=np.int64) for index, count in enumerate(counts)]
        )
        return images, labels, tuple(self.webcam_names), ""

"""Write feature maps to disk: PNG as displayed, .npy as raw floats.

No Qt here: the panel runs these functions on a worker thread. Maps are recomputed at the
frame's full resolution (the live tiles are previews on a reduced copy), and every file is
written to a temporary name in the target folder and then renamed over the final one, so a
crash or a full disk never leaves a half-written PNG where a good one was.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from convlab.engine.pipeline import FeatureMap, Pipeline
from convlab.errors import ConvlabError

EXPORT_FORMATS = ("png", "npy")


def file_stem(index: int | None, name: str) -> str:
    """``03_sobel_x``: the map's place in the bank (1-based, sorts right) and its kernel name."""
    slug = re.sub(r"[^0-9A-Za-z.=-]+", "_", name).strip("_.") or "kernel"
    return slug if index is None else f"{index + 1:02d}_{slug}"


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(temp_path)`` on a temporary file next to ``path``, then rename it into place."""
    path = Path(path)
    try:  # a missing or read-only folder fails here already: the same clear message
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent
        )
    except OSError as error:
        raise ConvlabError(f"Export to {path}: {error.strerror or error}") from error
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise ConvlabError(f"Export to {path}: {error.strerror or error}") from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_png(path: Path, rgb: np.ndarray) -> None:
    """An RGB (or gray) uint8 image as PNG, atomically."""
    image = np.ascontiguousarray(rgb)
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ConvlabError(f"Export to {path}: OpenCV could not encode the image as PNG")
    write_atomic(path, lambda temp: temp.write_bytes(encoded.tobytes()))


def write_npy(path: Path, values: np.ndarray) -> None:
    """Raw float values as .npy, atomically (np.save on an open file adds no suffix)."""

    def save(temp: Path) -> None:
        with temp.open("wb") as handle:
            np.save(handle, np.asarray(values), allow_pickle=False)

    write_atomic(path, save)


def _check_folder(folder: Path, formats: tuple[str, ...]) -> Path:
    unknown = set(formats) - set(EXPORT_FORMATS)
    if unknown or not formats:
        raise ConvlabError(f"Export formats {formats!r}: choose from {EXPORT_FORMATS}")
    folder = Path(folder)
    if not folder.is_dir():
        raise ConvlabError(f"Export folder {folder}: does not exist or is not a folder")
    return folder


def _write_map(folder: Path, stem: str, feature_map: FeatureMap, formats: tuple[str, ...]):
    written = []
    if "png" in formats:
        written.append(folder / f"{stem}.png")
        write_png(written[-1], feature_map.image)
    if "npy" in formats:
        written.append(folder / f"{stem}.npy")
        write_npy(written[-1], feature_map.values)
    return written


def export_feature_maps(
    pipeline: Pipeline,
    frame: np.ndarray,
    folder: Path,
    formats: tuple[str, ...] = EXPORT_FORMATS,
    *,
    only: int | None = None,
) -> list[Path]:
    """Every bank map of ``frame`` at full resolution (or just map ``only``; -1: the combined
    magnitude), with the pipeline's stages and bank display mapping. Returns the files written.
    """
    folder = _check_folder(folder, formats)
    if not pipeline.bank:
        raise ConvlabError("Export feature maps: the bank is empty, add a kernel first")
    maps, combined = pipeline.feature_maps(frame, max_side=None)
    written: list[Path] = []
    for index, feature_map in enumerate(maps):
        if only is None or only == index:
            stem = file_stem(index, feature_map.kernel.name or "custom")
            written += _write_map(folder, stem, feature_map, formats)
    if combined is not None and only in (None, -1):
        written += _write_map(folder, "combined_gradient_magnitude", combined, formats)
    if only == -1 and combined is None:
        raise ConvlabError("Export combined map: 'combine' is off or the bank has < 2 kernels")
    return written

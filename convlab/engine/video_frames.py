"""What OpenCV's video reader gives, made into ConvLab frames: the reader itself, a frame rate
that can be believed, and any frame (gray, BGRA, 16-bit, float) as uint8 RGB."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

PLAUSIBLE_FPS = (1.0, 240.0)  # a container claiming a rate outside this is not believed


def opencv_capture(target: Any, api: int, params: Sequence[int]) -> cv2.VideoCapture:
    """``cv2.VideoCapture`` on ``target`` through ``api``, with open parameters if any."""
    if params:
        return cv2.VideoCapture(target, api, list(params))
    return cv2.VideoCapture(target, api)


def plausible_fps(value: float) -> float | None:
    low, high = PLAUSIBLE_FPS
    return float(value) if low <= value <= high else None


def bgr_to_rgb(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 1):
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def to_uint8_frame(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    if frame.dtype == np.uint16:
        return cv2.convertScaleAbs(frame, alpha=255.0 / 65535.0)
    return cv2.convertScaleAbs(frame.astype(np.float32))

"""Draws resources/icons/convlab.png: a 3x3 kernel on a diverging scale (run once, by hand)."""

from pathlib import Path

import cv2
import numpy as np

SIZE = 256
WEIGHTS = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)  # Sobel x


def colour(weight: float) -> tuple[int, int, int]:
    """Blue for negative, white for zero, red for positive (BGR for OpenCV)."""
    t = weight / 2.0
    if t >= 0:
        return (
            int(255 * (1 - t) + 40 * t),
            int(255 * (1 - t) + 60 * t),
            int(255 * (1 - t) + 200 * t),
        )
    t = -t
    return (int(255 * (1 - t) + 190 * t), int(255 * (1 - t) + 90 * t), int(255 * (1 - t) + 40 * t))


def main() -> None:
    icon = np.zeros((SIZE, SIZE, 4), np.uint8)
    cell, margin = 76, 14
    for row in range(3):
        for col in range(3):
            x0, y0 = margin + col * (cell + 5), margin + row * (cell + 5)
            cv2.rectangle(
                icon, (x0, y0), (x0 + cell, y0 + cell), (*colour(WEIGHTS[row, col]), 255), -1
            )
            cv2.rectangle(icon, (x0, y0), (x0 + cell, y0 + cell), (60, 60, 60, 255), 3)
    cv2.imwrite(str(Path(__file__).with_name("convlab.png")), icon)


if __name__ == "__main__":
    main()

"""Synthetic pictures that show what a kernel does: the test card and the moving test pattern.

A photo shows a blur or an edge detector only vaguely; a test card shows it precisely. Each
region answers one question a person playing with kernels will ask:

- colour bars and grey/hue ramps: does the kernel keep colours and the mean level (DC gain)?
- line gratings at 0/45/90/135 degrees and two periods: which orientations and frequencies
  does it pass (Sobel x sees vertical lines, a blur erases the fine grating first)?
- a zone plate (rings whose frequency grows outwards): the frequency response, as a picture;
- a Siemens star: edges at every angle at once;
- circles, a checkerboard, thin lines and text: corners, curves and fine detail.

Everything is drawn in relative coordinates so any size works (640x480 webcam-like, 960x640
test card). Arrays are RGB; OpenCV drawing does not care about channel order.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_COLOR_BARS: tuple[tuple[int, int, int], ...] = (
    (235, 235, 235),
    (235, 235, 16),
    (16, 235, 235),
    (16, 235, 16),
    (235, 16, 235),
    (235, 16, 16),
    (16, 16, 235),
    (16, 16, 16),
)
_BACKGROUND = 112


def _rect(width: int, height: int, fx0: float, fy0: float, fx1: float, fy1: float):
    """Pixel bounds (x0, y0, x1, y1) of a rectangle given as fractions of the card."""
    return (
        round(fx0 * width),
        round(fy0 * height),
        max(round(fx0 * width) + 1, round(fx1 * width)),
        max(round(fy0 * height) + 1, round(fy1 * height)),
    )


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w]
    return xs.astype(np.float32), ys.astype(np.float32)


def _put(card: np.ndarray, box: tuple[int, int, int, int], patch: np.ndarray) -> None:
    x0, y0, x1, y1 = box
    if patch.ndim == 2:
        patch = patch[:, :, None]
    card[y0:y1, x0:x1] = patch


def _color_bars(card: np.ndarray, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    edges = np.linspace(x0, x1, len(_COLOR_BARS) + 1).round().astype(int)
    for color, left, right in zip(_COLOR_BARS, edges[:-1], edges[1:]):
        card[y0:y1, left:right] = color


def _gray_ramp(card: np.ndarray, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    ramp = np.linspace(0, 255, x1 - x0).round().astype(np.uint8)
    _put(card, box, np.broadcast_to(ramp[None, :], (y1 - y0, x1 - x0)))


def _hue_ramp(card: np.ndarray, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    hue = np.linspace(0, 179, x1 - x0).round().astype(np.uint8)
    hsv = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
    hsv[:, :, 0] = hue[None, :]
    hsv[:, :, 1] = 255
    hsv[:, :, 2] = np.linspace(255, 96, y1 - y0).round().astype(np.uint8)[:, None]
    _put(card, box, cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB))


def _grating(h: int, w: int, angle_deg: float, period: float) -> np.ndarray:
    """Square-wave lines (black/white), stripes running at ``angle_deg`` from horizontal."""
    xs, ys = _grid(h, w)
    theta = math.radians(angle_deg)
    phase = (-xs * math.sin(theta) + ys * math.cos(theta)) / period
    return np.where((phase % 1.0) < 0.5, 255, 0).astype(np.uint8)


def _gratings(card: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Two rows (coarse, fine) of four orientations."""
    x0, y0, x1, y1 = box
    columns = np.linspace(x0, x1, 5).round().astype(int)
    rows = np.linspace(y0, y1, 3).round().astype(int)
    gap = 2
    for row, period in enumerate((12.0, 4.0)):
        for col, angle in enumerate((0.0, 45.0, 90.0, 135.0)):
            cell = (
                columns[col] + gap,
                rows[row] + gap,
                columns[col + 1] - gap,
                rows[row + 1] - gap,
            )
            h, w = cell[3] - cell[1], cell[2] - cell[0]
            if h > 0 and w > 0:
                _put(card, cell, _grating(h, w, angle, period))


def _zone_plate(card: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """cos(k r^2): local frequency grows linearly with radius up to Nyquist at the rim."""
    x0, y0, x1, y1 = box
    h, w = y1 - y0, x1 - x0
    xs, ys = _grid(h, w)
    radius = min(h, w) / 2.0
    r2 = (xs - w / 2.0) ** 2 + (ys - h / 2.0) ** 2
    k = math.pi / (2.0 * radius)  # frequency k*r/pi cycles/pixel reaches 0.5 at the rim
    plate = (127.5 + 127.5 * np.cos(k * r2)).round().astype(np.uint8)
    inside = r2 <= radius**2  # beyond the rim the rings would alias into moire
    region = card[y0:y1, x0:x1]
    region[inside] = plate[inside][:, None]


def _siemens_star(card: np.ndarray, box: tuple[int, int, int, int], spokes: int = 24) -> None:
    x0, y0, x1, y1 = box
    h, w = y1 - y0, x1 - x0
    xs, ys = _grid(h, w)
    angle = np.arctan2(ys - h / 2.0, xs - w / 2.0)
    star = np.where(np.sin(spokes * angle) >= 0, 235, 20).astype(np.uint8)
    inside = (xs - w / 2.0) ** 2 + (ys - h / 2.0) ** 2 <= (min(h, w) / 2.0) ** 2
    region = card[y0:y1, x0:x1]
    region[inside] = star[inside][:, None]


def _checkerboard(card: np.ndarray, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    xs, ys = _grid(y1 - y0, x1 - x0)
    half = (x1 - x0) // 2
    square = np.where(xs < half, 6, 16)
    board = ((xs // square + ys // square) % 2) * 255
    _put(card, box, board.astype(np.uint8))


def _shapes(card: np.ndarray, box: tuple[int, int, int, int], unit: float) -> None:
    """Filled and outlined circles, thin lines and a step edge: curves, corners, detail."""
    x0, y0, x1, y1 = box
    card[y0:y1, x0:x1] = _BACKGROUND
    h = y1 - y0
    cy = y0 + h // 2
    step_x = x0 + (x1 - x0) // 6
    card[y0:y1, x0:step_x] = 0
    card[y0:y1, step_x : x0 + (x1 - x0) // 3] = 255
    left = x0 + (x1 - x0) // 3
    radii = [max(2, round(h * f)) for f in (0.38, 0.25, 0.14, 0.06)]
    cx = left + radii[0] + 4
    colors = ((230, 60, 50), (250, 210, 40), (60, 120, 230), (245, 245, 245))
    for radius, color in zip(radii, colors):
        cv2.circle(card, (cx, cy), radius, color, -1, cv2.LINE_AA)
    cx2 = cx + 2 * radii[0] + 8
    for radius in radii:
        cv2.circle(card, (cx2, cy), radius, (10, 10, 10), max(1, round(unit)), cv2.LINE_AA)
    lines_x = cx2 + radii[0] + 8
    for index in range(6):
        x = lines_x + index * max(3, round(3 * unit))
        if x < x1:
            cv2.line(card, (x, y0 + 4), (x, y1 - 5), (255, 255, 255), 1)
    for index in range(6):
        y = y0 + 4 + index * max(3, round(3 * unit))
        cv2.line(card, (min(x1 - 1, lines_x + round(22 * unit)), y), (x1 - 4, y), (0, 0, 0), 1)


def _text(card: np.ndarray, box: tuple[int, int, int, int], text: str, unit: float) -> None:
    x0, y0, x1, y1 = box
    card[y0:y1, x0:x1] = 245
    h = y1 - y0
    font = cv2.FONT_HERSHEY_DUPLEX
    thickness = max(1, round(2 * unit))
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, thickness)
    scale = min((x1 - x0) * 0.9 / tw, h * 0.7 / th)
    (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
    origin = (x0 + ((x1 - x0) - tw) // 2, y0 + (h + th) // 2)
    cv2.putText(card, text, origin, font, scale, (20, 20, 20), thickness, cv2.LINE_AA)


def draw_test_card(width: int = 960, height: int = 640, text: str = "ConvLab") -> np.ndarray:
    """The static test card as HxWx3 uint8 RGB (any size from about 160x120 up)."""
    if width < 16 or height < 16:
        raise ValueError(f"test card of {width}x{height}: need at least 16x16 pixels")
    card = np.full((height, width, 3), _BACKGROUND, np.uint8)
    unit = min(width / 960.0, height / 640.0)

    def box(fx0: float, fy0: float, fx1: float, fy1: float) -> tuple[int, int, int, int]:
        return _rect(width, height, fx0, fy0, fx1, fy1)

    _color_bars(card, box(0.0, 0.0, 1.0, 0.11))
    _gray_ramp(card, box(0.0, 0.11, 1.0, 0.17))
    _hue_ramp(card, box(0.0, 0.17, 1.0, 0.23))
    _gratings(card, box(0.01, 0.25, 0.49, 0.62))
    side = min(0.36 * height, 0.24 * width)
    top = 0.25 * height
    _zone_plate(
        card, (round(0.51 * width), round(top), round(0.51 * width + side), round(top + side))
    )
    star_x = round(0.99 * width - side)
    _siemens_star(card, (star_x, round(top), star_x + round(side), round(top + side)))
    _checkerboard(card, box(0.01, 0.64, 0.33, 0.84))
    _shapes(card, box(0.35, 0.64, 0.99, 0.84), unit)
    _text(card, box(0.01, 0.86, 0.99, 0.99), text, unit)
    return card


class MovingPattern:
    """The test card with moving parts, frame by frame (deterministic in the frame index).

    A sweeping vertical bar (a moving step edge: watch Sobel x light up its sides), a
    rotating line (edges at every angle in turn) and a bouncing disc. The static card is
    drawn once; a frame costs one copy plus a few primitives (well under a millisecond).
    """

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        self._card = draw_test_card(self.width, self.height)
        self._unit = min(self.width / 960.0, self.height / 640.0)

    def frame(self, index: int) -> np.ndarray:
        t = index / self.fps
        image = self._card.copy()
        w, h, unit = self.width, self.height, self._unit
        bar_width = max(2, round(18 * unit))
        span = w + bar_width
        x = round((t / 4.0 % 1.0) * span) - bar_width
        image[round(0.25 * h) : round(0.62 * h), max(0, x) : max(0, x + bar_width)] = (
            255,
            255,
            255,
        )
        centre = (round(0.457 * w), round(0.74 * h))  # on the black/white step edge
        length = 0.09 * min(w, h)
        angle = t * math.pi / 3.0
        tip = (
            round(centre[0] + length * math.cos(angle)),
            round(centre[1] + length * math.sin(angle)),
        )
        cv2.line(image, centre, tip, (255, 40, 40), max(1, round(4 * unit)), cv2.LINE_AA)
        radius = max(3, round(22 * unit))
        bx = radius + abs((t * 0.21 % 2.0) - 1.0) * (w - 2 * radius)
        by = radius + abs((t * 0.37 % 2.0) - 1.0) * (h - 2 * radius)
        cv2.circle(image, (round(bx), round(by)), radius, (40, 200, 255), -1, cv2.LINE_AA)
        label = f"frame {index}"
        cv2.putText(
            image, label, (4, max(12, round(0.1 * h))), cv2.FONT_HERSHEY_SIMPLEX,
            max(0.3, 0.6 * unit), (0, 0, 0), 1, cv2.LINE_AA,
        )  # fmt: skip
        return image

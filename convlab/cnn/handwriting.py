"""How the generated digits are drawn: hand-like pen strokes or a font, jittered like a hand.

Each digit is drawn large (``CANVAS`` pixels) with one of ten stroke recipes, one per digit, or
with one of OpenCV's fonts, then bent by a random affine transform and a smooth elastic
wobble, and centred the way MNIST centred its digits (``mnist_normalize``). ``finish`` blurs,
inks and noises a sample so no two are pixel-perfect. ``data.synthetic_digits`` puts it
together; the same seed gives the same images.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Uniform = Callable[[float, float], float]  # a random number between two bounds

CANVAS = 112  # draw large, then shrink with area averaging: anti-aliased like scanned digits
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)


def _random_affine(rng: np.random.Generator, center: float) -> np.ndarray:
    """A 2 x 3 matrix: rotation, shear and anisotropic scale about the canvas centre."""
    angle = np.deg2rad(rng.uniform(-15, 15))
    shear = rng.uniform(-0.35, 0.35)
    scale_x, scale_y = rng.uniform(0.75, 1.2), rng.uniform(0.85, 1.15)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([scale_x, scale_y])
    offset = np.array([center, center]) - linear @ np.array([center, center])
    return np.hstack([linear, offset[:, None]])


def mnist_normalize(image: np.ndarray, box: int = 20, size: int = 28) -> np.ndarray:
    """Centre one glyph the way MNIST did: scale its bounding box to fit ``box`` x ``box``
    (aspect kept, area-averaged), then place it so its centre of mass is the image centre."""
    rows = np.flatnonzero(image.max(axis=1) > 0)
    columns = np.flatnonzero(image.max(axis=0) > 0)
    if rows.size == 0:
        return np.zeros((size, size), dtype=np.uint8)
    crop = image[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    scale = box / max(crop.shape)
    height = max(1, round(crop.shape[0] * scale))
    width = max(1, round(crop.shape[1] * scale))
    glyph = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    mass = glyph.sum()
    centre_y = (glyph.sum(axis=1) @ np.arange(height)) / mass if mass else height / 2
    centre_x = (glyph.sum(axis=0) @ np.arange(width)) / mass if mass else width / 2
    shift = np.float32([[1, 0, size / 2 - 0.5 - centre_x], [0, 1, size / 2 - 0.5 - centre_y]])
    placed = cv2.warpAffine(glyph, shift, (size, size), flags=cv2.INTER_LINEAR)
    return np.clip(placed, 0, 255).astype(np.uint8)


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float) -> np.ndarray:
    """Points of an elliptical arc in the unit box; angles in degrees, 0 = right, 90 = down."""
    angles = np.deg2rad(np.linspace(start, stop, max(4, int(abs(stop - start) / 10))))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def _line(*points: tuple[float, float]) -> np.ndarray:
    return np.array(points, dtype=float)


def _zero(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    start = -90 + u(-30, 30)
    return [_arc(0.5, 0.5, u(0.35, 0.6), 0.5, start, start + u(330, 380))]


def _one(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    top, bottom = (u(0.4, 0.7), 0.0), (u(0.3, 0.6), 1.0)
    strokes = [_line(top, bottom)]
    if rng.random() < 0.4:  # a flag at the top
        strokes = [_line((top[0] - u(0.15, 0.3), u(0.1, 0.3)), top, bottom)]
    if rng.random() < 0.05:  # a foot
        strokes.append(_line((bottom[0] - 0.2, 1.0), (bottom[0] + 0.2, 1.0)))
    return strokes


def _two(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    radius = u(0.3, 0.45)
    top = _arc(0.5, radius, radius, radius, u(180, 215), u(370, 410))
    foot_y = 1.0 - u(0.0, 0.05)
    return [np.vstack([top, _line((u(0.0, 0.15), foot_y), (u(0.8, 1.0), foot_y + u(-0.05, 0)))])]


def _three(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    middle = u(0.4, 0.5)
    upper = _arc(0.45, middle / 2, 0.4, middle / 2, u(180, 220), 450)
    lower = _arc(0.45, (1 + middle) / 2, 0.5, (1 - middle) / 2, -90, u(130, 160))
    return [np.vstack([upper, lower])]


def _four(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    bar, stem = u(0.55, 0.7), u(0.6, 0.75)
    if rng.random() < 0.5:  # closed: one stroke down-left, across, then the stem
        return [
            _line((stem, 0.0), (u(0.0, 0.1), bar), (1.0, bar)),
            _line((stem, u(0.0, 0.2)), (stem + u(-0.05, 0.05), 1.0)),
        ]
    return [  # open: an L, then the stem
        _line((u(0.05, 0.2), 0.0), (u(0.0, 0.1), bar), (1.0, bar)),
        _line((stem, 0.0), (stem + u(-0.05, 0.05), 1.0)),
    ]


def _five(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    neck = u(0.35, 0.5)
    belly = _arc(0.45, (1 + neck) / 2, 0.5, (1 - neck) / 2, -120, u(130, 160))
    return [_line((u(0.8, 1.0), 0.0), (0.2, 0.0), (u(0.1, 0.2), neck + 0.05)), belly]


def _six(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    loop_r = u(0.25, 0.35)
    descent = _arc(0.5 + loop_r, 1 - loop_r, 0.5 + u(0.05, 0.2), 1 - loop_r, -100, -180)
    loop = _arc(0.5, 1 - loop_r, loop_r + 0.1, loop_r, 180, 540)
    return [np.vstack([descent, loop])]


def _seven(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    strokes = [_line((u(0.0, 0.1), u(0.0, 0.1)), (1.0, 0.0), (u(0.25, 0.5), 1.0))]
    if rng.random() < 0.2:  # crossed
        strokes.append(_line((0.35, 0.55), (0.85, 0.5)))
    return strokes


def _eight(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    # one continuous pen stroke: a vertical figure of eight (a 1:2 Lissajous curve)
    if rng.random() < 0.3:  # or two loops drawn one after the other
        waist = u(0.4, 0.5)
        top = _arc(0.5, waist / 2, u(0.25, 0.4), waist / 2, 90, 450)
        bottom = _arc(0.5, (1 + waist) / 2, u(0.35, 0.5), (1 - waist) / 2, -90, 270)
        return [top, bottom]
    t = np.linspace(0, 2 * np.pi, 60) + u(-0.3, 0.3)
    waist = u(0.4, 0.5)  # where the two loops cross
    y = 0.5 - 0.5 * np.cos(t)
    y = np.where(y < 0.5, y * 2 * waist, waist + (y - 0.5) * 2 * (1 - waist))
    width = np.where(y < waist, u(0.25, 0.45), u(0.35, 0.5))
    return [np.stack([0.5 + width * np.sin(2 * t) * rng.choice([-1, 1]), y], axis=1)]


def _nine(u: Uniform, rng: np.random.Generator) -> list[np.ndarray]:
    loop_r = u(0.18, 0.32)
    loop = _arc(0.5, loop_r, 0.45, loop_r, 0, 360)
    tail_x = 0.95 - u(0.0, 0.25)
    if rng.random() < 0.5:
        return [loop, _line((0.95, loop_r), (tail_x, 1.0))]
    return [np.vstack([loop, _arc(0.45, loop_r, 0.5, 1 - loop_r, 0, u(80, 120))])]


_STROKES = (_zero, _one, _two, _three, _four, _five, _six, _seven, _eight, _nine)


def digit_strokes(digit: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Pen strokes of a hand-written ``digit`` in a unit box (x right, y down), with the
    proportions, loop sizes and styles (open or closed 4, crossed 7, flagged 1...) drawn at
    random, the way people vary."""

    def u(low: float, high: float) -> float:
        return float(rng.uniform(low, high))

    return _STROKES[digit](u, rng)


def draw_digit(digit: int, rng: np.random.Generator) -> np.ndarray:
    """One digit on a large canvas: hand-style pen strokes most of the time, otherwise one of
    OpenCV's fonts; then a random affine transform and MNIST's centring."""
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.uint8)
    # Fonts draw 0 with a dot or slash and 1 with serifs, which handwriting never has.
    if digit in (0, 1) or rng.random() < 0.75:
        width, height = rng.uniform(30, 48), 56.0
        origin = np.array([(CANVAS - width) / 2, (CANVAS - height) / 2])
        strokes = [
            (origin + points * [width, height]) * 16 for points in digit_strokes(digit, rng)
        ]  # x16: cv2 draws with 4 bits of sub-pixel precision (shift=4)
        thickness = int(rng.integers(4, 11))
        for points in strokes:
            cv2.polylines(
                canvas, [points.astype(np.int32)], False, 255, thickness, cv2.LINE_AA, shift=4
            )
    else:
        font = int(_FONTS[rng.integers(len(_FONTS))])
        if rng.random() < 0.3:
            font |= cv2.FONT_ITALIC
        text = str(digit)
        (text_w, text_h), _ = cv2.getTextSize(text, font, 1.0, 1)
        font_scale = 56.0 / text_h
        thickness = int(rng.integers(2, 7))
        origin = (int(CANVAS / 2 - font_scale * text_w / 2), int(CANVAS / 2 + 28))
        cv2.putText(canvas, text, origin, font, font_scale, 255, thickness, cv2.LINE_AA)
    canvas = cv2.warpAffine(
        canvas, _random_affine(rng, CANVAS / 2), (CANVAS, CANVAS), flags=cv2.INTER_LINEAR
    )
    return mnist_normalize(_elastic(canvas, rng))


def _elastic(image: np.ndarray, rng: np.random.Generator, alpha: float = 5.0) -> np.ndarray:
    """A smooth random wobble (Simard et al.'s elastic distortion): every pixel moves by a
    blurred random displacement, so strokes bend like a hand's instead of staying geometric."""
    size = image.shape[0]
    # Random moves on a coarse 5 x 5 grid, spread smoothly over the image by Gaussian bumps:
    # displacement = B @ coarse @ B.T, far cheaper than blurring full-size noise.
    centres = np.linspace(0, size - 1, 5)
    pixels = np.arange(size, dtype=np.float32)[:, None]
    bumps = np.exp(-(((pixels - centres) / (size / 5)) ** 2)).astype(np.float32)  # B
    moves = rng.standard_normal((2, 5, 5)).astype(np.float32)
    dx, dy = (bumps @ coarse @ bumps.T for coarse in moves)
    scale = alpha / max(float(np.abs(dx).max()), float(np.abs(dy).max()), 1e-6)
    grid_y, grid_x = np.indices((size, size), dtype=np.float32)
    return cv2.remap(
        image, grid_x + dx * scale, grid_y + dy * scale, interpolation=cv2.INTER_LINEAR
    )


def finish(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur a little, vary the ink and add faint noise, so no two samples are pixel-perfect."""
    result = image.astype(np.float32)
    sigma = rng.uniform(0.0, 0.6)
    if sigma > 0.4:
        result = cv2.GaussianBlur(result, (0, 0), sigma)
        peak = result.max()
        if peak > 0:
            result *= 255.0 / peak
    result *= rng.uniform(0.9, 1.0)
    result += rng.normal(0.0, rng.uniform(0.0, 4.0), result.shape)
    return np.clip(result, 0, 255).astype(np.uint8)

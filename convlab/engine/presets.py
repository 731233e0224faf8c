"""The named kernels the window offers (Sobel, Gaussian blur, ...), each with a plain name
and a one-line description. Code names (``sobel_x``) stay for ``--kernel``, files and code.

Used as a namespace: ``from convlab.engine import presets; presets.get("sobel_x")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from convlab.engine.kernels import Kernel, log_kernel
from convlab.errors import KernelError


def _grid(rows: Iterable[Iterable[float]]) -> np.ndarray:
    return np.array(list(rows), dtype=np.float64)


_SOBEL_X = _grid([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
_PREWITT_X = _grid([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
_SCHARR_X = _grid([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]])
_BINOMIAL_5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).astype(np.float64)


def _unsharp_mask() -> Kernel:
    weights = -_BINOMIAL_5.copy()
    weights[2, 2] += 2 * 256
    return Kernel(weights, divisor=256.0, name="unsharp_mask")


_PRESETS: dict[str, tuple[Callable[[], Kernel], str]] = {
    "identity": (
        lambda: Kernel(_grid([[0, 0, 0], [0, 1, 0], [0, 0, 0]]), name="identity"),
        "Identity: copies the image unchanged; only the centre weight is 1.",
    ),
    "box": (
        lambda: Kernel(np.ones((3, 3)), divisor=9.0, name="box"),
        "Box blur (3×3): the plain average of the 3×3 neighbourhood.",
    ),
    "gaussian": (
        lambda: Kernel(
            _grid([[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]]),
            name="gaussian",
        ),
        "Gaussian blur (3×3): neighbours weigh less the farther they are.",
    ),
    "sharpen": (
        lambda: Kernel(_grid([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]), name="sharpen"),
        "Sharpen: the pixel plus how much it differs from its four neighbours.",
    ),
    "unsharp_mask": (
        _unsharp_mask,
        "Unsharp mask (5×5): the image plus (image minus a Gaussian blur of it).",
    ),
    "laplacian": (
        lambda: Kernel(_grid([[0, 1, 0], [1, -4, 1], [0, 1, 0]]), name="laplacian"),
        "Laplacian (4 neighbours): second derivative; responds to edges in any "
        "direction, 0 on flat areas.",
    ),
    "laplacian_8": (
        lambda: Kernel(_grid([[1, 1, 1], [1, -8, 1], [1, 1, 1]]), name="laplacian_8"),
        "Laplacian (8 neighbours): like the 4-neighbour one, diagonals included.",
    ),
    "log": (
        lambda: log_kernel(4, 1.4).replace(name="log"),
        "Laplacian of Gaussian: a Gaussian blur (9×9, σ 1.4), then the Laplacian; finds "
        "blobs and edges with less noise.",
    ),
    "sobel_x": (
        lambda: Kernel(_SOBEL_X, name="sobel_x"),
        "Sobel, vertical edges: the horizontal gradient (x), centre row weighted 2.",
    ),
    "sobel_y": (
        lambda: Kernel(_SOBEL_X.T, name="sobel_y"),
        "Sobel, horizontal edges: the vertical gradient (y), centre column weighted 2.",
    ),
    "prewitt_x": (
        lambda: Kernel(_PREWITT_X, name="prewitt_x"),
        "Prewitt, vertical edges: rows of [-1 0 1], the horizontal gradient (x).",
    ),
    "prewitt_y": (
        lambda: Kernel(_PREWITT_X.T, name="prewitt_y"),
        "Prewitt, horizontal edges: columns of [-1 0 1], the vertical gradient (y).",
    ),
    "scharr_x": (
        lambda: Kernel(_SCHARR_X, name="scharr_x"),
        "Scharr, vertical edges: the horizontal gradient (x), truer than Sobel's at angles.",
    ),
    "scharr_y": (
        lambda: Kernel(_SCHARR_X.T, name="scharr_y"),
        "Scharr, horizontal edges: the vertical gradient (y), truer than Sobel's at angles.",
    ),
    "emboss": (
        lambda: Kernel(_grid([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]), name="emboss"),
        "Emboss: light from the top-left; edges look raised or sunken.",
    ),
    "outline": (
        lambda: Kernel(_grid([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]), name="outline"),
        "Outline: the pixel minus its eight neighbours; strong on edges, 0 on flat areas.",
    ),
    "motion_blur": (
        lambda: Kernel(np.eye(9), divisor=9.0, name="motion_blur"),
        "Motion blur (diagonal): the average along a 9-pixel diagonal line, like a moving camera.",
    ),
}


# What people call each preset: the code names stay for --kernel, files and code.
_TITLES: dict[str, str] = {
    "identity": "Identity",
    "box": "Box blur (3×3)",
    "gaussian": "Gaussian blur (3×3)",
    "sharpen": "Sharpen",
    "unsharp_mask": "Unsharp mask (5×5)",
    "laplacian": "Laplacian (4 neighbours)",
    "laplacian_8": "Laplacian (8 neighbours)",
    "log": "Laplacian of Gaussian",
    "sobel_x": "Sobel, vertical edges",
    "sobel_y": "Sobel, horizontal edges",
    "prewitt_x": "Prewitt, vertical edges",
    "prewitt_y": "Prewitt, horizontal edges",
    "scharr_x": "Scharr, vertical edges",
    "scharr_y": "Scharr, horizontal edges",
    "emboss": "Emboss",
    "outline": "Outline",
    "motion_blur": "Motion blur (diagonal)",
}


def names() -> list[str]:
    """Preset names in menu order."""
    return list(_PRESETS)


def _unknown(name: object) -> KernelError:
    return KernelError(f"unknown kernel preset {name!r}; choose one of: {', '.join(_PRESETS)}")


def get(name: str) -> Kernel:
    """A fresh Kernel for ``name``; KernelError lists the valid names otherwise."""
    try:
        factory, _ = _PRESETS[name]
    except (KeyError, TypeError):
        raise _unknown(name) from None
    return factory()


def description(name: str) -> str:
    """One line saying what the preset does, for tooltips and the help text."""
    try:
        return _PRESETS[name][1]
    except (KeyError, TypeError):
        raise _unknown(name) from None


def title(name: str) -> str:
    """The preset's plain name ("Sobel, vertical edges" for sobel_x)."""
    if not is_preset(name):
        raise _unknown(name)
    return _TITLES.get(name, name)


def is_preset(name: object) -> bool:
    """Whether ``name`` is a preset's code name."""
    return isinstance(name, str) and name in _PRESETS


def has_preset_weights(kernel: Kernel) -> bool:
    """Whether ``kernel`` carries its preset's name *and* its weights (a file may name its
    own weights "sobel_x"; a divisor or offset of its own still counts as the preset)."""
    if not is_preset(kernel.name):
        return False
    weights = get(kernel.name).weights
    return kernel.shape == weights.shape and bool(np.array_equal(kernel.weights, weights))


def shown_name(kernel: Kernel) -> str:
    """What to call ``kernel`` on screen: its preset's plain name when it is that preset,
    its own name (a file's, "custom") otherwise."""
    return _TITLES[kernel.name] if has_preset_weights(kernel) else kernel.name

"""Ready-made feature-map banks: the families of filters a CNN's first layer tends to learn.

Plain functions returning kernels (no Qt), so tests can check them and the panel's menu can
list them in order.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from convlab.engine import presets
from convlab.engine.kernels import Kernel, gabor_kernel, gaussian_kernel, log_kernel

GABOR_ORIENTATIONS = 8


def edge_bank() -> list[Kernel]:
    """Gradient kernels: Sobel and Prewitt in x and y, and the direction-free Laplacian."""
    return [
        presets.get(name) for name in ("sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplacian")
    ]


def gabor_bank(orientations: int = GABOR_ORIENTATIONS) -> list[Kernel]:
    """Stripe detectors at evenly spaced angles over half a turn (0°, 22.5°, ... 157.5°)."""
    kernels = []
    for step in range(orientations):
        degrees = 180.0 * step / orientations
        kernel = gabor_kernel(11, 2.5, math.radians(degrees), 6.0)
        # Named by what differs between them first, so a tile title cut short ("2. 22.5° Ga…")
        # still tells them apart.
        kernels.append(kernel.replace(name=f"{degrees:g}° Gabor"))
    return kernels


def blur_ladder() -> list[Kernel]:
    """Gaussians of growing width: each rung keeps coarser structure and loses finer detail."""
    return [gaussian_kernel(radius, radius / 2.0) for radius in (1, 2, 4, 7)]


def blob_ladder() -> list[Kernel]:
    """Laplacians of Gaussian at growing scales: each finds blobs about its own size."""
    scales = ((3, 1.0), (5, 1.5), (6, 2.0), (9, 3.0))
    return [log_kernel(radius, sigma) for radius, sigma in scales]


BANK_PRESETS: dict[str, tuple[Callable[[], list[Kernel]], str]] = {
    "Edge bank": (edge_bank, "Sobel x/y, Prewitt x/y and Laplacian: where brightness changes."),
    "Gabor bank": (gabor_bank, "8 Gabor filters, one per orientation: oriented stripes and edges."),
    "Blur ladder": (
        blur_ladder,
        "Gaussian blurs from 3x3 to 15x15: detail disappears scale by scale.",
    ),
    "Blob ladder": (
        blob_ladder,
        "Laplacian of Gaussian at 4 scales: blobs of matching size light up.",
    ),
}

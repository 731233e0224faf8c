"""Correlation through DFTs of cache-sized tiles (overlap-save), the frame's transforms shared.

A correlation is a product of spectra, but one DFT of a whole 1280x720 plane outgrows the CPU
caches: measured, its inverse alone cost about as much as OpenCV's whole tiled filter2D. So,
like OpenCV's own DFT filter, the plane is cut into tiles of 256x256 (for kernels up to about
31x31): each tile of output needs the tile plus a kernel-sized apron of input, and its DFT is
small enough to stay in cache. Unlike OpenCV's, the tiles' forward transforms are computed once
(``TiledSpectrum``) and reused by every kernel: a kernel then costs, per tile, one spectrum
product and one inverse transform.

``TiledSpectrum(plane, extent).correlate(weights)`` is the valid correlation
``out[r, c] = sum_uv K[u, v] * plane[r + u, c + v]`` of any kernel no larger than ``extent``.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

MIN_TILE = 256  # OpenCV's crossCorr: DFT tiles of at least 256, and 4.5 kernel sizes
KERNEL_SCALE = 4.5


def tile_shape(extent: tuple[int, int]) -> tuple[int, int]:
    """DFT tile size for kernels up to ``extent`` (rows, columns): OpenCV's rule."""
    sizes = []
    for size in extent:
        block = max(round(size * KERNEL_SCALE), MIN_TILE - size + 1)
        sizes.append(cv2.getOptimalDFTSize(block + size - 1))
    return sizes[0], sizes[1]


@functools.lru_cache(maxsize=64)  # a 16-map bank and the main kernel, 256 KB each
def _kernel_spectrum(key: bytes, shape: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    plane = np.zeros(size, dtype=np.float32)
    plane[: shape[0], : shape[1]] = np.frombuffer(key, dtype=np.float32).reshape(shape)
    return cv2.dft(plane)


def kernel_spectrum(weights: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The DFT of ``weights`` at the origin of a ``size`` plane (kept for the next frame: the
    worker applies the same kernels to every frame)."""
    weights = np.ascontiguousarray(weights, dtype=np.float32)
    return _kernel_spectrum(weights.tobytes(), weights.shape, size)


class TiledSpectrum:
    """The tiles' DFTs of one 2-D float32 plane, for kernels up to ``extent``."""

    def __init__(self, plane: np.ndarray, extent: tuple[int, int]) -> None:
        plane = np.asarray(plane, dtype=np.float32)
        self.extent = (int(extent[0]), int(extent[1]))
        self.size = tile_shape(self.extent)
        # Output tile: what one DFT tile yields for the largest kernel.
        self.block = (self.size[0] - self.extent[0] + 1, self.size[1] - self.extent[1] + 1)
        self.valid = (plane.shape[0] - self.extent[0] + 1, plane.shape[1] - self.extent[1] + 1)
        buffer = np.zeros(self.size, dtype=np.float32)
        self.tiles: list[tuple[int, int, np.ndarray]] = []
        for top in range(0, max(plane.shape[0] - self.extent[0] + 1, 1), self.block[0]):
            for left in range(0, max(plane.shape[1] - self.extent[1] + 1, 1), self.block[1]):
                piece = plane[top : top + self.size[0], left : left + self.size[1]]
                if piece.shape != self.size:
                    buffer[...] = 0.0  # the far edges: zeros beyond the plane
                buffer[: piece.shape[0], : piece.shape[1]] = piece
                self.tiles.append(
                    (
                        top,
                        left,
                        cv2.dft(
                            buffer,
                        ),
                    )
                )

    def correlate(self, weights: np.ndarray) -> np.ndarray:
        """Valid correlation with ``weights`` (no larger than the extent): shape
        (plane rows - kernel rows + 1, plane columns - kernel columns + 1)."""
        rows = self.valid[0] + self.extent[0] - weights.shape[0]
        cols = self.valid[1] + self.extent[1] - weights.shape[1]
        result = np.empty((rows, cols), dtype=np.float32)
        spectrum = kernel_spectrum(weights, self.size)
        for top, left, tile in self.tiles:
            # A block per tile; the last row (column) of tiles also yields the rows a kernel
            # smaller than the extent has beyond the largest kernel's.
            height = rows - top if top + self.block[0] >= self.valid[0] else self.block[0]
            width = cols - left if left + self.block[1] >= self.valid[1] else self.block[1]
            product = cv2.mulSpectrums(tile, spectrum, 0, conjB=True)
            plane = cv2.idft(product, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)
            result[top : top + height, left : left + width] = plane[:height, :width]
        return result

"""Correlation through DFTs of cache-sized tiles (overlap-save), the frame's transforms shared.

A correlation is a product of spectra, but one DFT of a whole 1280x720 plane outgrows the CPU
caches: measured, its inverse alone cost about as much as OpenCV's whole tiled filter2D. So,
like OpenCV's own DFT filter, the plane is cut into tiles of about 256x256 (for kernels up to
about 31x31): each tile of output needs the tile plus a kernel-sized apron of input, and its DFT
stays in cache. The tile count follows OpenCV's rule; the tiles are then made just large enough
to cover the plane evenly (a 1280-wide plane: six tiles 240 wide rather than 256, whose last
one would be mostly empty). Unlike OpenCV's, the tiles' forward transforms are computed once
(``TiledSpectrum``) and reused by every kernel: a kernel then costs, per tile, one spectrum
product and one inverse transform.

``TiledSpectrum(plane, extent).correlate(weights)`` is the valid correlation
``out[r, c] = sum_uv K[u, v] * plane[r + u, c + v]`` of any kernel no larger than ``extent``;
``window=`` computes only a part of it.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

MIN_TILE = 256  # OpenCV's crossCorr: DFT tiles of at least 256, and 4.5 kernel sizes
KERNEL_SCALE = 4.5

Window = tuple[int, int, int, int]  # first row, first column, rows, columns


def tile_shape(extent: tuple[int, int], plane: tuple[int, int] | None = None) -> tuple[int, int]:
    """DFT tile size for kernels up to ``extent`` (rows, columns) on a ``plane`` of that
    shape: as many tiles as OpenCV would use, each just large enough to cover the plane."""
    sizes = []
    for axis, size in enumerate(extent):
        block = max(round(size * KERNEL_SCALE), MIN_TILE - size + 1)
        if plane is not None:
            valid = max(plane[axis] - size + 1, 1)
            count = -(-valid // block)
            block = -(-valid // count)
        sizes.append(cv2.getOptimalDFTSize(block + size - 1))
    return sizes[0], sizes[1]


@functools.lru_cache(maxsize=64)  # a 16-map bank and the main kernel, ~256 KB each
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
        self.shape = (int(plane.shape[0]), int(plane.shape[1]))
        self.size = tile_shape(self.extent, self.shape)
        # Output tile: what one DFT tile yields for the largest kernel.
        self.block = (self.size[0] - self.extent[0] + 1, self.size[1] - self.extent[1] + 1)
        valid = tuple(max(n - k + 1, 1) for n, k in zip(self.shape, self.extent))
        buffer = np.zeros(self.size, dtype=np.float32)
        self.tiles: list[tuple[int, int, np.ndarray]] = []
        for top in range(0, valid[0], self.block[0]):
            for left in range(0, valid[1], self.block[1]):
                piece = plane[top : top + self.size[0], left : left + self.size[1]]
                if piece.shape != self.size:
                    buffer[...] = 0.0  # the far edges: zeros beyond the plane
                buffer[: piece.shape[0], : piece.shape[1]] = piece
                self.tiles.append((top, left, cv2.dft(buffer)))
        self.valid: tuple[int, int] = (valid[0], valid[1])

    def correlate(self, weights: np.ndarray, window: Window | None = None) -> np.ndarray:
        """Valid correlation with ``weights`` (no larger than the extent), shape (plane rows -
        kernel rows + 1, plane columns - kernel columns + 1), or only its ``window``."""
        rows = self.shape[0] - weights.shape[0] + 1
        cols = self.shape[1] - weights.shape[1] + 1
        first_row, first_col, rows, cols = window or (0, 0, rows, cols)
        result = np.empty((rows, cols), dtype=np.float32)
        spectrum = kernel_spectrum(weights, self.size)
        # A tile yields a block of output; the last row (column) of tiles also yields the rows
        # a kernel smaller than the extent has beyond the largest kernel's.
        reach = (self.size[0] - weights.shape[0] + 1, self.size[1] - weights.shape[1] + 1)
        for top, left, tile in self.tiles:
            height = self.block[0] if top + self.block[0] < self.valid[0] else reach[0]
            width = self.block[1] if left + self.block[1] < self.valid[1] else reach[1]
            # the part of this tile's output inside the window, in window coordinates
            row0, row1 = max(top, first_row), min(top + height, first_row + rows)
            col0, col1 = max(left, first_col), min(left + width, first_col + cols)
            if row0 >= row1 or col0 >= col1:
                continue
            product = cv2.mulSpectrums(tile, spectrum, 0, conjB=True)
            plane = cv2.idft(product, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)
            result[row0 - first_row : row1 - first_row, col0 - first_col : col1 - first_col] = (
                plane[row0 - top : row1 - top, col0 - left : col1 - left]
            )
        return result

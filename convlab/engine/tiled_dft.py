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

The transforms are real-input DFTs (OpenCV's CCS-packed spectra, float32). Measured on a 720p
plane with a 15x15 kernel: one whole-plane DFT at its optimal size (768x1296) spent 5.1 ms of
CPU on its inverse alone, against about 4.5 ms for the 18 tiles' products and inverses. The
products are made in numpy a few tiles at a time (``cv2.mulSpectrums`` on each tile cost 1.4
times as much) and the 1 / (rows * columns) of the inverse is folded into the kernel's
cached spectrum.

``TiledSpectrum(plane, extent).correlate(weights)`` is the valid correlation
``out[r, c] = sum_uv K[u, v] * plane[r + u, c + v]`` of any kernel no larger than ``extent``;
``window=`` computes only a part of it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import cv2
import numpy as np

MIN_TILE = 256  # OpenCV's crossCorr: DFT tiles of at least 256, and 4.5 kernel sizes
KERNEL_SCALE = 4.5

Window = tuple[int, int, int, int]  # first row, first column, rows, columns
Runner = Callable[[list[Callable[[], None]]], object]


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
    # the inverse transform's 1 / (rows * columns), applied here once instead of on every tile
    return cv2.dft(plane) * np.float32(1.0 / (size[0] * size[1]))


def kernel_spectrum(weights: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The DFT of ``weights`` at the origin of a ``size`` plane, CCS-packed and scaled by
    1 / (rows * columns) (kept for the next frame: the worker applies the same kernels to every
    frame)."""
    weights = np.ascontiguousarray(weights, dtype=np.float32)
    return _kernel_spectrum(weights.tobytes(), weights.shape, size)


def multiply_by_conjugate(spectra: np.ndarray, kernel: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``spectra * conj(kernel)`` for CCS-packed real 2-D spectra (OpenCV's layout), the same
    as ``cv2.mulSpectrums(..., conjB=True)`` on each, for a stack ``(..., rows, columns)``.

    One numpy pass over the stack is cheaper than a cv2.mulSpectrums call per tile. In CCS,
    columns 1 to 2*((columns-1)//2) hold (re, im) pairs of every row's spectrum; column 0,
    and the last column when the width is even, hold a real column's spectrum packed the same
    way down the rows: (re) (re, im) ... (re).
    """
    rows, columns = kernel.shape
    pairs = 2 * ((columns - 1) // 2)
    np.multiply(
        spectra[..., 1 : 1 + pairs].view(np.complex64),
        np.conj(kernel[:, 1 : 1 + pairs].view(np.complex64)),
        out=out[..., 1 : 1 + pairs].view(np.complex64),
    )
    row_pairs = 2 * ((rows - 1) // 2)
    for column in (0, columns - 1) if columns % 2 == 0 else (0,):
        a, b, product = spectra[..., column], kernel[:, column], out[..., column]
        reals = [0, rows - 1] if rows % 2 == 0 else [0]
        product[..., reals] = a[..., reals] * b[reals]
        a_re, a_im = a[..., 1 : 1 + row_pairs : 2], a[..., 2 : 2 + row_pairs : 2]
        b_re, b_im = b[1 : 1 + row_pairs : 2], b[2 : 2 + row_pairs : 2]
        product[..., 1 : 1 + row_pairs : 2] = a_re * b_re + a_im * b_im
        product[..., 2 : 2 + row_pairs : 2] = a_im * b_re - a_re * b_im
    return out


class TiledSpectrum:
    """The tiles' DFTs of one 2-D float32 plane, for kernels up to ``extent``."""

    def __init__(
        self, plane: np.ndarray, extent: tuple[int, int], *, run: Runner | None = None
    ) -> None:
        """``run`` runs a list of jobs, e.g. side by side on the cores (default: in order)."""
        plane = np.asarray(plane, dtype=np.float32)
        self.extent = (int(extent[0]), int(extent[1]))
        self.shape = (int(plane.shape[0]), int(plane.shape[1]))
        self.size = tile_shape(self.extent, self.shape)
        # Output tile: what one DFT tile yields for the largest kernel.
        self.block = (self.size[0] - self.extent[0] + 1, self.size[1] - self.extent[1] + 1)
        valid = tuple(max(n - k + 1, 1) for n, k in zip(self.shape, self.extent))
        self.valid: tuple[int, int] = (valid[0], valid[1])
        self.origins = [(top, left) for top in range(0, valid[0], self.block[0])
                        for left in range(0, valid[1], self.block[1])]  # fmt: skip
        self.spectra = np.empty((len(self.origins), *self.size), dtype=np.float32)
        halves = [range(0, len(self.origins), 2), range(1, len(self.origins), 2)]
        jobs = [functools.partial(self._transform, plane, tiles) for tiles in halves]
        if run is None:
            for job in jobs:
                job()
        else:
            run(jobs)

    def _transform(self, plane: np.ndarray, tiles: range) -> None:
        """The forward DFTs of some tiles, each in place in its own slot of ``spectra``."""
        for index in tiles:
            top, left = self.origins[index]
            slot = self.spectra[index]
            piece = plane[top : top + self.size[0], left : left + self.size[1]]
            if piece.shape != self.size:
                slot[...] = 0.0  # the far edges: zeros beyond the plane
            slot[: piece.shape[0], : piece.shape[1]] = piece
            cv2.dft(slot, slot)

    def correlate(self, weights: np.ndarray, window: Window | None = None) -> np.ndarray:
        """Valid correlation with ``weights`` (no larger than the extent), shape (plane rows -
        kernel rows + 1, plane columns - kernel columns + 1), or only its ``window``."""
        rows = self.shape[0] - weights.shape[0] + 1
        cols = self.shape[1] - weights.shape[1] + 1
        first_row, first_col, rows, cols = window or (0, 0, rows, cols)
        result = np.empty((rows, cols), dtype=np.float32)
        # A tile yields a block of output; the last row (column) of tiles also yields the rows
        # a kernel smaller than the extent has beyond the largest kernel's.
        reach = (self.size[0] - weights.shape[0] + 1, self.size[1] - weights.shape[1] + 1)
        pieces = []  # (tile, its output inside the window: rows, columns, in tile coordinates)
        for index, (top, left) in enumerate(self.origins):
            height = self.block[0] if top + self.block[0] < self.valid[0] else reach[0]
            width = self.block[1] if left + self.block[1] < self.valid[1] else reach[1]
            row0, row1 = max(top, first_row), min(top + height, first_row + rows)
            col0, col1 = max(left, first_col), min(left + width, first_col + cols)
            if row0 < row1 and col0 < col1:
                pieces.append((index, (row0, row1, col0, col1)))
        if not pieces:
            return result
        kernel = kernel_spectrum(weights, self.size)
        products = _scratch((min(CHUNK_TILES, len(pieces)), *self.size))
        for start in range(0, len(pieces), CHUNK_TILES):
            chunk = pieces[start : start + CHUNK_TILES]
            indices = [index for index, _ in chunk]
            first = indices[0]
            if indices == list(range(first, first + len(indices))):
                spectra = self.spectra[first : first + len(indices)]  # a view: no copy
            else:
                spectra = self.spectra[indices]
            multiply_by_conjugate(spectra, kernel, products[: len(chunk)])
            for product, (index, (row0, row1, col0, col1)) in zip(products, chunk):
                top, left = self.origins[index]
                # DFT_REAL_OUTPUT: OpenCV's real inverse, about half the time of letting it
                # infer the output from the CCS input; in place, so the tile stays in cache
                cv2.idft(product, product, flags=cv2.DFT_REAL_OUTPUT)
                result[row0 - first_row : row1 - first_row, col0 - first_col : col1 - first_col] = (
                    product[row0 - top : row1 - top, col0 - left : col1 - left]
                )
        return result


CHUNK_TILES = 6
"""Spectrum products made in one numpy pass before their inverse DFTs: few enough that they are
still in the CPU cache when the inverses read them (measured: all 18 tiles of a 720p frame at
once, or one at a time, both cost more)."""

_scratch_space = threading.local()


def _scratch(shape: tuple[int, ...], purpose: str = "products") -> np.ndarray:
    """A float32 buffer of ``shape`` kept for this thread's next call (a fresh multi-megabyte
    array costs its page faults on every frame)."""
    buffers = _scratch_space.__dict__.setdefault("buffers", {})
    buffer = buffers.get(purpose)
    if buffer is None or buffer.shape != shape:
        buffer = buffers[purpose] = np.empty(shape, dtype=np.float32)
    return buffer

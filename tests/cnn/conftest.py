"""One BLAS thread for the CNN tests: steady timings on a shared two-core machine.

(See ``convlab.cnn.blas.blas_threads``; without threadpoolctl this changes nothing.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from convlab.cnn.blas import blas_threads


@pytest.fixture(autouse=True)
def _single_blas_thread() -> Iterator[None]:
    with blas_threads(1):
        yield

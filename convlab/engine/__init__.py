"""The convolution engine: numpy + OpenCV only, never Qt, so it runs in tests and notebooks."""

from convlab.engine.kernels import (
    Kernel,
    KernelAnalysis,
    analyze,
    frequency_response,
    gabor_kernel,
    gaussian_kernel,
    log_kernel,
    presets,
)

__all__ = [
    "Kernel",
    "KernelAnalysis",
    "analyze",
    "frequency_response",
    "gabor_kernel",
    "gaussian_kernel",
    "log_kernel",
    "presets",
]

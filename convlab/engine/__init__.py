"""The convolution engine: numpy + OpenCV only, never Qt, so it runs in tests and notebooks."""

from convlab.engine import presets
from convlab.engine.convolve import BORDERS, convolve, output_shape, plan, tune
from convlab.engine.explain import parameter_counts, pixel_breakdown
from convlab.engine.kernel_analysis import KernelAnalysis, analyze, frequency_response
from convlab.engine.kernels import Kernel, gabor_kernel, gaussian_kernel, log_kernel
from convlab.engine.layer import conv_layer
from convlab.engine.sizes import output_size

__all__ = [
    "BORDERS",
    "Kernel",
    "KernelAnalysis",
    "analyze",
    "conv_layer",
    "convolve",
    "frequency_response",
    "gabor_kernel",
    "gaussian_kernel",
    "log_kernel",
    "output_shape",
    "output_size",
    "parameter_counts",
    "pixel_breakdown",
    "plan",
    "presets",
    "tune",
]

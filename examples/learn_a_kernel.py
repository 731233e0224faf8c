"""A kernel that learns itself: find Sobel's weights from what Sobel does to a photo.

    python examples/learn_a_kernel.py [--kernel NAME] [--noise SIGMA]

The Kernel lab's experiment without the window: a hidden kernel (a preset, Sobel x by default)
filters the sample photo; a 3x3 kernel that starts at zeros takes gradient-descent steps on
its nine weights until its output matches. Training a CNN's first layer is exactly this. With
``--noise`` the target gets Gaussian noise (in pixel levels): the loss then ends at the noise
level and the kernel found is the least-squares one, close to the hidden kernel.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from convlab.cnn import fit_kernel
from convlab.engine import convolve, presets
from convlab.engine.assets import resource_path
from convlab.engine.sources import load_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", default="sobel_x", choices=presets.names())
    parser.add_argument("--noise", type=float, default=0.0)
    options = parser.parse_args()

    photo = load_image(resource_path("images", "chelsea.jpg"))
    hidden = presets.get(options.kernel).effective
    target = convolve(photo, hidden)
    if options.noise:
        target = target + np.random.default_rng(0).normal(0, options.noise, target.shape)

    started = time.perf_counter()
    for progress in fit_kernel(photo, target, hidden.shape):
        step, loss, _ = progress
        if step in (0, 10, 100) or step % 1000 == 0:
            print(f"step {step:5d}: loss {loss:.3e}")
    seconds = time.perf_counter() - started
    step, loss, weights = progress
    print(f"step {step:5d}: loss {loss:.3e}  ({seconds:.2f} s)")
    np.set_printoptions(precision=4, suppress=True)
    print(f"hidden kernel ({options.kernel}):\n{hidden}")
    print(f"learned kernel:\n{weights}")
    print(f"largest difference: {np.abs(weights - hidden).max():.1e}")


if __name__ == "__main__":
    main()

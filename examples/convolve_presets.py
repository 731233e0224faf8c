"""Convolve a picture with every preset kernel and save the results as PNG and .npy.

    python examples/convolve_presets.py [OUTPUT_FOLDER] [--image PICTURE]

Uses the engine alone (no window): load a picture, run ``convolve`` with each preset, map the
float responses to pixels the way the app's output view does (``display.to_rgb``) and write
them. Without a folder the files go to a new temporary folder, whose name is printed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from convlab.engine import convolve, presets
from convlab.engine.display import to_rgb
from convlab.engine.export import write_npy, write_png
from convlab.engine.kernel_analysis import analyze
from convlab.engine.pipeline import shrink
from convlab.engine.sources import default_image_path, load_image


def output_folder(given: Path | None, prefix: str) -> Path:
    """The folder named on the command line, or a new temporary one (printed)."""
    if given is None:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        print(f"writing to {folder}")
        return folder
    given.mkdir(parents=True, exist_ok=True)
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="where the files go")
    parser.add_argument("--image", type=Path, help="the picture (default: the built-in photo)")
    options = parser.parse_args(argv)
    folder = output_folder(options.folder, "convlab-presets-")

    picture = load_image(options.image or default_image_path())
    picture = shrink(picture, 640)  # a quick run; drop this line for full resolution
    write_png(folder / "input.png", picture)
    for name in presets.names():
        kernel = presets.get(name)
        response = convolve(picture, kernel, border="reflect101")  # float32, unclipped
        # Zero-sum kernels (edges, emboss) answer with negative and positive numbers: show
        # them blue/red around a neutral zero; the others are pictures, clipped to 0..255.
        mode = "signed" if analyze(kernel).zero_mean else "clip"
        write_png(folder / f"{name}.png", to_rgb(response, mode))
        write_npy(folder / f"{name}.npy", response)  # the exact numbers, for numpy
        print(f"{name:12s} {kernel.shape[0]}x{kernel.shape[1]}  shown as {mode}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

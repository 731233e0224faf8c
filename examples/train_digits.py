"""Train the small CNN on generated digits and save its first-layer filters as a PNG.

    python examples/train_digits.py [OUTPUT_FOLDER] [--epochs N]

The numpy CNN alone (no window): generate MNIST-like digits, train ``small_cnn`` with Adam,
report the accuracy on digits it never saw, and draw the eight learned 5x5 filters the way
the app does (blue negative, red positive, one shared scale). Also saves the trained network
(``network.npz``, which the app's Train tab can load). Without a folder the files go to a new
temporary folder, whose name is printed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from convlab.cnn import Adam, small_cnn
from convlab.cnn.data import synthetic_digits
from convlab.cnn.train import train
from convlab.engine.display import weight_colours
from convlab.engine.export import write_png


def output_folder(given: Path | None, prefix: str) -> Path:
    """The folder named on the command line, or a new temporary one (printed)."""
    if given is None:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        print(f"writing to {folder}")
        return folder
    given.mkdir(parents=True, exist_ok=True)
    return given


def filter_sheet(weights: np.ndarray, cell: int = 12, gap: int = 4) -> np.ndarray:
    """(filters, 1, k, k) weights as one RGB picture: a row of enlarged tiles on white."""
    count, _, k, _ = weights.shape
    colours = weight_colours(weights[:, 0])  # one scale for all: filters compare
    side = k * cell
    sheet = np.full((side + 2 * gap, count * (side + gap) + gap, 3), 255, np.uint8)
    for index in range(count):
        tile = np.repeat(np.repeat(colours[index], cell, axis=0), cell, axis=1)
        left = gap + index * (side + gap)
        sheet[gap : gap + side, left : left + side] = tile
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="where the files go")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--digits", type=int, default=1200, help="training images")
    options = parser.parse_args(argv)
    folder = output_folder(options.folder, "convlab-digits-")

    # uint8 N x 28 x 28 white on black, like MNIST; train() scales them to [0, 1] itself
    images, labels = synthetic_digits(options.digits + 300, seed=0)
    train_x, train_y = images[: options.digits], labels[: options.digits]
    test_x, test_y = images[options.digits :], labels[options.digits :]

    model = small_cnn(seed=0)
    write_png(folder / "filters_before.png", filter_sheet(model.layers[0].params["weight"]))
    for report in train(
        model, Adam(model, lr=2e-3), train_x, train_y, epochs=options.epochs, batch_size=64
    ):
        if report["epoch_end"]:
            print(f"epoch {report['epoch']}: loss {report['loss']:.3f}")
    accuracy = float((model.predict(test_x) == test_y).mean())
    print(f"accuracy on {len(test_y)} unseen digits: {accuracy:.1%}")

    write_png(folder / "filters.png", filter_sheet(model.layers[0].params["weight"]))
    model.save(folder / "network.npz")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

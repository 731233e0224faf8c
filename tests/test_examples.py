"""The examples run as a person would run them: no window, files only where they are told."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from convlab.cnn import load_model
from convlab.engine import convolve, presets
from convlab.engine.sources import load_image

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, *args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """An empty working folder: an example that writes beside itself shows up here."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    yield folder
    assert list(folder.iterdir()) == []


def test_every_example_has_a_smoke_test():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {
        "convolve_presets.py",
        "train_digits.py",
        "feature_maps.py",
        "learn_a_kernel.py",
    }


def test_convolve_presets_writes_each_preset_as_png_and_exact_npy(tmp_path, elsewhere):
    out = tmp_path / "out"
    small = tmp_path / "small.png"  # every preset on a small picture: the same code, faster
    cv2.imwrite(str(small), np.random.default_rng(0).integers(0, 256, (48, 64, 3), np.uint8))
    run_example("convolve_presets.py", str(out), "--image", str(small), cwd=elsewhere)
    for name in presets.names():
        assert (out / f"{name}.png").is_file() and (out / f"{name}.npy").is_file()
    picture = load_image(out / "input.png")
    expected = convolve(picture, presets.get("sobel_x"))
    np.testing.assert_allclose(np.load(out / "sobel_x.npy"), expected, atol=1e-3)


def test_train_digits_saves_filters_and_a_network_that_loads(tmp_path, elsewhere):
    out = tmp_path / "out"
    printed = run_example(
        "train_digits.py", str(out), "--epochs", "1", "--digits", "200", cwd=elsewhere
    )
    assert "accuracy on 300 unseen digits" in printed
    filters = load_image(out / "filters.png")
    assert filters.shape[0] == 5 * 12 + 8  # one row of 5x5 filters, 12 px a weight
    model = load_model(out / "network.npz")
    assert model.layers[0].params["weight"].shape == (8, 1, 5, 5)
    assert sorted(p.name for p in out.iterdir()) == [
        "filters.png",
        "filters_before.png",
        "network.npz",
    ]


def test_feature_maps_notebook_runs_as_a_script(tmp_path, elsewhere):
    out = tmp_path / "out"
    run_example("feature_maps.py", str(out), cwd=elsewhere)
    assert (out / "maps_relu_pool.png").is_file() and (out / "gradient_magnitude.png").is_file()
    exported = sorted(p.name for p in (out / "export").iterdir())
    assert "01_sobel_x.png" in exported and "01_sobel_x.npy" in exported


def test_without_a_folder_an_example_writes_to_a_new_temporary_one_it_names(tmp_path, elsewhere):
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), np.full((16, 16, 3), 90, np.uint8))
    printed = run_example("convolve_presets.py", "--image", str(small), cwd=elsewhere)
    folder = Path(printed.splitlines()[0].removeprefix("writing to "))
    try:
        assert (folder / "identity.png").is_file()
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def test_learn_a_kernel_finds_sobel_from_what_it_does(elsewhere):
    printed = run_example("learn_a_kernel.py", cwd=elsewhere)
    difference = float(printed.strip().splitlines()[-1].split(":")[1])
    assert difference < 1e-3
    noisy = run_example("learn_a_kernel.py", "--kernel", "sharpen", "--noise", "2", cwd=elsewhere)
    assert "hidden kernel (sharpen)" in noisy
    assert float(noisy.strip().splitlines()[-1].split(":")[1]) < 0.01

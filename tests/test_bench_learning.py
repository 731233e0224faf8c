"""The learning benchmark reports like every other, and finds MNIST where it is told to."""

from __future__ import annotations

from pathlib import Path

import pytest

from convlab.bench import learning
from convlab.cnn.data import MNIST_DIR_VARIABLE, mnist_test_dir


def test_the_mnist_folder_comes_from_the_environment_else_beside_the_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(MNIST_DIR_VARIABLE, str(tmp_path))
    assert mnist_test_dir() == tmp_path
    monkeypatch.setenv(MNIST_DIR_VARIABLE, "  ")
    checkout = Path(__file__).resolve().parents[1]
    assert mnist_test_dir() == checkout.parent / "shared" / "data" / "mnist"
    monkeypatch.delenv(MNIST_DIR_VARIABLE)
    assert mnist_test_dir() == checkout.parent / "shared" / "data" / "mnist"


def test_the_report_names_versions_and_load_and_says_where_mnist_was_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(MNIST_DIR_VARIABLE, str(tmp_path / "nowhere"))
    assert learning.run(["--skip", "fit,lesson,default,race"]) == 0
    captured = capsys.readouterr()
    assert "measuring lenet5" in captured.err
    out = captured.out
    assert out.startswith("# convlab.bench learning") and "numpy " in out and "OpenCV " in out
    assert f"no {tmp_path / 'nowhere'}" in out and MNIST_DIR_VARIABLE in out
    assert "at the end: load average" in out
    assert list(tmp_path.iterdir()) == []  # writes nothing unless --output says where

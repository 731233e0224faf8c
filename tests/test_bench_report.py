"""Benchmark reports say what they ran with, and write files only where asked."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from convlab.bench import report


def test_the_environment_names_every_version_the_figures_depend_on() -> None:
    text = "\n".join(report.environment_lines())
    for expected in (f"numpy {np.__version__}", f"OpenCV {cv2.__version__}", "PySide6 ",
                     "Python ", "cores", "load average"):  # fmt: skip
        assert expected in text
    assert "threads" in text  # the BLAS library and its threads, via threadpoolctl


def test_a_report_is_printed_and_saved_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert report.finish_report(["a figure"], None) == 0
    assert "a figure" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
    target = tmp_path / "out" / "report.txt"
    report.finish_report(["a figure"], target)
    assert target.read_text().startswith("a figure\nat the end: ")

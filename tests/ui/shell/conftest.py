"""The window tests' shared window (one per module, its own settings file) and the helpers
that open files through it and read what a person sees: the banner's colour, the frame shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from convlab.app import build_window
from convlab.engine import presets
from convlab.engine.convolve import convolve
from convlab.ui.shell.banner import MessageBanner
from tests.ui.conftest import make_scene


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Process events until ``condition()`` holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        QTest.qWait(5)
    return condition()


def banner_level(window) -> str | None:
    """What colour the person sees the banner in (None when it is hidden)."""
    if window.banner.isHidden():
        return None
    style = window.banner.styleSheet()
    for level, colour in MessageBanner._COLOURS.items():
        if colour in style:
            return level
    return "unknown"


def write_bgr(path: Path, bgr: np.ndarray) -> Path:
    """Encode with OpenCV and write through numpy (any path, accents included)."""
    ok, encoded = cv2.imencode(path.suffix, bgr)
    assert ok
    encoded.tofile(str(path))
    return path


_seeds = iter(range(100, 10_000))


def fresh_picture(folder: Path) -> tuple[Path, np.ndarray]:
    """A valid picture the window has not shown yet (a new size each time), and its RGB."""
    seed = next(_seeds)
    rgb = make_scene(40 + seed % 17, 56 + seed % 13, seed=seed)
    return write_bgr(folder / f"valid_{seed}.png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)), rgb


def shown_frame(window) -> np.ndarray:
    return window.last_result.frame


def open_and_wait(window, spec, timeout: float = 8.0) -> tuple[str, object]:
    """Open ``spec`` through the File menu; ("opened", SourceInfo) or ("failed", message)."""
    outcome: list[tuple[str, object]] = []
    opened = window.worker.sourceOpened.connect(lambda info: outcome.append(("opened", info)))
    failed = window.worker.sourceFailed.connect(lambda _s, text: outcome.append(("failed", text)))
    try:
        window.source_menu.open_spec(spec)
        assert wait_until(lambda: bool(outcome), timeout), f"no answer for {spec!r}"
    finally:
        window.worker.sourceOpened.disconnect(opened)
        window.worker.sourceFailed.disconnect(failed)
    return outcome[0]


def show_valid_picture(window, folder: Path) -> np.ndarray:
    """The app goes on: a later valid open is displayed (and filtered) as usual."""
    path, rgb = fresh_picture(folder)
    kind, _info = open_and_wait(window, str(path))
    assert kind == "opened"
    assert wait_until(lambda: shown_frame(window).shape == rgb.shape)
    assert np.array_equal(shown_frame(window), rgb)
    assert np.array_equal(window.source_view.image_item.image, rgb)
    return rgb


def expected_output(window) -> np.ndarray:
    result = window.last_result
    return convolve(result.frame, window.state.kernel, **window.state.pipeline.conv.as_kwargs())


def assert_no_traceback_shown(window) -> None:
    text = window.banner.text()
    assert "Traceback" not in text and "Something went wrong" not in text, text
    assert QApplication.activeModalWidget() is None


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("robustness")


@pytest.fixture(scope="module")
def shared_window(qapp, folder):
    """One real window (own settings file) for the file and kernel cases."""
    start, _ = fresh_picture(folder)
    window = build_window([str(start), "--settings", str(folder / "settings.ini")])
    window.resize(1200, 800)
    assert wait_until(lambda: window.last_result is not None, 8.0)
    yield window
    window.close()


@pytest.fixture
def win(shared_window, folder):
    """The shared window on a valid picture, its banner cleared, the default kernel set."""
    shared_window.banner.hide()
    if shared_window.state.pipeline.conv.padding != "same":
        shared_window.state.update_conv(padding="same")
    shared_window.state.set_kernel(presets.get("outline"))
    show_valid_picture(shared_window, folder)
    yield shared_window
    assert_no_traceback_shown(shared_window)

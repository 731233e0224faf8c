"""The feature-map panel's export: full-resolution PNG and .npy files, one map or all, written
below the GUI thread, atomically, and failures said."""

from __future__ import annotations

import os
import sys
import threading

import cv2
import numpy as np
import pytest

from convlab.engine import presets
from convlab.engine.bank_presets import edge_bank
from convlab.engine.display import to_rgb
from convlab.engine.export import write_atomic
from convlab.ui.threads.priority import BACKGROUND_NICE, MAX_NICE
from tests.ui.maps.conftest import publish, test_frame
from tests.ui.maps.test_panel import assert_image_close, gray_of, map_reference


def test_export_writes_full_resolution_png_and_npy(panel, state, qtbot, tmp_path):
    frame = test_frame(300, 500)
    state.set_bank([presets.get("sobel_x"), presets.get("sobel_y")])
    state.set_stages(relu=True, combine=True)
    state.update_bank_display(mode="minmax", colormap="viridis", robust=False)
    publish(state, frame)
    with qtbot.waitSignal(panel.exportFinished, timeout=10_000) as finished:
        assert panel.export_to(tmp_path)
    written = sorted(p.name for p in finished.args[0])
    assert written == sorted(p.name for p in tmp_path.iterdir())  # no temporary files left
    assert written == [
        "01_sobel_x.npy",
        "01_sobel_x.png",
        "02_sobel_y.npy",
        "02_sobel_y.png",
        "combined_gradient_magnitude.npy",
        "combined_gradient_magnitude.png",
    ]
    gray = gray_of(frame)
    for stem, kernel in (("01_sobel_x", state.bank[0]), ("02_sobel_y", state.bank[1])):
        expected = map_reference(gray, kernel, relu=True, pool=False)
        raw = np.load(tmp_path / f"{stem}.npy")
        assert raw.shape == (300, 500)
        np.testing.assert_allclose(raw, expected, rtol=1e-5, atol=1e-3)
        png = cv2.cvtColor(cv2.imread(str(tmp_path / f"{stem}.png")), cv2.COLOR_BGR2RGB)
        assert_image_close(png, to_rgb(expected, "minmax", colormap="viridis"))
    gx, gy = (map_reference(gray, k, relu=False, pool=False) for k in state.bank)
    magnitude = np.load(tmp_path / "combined_gradient_magnitude.npy")
    np.testing.assert_allclose(magnitude, np.hypot(gx, gy), rtol=1e-5, atol=1e-3)


def test_exporting_one_map_writes_only_that_map(panel, state, qtbot, tmp_path):
    frame = test_frame()
    state.set_bank(edge_bank())
    publish(state, frame)
    with qtbot.waitSignal(panel.exportFinished, timeout=10_000):
        panel.export_to(tmp_path, ("npy",), only=4)
    assert [p.name for p in tmp_path.iterdir()] == ["05_laplacian.npy"]
    expected = map_reference(gray_of(frame), presets.get("laplacian"), relu=False, pool=False)
    np.testing.assert_allclose(np.load(tmp_path / "05_laplacian.npy"), expected, atol=1e-3)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_an_export_runs_below_the_gui_thread(panel, qtbot):
    """A 100 MP export takes minutes: on a busy machine the window must win the cores."""
    niceness: list[int] = []

    def job() -> list:
        niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return []

    with qtbot.waitSignal(panel.exportFinished, timeout=10_000):
        panel.exporter.start(job, "Export feature maps")
    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert niceness[0] >= min(MAX_NICE, gui + BACKGROUND_NICE)


def test_export_without_a_frame_says_so(panel, state, qtbot, tmp_path):
    state.set_bank(edge_bank())
    with qtbot.waitSignal(state.message) as message:
        assert not panel.export_to(tmp_path)
    assert "no frame" in message.args[0]


def test_export_to_a_missing_folder_reports_an_error(panel, state, qtbot, tmp_path):
    state.set_bank(edge_bank())
    publish(state, test_frame())
    with qtbot.waitSignal(panel.exporter.failed, timeout=10_000) as failed:
        panel.export_to(tmp_path / "missing")
    assert "missing" in failed.args[0]


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "map.npy"
    target.write_bytes(b"old")

    def broken(temp):
        temp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(Exception, match="No space left"):
        write_atomic(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.npy"]

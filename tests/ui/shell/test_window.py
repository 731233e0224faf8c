"""The whole window, built as a person's command line builds it, checked by what it shows."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QTimer, QUrl
from PySide6.QtWidgets import QApplication, QTableView, QWidget

from convlab.app import (
    FIRST_RUN_BANK,
    FIRST_RUN_KERNEL,
    build_window,
    handle_exception,
    parse_args,
)
from convlab.engine import cameras, presets, sources
from convlab.engine.convolve import convolve
from convlab.engine.sources import FrameSource, SourceLost
from convlab.errors import ConvlabError
from convlab.ui.settings import Settings
from tests.ui.conftest import make_scene, wait_for_result


def _reference(result, state) -> np.ndarray:
    """What the output must be: the engine's convolve on the very frame that was shown."""
    return convolve(result.frame, state.kernel, **state.pipeline.conv.as_kwargs())


def test_window_has_the_public_names(window):
    assert "ConvLab" in window.windowTitle()
    assert window.findChild(object, "sourceView") is window.source_view
    assert window.findChild(object, "outputView") is window.output_view
    assert isinstance(window.findChild(QTableView, "kernelEditor"), QTableView)
    assert window.findChild(object, "featureMaps") is not None


def test_first_run_starts_on_a_visible_kernel_and_a_bank_of_edge_maps(window, qtbot):
    assert window.state.kernel == presets.get(FIRST_RUN_KERNEL)
    assert FIRST_RUN_BANK == "Edge bank"
    names = ["sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplacian"]
    assert [k.name for k in window.state.bank] == names
    assert all(k == presets.get(n) for k, n in zip(window.state.bank, names))
    assert window.state.undo_stack.count() == 0
    result = window.last_result
    np.testing.assert_allclose(result.output, _reference(result, window.state), atol=1e-4)
    tiles = window.maps_panel.findChildren(QWidget, "mapTile")
    assert len(tiles) == len(names)
    assert window.maps_panel.stack.currentWidget() is window.maps_panel.scroll  # no empty hint
    assert window.maps_panel.isVisibleTo(window)


def test_a_saved_bank_wins_over_the_first_run_bank(qtbot, scene_path):
    first = build_window([str(scene_path)])
    qtbot.addWidget(first)
    first.state.set_bank([presets.get("emboss")])
    first.close()
    again = build_window([str(scene_path)])
    qtbot.addWidget(again)
    assert [k.name for k in again.state.bank] == ["emboss"]
    again.state.set_bank([])
    again.close()
    emptied = build_window([str(scene_path)])  # an emptied bank stays empty, too
    qtbot.addWidget(emptied)
    assert emptied.state.bank == ()
    emptied.close()


def test_identity_kernel_shows_the_input(window, qtbot, scene_path):
    window.state.set_kernel(presets.get("identity"))
    result = wait_for_result(qtbot, window)
    expected = cv2.cvtColor(cv2.imread(str(scene_path)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(result.frame, expected)
    assert np.array_equal(window.output_view.image_item.image, expected)


def test_editing_a_cell_changes_the_output_to_what_convolve_gives(window, qtbot):
    grid = window.findChild(QTableView, "kernelEditor")
    model = grid.model()
    assert model.setData(model.index(0, 0), 2.0)
    assert model.setData(model.index(1, 1), -1.5)
    assert window.state.kernel.weights[0, 0] == 2.0
    result = wait_for_result(qtbot, window)
    np.testing.assert_allclose(result.output, _reference(result, window.state), atol=1e-4)
    shown = window.output_view.image_item.image
    assert np.array_equal(shown, result.output_image)
    assert not np.array_equal(shown, result.frame)


def test_refused_value_leaves_the_kernel_and_says_why(window, qtbot):
    model = window.findChild(QTableView, "kernelEditor").model()
    before = window.state.kernel.weights.copy()
    assert not model.setData(model.index(0, 1), "nan")
    assert np.array_equal(window.state.kernel.weights, before)
    assert not window.banner.isHidden()
    assert "row 1" in window.banner.text().lower()


def test_undo_restores_the_output(window, qtbot):
    window.state.set_kernel(presets.get("identity"))
    wait_for_result(qtbot, window)
    window.state.set_kernel(presets.get("sobel_x"))
    wait_for_result(qtbot, window)
    window.state.undo_stack.undo()
    result = wait_for_result(qtbot, window)
    assert np.array_equal(result.output_image, result.frame)  # identity again


def test_click_inspects_the_pixel_and_outlines_its_receptive_field(window, qtbot):
    window.state.set_kernel(presets.get("box"))
    with qtbot.waitSignal(window.state.inspectedPixelChanged):
        window.compare.pixelClicked.emit(0, 5)
    assert window.state.inspected_pixel == (0, 5)
    footprint = window.source_view._footprint.item
    assert footprint.isVisible()
    assert footprint.path().boundingRect().getRect() == (4.0, -1.0, 3.0, 3.0)
    # the top row of taps lies in the padded border, drawn separately
    assert window.source_view._outside.item.isVisible()


def test_hover_readout_names_source_and_output_values(window):
    window.compare.hovered.emit((2, 3))
    text = window.status.hover_label.text()
    frame = window.last_result.frame
    assert "row 2" in text and "col 3" in text
    assert str(int(frame[2, 3, 0])) in text


def test_compare_modes(window):
    window.set_compare_mode("output")
    assert not window.source_view.isVisibleTo(window)
    window.set_compare_mode("wipe")
    assert window.compare._divider.isVisible()
    window.set_compare_mode("thumbnail")
    assert window.compare._thumbnail.isVisibleTo(window)
    window.set_compare_mode("side_by_side")
    assert window.source_view.isVisibleTo(window)
    assert window.settings.get("view/compare_mode") == "side_by_side"


def test_messages_are_a_banner_not_a_dialog(window):
    window.state.report(ConvlabError("Image 'x.png': not an image"), "error")
    assert not window.banner.isHidden()
    assert "x.png" in window.banner.text()
    assert QApplication.activeModalWidget() is None


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_shown_and_the_app_goes_on(window, qtbot):
    def broken_slot() -> None:
        raise ValueError("boom in a slot")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: "boom in a slot" in window.banner.text(), timeout=2000)
    assert "ValueError" in window.banner.text()
    window.state.set_kernel(presets.get("box"))
    wait_for_result(qtbot, window)  # still filtering
    handle_exception(ConvlabError, ConvlabError("Camera 2: busy"), None)
    # a ConvlabError is shown as its own message, no exception type or traceback added
    qtbot.waitUntil(lambda: window.banner.messages()[-1] == "Camera 2: busy", timeout=2000)


def test_a_bad_file_keeps_the_current_picture(window, qtbot, tmp_path):
    bad = tmp_path / "not really.png"
    bad.write_bytes(b"hello, I am text")
    before = window.last_result.frame
    with qtbot.waitSignal(window.worker.sourceFailed, timeout=5000):
        window.source_menu.open_spec(str(bad))
    assert "not really.png" in window.banner.text()
    window.state.set_kernel(presets.get("box"))
    assert np.array_equal(wait_for_result(qtbot, window).frame, before)


def test_drop_a_file_opens_it(window, qtbot, tmp_path):
    path = tmp_path / "dropped ü.png"
    other = make_scene(40, 50, seed=3)
    cv2.imwrite(str(path), cv2.cvtColor(other, cv2.COLOR_RGB2BGR))
    window.state.set_inspected_pixel((90, 100))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert window.source_menu.can_open(mime)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        assert window.source_menu.open_mime(mime)
    qtbot.waitUntil(lambda: window.last_result.frame.shape == other.shape, timeout=5000)
    assert np.array_equal(window.last_result.frame, other)
    assert window.state.inspected_pixel is None  # (90, 100) is outside the 40x50 picture
    assert window.settings.get("source/recent")[0].endswith("dropped ü.png")


class _DyingCamera(FrameSource):
    """Delivers a few frames, then stops for good, as an unplugged webcam does."""

    is_live = True
    name = "Fake camera"
    fps = None

    def __init__(self, frames: int) -> None:
        self.left = frames
        self.closed = False

    @property
    def size(self):
        return (64, 48)

    def read(self):
        if self.left <= 0:
            raise SourceLost("Fake camera: stopped delivering frames")
        self.left -= 1
        time.sleep(0.005)
        return make_scene(48, 64, seed=self.left)

    def close(self):
        self.closed = True


def test_lost_camera_keeps_the_last_frame_and_offers_reconnect(window, qtbot):
    camera = _DyingCamera(frames=5)
    with qtbot.waitSignal(window.worker.sourceLost, timeout=5000):
        window.worker.open(camera)
    wait_for_result(qtbot, window)
    assert window.last_result.frame.shape == (48, 64, 3)
    assert not window.banner.isHidden() and window.banner.action_texts() == ["Reconnect"]
    window.state.set_kernel(presets.get("sharpen"))  # edits still apply to the last frame
    result = wait_for_result(qtbot, window)
    np.testing.assert_allclose(result.output, _reference(result, window.state), atol=1e-4)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.open_pattern()  # another source: the warning is stale
    assert window.banner.isHidden()


def test_missing_camera_says_so_and_stays_on_the_image(qtbot, scene_path):
    settings = Settings()
    settings.set("source/last", str(scene_path))
    settings.sync()
    win = build_window(["--camera", "9"])
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.source_info is not None, timeout=8000)
    assert win.source_info.spec == str(scene_path)
    assert "camera 9" in win.banner.text().lower()
    win.close()


def test_kernel_option_and_unknown_kernel(qtbot, scene_path):
    win = build_window([str(scene_path), "--kernel", "sobel_x"])
    qtbot.addWidget(win)
    assert win.state.kernel == presets.get("sobel_x")
    assert win.state.undo_stack.count() == 0
    win.close()
    win = build_window([str(scene_path), "--kernel", "no_such_kernel"])
    qtbot.addWidget(win)
    assert "no_such_kernel" in win.banner.text()
    win.close()


def test_bad_command_line_is_a_convlab_error():
    with pytest.raises(ConvlabError, match="--camera"):
        parse_args(["--camera", "front"])


def test_kernel_bank_and_view_survive_a_restart(qtbot, scene_path):
    win = build_window([str(scene_path)])
    qtbot.addWidget(win)
    wait_for_result(qtbot, win)
    win.state.set_kernel(presets.get("emboss"))
    win.state.set_bank([presets.get("sobel_x"), presets.get("sobel_y")])
    win.set_compare_mode("wipe")
    win.state.update_display(mode="abs", colormap="viridis")
    win.state.update_conv(border="constant", stride=2)
    win.panel_docks.maps_dock.hide()  # a person closed the feature maps
    win.close()
    again = build_window([])
    qtbot.addWidget(again)
    assert again.state.kernel == presets.get("emboss")
    assert (again.state.pipeline.display.mode, again.state.pipeline.display.colormap) == (
        "abs",
        "viridis",
    )
    assert (again.state.pipeline.conv.border, again.state.pipeline.conv.stride) == ("constant", 2)
    assert again.panel_docks.maps_dock.isHidden() and not again.panel_docks.kernel_dock.isHidden()
    assert [k.name for k in again.state.bank] == ["sobel_x", "sobel_y"]
    assert again.compare.mode == "wipe"
    qtbot.waitUntil(lambda: again.source_info is not None, timeout=5000)
    assert again.source_info.spec == str(scene_path.resolve())
    again.close()


def test_exports_are_full_resolution_and_atomic(window, qtbot, tmp_path):
    window.state.set_kernel(presets.get("sobel_x"))
    wait_for_result(qtbot, window)
    target = tmp_path / "out.npy"
    with qtbot.waitSignal(window.source_menu.exportFinished, timeout=5000):
        window.source_menu.export_npy(str(target))
    values = np.load(target)
    np.testing.assert_allclose(values, _reference(window.last_result, window.state), atol=1e-4)
    png = tmp_path / "out.png"
    with qtbot.waitSignal(window.source_menu.exportFinished, timeout=5000):
        window.source_menu.export_png(str(png))
    shown = cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(shown, window.last_result.output_image)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_closing_stops_the_worker_within_a_second(window):
    assert window.worker.isRunning()
    started = time.perf_counter()
    window.close()
    assert not window.worker.isRunning()
    assert time.perf_counter() - started < 1.0


def test_closing_while_filtering_and_training_stops_everything_and_keeps_the_network(window, qtbot):
    window.worker.open("pattern")
    window.training_tab.train_button.click()  # the Train tab is made when first asked for
    qtbot.waitUntil(lambda: window.training_tab.steps_done() > 0, timeout=20000)
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 1.0
    assert not window.worker.isRunning()
    assert window.training_tab.running_threads() == []
    assert window.settings.path.with_name("recovered-network.npz").is_file()


def test_a_huge_image_is_previewed_live_and_exported_in_full(window, qtbot, tmp_path):
    big = np.ascontiguousarray(np.tile(make_scene(100, 120), (25, 25, 1)))  # 2500x3000
    path = tmp_path / "huge.png"
    cv2.imwrite(str(path), big)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=10000) as opened:
        window.source_menu.open_spec(str(path))
    info = opened.args[0]
    assert info.preview_of == (2500, 3000)
    assert info.width * info.height <= 2_000_000
    qtbot.waitUntil(lambda: "preview" in window.banner.text(), timeout=3000)
    window.state.set_kernel(presets.get("box"))
    result = wait_for_result(qtbot, window)
    assert result.frame.shape[:2] == (info.height, info.width)
    target = tmp_path / "full.npy"
    with qtbot.waitSignal(window.source_menu.exportFinished, timeout=10000):
        window.source_menu.export_npy(str(target))
    values = np.load(target)
    assert values.shape[:2] == (2500, 3000)
    full = cv2.cvtColor(big, cv2.COLOR_BGR2RGB)
    np.testing.assert_allclose(
        values[1000:1010, 2000:2010],
        convolve(full, presets.get("box"))[1000:1010, 2000:2010],
        atol=1e-3,
    )
    # the feature maps too: the original pixels, not the preview the tiles are made from
    sobel = presets.get("sobel_x")
    window.state.set_bank([sobel])
    wait_for_result(qtbot, window)
    maps = tmp_path / "maps"
    maps.mkdir()
    with qtbot.waitSignal(window.maps_panel.exportFinished, timeout=20000):
        assert window.maps_panel.export_to(maps, ("npy",))
    exported = np.load(maps / "01_sobel_x.npy")
    assert exported.shape == (2500, 3000)
    gray = cv2.cvtColor(full, cv2.COLOR_RGB2GRAY)
    np.testing.assert_allclose(exported, convolve(gray, sobel), atol=1e-3)


def test_a_corrupt_settings_file_gives_defaults_and_a_warning(qtbot, scene_path):
    settings_file = Settings().path
    settings_file.write_bytes(b"\x00\xff[[[garbage" * 100)
    win = build_window([str(scene_path)])
    qtbot.addWidget(win)
    assert "unreadable" in win.banner.text()
    assert win.state.kernel == presets.get(FIRST_RUN_KERNEL)
    assert win.compare.mode == "side_by_side"
    wait_for_result(qtbot, win)
    win.close()
    assert Settings().get("source/last") == str(scene_path.resolve())


def test_the_app_exits_cleanly_when_terminated(tmp_path, scene_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "CONVLAB_SETTINGS": str(tmp_path / "app.ini")}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, str(root / "main.py"), str(scene_path), "--kernel", "sobel_x"],
        cwd=root, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for line in process.stderr:
            if "window shown" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "QThread" not in rest and "Traceback" not in rest
    assert "sobel_x" in (tmp_path / "app.ini").read_text()  # the kernel was saved on the way out


def test_paste_an_image_from_the_clipboard(window, qtbot):
    from PySide6.QtGui import QGuiApplication, QImage

    picture = make_scene(30, 40, seed=7)
    image = QImage(picture.data, 40, 30, 40 * 3, QImage.Format.Format_RGB888).copy()
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.paste()
    qtbot.waitUntil(lambda: window.last_result.frame.shape == picture.shape, timeout=5000)
    assert np.array_equal(window.last_result.frame, picture)
    recent = window.settings.get("source/recent")
    assert not any("pasted" in path for path in recent)  # a temporary file is not "recent"
    paste_dir = window.source_menu._paste_dir
    window.close()
    assert not os.path.exists(paste_dir)


def test_sample_images_and_recent_files_menus(window, qtbot):
    menu = window.source_menu
    menu._fill_samples()
    samples = [a for a in menu.samples_menu.actions() if a.isEnabled()]
    assert len(samples) >= 3
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000) as opened:
        samples[0].trigger()
    assert opened.args[0].name == Path(str(sources.sample_images()[0])).name
    menu._fill_recent()
    titles = [a.text() for a in menu.recent_menu.actions()]
    assert str(sources.sample_images()[0].resolve()) in titles


def test_no_camera_is_found_without_blocking(window, qtbot, monkeypatch):
    monkeypatch.setattr(cameras, "find_cameras", lambda: [])
    with qtbot.waitSignal(window.source_menu.camerasProbed, timeout=5000) as probed:
        window.source_menu.probe_cameras()
    assert probed.args == [[]]
    assert "No camera found" in window.banner.text()
    window.source_menu._fill_cameras()
    assert "(no camera found)" in [a.text() for a in window.source_menu.camera_menu.actions()]


def test_snapshot_saves_the_input_frame(window, qtbot, tmp_path):
    target = tmp_path / "snap shot.png"
    with qtbot.waitSignal(window.source_menu.exportFinished, timeout=5000):
        window.source_menu.snapshot(str(target))
    saved = cv2.cvtColor(cv2.imread(str(target)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(saved, window.last_result.frame)


def test_the_kernel_and_bank_are_autosaved_without_closing(window, qtbot):
    window.state.set_kernel(presets.get("emboss"))
    window.state.set_bank([presets.get("sobel_y")])

    def saved() -> None:
        stored = Settings().get("playground/state")  # what a crash would leave behind
        assert stored.get("kernel", {}).get("name") == "emboss"
        assert [k["name"] for k in stored.get("bank", [])] == ["sobel_y"]

    qtbot.waitUntil(saved, timeout=3000)


def test_f1_shows_the_help_of_the_focused_panel(window, qtbot):
    from convlab.ui.help import HelpWindow

    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    grid = window.findChild(QTableView, "kernelEditor")
    grid.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is grid, timeout=2000)
    window.show_context_help()
    boxes = [b for b in window.findChildren(HelpWindow) if b.isVisible()]
    assert [b.topic for b in boxes] == [window.kernel_panel.HELP_TITLE]
    assert QApplication.activeModalWidget() is None


def test_teaching_tabs_borrow_the_playground_docks_and_give_them_back(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    maps, card = window.panel_docks.maps_dock, window.inspector_card.popover
    window.state.set_inspected_pixel((10, 10))
    assert card.isVisible()
    window.tabs.setCurrentIndex(4)
    assert maps.isHidden() and card.isHidden()
    assert window.panel_docks.kernel_dock.isHidden()  # the results need the room
    window.tabs.setCurrentIndex(0)
    assert not maps.isHidden() and card.isVisible()
    assert not window.panel_docks.kernel_dock.isHidden()
    maps.hide()  # a person closed this one: it must stay closed
    window.tabs.setCurrentIndex(4)
    window.tabs.setCurrentIndex(0)
    assert maps.isHidden()


def test_a_selected_pooled_map_covers_the_whole_input(window, qtbot):
    window.state.set_bank([presets.get("sobel_x")])
    window.state.set_stages(pool=True)
    window.state.select_map(0)
    result = wait_for_result(qtbot, window)
    height, width = result.frame.shape[:2]
    item = window.output_view.image_item
    assert item.image.shape[:2] == (height // 2, width // 2)
    placed = item.mapRectToParent(item.boundingRect())
    assert placed.getRect() == (0.0, 0.0, float(width), float(height))
    # the map by its number and the plain name its tile says, not the code name
    assert window.output_view._title.text() == "Feature map 1 · Sobel, vertical edges"


def test_the_window_fits_a_1366x768_laptop_screen(window, qtbot):
    """The side panels scroll when squeezed instead of pushing the window past the screen."""
    minimum = window.minimumSizeHint()
    assert minimum.width() <= 1366 and minimum.height() <= 768 - 80  # less taskbar and title
    window.resize(1326, 688)
    qtbot.waitUntil(lambda: window.height() == 688, timeout=2000)
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        QApplication.processEvents()
        assert window.height() == 688
    window.tabs.setCurrentIndex(0)
    QApplication.processEvents()
    kernel_scroll = window.panel_docks.kernel_dock.widget()
    assert kernel_scroll.widget() is window.kernel_panel
    assert window.kernel_panel.grid.isVisibleTo(window)
    # the panel keeps its full minimum layout; the dock scrolls over it
    panel_min = window.kernel_panel.minimumSizeHint().height()
    assert window.kernel_panel.height() >= panel_min
    if kernel_scroll.height() < panel_min:
        assert kernel_scroll.verticalScrollBar().maximum() > 0


def test_toolbar_undo_keeps_its_label_and_names_the_step(window, qtbot):
    from PySide6.QtWidgets import QToolBar

    toolbar = window.findChild(QToolBar, "mainToolbar")
    undo = next(a for a in toolbar.actions() if a.text() == "Undo")
    assert not undo.isEnabled()  # nothing to undo at start
    window.kernel_panel.model.setData(window.kernel_panel.model.index(1, 1), 4.0)
    assert undo.text() == "Undo" and undo.isEnabled()
    assert "cell" in undo.toolTip().lower()
    undo.trigger()
    assert window.state.kernel == presets.get(FIRST_RUN_KERNEL)
    redo = next(a for a in toolbar.actions() if a.text() == "Redo")
    assert redo.isEnabled()
    redo.trigger()
    assert window.state.kernel.weights[1, 1] == 4.0


@pytest.mark.parametrize("side", [15, 31])
def test_a_big_kernel_in_a_short_window_scrolls_inside_the_grid_and_stays_readable(
    window, qtbot, side
):
    from convlab.engine.kernels import Kernel

    window.resize(1326, 688)
    window.show()
    qtbot.waitExposed(window)
    window.state.set_kernel(Kernel(np.ones((side, side))))
    qtbot.wait(50)
    grid = window.kernel_panel.grid
    assert grid.text_pixels() >= 11
    assert not grid.horizontalHeader().isHidden() and not grid.verticalHeader().isHidden()
    last = grid.model().index(side - 1, side - 1)
    grid.scrollTo(last)
    assert grid.viewport().rect().contains(grid.visualRect(last))  # every cell can be reached

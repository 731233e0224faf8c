"""Small feedback through the real window: Freeze marked on the pictures, transport buttons
drawn with icons, banners that go when their cause is gone, the Open dialog listing images and
videos, and the Kernel dock only where its kernel acts."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFontMetrics
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLabel, QTabBar, QToolBar

from convlab.app import build_window
from convlab.engine.kernels import Kernel
from convlab.ui.settings import Settings
from convlab.ui.shell.status_line import HOVER_HINT
from tests.ui.conftest import make_scene, wait_for_result


def _toolbar_button(window, action: QAction) -> QAbstractButton:
    toolbar = window.findChild(QToolBar, "mainToolbar")
    return toolbar.widgetForAction(action)


def _write_video(path, frames: int = 30) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (64, 48))
    for index in range(frames):
        picture = np.full((48, 64, 3), index * 8 % 256, np.uint8)
        writer.write(picture)
    writer.release()


def test_freeze_is_marked_on_both_pictures(window, qtbot, tmp_path):
    window.show()
    qtbot.waitExposed(window)
    freeze = window.source_menu.freeze_action
    qtbot.mouseClick(_toolbar_button(window, freeze), Qt.MouseButton.LeftButton)
    assert freeze.isChecked() and window.worker.frozen
    for view in (window.source_view, window.output_view):
        assert view.badge_text() is not None and view.badge_text().startswith("Frozen")
        badge = view._badge.geometry()
        assert view.rect().contains(badge)  # whole, inside the picture
        assert not badge.intersects(view._title.geometry())  # not over the view's title
    qtbot.mouseClick(_toolbar_button(window, freeze), Qt.MouseButton.LeftButton)
    assert window.source_view.badge_text() is None and window.output_view.badge_text() is None
    # a video file is paused rather than frozen
    video = tmp_path / "clip.avi"
    _write_video(video)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.open_spec(str(video))
    freeze.trigger()
    assert window.output_view.badge_text().startswith("Paused")
    freeze.trigger()


def test_no_control_shows_a_glyph_the_fonts_lack(window, qtbot):
    """The pause sign (U+23F8) and friends render as empty boxes where no font has them: media
    controls use the style's icons, and no text anywhere in the window needs a missing glyph."""
    window.show()
    qtbot.waitExposed(window)
    arithmetic = window.tab_panels[0]
    window.tabs.setCurrentIndex(1)
    play = arithmetic.player.play_button
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)  # now it offers Pause
    assert play.text() == "Pause" and not play.icon().isNull()
    for button in (arithmetic.player.back_button, arithmetic.player.step_button):
        assert not button.icon().isNull()
    assert not window.findChild(QAbstractButton, "trainButton").icon().isNull()
    missing = []

    def check(text: str, font, where: str) -> None:
        metrics = QFontMetrics(font)
        for char in set(text):
            if ord(char) > 127 and not metrics.inFontUcs4(ord(char)):
                missing.append((char, where))

    for button in window.findChildren(QAbstractButton):
        check(button.text(), button.font(), f"button {button.text()!r}")
    for bar in window.findChildren(QTabBar):
        for index in range(bar.count()):
            check(bar.tabText(index), bar.font(), f"tab {bar.tabText(index)!r}")
    for label in window.findChildren(QLabel):
        check(label.text(), label.font(), f"label {label.text()[:40]!r}")
    for action in window.findChildren(QAction):
        check(action.text(), window.font(), f"action {action.text()!r}")
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert play.text() == "Play"
    assert not missing, missing


def test_a_banner_goes_when_what_it_says_no_longer_holds(window, qtbot, tmp_path):
    banner = window.banner
    # a file that fails, then another that opens: the failure no longer matters
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture at all")
    with qtbot.waitSignal(window.worker.sourceFailed, timeout=5000):
        window.source_menu.open_spec(str(broken))
    assert any("broken.png" in text for text in banner.messages())
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), make_scene(40, 50, seed=3))
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.open_spec(str(other))
    assert not any("broken.png" in text for text in banner.messages())
    # a camera that is not there, then the test pattern it offers instead
    with qtbot.waitSignal(window.worker.sourceFailed, timeout=8000):
        window.source_menu.open_spec(9)
    assert any("Camera 9" in text for text in banner.messages())
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.open_pattern()
    assert not any("Camera 9" in text for text in banner.messages())
    # settings that cannot run (a 15x15 kernel, no padding, a 10x12 picture), then some that can
    tiny = tmp_path / "tiny.png"
    cv2.imwrite(str(tiny), make_scene(10, 12, seed=4))
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.open_spec(str(tiny))
    window.state.set_kernel(Kernel(np.ones((15, 15))))
    with qtbot.waitSignal(window.worker.pipelineFailed, timeout=5000):
        window.state.update_conv(padding="valid", stride=1)
    failure = banner.messages()[-1]
    assert "no output pixel fits" in failure
    window.state.update_conv(padding="same")
    wait_for_result(qtbot, window)
    assert failure not in banner.messages()


def test_a_fallback_picture_does_not_take_back_the_failure_it_covers(qtbot, scene_path):
    settings = Settings()
    settings.set("source/last", str(scene_path))
    settings.sync()
    window = build_window([str(scene_path.with_name("missing.png"))])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.source_info is not None, timeout=8000)
    assert window.source_info.spec == str(scene_path)  # the fallback opened
    assert "missing.png" in window.banner.text()  # and the reason stays readable
    window.close()


def test_open_lists_images_and_videos_at_first(window, monkeypatch):
    asked = {}

    def fake_dialog(parent, caption, folder, filters, selected="", *args):
        asked.update(filters=filters.split(";;"), selected=selected)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_dialog))
    window.source_menu.open_action.trigger()
    first = asked["selected"] or asked["filters"][0]
    assert first == asked["filters"][0]
    for pattern in ("*.png", "*.jpg", "*.mp4", "*.avi", "*.mkv"):
        assert pattern in first
    assert any(f.startswith("Images (") for f in asked["filters"])
    assert any(f.startswith("Videos (") for f in asked["filters"])


def test_the_kernel_dock_shows_only_where_its_kernel_acts(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    dock = window.panel_docks.kernel_dock
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    arithmetic = window.tab_panels[0]
    window.tabs.setCurrentIndex(titles.index("Arithmetic"))
    assert arithmetic.pattern_box.currentText() != "editor kernel"
    assert dock.isHidden()  # its own kernel is on screen: no second one beside it
    arithmetic.pattern_box.setCurrentText("editor kernel")
    assert not dock.isHidden()  # linked: the grid's kernel is the one animated
    np.testing.assert_allclose(arithmetic.kernel_weights(), window.state.kernel.effective)
    arithmetic.pattern_box.setCurrentText("random")
    assert dock.isHidden()
    window.tabs.setCurrentIndex(titles.index("Why CNNs?"))
    assert dock.isHidden()
    # the Kernel lab: not beside the Gaussian explorer's own kernel, nor a preset the learner
    # must find; beside the pages that work with the editor's kernel
    lab = window.tab_panels[titles.index("Kernel lab") - 1]
    window.tabs.setCurrentIndex(titles.index("Kernel lab"))
    assert lab.tabs.currentWidget() is lab.gaussian_page and dock.isHidden()
    for page in (lab.kernel_page, lab.borders_page):
        lab.tabs.setCurrentWidget(page)
        assert not dock.isHidden()
    lab.tabs.setCurrentWidget(lab.learner)
    targets = lab.learner.target_box
    targets.setCurrentIndex(targets.findData("sobel_x"))
    assert dock.isHidden()
    targets.setCurrentIndex(targets.findData("editor"))
    assert not dock.isHidden()
    lab.tabs.setCurrentWidget(lab.gaussian_page)
    assert dock.isHidden()
    window.tabs.setCurrentIndex(titles.index("Train"))
    assert dock.isHidden()  # the results need the room; the kernel comes when asked for
    train = window.tab_panels[titles.index("Train") - 1]
    train.filters.editor_toggle.click()
    assert not dock.isHidden()
    train.filters.editor_toggle.click()
    assert dock.isHidden()
    window.tabs.setCurrentIndex(titles.index("Playground"))
    assert not dock.isHidden()
    dock.close()  # a person closed it: no tab brings it back
    lab.tabs.setCurrentWidget(lab.kernel_page)
    for title in ("Arithmetic", "Kernel lab", "Playground"):
        window.tabs.setCurrentIndex(titles.index(title))
        assert dock.isHidden(), title


def _numbered_clip(path, frames: int = 30, fps: float = 15.0) -> None:
    """Frame i is a flat grey of 8 * i: the frame on show can be read off its pixels."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for index in range(frames):
        writer.write(np.full((48, 64, 3), index * 8, np.uint8))
    writer.release()


def _shown_frame_number(window) -> int:
    return round(float(window.last_result.frame.mean()) / 8)


def test_a_video_file_gets_play_pause_and_a_seek_slider(window, qtbot, tmp_path):
    window.show()
    qtbot.waitExposed(window)
    controls = window.video_controls
    assert controls.isHidden()  # a still picture has nothing to play
    clip = tmp_path / "clip.avi"
    _numbered_clip(clip)
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.open_spec(str(clip))
    assert controls.isVisible() and controls.slider.maximum() == 29
    assert controls.time_label.text().endswith("/ 0:02.0")  # 30 frames at 15 fps
    qtbot.waitUntil(lambda: window.worker.frame_index is not None, timeout=5000)
    # Pause, through its button: the same state as Freeze, marked on the picture
    play = controls.play_button
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert window.source_menu.freeze_action.isChecked() and window.worker.frozen
    assert play.text() == "Play" and not play.icon().isNull()
    assert window.output_view.badge_text().startswith("Paused")
    qtbot.wait(200)
    paused_on = window.worker.frame_index
    qtbot.wait(400)  # six frame times
    assert window.worker.frame_index == paused_on
    # seek with the slider's own keys: End jumps to the last frame, shown while paused
    controls.slider.setFocus()
    qtbot.keyClick(controls.slider, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: window.worker.frame_index == 29, timeout=5000)
    qtbot.waitUntil(lambda: _shown_frame_number(window) == 29, timeout=5000)
    assert controls.slider.value() == 29 and controls.time_label.text().startswith("0:01.9")
    qtbot.keyClick(controls.slider, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: _shown_frame_number(window) == 0, timeout=5000)
    assert window.worker.frozen  # still paused there
    # Play again: the frames move on from the one sought
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert not window.worker.frozen and play.text() == "Pause"
    assert window.output_view.badge_text() is None
    qtbot.waitUntil(lambda: (window.worker.frame_index or 0) >= 3, timeout=5000)
    qtbot.waitUntil(lambda: controls.slider.value() >= 3, timeout=5000)  # the handle follows
    # a picture again: the bar goes
    with qtbot.waitSignal(window.worker.sourceOpened, timeout=5000):
        window.source_menu.open_pattern()
    assert controls.isHidden()


def test_the_status_bar_labels_sit_side_by_side_on_a_laptop(window, qtbot):
    """At 1366x768 the source, rate, timing and hover labels each get their own room (the
    eliding ones were once given none and drawn over their neighbours)."""
    window.resize(1326, 708)
    window.show()
    qtbot.waitExposed(window)
    bar = window.statusBar()
    labels = window.status.labels
    qtbot.waitUntil(lambda: all(label.geometry().left() >= 0 for label in labels), timeout=2000)
    rects = [label.geometry() for label in labels]
    for left, right in itertools.pairwise(rects):
        assert left.right() < right.left(), (left, right)
    assert all(bar.rect().contains(rect) for rect in rects)
    # a passing message still has room on their left ("Opened astronaut.jpg" and more)
    assert rects[0].left() >= 240
    window.status.show_message("Opened astronaut.jpg")
    assert bar.currentMessage() == "Opened astronaut.jpg"
    # the timings and the frame rate are whole
    for label in labels[1:3]:
        assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    # the hover hint speaks of the Playground's pictures: the other tabs have none
    hover = window.status.hover_label
    window.tabs.setCurrentIndex(1)
    assert hover.text() == ""
    window.tabs.setCurrentIndex(0)
    assert hover.text() == HOVER_HINT


def test_a_hovered_pixel_readout_is_never_cut_mid_number(window, qtbot):
    """Whatever the values (big rows, signed fractions on three channels), the status bar
    shows every number whole: it drops words first, and names every value in the tooltip."""
    window.resize(1326, 708)
    window.show()
    qtbot.waitExposed(window)
    label = window.status.hover_label
    room = label.contentsRect().width()
    metrics = label.fontMetrics()
    cases = [
        (356, 254, "(225, 209, 194)", "(-950, -893, -832)"),
        (1079, 1919, "(255, 255, 255)", "(-12.56, -0.0625, 1021)"),
        (9999, 9999, "(255, 255, 255)", "(-1.235e+05, -1.235e+05, -1.235e+05)"),
    ]
    for row, col, source, output in cases:
        window.status.show_pixel(row, col, source, output)
        shown = label.text()
        assert metrics.horizontalAdvance(shown) <= room, shown
        assert source in shown and output in shown
        assert f"row {row}, col {col}" in label.toolTip()
    window.status.show_pixel(356, 254, "(225, 209, 194)", "(-950, -893, -832)")
    assert label.text().startswith("row 356, col 254")  # the usual readout in full words
    # and through the real mouse path: the readout of a hovered pixel is whole
    window.state.set_kernel(Kernel(np.full((3, 3), -1.0 / 16.0)))
    wait_for_result(qtbot, window)
    window.compare.hovered.emit((40, 60))
    shown = label.text()
    assert shown.startswith("row 40, col 60") and "…" not in shown
    assert metrics.horizontalAdvance(shown) <= room

"""Text from outside never renders as markup and never sizes the window.

A kernel name, a stream URL, a file name, a class folder's name, an error message: each is
given markup and huge lengths here, driven through the real window, and then every label,
tooltip and title of the window is checked: markup from outside shows only as literal text
(a label in Qt.PlainText, or escaped inside our own rich text), and the window keeps its width.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QPushButton,
    QWidget,
)

from convlab.app import build_window
from convlab.engine.kernels import Kernel
from convlab.ui import text as ui_text
from tests.ui.conftest import wait_for_result

MARK = "<b>BIG</b>"
"""Bold markup: rendered, it would be visible; escaped or plain, it reads as these characters."""
RAW_TAG = '<img src="/nonexistent/hostile.png">'


def leaks(window: QWidget) -> list[str]:
    """Every place where outside markup would be rendered rather than shown."""
    found = []
    widgets = [window, *window.findChildren(QWidget)]
    for widget in widgets:
        name = f"{type(widget).__name__}#{widget.objectName()}"
        for tag in (MARK, RAW_TAG, "<b>BIG"):
            if tag in widget.toolTip():
                found.append(f"tooltip of {name}: {widget.toolTip()[:80]!r}")
            if tag in widget.windowTitle() and widget.isWindow() and widget is not window:
                found.append(f"title of {name}")
        if isinstance(widget, QComboBox):
            for index in range(widget.count()):
                tip = widget.itemData(index, Qt.ItemDataRole.ToolTipRole) or ""
                if MARK in str(tip) or len(widget.itemText(index)) > 2000:
                    found.append(f"item {index} of {name}: {widget.itemText(index)[:60]!r}")
        if isinstance(widget, QLabel):
            text = widget.text()
            outside = any(tag in text for tag in (MARK, RAW_TAG, "<b>BIG"))
            if outside and widget.textFormat() != Qt.TextFormat.PlainText:
                found.append(f"label {name} renders {text[:80]!r}")
    return found


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


@pytest.fixture
def hostile_window(qtbot, scene_path):
    win = build_window([str(scene_path)])
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    wait_for_result(qtbot, win)
    yield win
    win.close()


def test_text_helpers_show_markup_literally_and_cut_floods(qtbot):
    assert ui_text.escaped(MARK) == "&lt;b&gt;BIG&lt;/b&gt;"
    assert ui_text.tooltip(MARK).startswith("<qt>") and MARK not in ui_text.tooltip(MARK)
    assert len(ui_text.clean("x" * 100_000)) <= ui_text.MAX_SHOWN_CHARS
    assert ui_text.clean("caf\udce9.png") == "caf\ufffd.png"  # an undecodable byte
    assert "\u200b" in ui_text.wrappable("u" * 100)
    label = ui_text.plain_label(MARK * 1000)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.sizeHint().width() < 2000


def test_a_hostile_kernel_name_is_plain_and_never_widens_the_window(hostile_window, qtbot):
    window = hostile_window
    width = window.width()
    name = MARK + RAW_TAG + "k" * 100_000
    started = time.perf_counter()
    window.state.set_kernel(Kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]], name=name), text=name)
    window.state.set_bank((Kernel([[1.0]], name=name), Kernel([[2.0]], name=MARK)), text=name)
    spin(0.5)
    assert time.perf_counter() - started < 3.0
    assert leaks(window) == [], "\n".join(leaks(window))
    assert window.width() == width
    assert window.minimumSizeHint().width() < 1400


def test_a_hostile_url_and_file_name_are_plain_and_never_widen_the_window(
    hostile_window, qtbot, tmp_path
):
    window = hostile_window
    width = window.width()
    window.source_menu.open_spec("http://" + MARK + RAW_TAG + "u" * 20_000)
    qtbot.waitUntil(lambda: "u" * 50 in window.banner.text().replace("\u200b", ""), timeout=8000)
    spin(0.3)
    assert leaks(window) == [], "\n".join(leaks(window))
    assert window.width() == width
    name = ("<b>BIG<u>" + "f" * 255)[:245] + ".png"
    path = tmp_path / name
    cv2.imwrite(str(tmp_path / "t.png"), np.full((20, 30, 3), 90, np.uint8))
    (tmp_path / "t.png").rename(path)
    window.source_menu.open_spec(str(path))
    qtbot.waitUntil(lambda: "<b>BIG" in window.status.source_label.text(), timeout=5000)
    spin(0.3)
    assert leaks(window) == [], "\n".join(leaks(window))
    assert window.width() == width
    assert window.minimumSizeHint().width() < 1400


def reversed_or_broken(window: QWidget) -> list[str]:
    """Labels whose text carries a line break or a bidirectional override from outside."""
    found = []
    for label in window.findChildren(QLabel):
        text = label.text()
        if "\u202e" in text or ("pass" in text and ("\n" in text or "\t" in text)):
            found.append(f"{type(label).__name__}#{label.objectName()}: {text[:60]!r}")
    return found


def test_names_holding_line_breaks_and_overrides_stay_one_line_and_read_as_written(
    hostile_window, qtbot, tmp_path
):
    """A file or kernel name may hold newlines, tabs and U+202E (which makes the rest read
    backwards): shown, it is one line that reads as stored, and nothing grows taller."""
    window = hostile_window
    bar_height = window.statusBar().sizeHint().height()
    description = window.findChild(QLabel, "kernelDescription")
    tricky = "\u202essap" + "\nword\tpass" * 40
    window.state.set_kernel(Kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]], name=tricky), text="x")
    spin(0.3)
    assert window.state.kernel.name.startswith("ssap word pass word pass")
    assert description.sizeHint().height() < 80  # a few wrapped lines at most, not 40
    path = tmp_path / ("\u202egnp" + "\npass" * 30 + ".png")
    cv2.imwrite(str(tmp_path / "t.png"), np.full((20, 30, 3), 90, np.uint8))
    (tmp_path / "t.png").rename(path)
    window.source_menu.open_spec(str(path))
    qtbot.waitUntil(lambda: "pass pass" in window.status.source_label.text(), timeout=5000)
    spin(0.3)
    assert reversed_or_broken(window) == [], "\n".join(reversed_or_broken(window))
    assert window.statusBar().sizeHint().height() <= bar_height + 2


def test_error_text_and_class_names_in_the_train_tab_are_escaped(hostile_window, qtbot, tmp_path):
    """A folder whose name is markup: the Train tab's red status line shows it literally."""
    tab = hostile_window.training_tab
    tab.data.set_kind("folder")
    tab.data.folder_edit.setText(str(tmp_path / "<b>BIG<u>"))
    hostile_window.findChild(QPushButton, "trainButton").click()
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=15000)
    assert "&lt;b&gt;BIG&lt;u&gt;" in tab.status.text()
    assert leaks(hostile_window) == []


def test_buttons_never_show_markup_as_rich_text(hostile_window):
    for button in hostile_window.findChildren(QAbstractButton):
        assert MARK not in button.toolTip()


def test_an_export_offers_a_short_file_name_and_says_where_it_went_elided(
    window, qtbot, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    window.show()
    window.state.set_kernel(Kernel(np.ones((3, 3)) / 9, name="../" * 2000 + MARK))
    wait_for_result(qtbot, window)
    offered: list[str] = []
    folder = tmp_path / ("f" * 200)
    folder.mkdir()
    target = str(folder / ("o" * 200 + ".png"))

    def ask(_parent, _title, start, _filter):
        offered.append(start)
        return target, ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    with qtbot.waitSignal(window.source_menu.exportFinished, timeout=10000):
        window.source_menu.export_png()
    name = offered[0].rsplit("/", 1)[-1]
    assert name.startswith("output_") and name.endswith(".png")
    assert "/" not in name and "<" not in name and len(name) <= 80
    # the message names the file but is elided to the status bar's room (whole in the tooltip)
    shown = window.statusBar().currentMessage()
    assert shown.startswith("Saved") and len(shown) < len(f"Saved {target}")
    assert target in window.statusBar().toolTip()

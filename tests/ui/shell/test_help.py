"""Help through the real window: one window per topic, the Help menu's items, the shortcuts
sheet and About."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QApplication, QToolButton

from convlab import __version__
from convlab.ui.help import HelpWindow, place_beside
from convlab.ui.shell.help_menu import guided_tour_path, menu_shortcuts


def _help_windows(window, topic: str | None = None) -> list[HelpWindow]:
    return [
        w
        for w in window.findChildren(HelpWindow)
        if w.isVisible() and (topic is None or w.topic == topic)
    ]


def _menu_item(window, menu_title: str, text: str):
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == menu_title:
            for item in action.menu().actions():
                if item.text().replace("&", "").startswith(text):
                    return item
    raise AssertionError(f"no {menu_title} ▸ {text}")


def test_the_question_mark_and_f1_open_one_window_per_topic(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    panel = window.kernel_panel
    button = next(b for b in panel.findChildren(QToolButton, "helpButton"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # asked again: raised, not doubled
    window.activateWindow()
    panel.grid.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.grid, timeout=2000)
    window.show_context_help()  # F1 in the kernel panel: the same topic, the same window
    assert len(_help_windows(window, panel.HELP_TITLE)) == 1
    assert len(window.findChildren(HelpWindow)) == 1
    shown = _help_windows(window, panel.HELP_TITLE)[0]
    shown.close()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # closed, then asked again: back
    assert _help_windows(window, panel.HELP_TITLE) == [shown]
    assert QApplication.activeModalWidget() is None  # never blocks the live view
    # another topic is another window, beside the first
    window.tabs.setCurrentIndex(2)
    window.tabs.currentWidget().setFocus()
    window.show_context_help()
    assert {w.topic for w in _help_windows(window)} == {
        panel.HELP_TITLE,
        window.tab_panels[1].HELP_TITLE,
    }
    _menu_item(window, "Help", "Keyboard shortcuts").trigger()
    _never_hidden_behind_another(_help_windows(window))


def _never_hidden_behind_another(windows: list[HelpWindow]) -> None:
    """No two help windows in the same place; each one's title bar corner stays in sight."""
    assert len({w.pos().toTuple() for w in windows}) == len(windows)
    for index, older in enumerate(windows):
        corner = QRect(older.frameGeometry().topLeft(), QSize(30, 30))
        for newer in windows[index + 1 :]:
            assert not newer.frameGeometry().intersects(corner), (older.topic, newer.topic)


def test_another_topic_opens_beside_the_open_ones_or_a_title_bar_lower():
    wide = QRect(0, 0, 1920, 1050)
    first = QRect(680, 265, 560, 550)
    second = QRect(place_beside(first.size(), [first], wide), first.size())
    assert wide.contains(second) and not second.intersects(first)  # side by side
    third = QRect(place_beside(first.size(), [first, second], wide), first.size())
    assert wide.contains(third) and not third.intersects(first) and not third.intersects(second)
    laptop = QRect(0, 0, 1366, 740)  # no room beside: a title bar lower and to the right
    first = QRect(403, 95, 560, 550)
    second = QRect(place_beside(first.size(), [first], laptop), first.size())
    assert laptop.contains(second) and second.topLeft() - first.topLeft() == QPoint(36, 36)
    crowded = [first.translated(36 * i, 36 * i) for i in range(5)]
    last = QRect(place_beside(first.size(), crowded, laptop), first.size())
    assert laptop.contains(last)  # the screen's corner reached: it starts again, on screen


def test_the_help_menu_offers_the_tour_the_guide_the_keys_and_about(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    texts = [
        a.text().replace("&", "")
        for a in next(
            m.menu() for m in window.menuBar().actions() if m.text().replace("&", "") == "Help"
        ).actions()
        if not a.isSeparator()
    ]
    assert texts == [
        "Start here: a short tour",
        "What am I looking at?",
        "Guided tour for teachers",
        "Keyboard shortcuts",
        "About ConvLab",
    ]
    _menu_item(window, "Help", "Start here").trigger()
    assert window.tour.active and window.tour.mark.isVisible()
    window.tour.close()

    _menu_item(window, "Help", "Guided tour").trigger()
    guide = _help_windows(window, "Guided tour")
    assert len(guide) == 1
    text = guide[0].browser.toPlainText()
    assert guided_tour_path() is not None
    assert "A guided tour for teachers" in text and "The sliding window" in text

    _menu_item(window, "Help", "About").trigger()
    about = _help_windows(window, "About ConvLab")[0].browser.toPlainText()
    assert f"ConvLab {__version__}" in about
    for licence in ("MIT", "LGPL-3.0", "BSD-3-Clause", "Apache-2.0"):
        assert licence in about
    for part in ("PySide6", "pyqtgraph", "superqt", "OpenCV", "NumPy"):
        assert part in about
    # the sample images' own licences, from resources/images/LICENSE.md
    assert "astronaut.jpg" in about and "CC0" in about and "Public domain" in about
    _menu_item(window, "Help", "About").trigger()
    assert len(_help_windows(window, "About ConvLab")) == 1


def test_the_shortcuts_sheet_lists_every_menu_key(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    _menu_item(window, "Help", "Keyboard shortcuts").trigger()
    sheet = _help_windows(window, "Keyboard shortcuts")[0].browser.toPlainText()
    listed = menu_shortcuts(window)
    keys = {keys for keys, _ in listed}
    for expected in ("Ctrl+O", "Space", "Ctrl+E", "Ctrl+Z", "Ctrl+0", "F1", "Ctrl+/", "Ctrl+K"):
        assert any(expected in k for k in keys), expected
    for keys_text, what in listed:
        assert keys_text in sheet and what in sheet
    for widget_key in ("Page Up", "Shift + move", "Esc", "double-click a feature map"):
        assert widget_key in sheet


def _help_topics(window) -> list[tuple[str, str]]:
    from convlab.ui.shell.main_window import _GENERAL_HELP

    panels = [window.kernel_panel, window.maps_panel, window.inspector_panel, *window.tab_panels]
    return [("ConvLab", _GENERAL_HELP)] + [(p.HELP_TITLE, p.HELP_HTML) for p in panels]


def test_help_is_short_and_shows_its_pictures(window, qtbot):
    import re

    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument

    from convlab.ui.help import HELP_PICTURES, show_help

    window.show()
    qtbot.waitExposed(window)
    with_pictures = 0
    shown_in: dict[str, str] = {}
    for title, text in _help_topics(window):
        words = len(re.sub("<[^>]+>", " ", text).split())
        assert words <= 180, (title, words)
        names = re.findall(r'<img src="([^"]+)"', text)
        with_pictures += bool(names)
        shown = show_help(window, title, text)
        for name in names:
            # each picture is of the panel whose help shows it: none is borrowed from another
            assert shown_in.setdefault(name, title) == title, (name, title, shown_in[name])
            assert (HELP_PICTURES / name).is_file(), name
            image = shown.browser.document().resource(
                QTextDocument.ResourceType.ImageResource, QUrl(name)
            )
            assert image is not None and not image.isNull(), (title, name)
        shown.close()
    assert with_pictures >= 6  # a picture where a picture says it better

"""No text a person reads is drawn under 9 pt (11 px), on any tab: not a widget's, not one a
canvas paints itself (a weight in a cell's corner, a map's value range, a matrix's counts)."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontInfo, QPainter
from PySide6.QtWidgets import QWidget

from convlab.ui.fonts import MIN_PIXEL_SIZE, MIN_POINT_SIZE


def too_small(font: QFont) -> bool:
    if font.pointSizeF() > 0:
        return font.pointSizeF() < MIN_POINT_SIZE - 0.01
    return font.pixelSize() < MIN_PIXEL_SIZE


def test_no_text_under_the_minimum_on_any_tab(window, qtbot, monkeypatch):
    painted: list[tuple[str, float, int]] = []
    original = QPainter.setFont

    def recording(painter, font):
        if too_small(font):
            info = QFontInfo(font)
            painted.append((type(painter.device()).__name__, font.pointSizeF(), info.pixelSize()))
        return original(painter, font)

    monkeypatch.setattr(QPainter, "setFont", recording)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    small_widgets = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(50)
        window.grab()  # every visible widget paints, the canvases included
        for widget in [window, *window.findChildren(QWidget)]:
            if widget.isVisible() and too_small(widget.font()):
                small_widgets.append((type(widget).__name__, widget.objectName()))
    assert painted == []
    assert small_widgets == []

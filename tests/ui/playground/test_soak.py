"""Thousands of frames through the display path (ImageItem.setImage and painting).

This is the test that catches a bad Qt binding release: PySide6 6.12.0 on Python 3.11
crashes the process (``Fatal Python error: none_dealloc``) after a few thousand
``QGraphicsItem.update()`` calls, which every ``setImage`` makes.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QApplication

from convlab.ui.playground.compare_view import CompareView

FRAMES = 5000


def test_five_thousand_frames_through_the_views(qtbot):
    compare = CompareView()
    qtbot.addWidget(compare)
    compare.resize(640, 320)
    compare.show()
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(8)]
    rect = QRectF(0, 0, 64, 48)
    started = time.perf_counter()
    for index in range(FRAMES):
        frame = frames[index % len(frames)]
        compare.show_result(frame, frames[(index + 3) % len(frames)], rect)
        if index % 10 == 0:
            QApplication.processEvents()  # lets the views paint: the full display path
    QApplication.processEvents()
    assert np.array_equal(compare.output_view.image_item.image, frames[(FRAMES + 2) % 8])
    assert time.perf_counter() - started < 30.0

"""The teaching tabs are made when first shown, so the window comes up sooner; once made
they work as if they had always been there."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtWidgets import QWidget

from convlab.ui.teach.arithmetic import ArithmeticPanel
from convlab.ui.training.tab import TrainingTab


def test_a_teaching_tab_is_made_when_first_shown(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    assert window.findChildren(TrainingTab) == []
    assert window.findChildren(ArithmeticPanel) == []
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["Playground", "Arithmetic", "Why CNNs?", "Kernel lab", "Train"]
    window.tabs.setCurrentIndex(titles.index("Train"))
    (tab,) = window.findChildren(TrainingTab)
    assert tab.isVisible()  # on show at once, as if it had always been there
    assert tab.train_button.isVisible()
    assert window.training_tab is tab  # the same one, not a second
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentIndex(titles.index("Train"))
    assert window.findChildren(TrainingTab) == [tab]
    panels = window.tab_panels  # asking for all makes the others
    assert [type(p).__name__ for p in panels] == [
        "ArithmeticPanel",
        "WhyCnnPanel",
        "KernelLabPanel",
        "TrainingTab",
    ]
    assert all(isinstance(p, QWidget) and p.window() is window for p in panels)


_PROBE = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from convlab.app import build_window
window = build_window(["--reset-settings", "pattern"])
window.show()
app.processEvents()
print(" ".join(sorted(m for m in sys.modules if m.startswith("convlab."))))
window.close()
"""


def test_the_first_window_does_without_the_cnn_and_the_lessons(tmp_path):
    env = dict(os.environ, CONVLAB_SETTINGS=str(tmp_path / "s.ini"), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    loaded = set(out.stdout.split())
    assert "convlab.ui.playground.compare_view" in loaded, out.stderr[-2000:]
    for lazy in ("convlab.ui.training.tab", "convlab.cnn.train", "convlab.ui.teach.why_cnn"):
        assert lazy not in loaded

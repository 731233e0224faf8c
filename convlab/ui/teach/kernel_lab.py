"""Kernel lab: a Gaussian explorer, the current kernel's frequencies, borders, and learning.

Experiments from the slides that need more room than the kernel editor has, one page each
(gaussian.py, kernel_view.py, borders.py, learn_kernel.py); this panel puts them in tabs,
shares one help text, and redraws only the page in front. Everything works on a reduced copy of
the current frame (or a small corner of it), so it stays interactive on a live webcam.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from convlab.engine.pipeline import PipelineResult
from convlab.ui.help import help_button, picture
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.borders import BordersPage
from convlab.ui.teach.gaussian import GaussianPage
from convlab.ui.teach.kernel_view import KernelViewPage
from convlab.ui.teach.learn_kernel import LEARN_HELP, LearnKernelTab

LIVE_UPDATE_MS = 250  # at most four refreshes a second from a live source


class KernelLabPanel(QWidget):
    """Gaussian explorer, current-kernel analysis and border-mode comparison, in three tabs."""

    editorKernelUse = Signal(bool)  # whether the page in front works with the editor's kernel

    HELP_TITLE = "Kernel lab"
    HELP_HTML = (
        "<p>Four pages about what a kernel does.</p>"
        + picture("borders.png", 480)
        + "<ul><li><b>Gaussian</b>: a blur that weighs neighbours by a bell curve. "
        "<i>Radius</i> sets the size (2·radius + 1), <i>σ</i> the width; too large a σ cuts the "
        "bell off (the panel says how much is kept). <i>Use in editor</i> sends it to the "
        "grid.</li>"
        "<li><b>Current kernel</b>: what it keeps (bright) and removes (dark) of each "
        "frequency, its separable factors, correlation against convolution.</li>"
        "<li><b>Borders</b>: near the edge the kernel reaches outside the picture; zeros, a "
        "mirror, the repeated edge or the other side fill in, side by side.</li>"
        "</ul>" + LEARN_HELP
    )

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A click anywhere in the panel (even on a picture or a label) focuses it, so F1 shows
        # this panel's help.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.state = state
        self.gaussian_page = GaussianPage(state)
        self.kernel_page = KernelViewPage(state)
        self.borders_page = BordersPage(state)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.gaussian_page, "Gaussian explorer")
        self.tabs.addTab(self.kernel_page, "Current kernel")
        self.tabs.addTab(self.borders_page, "Borders")
        self.learner = LearnKernelTab(state)
        self.tabs.addTab(self.learner, "Kernel that learns itself")
        self.tabs.setCornerWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)

        self._refresh_live = qthrottled(self.refresh_images, timeout=LIVE_UPDATE_MS, parent=self)
        state.resultReady.connect(self._on_result)
        state.kernelChanged.connect(lambda _k: self.refresh())
        state.settingsChanged.connect(self.refresh)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        self.tabs.currentChanged.connect(self._tell_editor_kernel_use)
        self.learner.target_box.currentIndexChanged.connect(self._tell_editor_kernel_use)
        self.refresh()

    def uses_editor_kernel(self) -> bool:
        """The Kernel panel acts on the Current kernel and Borders pages, and on the learner
        when its target is the editor's kernel; the Gaussian explorer and a preset target
        show a kernel of their own, and a second, different one beside it would confuse."""
        page = self.tabs.currentWidget()
        if page is self.gaussian_page:
            return False
        if page is self.learner:
            return self.learner.target_box.currentData() == "editor"
        return True

    def _tell_editor_kernel_use(self, _index: int = 0) -> None:
        self.editorKernelUse.emit(self.uses_editor_kernel())

    def heightForWidth(self, width: int) -> int:
        """Fill a scroll area's height instead of asking for the preferred one.

        Word-wrapped labels give the layout a height-for-width, and QScrollArea then sizes the
        panel to its *preferred* height (taller than a laptop screen). The tab widget reports
        its pages' preferred heights there too, so the lab answers with its minimum; the
        pictures stretch into whatever is left.
        """
        return self.minimumSizeHint().height()

    def _on_result(self, _result: PipelineResult) -> None:
        if self.isVisible():
            self._refresh_live()

    def refresh_images(self) -> None:
        """Redraw what depends on the live frame, on the visible tab only."""
        if not self.isVisible():
            return
        page = self.tabs.currentWidget()
        if page.follows_frame:
            page.refresh()

    def refresh(self) -> None:
        """Redraw the visible tab (kernel or settings changed, or the tab was switched).

        Nothing happens while the lab is hidden (another tab is in front); ``showEvent`` catches
        up, so a kernel edit in the playground never pays for the lab.
        """
        if not self.isVisible():
            return
        self.tabs.currentWidget().refresh()

    def wants_live_frames(self) -> bool:
        """Its pictures follow the live source while the tab is on show."""
        return True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def shutdown(self) -> None:
        self.learner.shutdown()

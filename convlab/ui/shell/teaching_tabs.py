"""The teaching tabs (Arithmetic, Why CNNs?, Kernel lab, Train), each built when first needed.

Building them, and importing the CNN code the Train tab needs, took a good part of the time
to the first window; a person looks at the Playground first. So each tab starts as an empty
page, and its panel is made (imports included) the first time the tab is shown or asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from convlab.ui.settings import Settings
from convlab.ui.state import PlaygroundState

TITLES = ("Arithmetic", "Why CNNs?", "Kernel lab", "Train")
TRAIN = TITLES.index("Train")


def _arithmetic(state: PlaygroundState, _settings: Settings) -> QWidget:
    from convlab.ui.teach.arithmetic import ArithmeticPanel

    return ArithmeticPanel(state)


def _why_cnn(state: PlaygroundState, _settings: Settings) -> QWidget:
    from convlab.ui.teach.why_cnn import WhyCnnPanel

    return WhyCnnPanel(state)


def _kernel_lab(state: PlaygroundState, _settings: Settings) -> QWidget:
    from convlab.ui.teach.kernel_lab import KernelLabPanel

    return KernelLabPanel(state)


def _train(state: PlaygroundState, settings: Settings) -> QWidget:
    from convlab.ui.training.tab import TrainingTab
    from convlab.ui.training.webcam import AUTOSAVE_NAME, WebcamClasses

    # captured webcam classes live next to the settings, so CONVLAB_SETTINGS isolates them
    classes = WebcamClasses(settings.path.with_name(AUTOSAVE_NAME))
    tab = TrainingTab(state, webcam_classes=classes)
    classes.setParent(tab)
    return tab


_BUILDERS: tuple[Callable[[PlaygroundState, Settings], QWidget], ...] = (
    _arithmetic,
    _why_cnn,
    _kernel_lab,
    _train,
)


class TeachingTabs(QObject):
    """Adds the teaching tabs' pages to ``tabs`` after the Playground; ``panel(i)`` builds the
    i-th on first use. ``built`` is emitted with (index, panel) for each one made."""

    built = Signal(int, QWidget)

    def __init__(
        self, tabs: QTabWidget, state: PlaygroundState, settings: Settings, parent: QObject
    ) -> None:
        super().__init__(parent)
        self._tabs, self._state, self._settings = tabs, state, settings
        self._pages: list[QWidget] = []
        self._panels: list[QWidget | None] = [None] * len(TITLES)
        for title in TITLES:
            page = QWidget()
            page.setObjectName(f"{title}Page")
            layout = QVBoxLayout(page)
            layout.setContentsMargins(0, 0, 0, 0)
            self._pages.append(page)
            tabs.addTab(page, title)
        tabs.currentChanged.connect(self._shown)

    def panel(self, index: int) -> QWidget:
        """The ``index``-th teaching panel (0: Arithmetic … 3: Train), made if need be."""
        panel = self._panels[index]
        if panel is None:
            panel = self._panels[index] = _BUILDERS[index](self._state, self._settings)
            area = _scrollable(panel)
            self._pages[index].layout().addWidget(area)
            area.show()  # at once: a layout would show it on a later turn of the event loop
            self.built.emit(index, panel)
        return panel

    def panels(self) -> list[QWidget]:
        """Every teaching panel (all made now)."""
        return [self.panel(index) for index in range(len(TITLES))]

    def built_panels(self) -> list[QWidget]:
        """The panels made so far (closing shuts down only these)."""
        return [panel for panel in self._panels if panel is not None]

    def training_tab_if_built(self) -> QWidget | None:
        return self._panels[TRAIN]

    def _shown(self, index: int) -> None:
        if index > 0:
            self.panel(index - 1)


def _scrollable(panel: QWidget) -> QScrollArea:
    """A teaching tab in a scroll area: its minimum size must not set the window's."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(panel)
    return area

"""The "Start here" tour: seven coach marks on the real widgets, shown on the first run.

Each step points at the widget it talks about. Steps that ask the person to do something
(edit a cell, click a pixel) move on by themselves when it is done. A step can set the window
up for itself: the worked-out pixel opens on the picture's middle if no pixel was clicked, and
is put away again when the tour moves on to the feature maps it would cover. Closing the tour,
or finishing it, is remembered in the settings; Help ▸ Start here shows it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRect, QTimer
from PySide6.QtWidgets import QMainWindow, QTabWidget

from convlab.ui.settings import Settings
from convlab.ui.widgets.coach_mark import CoachMark, Target, widget_target

SEEN_KEY = "help/tour_seen"
FIRST_RUN_DELAY_MS = 800  # the first picture is on screen before the tour speaks
ADVANCE_MS = 600  # after the person did what a step asked, before the next step


@dataclass(frozen=True)
class Step:
    """One coach mark: where it points, what it says, and what moves it on by itself."""

    title: str
    text: str
    target: Target
    done_when: str | None = None  # "kernel_edited" | "pixel_inspected"
    enter: Callable[[], None] | None = None  # sets the window up for this step
    side: str | None = None  # where the bubble goes when there is room ("below", ...)


def tab_target(tabs: QTabWidget, title: str) -> Target:
    """The tab button called ``title`` in ``tabs``' tab bar."""

    def rect() -> QRect | None:
        bar = tabs.tabBar()
        for index in range(tabs.count()):
            if tabs.tabText(index) == title and bar.isVisible():
                tab = bar.tabRect(index)
                return QRect(bar.mapTo(bar.window(), tab.topLeft()), tab.size())
        return None

    return rect


def _inspect_a_pixel(window) -> None:
    """The worked-out pixel needs a pixel: the middle of the picture, unless one was clicked."""
    state = window.state
    result = window.last_result
    if state.inspected_pixel is None and result is not None:
        height, width = result.frame.shape[:2]
        state.set_inspected_pixel((height // 2, width // 2))


def _on_the_playground(window, dock=None) -> None:
    """The Playground in front (the tour may be started from any tab), with ``dock`` shown
    even if it was closed: the step points at it."""
    window.tabs.setCurrentIndex(0)
    if dock is not None and dock.isHidden():
        dock.show()


def tour_steps(window) -> list[Step]:
    """The steps, pointing at ``window``'s widgets (a MainWindow)."""
    grid = widget_target(lambda: window.kernel_panel.grid)
    state = window.state
    docks = window.panel_docks

    def playground(dock=None) -> Callable[[], None]:
        return lambda: _on_the_playground(window, dock)

    def inspect() -> None:
        _on_the_playground(window)
        _inspect_a_pixel(window)

    def maps() -> None:
        _on_the_playground(window, docks.maps_dock)
        state.set_inspected_pixel(None)  # the card would cover the tiles

    return [
        Step(
            "1. The kernel",
            "These numbers are the <b>kernel</b>. Click a cell, type a number (try <b>4</b> "
            "in the middle) and press Enter.",
            grid,
            "kernel_edited",
            enter=playground(docks.kernel_dock),
            side="below",  # the output stays in sight while the person types
        ),
        Step(
            "2. The output",
            "Each output pixel is the input pixels under the kernel, multiplied by its "
            "weights and added up. It changes as you type.",
            widget_target(lambda: window.output_view),
            enter=playground(),
        ),
        Step(
            "3. Point, then click",
            "Point at the input or the output: the window of pixels the kernel reads lights "
            "up, and its sum shows. <b>Click</b> a pixel to see every multiplication.",
            widget_target(lambda: window.compare),
            "pixel_inspected",
            enter=playground(),
        ),
        Step(
            "4. One pixel, worked out",
            "The input patch × the weights = the products; their sum is the output pixel "
            "(✓). Drag this card anywhere; <b>Esc</b> closes it.",
            widget_target(lambda: window.inspector_card.popover),
            enter=inspect,
        ),
        Step(
            "5. Feature maps",
            "A CNN layer runs many kernels at once. Each tile is one kernel's map of the same "
            "picture. Click a tile to see it large.",
            widget_target(lambda: window.maps_panel),
            enter=maps,
        ),
        Step(
            "6. Why CNNs?",
            "Why not an ordinary neural network? This tab counts the weights each kind of "
            "layer needs for your picture.",
            tab_target(window.tabs, "Why CNNs?"),
        ),
        Step(
            "7. Train",
            "Train a tiny CNN and watch its first kernels form; send one back to the kernel "
            "grid. <i>Help ▸ Start here</i> shows this tour again; <b>F1</b> or <b>?</b> "
            "explains any panel.",
            tab_target(window.tabs, "Train"),
        ),
    ]


class StartTour(QObject):
    """Runs the tour over ``window``; ``start()`` begins at step 1."""

    def __init__(
        self,
        window: QMainWindow,
        settings: Settings,
        steps: Callable[[], list[Step]],
    ) -> None:
        super().__init__(window)
        self.window, self.settings, self._make_steps = window, settings, steps
        self.mark = CoachMark(window)
        self.steps: list[Step] = []
        self.index = -1
        # child timers: they die with the window, never fire into a closed one
        self._first_run_timer = QTimer(
            self, singleShot=True, interval=FIRST_RUN_DELAY_MS, timeout=self._first_run
        )
        self._advance_timer = QTimer(self, singleShot=True, interval=ADVANCE_MS)
        self._advance_timer.timeout.connect(lambda: self._advance_from(self._advance_index))
        self._advance_index = -1
        self.mark.nextClicked.connect(self.next)
        self.mark.backClicked.connect(self.back)
        self.mark.closeClicked.connect(self.close)

    @property
    def active(self) -> bool:
        return self.index >= 0

    def start_if_first_run(self) -> None:
        if not self.settings.get(SEEN_KEY):
            self._first_run_timer.start()

    def _first_run(self) -> None:
        """Start, unless the person is already busy on another tab (then the next start)."""
        tabs = getattr(self.window, "tabs", None)
        elsewhere = tabs is not None and tabs.currentIndex() != 0
        unseen = not self.settings.get(SEEN_KEY) and not self.active
        if unseen and self.window.isVisible() and not elsewhere:
            self.start()

    def start(self) -> None:
        self.steps = self._make_steps()
        self.show_step(0)

    def show_step(self, index: int) -> None:
        self.index = index
        step = self.steps[index]
        if step.enter is not None:
            step.enter()
        self.mark.point_at(
            step.target,
            step.title,
            step.text,
            index + 1,
            len(self.steps),
            index == len(self.steps) - 1,
            step.side,
        )

    def next(self) -> None:
        if not self.active:
            return
        if self.index + 1 < len(self.steps):
            self.show_step(self.index + 1)
        else:
            self.close()

    def back(self) -> None:
        if self.index > 0:
            self.show_step(self.index - 1)

    def close(self) -> None:
        """Finished or dismissed: either way, do not show it again by itself."""
        self.index = -1
        self.mark.dismiss()
        self.settings.set(SEEN_KEY, True)

    def happened(self, what: str) -> None:
        """The person did something (``done_when``): move on if the step asked for it."""
        if self.active and self.steps[self.index].done_when == what:
            self._advance_index = self.index  # a moment to see what it did, then on
            self._advance_timer.start()

    def _advance_from(self, index: int) -> None:
        if self.index == index:  # the person has not moved on (or back) meanwhile
            self.next()

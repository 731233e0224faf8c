"""How float responses become pixels: display mode, colormap, range, and a histogram.

A convolution's output is unclipped floats; an edge kernel gives negatives, a sharpen
overshoots 255. Which mapping is used changes what a person sees, so it is a visible choice:
``DisplayControls`` edits either the main output's mapping or the feature-map bank's, and
``OutputDisplayControls`` adds the response histogram with the shown range shaded on it, so
people can see what "clip" throws away.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from convlab.engine.display import histogram
from convlab.engine.pipeline import HISTOGRAM_BINS, PipelineResult
from convlab.ui.playground.histogram import ResponseHistogram
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.display_controls import DisplayControls
from convlab.ui.widgets.flow_layout import FlowLayout

HISTOGRAM_INTERVAL_MS = 250  # a few redraws a second is all a glance at a histogram needs


class OutputDisplayControls(QWidget):
    """The main output's display controls and its response histogram, for the Playground tab."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outputDisplayControls")
        self._state = state
        self.controls = DisplayControls(state, "output", self)
        self.histogram = ResponseHistogram(self)
        self.histogram.setToolTip(
            "Histogram of the output's values. The shaded band is the range the display mode "
            "spreads over black..white; values outside it saturate."
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        # The line saying what is shown and why sits right under the views, beside the boxes
        # that change it; the one-click switch is at its end.
        choice_row = QHBoxLayout()
        choice_row.setContentsMargins(4, 0, 0, 0)
        choice_row.setSpacing(4)
        choice_row.addWidget(self.controls.choice_label, 100)  # up to its text width
        choice_row.addWidget(self.controls.switch_button)
        choice_row.addStretch(1)
        layout.addLayout(choice_row)
        toolbar = FlowLayout(spacing=10)
        toolbar.addWidget(self.controls.mapping_group)
        toolbar.addWidget(self.controls.colour_bar)
        toolbar.addWidget(self.controls.range_group)
        layout.addLayout(toolbar)
        layout.addWidget(self.histogram)
        self._throttled_redraw = qthrottled(self._redraw, timeout=HISTOGRAM_INTERVAL_MS)
        state.resultReady.connect(self._throttled_redraw)
        state.settingsChanged.connect(self._settings_changed)

    def _settings_changed(self) -> None:
        if self._state.latest_result is not None:
            self._throttled_redraw(self._state.latest_result)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._settings_changed()  # a still image sends no new frames: draw what is there

    def _redraw(self, result: PipelineResult) -> None:
        if not self.isVisible():
            return  # nobody is looking: skip the work
        counts, edges = result.histogram or histogram(result.output, HISTOGRAM_BINS)
        choice = result.display or self._state.pipeline.display.choose(result.output)
        self.histogram.show_counts(counts, edges, choice)

"""The Train tab's right column: the network and what it does with an image, in seven pages.

Network (the layer diagram), Inside (one image through every layer), Confusion, Mistakes,
Draw, Experiments and Live. Only
the page on show is recomputed, and while training runs at most twice a second: one forward
pass is about a millisecond, but progress arrives five times a second.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget

from convlab.cnn.dataset import Dataset
from convlab.cnn.evaluate import Evaluation
from convlab.cnn.model import Sequential
from convlab.ui.help import help_button
from convlab.ui.training.diagram import NetworkDiagram
from convlab.ui.training.draw import DrawTab
from convlab.ui.training.experiments import ExperimentsTab
from convlab.ui.training.insight import ConfusionMatrix, MistakesGallery, SampleTab
from convlab.ui.training.live_page import LivePage

INSIGHT_HELP = (
    "<p><b>Network</b>: the network as the slides draw it. The <i>feature extractor</i> "
    "(convolutions, ReLU, pooling) keeps the image's layout, in maps that shrink as they go; "
    "flatten turns the last maps into one vector for the <i>classifier</i> (fully connected "
    "layers). Each card gives the shape after that step and its parameters. Click a unit of "
    "any map: the orange box on the input is its receptive field, the pixels it depends on. "
    "It grows with every convolution and pooling; after flatten a unit sees the whole "
    "image.</p>"
    "<p><b>Inside</b>: one validation image going through the network. Each row is a layer's "
    "output: convolution maps (one per filter), after ReLU (negatives cut to black), after "
    "pooling (half the size). The bars are the network's three best guesses.</p>"
    "<p><b>Confusion</b>: rows are the true classes, columns what the network said; the green "
    "diagonal is right, red cells are mix-ups (e.g. 4 taken for 9).</p>"
    "<p><b>Mistakes</b>: the validation images it got wrong, most confident first; click one "
    "to look inside.</p>"
    "<p><b>Draw</b>: draw with the mouse; your drawing is centred and shrunk like the training "
    "digits, and the network guesses live.</p>"
    "<p><b>Experiments</b>: hand-made first-layer filters against learned ones, and a fully "
    "connected network (MLP) against the CNN, trained side by side on the same images.</p>"
    "<p><b>Live</b>: after training on your own webcam classes, the predicted class is shown "
    "on the live view.</p>"
)
#: seconds between insight refreshes while training runs
INSIGHT_INTERVAL = 0.5


class InsightSection(QTabWidget):
    """The insight pages; ``throttled`` (set while training runs) slows the refreshes down."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingInsight")
        self.network = NetworkDiagram()
        self.sample_tab = SampleTab()
        self.confusion = ConfusionMatrix()
        self.mistakes = MistakesGallery()
        self.draw_tab = DrawTab()
        self.experiments = ExperimentsTab()
        self.live = LivePage()
        self.addTab(self.sample_tab, "Inside")
        self.network_page = QScrollArea()  # a narrow page wraps the cards into a tall diagram
        self.network_page.setWidgetResizable(True)
        self.network_page.setFrameShape(QFrame.Shape.NoFrame)
        self.network_page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.network_page.setWidget(self.network)
        self.addTab(self.network_page, "Network")
        self.addTab(self.confusion, "Confusion")
        self.addTab(self.mistakes, "Mistakes")
        self.addTab(self.draw_tab, "Draw")
        self.addTab(self.experiments, "Experiments")
        self.addTab(self.live, "Live")
        self.setUsesScrollButtons(True)
        self.setCornerWidget(help_button(self, "Looking inside", INSIGHT_HELP))
        self.throttled = False
        self._last_refresh = 0.0
        self._stale = False  # a refresh was asked for while off screen
        # the forward pass and pictures after a progress report get their own event-loop
        # turn: the GUI thread is never busy with a whole progress report in one go
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self.mistakes.sampleChosen.connect(self._inspect_sample)
        self.currentChanged.connect(lambda _: self.refresh())

    def wanted_width(self) -> int:
        """The width that shows every tab's name whole, its help button beside them."""
        bar = self.tabBar()
        tabs = sum(bar.tabSizeHint(index).width() for index in range(bar.count()))
        corner = self.cornerWidget()
        return tabs + (corner.sizeHint().width() if corner is not None else 0) + 8

    def set_context(
        self,
        model: Sequential | None,
        dataset: Dataset | None,
        input_shape: tuple[int, int, int] | None = None,
    ) -> None:
        """The network the pages ask, and its data (None when the network does not fit it);
        ``input_shape`` is what the network reads when there is no data to say it."""
        self.sample_tab.set_context(model, dataset)
        self.draw_tab.set_context(model, dataset)
        shape = dataset.input_shape if dataset is not None else input_shape
        if shape is not None:
            sample = (
                dataset.val_images[0] if dataset is not None and len(dataset.val_images) else None
            )
            self.network.set_network(model, shape, sample)

    def show_evaluation(self, dataset: Dataset | None, evaluation: Evaluation) -> None:
        if dataset is None or len(evaluation.predictions) != len(dataset.val_labels):
            return
        self.confusion.set_counts(dataset.val_labels, evaluation.predictions, dataset.class_names)
        self.mistakes.show_mistakes(dataset, evaluation.predictions, evaluation.probabilities)

    def clear_evaluation(self) -> None:
        self.confusion.clear()
        self.mistakes.clear()

    def refresh_soon(self) -> None:
        self._refresh_timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh_soon()

    def refresh(self) -> None:
        """Recompute only the visible page (one forward pass: about a millisecond); none while
        the section is off screen (training beside a live view): it catches up when shown."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        now = time.monotonic()
        if self.throttled and now - self._last_refresh < INSIGHT_INTERVAL:
            return  # while training, twice a second is plenty for the eye
        self._last_refresh = now
        current = self.currentWidget()
        if current is self.sample_tab:
            self.sample_tab.refresh()
        elif current is self.draw_tab:
            self.draw_tab.refresh()

    def _inspect_sample(self, index: int) -> None:
        self.setCurrentWidget(self.sample_tab)
        self.sample_tab.show_index(index)

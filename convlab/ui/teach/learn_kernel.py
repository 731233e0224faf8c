"""The Kernel lab's "kernel that learns itself": gradient descent you can watch.

A hidden kernel (Sobel, a Gaussian, or the one in the editor) filters the live image; a kernel
that starts at zeros (or noise) follows the gradient of the mean squared error between its
output and that target, and its grid moves towards the hidden one while the loss falls. Learning
a CNN filter is exactly this: finding kernel weights. The lesson itself is
``convlab.cnn.kernel_lesson.learn_hidden_kernel``; it runs on a superqt worker, paced to about
30 reports a second so the first steps can be watched, on a thread of its own (not Qt's shared
pool, where saves and exports would wait behind it). What is shown of it (the hidden kernel,
the newest report, the loss curve) is a ``KernelLesson``; the widgets only draw it.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider
from superqt.utils import create_worker

from convlab.cnn.kernel_lesson import (
    STEP_BUDGET,
    KernelLesson,
    LessonReport,
    learn_hidden_kernel,
)
from convlab.engine import presets
from convlab.engine.convolve import convolve
from convlab.engine.display import to_rgb
from convlab.engine.kernels import Kernel, gaussian_kernel
from convlab.engine.pipeline import PipelineResult
from convlab.errors import ConvlabError
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.number_grid import NumberGrid, format_number
from convlab.ui.widgets.picture_grid import PictureGrid
from convlab.ui.widgets.sliders import make_typed

#: hidden kernels to learn: key -> (label, kernel maker); "editor" takes the editor's kernel
TARGETS = {
    "sobel_x": ("Sobel x (3×3)", lambda: presets.get("sobel_x")),
    "sobel_y": ("Sobel y (3×3)", lambda: presets.get("sobel_y")),
    "gaussian": ("Gaussian 5×5, σ 1", lambda: gaussian_kernel(2, 1.0)),
    "sharpen": ("Sharpen (3×3)", lambda: presets.get("sharpen")),
    "laplacian": ("Laplacian (3×3)", lambda: presets.get("laplacian")),
    "emboss": ("Emboss (3×3)", lambda: presets.get("emboss")),
    "editor": ("The kernel in the editor", None),
}
STARTS = {"zeros": "Zeros", "random": "Random numbers"}
LARGEST_LEARNED = 7  # (k*k)^2 numbers per step: a 7x7 kernel is still instant
REPORT_INTERVAL_S = 1 / 30
#: how long closing waits for a stopped lesson (it stops at its next report)
STOP_WAIT_MS = 300
LEARN_HELP = (
    "<p><b>Learn a kernel</b>: a hidden kernel filters the picture; a second one starts at "
    "zeros and takes gradient-descent steps on its weights until its output matches (the "
    "loss, on a log scale, falls; the grid moves towards the hidden kernel). That is what "
    "training a CNN's first layer does. With <i>noise</i> on the target the loss stops at the "
    "noise level and the weights need more looks, but they get there. It stops when found "
    f"or after {STEP_BUDGET:,} steps, and says which.</p>"
)


class _FrameFeed:
    """The newest frame, handed from the GUI thread to the worker by swapping one reference."""

    def __init__(self) -> None:
        self.frame: np.ndarray | None = None

    def newest(self) -> np.ndarray | None:
        return self.frame


def _pictures(image: np.ndarray, hidden: np.ndarray, weights: np.ndarray) -> tuple:
    """The target and the learned output as pictures drawn on the same scale."""
    target = convolve(image, hidden)
    learned = convolve(image, weights)
    low, high = float(target.min()), float(target.max())
    if low < 0:
        reach = max(abs(low), abs(high), 1e-6)
        options = {"value_range": (-reach, reach)}
        return to_rgb(target, "signed", **options), to_rgb(learned, "signed", **options)
    options = {"value_range": (low, max(high, low + 1e-6))}
    return to_rgb(target, "minmax", **options), to_rgb(learned, "minmax", **options)


def run_lesson(feed: _FrameFeed, hidden: np.ndarray, start: str, noise: float):
    """The worker's generator: the lesson's reports, paced, with the two pictures."""
    last = 0.0
    pictures_at = 0.0
    pictures: tuple = ()
    for report in learn_hidden_kernel(feed.newest, hidden, start=start, seed=0, noise=noise):
        pause = REPORT_INTERVAL_S - (time.perf_counter() - last)
        if pause > 0:
            time.sleep(pause)
        last = time.perf_counter()
        if report.step and (last - pictures_at > 0.12 or report.done):
            pictures = _pictures(report.image, hidden, report.weights)
            pictures_at = last
        yield report, pictures


class LearnKernelTab(QWidget):
    """Target, start and noise; Learn / Stop; the learned grid, the loss curve, two pictures."""

    follows_frame = False  # the lesson reads frames itself (``feed``), on its worker

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.feed = _FrameFeed()
        self.job = None
        self.lesson: KernelLesson | None = None  # the running or last lesson
        self.pool = QThreadPool(self)  # the lesson's own thread, for as long as it runs
        self.pool.setMaxThreadCount(1)
        self._started_jobs: set = set()  # kept alive until they finish
        controls = self._controls()
        self.learned_grid = NumberGrid("Learned kernel")
        self.hidden_grid = NumberGrid("Hidden kernel")
        grids = QVBoxLayout()
        grids.addWidget(self.learned_grid)
        grids.addWidget(self.hidden_grid)
        grids.addStretch(1)
        self.plot = self._loss_plot()
        self.pictures = PictureGrid(
            1, 2, ["Hidden kernel's output (target)", "Learned kernel's output"]
        )
        self.pictures.setMinimumHeight(140)

        top = QHBoxLayout()
        top.addLayout(controls, 2)
        top.addLayout(grids, 0)
        top.addWidget(self.plot, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 3)
        layout.addWidget(self.pictures, 2)

        state.resultReady.connect(self._on_result)
        self._show_hidden()

    def _controls(self) -> QVBoxLayout:
        """Target, start, noise; Learn, Stop, Send; reveal; the status line."""
        self.target_box = QComboBox()
        for key, (label, _make) in TARGETS.items():
            self.target_box.addItem(label, key)
        self.target_box.setToolTip("The kernel the learner must find (hidden while it learns)")
        self.start_box = QComboBox()
        for key, label in STARTS.items():
            self.start_box.addItem(label, key)
        self.noise_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.noise_slider.setRange(0.0, 20.0)
        self.noise_slider.setValue(0.0)
        self.noise_slider.setToolTip(
            "Noise added to the target output (standard deviation, in pixel levels 0-255)"
        )
        make_typed(self.noise_slider, self.noise_slider.toolTip())
        self.learn_button = QPushButton("Learn")
        self.learn_button.setObjectName("learnKernelButton")
        self.learn_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.reveal_box = QCheckBox("Show the hidden kernel")
        self.reveal_box.toggled.connect(lambda _on: self._show_hidden())
        self.target_box.currentIndexChanged.connect(lambda _i: self._target_changed())
        self.send_button = QPushButton("Send to editor")
        self.send_button.setToolTip("Put the learned weights into the kernel editor")
        self.send_button.clicked.connect(self.send_to_editor)
        self.send_button.setEnabled(False)

        form = QFormLayout()
        form.addRow("Target", self.target_box)
        form.addRow("Start", self.start_box)
        form.addRow("Noise σ", self.noise_slider)
        buttons = QHBoxLayout()
        for button in (self.learn_button, self.stop_button, self.send_button):
            buttons.addWidget(button)
        controls = QVBoxLayout()
        controls.addLayout(form)
        controls.addLayout(buttons)
        controls.addWidget(self.reveal_box)
        self.status = QLabel("Press Learn: a kernel starts from zeros and finds the hidden one.")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        controls.addWidget(self.status)
        controls.addStretch(1)
        return controls

    def _loss_plot(self) -> pg.PlotWidget:
        """The loss and the largest weight error against the step, on a logarithmic scale."""
        plot = pg.PlotWidget()
        plot.setBackground(self.palette().base().color())
        plot.setLogMode(y=True)
        plot.setLabel("bottom", "step")
        plot.addLegend(offset=(-4, 4))
        plot.setMinimumSize(220, 160)
        self.loss_curve = plot.plot(
            name="loss (mean squared error)", pen=pg.mkPen("#2060c0", width=2)
        )
        self.error_curve = plot.plot(
            name="largest |learned - hidden| weight", pen=pg.mkPen("#d08000", width=2)
        )
        return plot

    @property
    def last(self) -> LessonReport | None:
        """The newest report of the current lesson (None before the first)."""
        return None if self.lesson is None else self.lesson.last

    # -- running -------------------------------------------------------------------------------
    def hidden_kernel(self) -> np.ndarray:
        """The weights to find: the chosen preset's, or the editor's (weights / divisor)."""
        key = self.target_box.currentData()
        make = TARGETS[key][1]
        weights = self.state.kernel.effective if make is None else make().effective
        if max(weights.shape) > LARGEST_LEARNED:
            raise ConvlabError(
                f"the learner finds kernels up to {LARGEST_LEARNED}×{LARGEST_LEARNED}; the "
                f"editor's is {weights.shape[0]}×{weights.shape[1]}"
            )
        return np.array(weights, dtype=np.float64)

    def start(self) -> None:
        """Learn the chosen target from the chosen start on the live image (restarting)."""
        self.stop()
        try:
            hidden = self.hidden_kernel()
        except ConvlabError as error:
            self.state.report(error)
            self.status.setText(str(error))
            return
        result = self.state.latest_result
        self.feed.frame = None if result is None else result.frame
        self.lesson = KernelLesson(hidden, time.perf_counter())
        self.job = create_worker(
            run_lesson,
            self.feed,
            hidden,
            self.start_box.currentData(),
            self.noise_slider.value(),
            _start_thread=False,
        )
        self.job.yielded.connect(lambda item, job=self.job: self._on_report(job, item))
        self.job.finished.connect(lambda job=self.job: self._on_finished(job))
        self.job.errored.connect(lambda error: self.state.report(f"Kernel learner: {error}"))
        self._started_jobs.add(self.job)
        self.job.finished.connect(lambda job=self.job: self._started_jobs.discard(job))
        self.learn_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status.setText("Learning…" if self.feed.frame is not None else "Waiting for an image…")
        self._show_hidden()
        self.pool.start(self.job)

    def stop(self) -> None:
        if self.job is not None:
            self.job.quit()
        self.learn_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def shutdown(self) -> None:
        """Stop the lesson and give its thread a moment to end (it stops at its next report)."""
        self.stop()
        self.pool.waitForDone(STOP_WAIT_MS)

    @property
    def running(self) -> bool:
        return self.job is not None and not self.learn_button.isEnabled()

    def _target_changed(self) -> None:
        """A new target: start over if a lesson runs, else just show the new hidden kernel."""
        self.lesson = None
        if self.running:
            self.start()
        else:
            self._show_hidden()

    def send_to_editor(self) -> None:
        """The learned grid's weights as shown, named by when they were taken (found, or the
        step of a lesson still on its way)."""
        report = self.last
        if report is None:
            return
        when = "found" if report.found else f"at step {report.step:,}"
        name = f"learned ({self.target_box.currentText()}, {when})"
        self.state.set_kernel(Kernel(report.weights, name=name), text="Learned kernel")
        rows, cols = report.weights.shape
        self.state.report(f"In the editor now: the learned {rows}×{cols} weights, {when}.", "info")

    # -- showing -------------------------------------------------------------------------------
    def _on_result(self, result: PipelineResult) -> None:
        self.feed.frame = result.frame

    def _on_report(self, job, item: tuple) -> None:
        if job is not self.job or self.lesson is None:  # a stopped lesson's last report
            return
        report, pictures = item
        if not self.lesson.record(report):
            return
        steps, losses, errors = self.lesson.curve.columns()
        self.loss_curve.setData(steps, losses)
        self.error_curve.setData(steps, errors)
        self.learned_grid.set_values(report.weights, scale="signed")
        if pictures:
            self.pictures.set_image(0, pictures[0])
            self.pictures.set_image(1, pictures[1])
        self.send_button.setEnabled(True)
        seconds = self.lesson.seconds(time.perf_counter())
        looks = f"{report.rounds} look{'s' if report.rounds != 1 else ''} at the image"
        numbers = (
            f"loss {format_number(report.loss, 3)} · largest weight error "
            f"{format_number(report.error, 2)} · {looks}"
        )
        if report.found:
            text = f"Found it in {report.step:,} steps ({seconds:.1f} s): {numbers}."
        elif report.done:
            text = (
                f"Stopped after {report.step:,} steps ({seconds:.1f} s), the lesson's limit, "
                f"not yet within 0.001 of every weight: {numbers}."
            )
        else:
            text = f"Step {report.step:,} · {numbers} · {seconds:.1f} s"
        if not report.identifiable:
            text += (
                "\nThis picture cannot pin every weight down (it is too flat): many kernels "
                "give the same output. Show it something with edges."
            )
        self.status.setText(text)
        if report.done:
            self._show_hidden()

    def _on_finished(self, job) -> None:
        if job is not self.job:  # a lesson replaced by a newer one
            return
        self.learn_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self._show_hidden()

    def _show_hidden(self) -> None:
        finished = self.lesson is not None and self.lesson.done
        reveal = self.reveal_box.isChecked() or finished
        if self.lesson is None:
            try:
                shown = self.hidden_kernel()
            except ConvlabError:
                shown = None
        else:
            shown = self.lesson.hidden
        self.hidden_grid.setVisible(reveal and shown is not None)
        if reveal and shown is not None:
            self.hidden_grid.set_values(shown, scale="signed")

    def refresh(self) -> None:
        """The lab's redraw request: only the hidden grid depends on the editor's kernel."""
        self._show_hidden()

    def hideEvent(self, event) -> None:
        """Pause while nobody watches; ``showEvent`` carries on."""
        if self.running and not self.job.is_paused:
            self.job.pause()
        super().hideEvent(event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.job is not None and self.job.is_paused:
            self.job.resume()

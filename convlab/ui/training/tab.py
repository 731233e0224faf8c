"""The Train tab: watch a tiny CNN learn, see its filters, and take them back to the webcam.

Left: what to train on and how (data, model, optimiser). Centre: the controls, the curves and
the learned filters. Right: what the network does with an image (sample, confusion, mistakes,
draw, experiments, live). Training runs on a ``TrainingThread``; this tab only displays the
copies it sends. The network object being trained is never used for a forward pass here:
``_view_model`` is the GUI's own copy, refreshed from every progress report.
"""

from __future__ import annotations

import copy
import math
import os
import time
import zipfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled, signals_blocked

from convlab.cnn import Sequential
from convlab.cnn.functional import softmax
from convlab.cnn.layers import Conv2D
from convlab.engine.kernels import Kernel
from convlab.errors import ConvlabError, TrainingError
from convlab.ui import text as ui_text
from convlab.ui.help import help_button
from convlab.ui.state import PlaygroundState
from convlab.ui.threads.training_thread import (
    JOIN_TIMEOUT_MS,
    BackgroundTask,
    Dataset,
    RunSpec,
    TrainingThread,
    evaluate,
)
from convlab.ui.training.curves import TrainingCurves
from convlab.ui.training.data import DataChooser, DataSpec
from convlab.ui.training.draw import DrawTab
from convlab.ui.training.experiments import ExperimentsTab
from convlab.ui.training.filters import LearnedFiltersPanel
from convlab.ui.training.insight import ConfusionMatrix, MistakesGallery, SampleTab
from convlab.ui.training.recipe import ModelRecipe, ModelSettings, layer_names
from convlab.ui.training.webcam import WebcamClasses, frame_to_sample

INSIGHT_HELP = (
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
#: seconds between insight-tab refreshes while training runs
INSIGHT_INTERVAL = 0.5
#: room (px) beyond the columns' minimum widths below which the settings column folds away
SPARE_WIDTH = 60
#: how long shutdown waits for a thread still loading data before giving up on it
LATE_JOIN_MS = 5000


def compact_button(button: QPushButton) -> QPushButton:
    """Padding from a style sheet drops the style's ~80 px minimum width of push buttons, so
    a row of them still fits when the window's docks leave the tab little room."""
    button.setStyleSheet("QPushButton { padding: 3px 7px; }")
    return button


def conv_layers(model: Sequential) -> list[Conv2D]:
    return [layer for layer in model.layers if isinstance(layer, Conv2D)]


def _format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


class TrainingTab(QWidget):
    """Train / watch / inspect a tiny CNN, and move filters between it and the kernel editor."""

    HELP_TITLE = "Train a CNN"
    HELP_HTML = (
        "<p>Press <b>Train</b>: a small convolutional network learns to recognise the chosen "
        "images (synthetic digits by default). The <b>curves</b> show the loss falling and the "
        "accuracy rising, on the training images (blue) and on held-out validation images "
        "(red).</p><p>The <b>learned filters</b> are the network's first-layer kernels, the same "
        "kind of kernel you edit in the Playground. Send one to the kernel editor to run it on "
        "your webcam, or write an edited kernel back into the network.</p><p>On the right, look "
        "inside: the feature maps of one image at every layer, the confusion matrix, the "
        "mistakes, a pad to draw on, and two experiments (hand-made vs learned filters, MLP vs "
        "CNN).</p><p>Pause, Resume and Step (one batch) let you go slowly; Stop keeps the "
        "weights learned so far; Reset starts over.</p>"
    )

    liveClassification = Signal(str)  # "class name 93%" for the live-view overlay; "" hides it

    def __init__(
        self,
        state: PlaygroundState,
        parent: QWidget | None = None,
        webcam_classes: WebcamClasses | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trainingTab")
        self.state = state
        self._thread: TrainingThread | None = None
        self._retiring: list[TrainingThread] = []
        self._tasks: list[BackgroundTask] = []
        self._measuring: dict[BackgroundTask, tuple[str, float | None]] = {}
        self._model: Sequential | None = None  # the network being / last trained
        self._view_model: Sequential | None = None  # the GUI's own copy for forward passes
        self._dataset: Dataset | None = None
        self._evaluation: dict | None = None
        self._experiment: str | None = None
        self._unsaved = False
        self._write_backs: list[tuple[Sequential, int, int, int, np.ndarray]] = []
        self._live_text = ""
        self._steps_done = 0
        self._last_scores = (math.nan, math.nan, 0.0)
        self._last_insight = 0.0
        self._small_data_defaults_pending = True
        self._total_steps = 0
        self._insight_timer = QTimer(self)
        self._insight_timer.setSingleShot(True)
        self._insight_timer.setInterval(0)
        self._insight_timer.timeout.connect(self._refresh_insight)

        self.webcam_classes = webcam_classes or WebcamClasses(parent=self)
        if self.webcam_classes.load_problem:
            state.report(self.webcam_classes.load_problem, "warning")
        self._build_ui()
        self._connect()
        self._set_running(False)
        self._show_untrained()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ================================================================== layout
    def _build_ui(self) -> None:
        # ---- left: data, model, optimiser
        self.data = DataChooser(self.webcam_classes, self.state)
        data_box = QGroupBox("Data")
        data_layout = QVBoxLayout(data_box)
        data_layout.setContentsMargins(6, 4, 6, 4)
        data_layout.addWidget(self.data)
        self.settings = ModelSettings()
        left_content = QWidget()
        left_layout = QVBoxLayout(left_content)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(data_box)
        left_layout.addWidget(self.settings)
        left_layout.addStretch(1)
        left = QScrollArea()
        left.setObjectName("trainingSettingsColumn")
        left.setWidgetResizable(True)
        left.setWidget(left_content)
        left.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # wide enough for the settings' own minimum: the scroll area never clips them sideways
        left.setMinimumWidth(
            left_content.minimumSizeHint().width() + left.verticalScrollBar().sizeHint().width() + 6
        )
        left.setFrameShape(QScrollArea.Shape.NoFrame)
        self.settings_column = left
        self.settings_toggle = QToolButton()
        self.settings_toggle.setObjectName("settingsToggle")
        self.settings_toggle.setText("Settings")
        self.settings_toggle.setCheckable(True)
        self.settings_toggle.setChecked(True)
        self.settings_toggle.setToolTip(
            "Show or hide the data, model and optimiser settings (hidden automatically when "
            "the tab is narrow: the curves and filters get the room)"
        )
        self._settings_wanted: bool | None = None  # None: the tab's width decides

        # ---- centre: controls, progress, curves, learned filters
        self.train_button = QPushButton("▶ Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setToolTip("Build a new network from the settings and train it")
        self.train_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseButton")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("resumeButton")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("End training and keep the weights learned so far")
        self.step_button = QPushButton("Step")
        self.step_button.setObjectName("stepButton")
        self.step_button.setToolTip("Train on exactly one batch, then pause")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setObjectName("resetButton")
        self.reset_button.setToolTip("Forget the trained network and start from random weights")
        controls = QHBoxLayout()
        controls.setSpacing(4)
        controls.addWidget(self.settings_toggle)
        for button in (
            self.train_button,
            self.pause_button,
            self.resume_button,
            self.stop_button,
            self.step_button,
            self.reset_button,
        ):
            compact_button(button)
            controls.addWidget(button)
        controls.addStretch(1)
        controls.addWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML))
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("ready")
        self.status = QLabel("Press Train: the default data (synthetic digits) is ready.")
        self.status.setTextFormat(Qt.TextFormat.RichText)  # set only via _set_status
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.status.setObjectName("trainingStatus")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setWordWrap(True)  # a long status wraps instead of widening the tab
        self.curves = TrainingCurves()
        self.curves.setMinimumHeight(140)
        files = QHBoxLayout()
        files.setSpacing(4)
        for text, tip, slot, name in (
            ("Save…", "Save the network (.npz)", self._save_model_dialog, "saveModelButton"),
            ("Load…", "Load a network (.npz)", self._load_model_dialog, "loadModelButton"),
            ("CSV…", "Export the curves as a table", self._export_csv_dialog, "exportCsvButton"),
            ("PNG…", "Export the curves as a picture", self._export_png_dialog, "exportPngButton"),
        ):
            if name == "saveModelButton":
                files.addWidget(QLabel("Network"))
            elif name == "exportCsvButton":
                files.addSpacing(8)
                files.addWidget(QLabel("Curves"))
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setObjectName(name)
            button.clicked.connect(slot)
            files.addWidget(button)
        files.addStretch(1)
        self.filters = LearnedFiltersPanel()
        centre_top = QWidget()
        top_layout = QVBoxLayout(centre_top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(controls)
        top_layout.addWidget(self.progress)
        top_layout.addWidget(self.status)
        top_layout.addWidget(self.curves, 1)
        top_layout.addLayout(files)
        centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(centre_top)
        centre.addWidget(self.filters)
        centre.setStretchFactor(0, 1)
        centre.setStretchFactor(1, 1)
        centre.setChildrenCollapsible(False)
        centre.setSizes([520, 480])  # the filters get nearly half: they are the point

        # ---- right: insight
        self.sample_tab = SampleTab()
        self.confusion = ConfusionMatrix()
        self.mistakes = MistakesGallery()
        self.draw_tab = DrawTab()
        self.experiments = ExperimentsTab()
        live = QWidget()
        live_layout = QVBoxLayout(live)
        self.live_box = QCheckBox("Show the predicted class on the live view")
        self.live_box.setObjectName("liveClassificationBox")
        self.live_box.setChecked(True)
        self.live_label = QLabel(
            "Train on webcam classes (Data → Capture from webcam), then point the camera at them."
        )
        self.live_label.setObjectName("liveClassificationLabel")
        self.live_label.setWordWrap(True)
        font = self.live_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.live_result = QLabel("")
        self.live_result.setFont(font)
        live_layout.addWidget(self.live_box)
        live_layout.addWidget(self.live_label)
        live_layout.addWidget(self.live_result)
        live_layout.addStretch(1)
        self.insight = QTabWidget()
        self.insight.setObjectName("trainingInsight")
        self.insight.addTab(self.sample_tab, "Inside")
        self.insight.addTab(self.confusion, "Confusion")
        self.insight.addTab(self.mistakes, "Mistakes")
        self.insight.addTab(self.draw_tab, "Draw")
        self.insight.addTab(self.experiments, "Experiments")
        self.insight.addTab(live, "Live")
        self.insight.setUsesScrollButtons(True)
        self.insight.setCornerWidget(help_button(self, "Looking inside", INSIGHT_HELP))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(centre)
        self._centre = centre
        splitter.addWidget(self.insight)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([300, 640, 440])
        self._splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        self.step_button.clicked.connect(self.step)
        self.reset_button.clicked.connect(self.reset)
        self.filters.sendRequested.connect(self.send_to_editor)
        self.filters.sendBankRequested.connect(self.send_bank)
        self.filters.writeBackRequested.connect(self.write_back)
        self.filters.undoWriteBackRequested.connect(self.undo_write_back)
        self.mistakes.sampleChosen.connect(self._inspect_sample)
        self.experiments.experimentRequested.connect(self.start_experiment)
        self.insight.currentChanged.connect(lambda _: self._refresh_insight())
        self.data.changed.connect(self._data_changed)
        self.settings.changed.connect(self._settings_changed)
        self.live_box.toggled.connect(lambda _: self._set_live(""))
        self.settings_toggle.toggled.connect(self._settings_toggled)
        self._classify_live = qthrottled(self._classify_frame, 200)
        self.state.resultReady.connect(self._classify_live)
        self._data_changed()

    # ================================================================== training control
    def is_training(self) -> bool:
        return self._thread is not None

    def steps_done(self) -> int:
        """Batches trained in the current (or last) run, as last reported."""
        return self._steps_done

    def model(self) -> Sequential | None:
        """The network being (or last) trained; do not run it while training is running."""
        return self._model

    def start_training(self, *, start_paused: bool = False) -> None:
        """Train a new network from the current settings (Train button)."""
        self._launch(experiment=None, start_paused=start_paused)

    def start_experiment(self, kind: str) -> None:
        """Train two networks side by side: "handmade" (vs free) or "mlp" (vs CNN)."""
        self.insight.setCurrentWidget(self.experiments)
        self._launch(experiment=kind, start_paused=False)

    def _launch(self, *, experiment: str | None, start_paused: bool) -> None:
        self._retire_thread()
        recipe = self.settings.recipe()
        spec = self.data.spec(seed=recipe.seed)
        bank = self.experiments.bank()
        thread = TrainingThread(
            spec.load,
            _run_builder(recipe, self.settings.optimizer_factory(), experiment, bank),
            self.settings.training_settings(snapshot_every=self.filters.snapshot_box.value()),
            start_paused=start_paused,
        )
        thread.prepared.connect(self._on_prepared)
        thread.progress.connect(self._on_progress)
        thread.failed.connect(self._on_failed)
        thread.completed.connect(self._on_completed)
        self._thread = thread
        self._experiment = experiment
        self._steps_done = 0
        self._last_scores = (math.nan, math.nan, 0.0)
        self._write_backs.clear()
        self.filters.set_write_back_state(False)
        self.curves.clear()
        self.filters.reset_history()
        self._clear_evaluation()
        self.progress.setRange(0, 0)  # busy until the data is ready
        self.progress.setFormat("preparing data…")
        self._set_status(f"Preparing {spec.describe()}…")
        self._set_running(True)
        thread.start(QThread.Priority.LowPriority)  # the GUI and the camera come first

    def pause(self) -> None:
        if self._thread is not None:
            self._thread.pause()
            self._set_running(True)

    def resume(self) -> None:
        if self._thread is not None:
            self._thread.resume()
            self._set_running(True)

    def step(self) -> None:
        """One batch: of the paused run, or of a new run that starts paused."""
        if self._thread is None:
            self.start_training(start_paused=True)
        else:
            self._thread.step()
            self._set_running(True)

    def stop(self) -> None:
        """End training after the current batch; the weights learned so far are kept."""
        if self._thread is not None:
            self.status.setText(self.status.text() + "  — stopped")
            self._retire_thread()
            self._set_running(False)
            self._end_busy_progress("stopped")

    def reset(self) -> None:
        """Forget the network: a fresh random one from the settings, no curves, no history."""
        self._retire_thread()
        self._set_running(False)
        self.curves.clear()
        self.filters.reset_history()
        self._write_backs.clear()
        self.filters.set_write_back_state(False)
        self._show_untrained()
        self._clear_evaluation()
        self._end_busy_progress("ready")
        self.status.setText("Reset: a fresh, untrained network.")

    def _retire_thread(self) -> None:
        """Ask the current thread to stop; it is cleaned up when it has finished."""
        thread = self._thread
        if thread is None:
            return
        thread.stop()
        self._retiring.append(thread)
        self._thread = None
        if thread.runs:
            # the network stays ours; its final weights arrive with the thread's last report
            self._model = thread.runs[0].model
        self._unsaved = self._unsaved or self._steps_done > 0

    def _wait_for_stopped_owner(self) -> None:
        """Right after Stop the old thread may still be finishing its batch on our network:
        wait for it (a batch takes milliseconds) so a save never catches half an update."""
        for thread in self._retiring:
            if thread.runs and thread.runs[0].model is self._model:
                thread.wait(JOIN_TIMEOUT_MS)

    def shutdown(self) -> None:
        """Stop every thread and wait for it (window close); save the webcam classes."""
        self._retire_thread()
        for thread in [*self._retiring, *self._tasks]:
            if isinstance(thread, TrainingThread):
                thread.stop()
            if not thread.wait(JOIN_TIMEOUT_MS):
                thread.wait(LATE_JOIN_MS)
        self._retiring = [t for t in self._retiring if t.isRunning()]
        self._tasks = [t for t in self._tasks if t.isRunning()]
        try:
            self.webcam_classes.save()
        except OSError as error:
            self.state.report(f"Webcam classes could not be saved: {error}", "warning")
        self._set_live("")

    def running_threads(self) -> list:
        """Threads of this tab that have not finished (for tests and the window's close)."""
        return [
            t
            for t in (self._thread, *self._retiring, *self._tasks)
            if t is not None and t.isRunning()
        ]

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def has_unsaved_model(self) -> bool:
        """True when a network was trained (or edited) and not saved since: ask before quitting."""
        return self._unsaved or (self._thread is not None and self._steps_done > 0)

    # ================================================================== thread signals
    def _owns_stopped(self, thread: TrainingThread) -> bool:
        """Whether a stopped thread's network is still the one shown (no new run since)."""
        return (
            self._thread is None
            and thread in self._retiring
            and bool(thread.runs)
            and thread.runs[0].model is self._model
        )

    def _on_prepared(self, thread: TrainingThread, dataset: Dataset, models: list) -> None:
        if thread is not self._thread:
            return
        self._dataset = dataset
        if dataset.notes:
            self.state.report(dataset.notes, "warning")
        self._model = self._thread.runs[0].model
        self._view_model = models[0]
        self._evaluation = None
        self.settings.set_data_shape(dataset.input_shape, dataset.num_classes)
        if self._experiment is not None:
            self.experiments.begin(
                [run.name for run in self._thread.runs], show_filters=self._experiment == "handmade"
            )
        self._show_model_layers()
        self._set_insight_context()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("training…")
        self._set_live("")

    def _on_progress(self, sender: TrainingThread, reports: list[dict]) -> None:
        if sender is not self._thread and not self._owns_stopped(sender):
            return
        report = reports[0]
        self._steps_done = report["step"]
        # First, because QProgressBar.setValue repaints at once: done before anything else
        # changes, that repaint stays small and the rest is painted on the next loop pass.
        self._show_progress(report)
        if self._view_model is not None:
            self._view_model.set_state(report["state"])
        if self.curves.rows == [] or report["total_steps"] != self._total_steps:
            self._total_steps = report["total_steps"]
            self.curves.set_total_steps(self._total_steps)
        self.curves.add(report)
        self.filters.add_snapshots(report["snapshots"])
        self._show_model_layers()
        if report["evaluation"] is not None:
            self._show_evaluation(report["evaluation"])
        if self._experiment is not None:
            self.experiments.update_runs(reports)
        # the insight forward pass and pictures get their own event-loop turn: the GUI
        # thread is never busy with a whole progress report in one go
        self._insight_timer.start()
        if sender is self._thread:
            self._set_running(True)

    def _set_status(self, text: str) -> None:
        """Plain text in the status line (it holds file and class names)."""
        self.status.setText(ui_text.escaped(text, 600))

    def _on_failed(self, sender: TrainingThread, message: str) -> None:
        if sender is not self._thread and not self._owns_stopped(sender):
            return
        self.state.report(TrainingError(message), "error")
        # our colour around the message; the message itself (paths, names) stays literal
        self.status.setText(f"<span style='color:#b00000'>{ui_text.escaped(message)}</span>")

    def _on_completed(self, sender: TrainingThread, outcome: str) -> None:
        if sender is self._thread:
            self._thread = None
            self._retiring.append(sender)
            if sender.runs:
                self._model = sender.runs[0].model
            self._unsaved = self._unsaved or self._steps_done > 0
            self._set_running(False)
            if not sender.runs:  # ended before any network existed (e.g. unreadable data)
                self._end_busy_progress(outcome)
        if self._owns_stopped(sender):
            # the thread has ended: its network is ours now, use it directly for the views
            self._view_model = self._model
            self._show_model_layers()
            self._set_insight_context()
            if outcome == "done":
                self.progress.setFormat("done")
                self.progress.setValue(self.progress.maximum())
            elif outcome == "stopped":
                self.progress.setFormat("stopped")
                self._remeasure("after stopping")
            elif outcome == "failed":
                self.progress.setFormat("failed")
        self._forget_thread(sender)

    def _end_busy_progress(self, outcome: str) -> None:
        """Turn the "preparing data" busy bar back into a plain, labelled one."""
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat(outcome)

    def _forget_thread(self, thread: TrainingThread) -> None:
        """Called when ``completed`` arrives: run() has returned, so the wait is immediate."""
        if thread in self._retiring:
            self._retiring.remove(thread)
        thread.wait(JOIN_TIMEOUT_MS)
        thread.deleteLater()

    # ================================================================== display
    def _show_progress(self, report: dict) -> None:
        total = max(1, report["total_steps"])
        if self.progress.maximum() != total:
            self.progress.setRange(0, total)
        self.progress.setValue(report["step"])
        eta = report["eta_s"]
        state = (
            "paused"
            if report["paused"]
            else ("done" if report["done"] else "ETA " + _format_seconds(eta))
        )
        self.progress.setFormat(f"%v / %m steps · {state}")
        val = report["val_accuracy"]
        if report["fresh_batches"]:
            self._last_scores = (report["loss"], report["accuracy"], report["images_per_s"])
        loss, accuracy, speed = self._last_scores
        parts = [
            f"epoch {report['epoch']}/{report['epochs']}",
            f"loss {loss:.3f}" if math.isfinite(loss) else "",
            f"train acc. {accuracy:.1%}" if math.isfinite(accuracy) else "",
            f"validation {val:.1%}" if val is not None else "validation after epoch 1",
            f"{speed:,.0f} images/s" if speed else "",
        ]
        self._set_status("  ·  ".join(p for p in parts if p))

    def _show_model_layers(self) -> None:
        model = self._view_model
        if model is None:
            self.filters.set_layers([])
            return
        names = dict(zip(map(id, model.layers), layer_names(model)))
        self.filters.set_layers(
            [(names[id(conv)], conv.params["weight"]) for conv in conv_layers(model)]
        )

    def _show_evaluation(self, evaluation: dict) -> None:
        self._evaluation = evaluation
        dataset = self._dataset
        if dataset is None or len(evaluation["predictions"]) != len(dataset.val_labels):
            return
        self.confusion.set_counts(
            dataset.val_labels, evaluation["predictions"], dataset.class_names
        )
        self.mistakes.show_mistakes(dataset, evaluation["predictions"], evaluation["probabilities"])

    def _clear_evaluation(self) -> None:
        self._evaluation = None
        self.confusion.clear()
        self.mistakes.clear()

    def _set_insight_context(self) -> None:
        model, dataset = self._view_model, self._dataset
        if model is not None and dataset is not None and not _fits(model, dataset):
            dataset = None
        self.sample_tab.set_context(model, dataset)
        self.draw_tab.set_context(model, dataset)

    def _refresh_insight(self) -> None:
        """Recompute only the visible insight tab (one forward pass: about a millisecond)."""
        now = time.monotonic()
        if self._thread is not None and now - self._last_insight < INSIGHT_INTERVAL:
            return  # while training, twice a second is plenty for the eye
        self._last_insight = now
        current = self.insight.currentWidget()
        if current is self.sample_tab:
            self.sample_tab.refresh()
        elif current is self.draw_tab:
            self.draw_tab.refresh()

    def _inspect_sample(self, index: int) -> None:
        self.insight.setCurrentWidget(self.sample_tab)
        self.sample_tab.show_index(index)

    def _show_untrained(self) -> None:
        """A fresh random network for the current settings: the filters start as noise."""
        shape = DataSpec(kind=self.data.kind()).input_shape()
        try:
            model = self.settings.recipe().build(shape, self.data.num_classes())
        except ConvlabError as error:
            self.state.report(error, "error")
            return
        self._model = model
        self._view_model = model
        self._unsaved = False
        self._evaluation = None
        self._show_model_layers()
        self._set_insight_context()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("ready")

    def _set_running(self, running: bool) -> None:
        paused = running and self._thread is not None and self._thread.is_paused
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(running and not paused)
        self.resume_button.setEnabled(paused)
        # one place for Pause / Resume: the row stays short enough for a narrow tab
        self.pause_button.setVisible(not paused)
        self.resume_button.setVisible(paused)
        self.stop_button.setEnabled(running)
        self.step_button.setEnabled(not running or paused)
        self.settings.setEnabled(not running)
        self.data.setEnabled(not running)

    # ================================================================== narrow widths
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_columns()

    def _arrange_columns(self) -> None:
        """Nothing scrolls sideways. Without SPARE_WIDTH beyond what all three columns need,
        the settings column folds away (curves, filters and insight need the room more); if
        the person opens it anyway (Settings button), it takes the insight column's place."""
        narrow = self.width() < self._width_of_all_columns() + SPARE_WIDTH
        settings = not narrow if self._settings_wanted is None else self._settings_wanted
        with signals_blocked(self.settings_toggle):
            self.settings_toggle.setChecked(settings)
        self.settings_column.setVisible(settings)
        self.insight.setVisible(not (narrow and settings))

    def _width_of_all_columns(self) -> int:
        """The tab's least width with settings, centre and insight all shown."""
        columns = (self.settings_column, self._centre, self.insight)
        needed = sum(max(c.minimumWidth(), c.minimumSizeHint().width()) for c in columns)
        margins = self.layout().contentsMargins()
        return needed + 2 * self._splitter.handleWidth() + margins.left() + margins.right()

    def _settings_toggled(self, shown: bool) -> None:
        self._settings_wanted = shown  # the person chose: the width no longer decides
        self._arrange_columns()

    def _data_changed(self) -> None:
        if self.data.kind() == "webcam" and self._small_data_defaults_pending:
            # a few dozen captures at the defaults would train for a handful of steps only
            self._small_data_defaults_pending = False
            if self.settings.epochs_box.value() == 3:
                self.settings.epochs_box.setValue(20)
            if self.settings.batch_box.value() == 32:
                self.settings.batch_box.setValue(16)
        spec_shape = DataSpec(kind=self.data.kind()).input_shape()
        self.settings.set_data_shape(spec_shape, self.data.num_classes())
        self.live_label.setText(
            "Point the camera at your classes; the prediction also shows on the live view."
            if self.data.kind() == "webcam"
            else "Train on webcam classes (Data → Capture from webcam), then point the camera "
            "at them."
        )

    def _settings_changed(self) -> None:
        if not self.is_training() and not self._unsaved and not self.curves.rows:
            self._show_untrained()

    # ================================================================== close the loop
    def send_to_editor(self) -> None:
        """The selected filter (as shown, history included) becomes the Playground's kernel."""
        weights = self.filters.selected_weights()
        if weights is None:
            self.state.report(
                "Train a network first: there is no learned filter to send.", "warning"
            )
            return
        kernel = Kernel(np.array(weights, dtype=np.float64), name=self.filters.selected_name())
        self.state.set_kernel(kernel, text=f"Send {kernel.name} to the editor")
        self.state.report(f"{kernel.name} is now the kernel in the Playground.", "info")

    def send_bank(self) -> None:
        """All first-layer filters (first input channel) become the feature-map bank."""
        if self._view_model is None or not conv_layers(self._view_model):
            self.state.report(
                "There are no convolution filters to send (an MLP has none).", "warning"
            )
            return
        weights = conv_layers(self._view_model)[0].params["weight"]
        kernels = [
            Kernel(np.array(weights[i, 0], dtype=np.float64), name=f"learned conv1 #{i + 1}")
            for i in range(weights.shape[0])
        ]
        self.state.set_bank(kernels, text="Send learned filters to the bank")

    def write_back(self) -> None:
        """The editor's kernel replaces the selected filter; validation accuracy is re-measured."""
        try:
            self._write_back(self.state.kernel)
        except ConvlabError as error:
            self.state.report(error, "error")

    def _write_back(self, kernel: Kernel) -> None:
        if self._thread is not None and not self._thread.is_paused:
            raise TrainingError(
                "Write back: pause or stop training first (the filter is changing under your hands)"
            )
        if self._model is None or not conv_layers(self._model):
            raise TrainingError("Write back: there is no network with convolution filters")
        self._wait_for_stopped_owner()
        layer, index, channel = self.filters.selection()
        conv = conv_layers(self._model)[layer]
        size = conv.kernel_size
        name = self.filters.selected_name().replace("learned ", "")
        if kernel.shape != (size, size):
            raise TrainingError(
                f"Write back: the editor's kernel is {kernel.shape[0]}×{kernel.shape[1]} but "
                f"{name} is {size}×{size}; make a {size}×{size} kernel (or train with "
                f"{kernel.shape[0]}×{kernel.shape[0]} kernels)"
            )
        old = conv.params["weight"][index, channel].copy()
        self._write_backs.append((self._model, layer, index, channel, old))
        self._set_filter(layer, index, channel, kernel.effective)
        self.filters.set_write_back_state(True)
        self._unsaved = True
        self._remeasure(f"after writing {kernel.name or 'the kernel'} into {name}")

    def undo_write_back(self) -> None:
        """Put back the filter the last write-back replaced."""
        while self._write_backs:
            model, layer, index, channel, old = self._write_backs.pop()
            if model is self._model:
                self._set_filter(layer, index, channel, old)
                self._remeasure("after undoing the write-back")
                break
        self.filters.set_write_back_state(bool(self._write_backs))

    def _set_filter(self, layer: int, index: int, channel: int, weights: np.ndarray) -> None:
        targets = {id(m): m for m in (self._model, self._view_model) if m is not None}
        for model in targets.values():
            conv_layers(model)[layer].params["weight"][index, channel] = weights
        self._show_model_layers()
        self._refresh_insight()

    def _remeasure(self, why: str) -> None:
        """Validation accuracy of the current network, measured off the GUI thread."""
        if self._view_model is None or self._dataset is None:
            return
        if not _fits(self._view_model, self._dataset):
            return
        model = copy.deepcopy(self._view_model)
        dataset = self._dataset
        before = self._evaluation["accuracy"] if self._evaluation else None
        task = BackgroundTask(lambda: evaluate(model, dataset.val_images, dataset.val_labels))
        self._measuring[task] = (why, before)
        task.done.connect(self._measured)
        self._tasks.append(task)
        task.start()

    def _measured(self, task: BackgroundTask, result: dict | None, error: str) -> None:
        why, before = self._measuring.pop(task, ("", None))
        if task in self._tasks:
            self._tasks.remove(task)
        task.wait(JOIN_TIMEOUT_MS)
        task.deleteLater()
        if error:
            self.state.report(error, "error")
            return
        if result is None or self._view_model is None:
            return
        self._show_evaluation(result)
        change = f"{before:.1%} → " if before is not None else ""
        text = f"Validation accuracy {why}: {change}{result['accuracy']:.1%}"
        self._set_status(text)
        self.state.report(text, "info")

    # ================================================================== files
    def save_model(self, path: str | Path) -> None:
        """Write the network to ``path`` (.npz) atomically."""
        if self._model is None:
            raise ConvlabError("Save model: there is no network yet")
        if self._thread is not None and not self._thread.is_paused:
            raise ConvlabError("Save model: pause or stop training first")
        self._wait_for_stopped_owner()
        path = Path(path)
        temporary = path.with_name(path.stem + ".part.npz")
        try:
            self._model.save(temporary)
            os.replace(temporary, path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise ConvlabError(f"cannot save the model to {path}: {error.strerror}") from error
        self._unsaved = False
        self.state.report(f"Model saved to {path}", "info")

    def load_model(self, path: str | Path) -> None:
        """Replace the network with one from a .npz file (training stops first)."""
        try:
            model = Sequential.load(path)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            # what Sequential.load itself does not translate (e.g. a damaged zip archive)
            raise ConvlabError(f"{path} is not a ConvLab model file ({error})") from error
        self._retire_thread()
        self._set_running(False)
        self._model = model
        self._view_model = model
        self._unsaved = False
        self._write_backs.clear()
        self.filters.set_write_back_state(False)
        self.curves.clear()
        self.filters.reset_history()
        self._show_model_layers()
        self._set_insight_context()
        self._set_status(f"Loaded {Path(path).name}: {model.num_parameters:,} parameters")
        self._remeasure("of the loaded model")

    def _save_model_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save model", "convlab-model.npz", "ConvLab model (*.npz)"
        )
        if path:
            self._guard(self.save_model, path)

    def _load_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load model", "", "ConvLab model (*.npz)")
        if path:
            self._guard(self.load_model, path)

    def _export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves", "curves.csv", "CSV (*.csv)")
        if path:
            self._guard(self.curves.export_csv, path)

    def _export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves", "curves.png", "PNG (*.png)")
        if path:
            self._guard(self.curves.export_png, path)

    def _guard(self, action, *args) -> None:
        try:
            action(*args)
        except ConvlabError as error:
            self.state.report(error, "error")

    # ================================================================== live classification
    def _classify_frame(self, result) -> None:
        model, dataset = self._view_model, self._dataset
        if (
            not self.live_box.isChecked()
            or model is None
            or dataset is None
            or dataset.name != "webcam"
            or not _fits(model, dataset)
        ):
            self._set_live("")
            return
        sample = frame_to_sample(result.frame)
        logits = model.predict_logits(sample[None, None], batch_size=1)
        probabilities = softmax(logits.astype(np.float64))[0]
        best = int(probabilities.argmax())
        self._set_live(f"{dataset.class_names[best]} {probabilities[best]:.0%}")

    def _set_live(self, text: str) -> None:
        self.live_result.setText(text)
        if text != self._live_text:
            self._live_text = text
            self.liveClassification.emit(text)


def _fits(model: Sequential, dataset: Dataset) -> bool:
    """Whether ``model`` takes ``dataset``'s images and predicts its classes."""
    try:
        shapes = model.output_shapes(dataset.input_shape)
    except (ConvlabError, ValueError, IndexError):
        return False
    first = model.layers[0] if model.layers else None
    if isinstance(first, Conv2D) and first.in_channels != dataset.input_shape[0]:
        return False
    if not isinstance(first, Conv2D):
        dense = next((layer for layer in model.layers if hasattr(layer, "in_features")), None)
        if dense is not None and dense.in_features != int(np.prod(dataset.input_shape)):
            return False
    return bool(shapes) and shapes[-1] == (dataset.num_classes,)


def _run_builder(recipe: ModelRecipe, make_optimizer, experiment: str | None, bank: str):
    """The function the training thread calls, once the data is loaded, to build its runs."""

    def build(dataset: Dataset) -> list[RunSpec]:
        shape, classes = dataset.input_shape, dataset.num_classes
        if experiment == "handmade":
            return [
                RunSpec(
                    f"hand-made ({bank})",
                    recipe.build(shape, classes, first_layer=bank),
                    make_optimizer,
                ),
                RunSpec(
                    "free (random start)",
                    recipe.build(shape, classes, first_layer="random"),
                    make_optimizer,
                ),
            ]
        if experiment == "mlp":
            return [
                RunSpec("CNN", recipe.build(shape, classes), make_optimizer),
                RunSpec("MLP", recipe.build_mlp(shape, classes), make_optimizer),
            ]
        return [RunSpec("CNN", recipe.build(shape, classes), make_optimizer)]

    return build

"""The Train tab: watch a tiny CNN learn, see its filters, and take them back to the webcam.

Left: what to train on and how (data, model, optimiser). Centre: the controls, the progress,
the curves and the learned filters. Right: what the network does with an image (sample,
confusion, mistakes, draw, experiments, live). The tab lays these sections out and shows what
its ``TrainingSession`` reports; the session runs training and owns the networks.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from convlab.cnn.dataset import DataSpec
from convlab.cnn.model import Sequential
from convlab.cnn.plan import TrainingPlan
from convlab.cnn.progress import TrainingProgress
from convlab.cnn.recipe import conv_layers, layer_names
from convlab.engine.kernels import Kernel
from convlab.errors import ConvlabError
from convlab.ui.state import PlaygroundState
from convlab.ui.training.columns import TrainColumns
from convlab.ui.training.controls import ControlsBar
from convlab.ui.training.curves import TrainingCurves
from convlab.ui.training.file_actions import FileActions
from convlab.ui.training.filters import LearnedFiltersPanel
from convlab.ui.training.insight_section import InsightSection
from convlab.ui.training.readout import ProgressReadout
from convlab.ui.training.session import TrainingSession
from convlab.ui.training.settings_column import SettingsColumn
from convlab.ui.training.spare_keeper import SpareKeeper
from convlab.ui.training.webcam import WebcamClasses


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
    editorKernelUse = Signal(bool)  # whether the Kernel dock should show beside this tab

    def __init__(
        self,
        state: PlaygroundState,
        parent: QWidget | None = None,
        webcam_classes: WebcamClasses | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trainingTab")
        self.state = state
        self.webcam_classes = webcam_classes or WebcamClasses(parent=self)
        if self.webcam_classes.load_problem:
            state.report(self.webcam_classes.load_problem, "warning")
        self.webcam_classes.problem.connect(lambda text: state.report(text, "warning"))
        self.session = TrainingSession(self._untrained_network, parent=self)
        self._total_steps = 0
        self._build()
        self._connect_controls()
        self._connect_session()
        self._show_running()
        self.session.show_fresh_network()
        self.spare = SpareKeeper(self, self._spare_data, self.is_training)
        self.data.changed.connect(self.spare.soon)
        self.settings.changed.connect(self.spare.soon)  # the seed is part of the data
        self.session.ended.connect(self.spare.soon)

    # ================================================================== layout
    def _build(self) -> None:
        self.settings_column = SettingsColumn(self.webcam_classes, self.state)
        self.data, self.settings = self.settings_column.data, self.settings_column.settings
        self.controls = ControlsBar(self.HELP_TITLE, self.HELP_HTML)
        self.readout = ProgressReadout()
        self.curves = TrainingCurves()
        self.curves.setMinimumHeight(140)
        self.files = FileActions()
        self.filters = LearnedFiltersPanel(self.session.filter_history)
        self.insight = InsightSection()
        # the widgets the window, the benchmark and the tests reach for
        self.settings_toggle = self.controls.settings_toggle
        self.train_button = self.controls.train_button
        self.pause_button = self.controls.pause_button
        self.resume_button = self.controls.resume_button
        self.stop_button = self.controls.stop_button
        self.step_button = self.controls.step_button
        self.progress = self.readout.bar
        self.status = self.readout.status
        self.experiments = self.insight.experiments
        self.mistakes = self.insight.mistakes
        self.confusion = self.insight.confusion
        self.live_box = self.insight.live.live_box

        centre_top = QWidget()
        top_layout = QVBoxLayout(centre_top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.controls)
        top_layout.addWidget(self.readout)
        top_layout.addWidget(self.curves, 1)
        top_layout.addWidget(self.files)
        centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(centre_top)
        centre.addWidget(self.filters)
        centre.setStretchFactor(0, 1)
        centre.setStretchFactor(1, 1)
        centre.setChildrenCollapsible(False)
        centre.setSizes([520, 480])  # the filters get nearly half: they are the point

        self.columns = TrainColumns(
            self.settings_column, centre, self.insight, self.controls.settings_toggle
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.columns)

    def _connect_controls(self) -> None:
        session = self.session
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(session.pause)
        self.resume_button.clicked.connect(session.resume)
        self.stop_button.clicked.connect(self.stop)
        self.step_button.clicked.connect(self.step)
        self.controls.reset_button.clicked.connect(self.reset)
        self.filters.editor_toggle.toggled.connect(self.editorKernelUse)
        self.files.saveModel.connect(lambda path: self._guard(self.save_model, path))
        self.files.loadModel.connect(lambda path: self._guard(self.load_model, path))
        self.files.exportCsv.connect(lambda path: self._guard(self.curves.export_csv, path))
        self.files.exportPng.connect(lambda path: self._guard(self.curves.export_png, path))
        self.filters.sendRequested.connect(self.send_to_editor)
        self.filters.sendBankRequested.connect(self.send_bank)
        self.filters.writeBackRequested.connect(self.write_back)
        self.filters.undoWriteBackRequested.connect(session.undo_stack.undo)
        session.undo_stack.canUndoChanged.connect(self.filters.set_write_back_state)
        self.experiments.experimentRequested.connect(self.start_experiment)
        self.data.changed.connect(self._data_changed)
        self.settings.changed.connect(self._settings_changed)
        self.insight.live.textChanged.connect(self.liveClassification)
        self._classify_live = qthrottled(self._classify_frame, 200)
        self.state.resultReady.connect(self._classify_live)
        self._data_changed()

    def _connect_session(self) -> None:
        session, readout = self.session, self.readout
        session.message.connect(self.state.report)
        session.runningChanged.connect(self._show_running)
        session.runStarting.connect(self._run_starting)
        session.prepared.connect(self._prepared)
        session.progressed.connect(self._show_progress)
        session.failed.connect(readout.failed)
        session.ended.connect(readout.finish)
        session.stopped.connect(readout.stopped)
        session.networkReset.connect(self._network_reset)
        session.loading.connect(readout.set_status)
        session.networkLoaded.connect(self._network_loaded)
        session.freshNetwork.connect(readout.ready)
        session.modelReplaced.connect(self._show_network)
        session.weightsEdited.connect(self._show_edited_weights)
        session.evaluated.connect(lambda e: self.insight.show_evaluation(session.dataset, e))
        session.remeasured.connect(readout.set_status)

    # ================================================================== what the window uses
    def is_training(self) -> bool:
        return self.session.is_training()

    def wants_live_frames(self) -> bool:
        """Capturing webcam classes takes the live picture while this tab is on show."""
        return self.data.kind() == "webcam"

    def steps_done(self) -> int:
        """Batches trained in the current (or last) run, as last reported."""
        return self.session.steps_done()

    def current_model(self) -> Sequential | None:
        """The network being (or last) trained; do not run it while training is running."""
        return self.session.current_model()

    def has_unsaved_model(self) -> bool:
        """True when a network was trained (or edited) and not saved since: ask before quitting."""
        return self.session.has_unsaved_model()

    def save_model(self, path: str | Path, *, wait: bool = True) -> None:
        """Write the network to ``path`` (.npz) atomically; ConvlabError when it cannot.
        ``wait``: a run just stopped finishes its batch first."""
        self.session.save_model(path, wait=wait)

    def load_model(self, path: str | Path) -> None:
        """Replace the network with one from a .npz file, read on a background job; what goes
        wrong is reported in the window."""
        self.session.load_model(path)

    def running_threads(self) -> list:
        """Runners and jobs of this tab that have not finished (for tests and the window)."""
        return self.session.running()

    def shutdown(self, deadline: float | None = None) -> None:
        """The window is closing: end training by ``deadline`` (``time.monotonic``; see
        ``TrainingSession.shutdown``) and save the webcam classes."""
        self.spare.shutdown()
        self.session.shutdown(deadline)
        try:
            self.webcam_classes.save()
        except ConvlabError as error:
            self.state.report(error, "warning")
        self.insight.live.set_text("")

    # ================================================================== user actions
    def start_training(self, *, start_paused: bool = False) -> None:
        """Train a new network from the current settings (Train button)."""
        self.session.start(self._plan(experiment=None), start_paused=start_paused)

    def start_experiment(self, kind: str) -> None:
        """Train two networks side by side: "handmade" (vs free) or "mlp" (vs CNN)."""
        self.insight.setCurrentWidget(self.experiments)
        self.session.start(self._plan(experiment=kind))

    def step(self) -> None:
        """One batch: of the paused run, or of a new run that starts paused."""
        if self.session.is_training():
            self.session.step()
        else:
            self.start_training(start_paused=True)

    def stop(self) -> None:
        """End training after the current batch; the weights learned so far are kept."""
        self.session.stop()

    def reset(self) -> None:
        """Forget the network: a fresh random one from the settings, no curves, no history."""
        self.session.reset()

    def send_to_editor(self) -> None:
        """The selected tile, exactly as shown (the start, the weights at the shown time, or the
        change since the start), becomes the Playground's kernel; the message says which."""
        weights = self.filters.selected_weights()
        if weights is None:
            self.state.report(
                "Train a network first: there is no learned filter to send.", "warning"
            )
            return
        what = self.filters.selected_description()
        kernel = Kernel(np.array(weights, dtype=np.float64), name=what)
        self.state.set_kernel(kernel, text=f"Send {what} to the editor")
        self.state.report(f"In the Playground now: {what}.", "info")

    def send_bank(self) -> None:
        """All first-layer filters (first input channel) become the feature-map bank."""
        model = self.session.view_model
        if model is None or not conv_layers(model):
            self.state.report(
                "There are no convolution filters to send (an MLP has none).", "warning"
            )
            return
        weights = conv_layers(model)[0].params["weight"]
        kernels = [
            Kernel(np.array(weights[i, 0], dtype=np.float64), name=f"learned conv1 #{i + 1}")
            for i in range(weights.shape[0])
        ]
        self.state.set_bank(kernels, text="Send learned filters to the bank")

    def uses_editor_kernel(self) -> bool:
        """The Kernel dock shows beside this tab only when asked for (Kernel editor, or after
        a write-back): at 1366x768 it would squeeze the results' tabs into scroll arrows."""
        return self.filters.editor_toggle.isChecked()

    def write_back(self) -> None:
        """The editor's kernel replaces the selected filter; validation accuracy is re-measured.
        The editor then shows beside the tab, so the kernel written is in sight."""
        layer, index, channel = self.filters.selection()
        name = self.filters.selected_name().replace("learned ", "")
        self._guard(self.session.write_back, self.state.kernel, layer, index, channel, name)
        self.filters.editor_toggle.setChecked(True)

    def _plan(self, experiment: str | None) -> TrainingPlan:
        recipe = self.settings.recipe()
        settings = self.settings.training_settings(snapshot_every=self.filters.snapshot_box.value())
        shuffle, shift = self.experiments.race_options() if experiment == "mlp" else (False, False)
        if shift:  # the shift test trains on jittered digits: see the experiments page
            settings = replace(settings, augment=True)
        return TrainingPlan(
            data=self.data.spec(seed=recipe.seed),
            recipe=recipe,
            optimizer=self.settings.optimizer_recipe(),
            settings=settings,
            experiment=experiment,
            bank=self.experiments.bank(),
            shuffle_pixels=shuffle,
            shift_test=shift,
        )

    def _spare_data(self) -> DataSpec | None:
        """The data a spare training process makes ahead of Train: the generated kinds."""
        if self.data.kind() not in ("digits", "shapes"):
            return None
        return self.data.spec(seed=self.settings.recipe().seed)

    def _untrained_network(self) -> Sequential:
        """What the settings describe, untrained, for the chosen data's images and classes."""
        recipe = self.settings.recipe()
        return recipe.build(
            recipe.input_shape_for(self.settings_column.input_shape()), self.data.num_classes()
        )

    def _guard(self, action, *args) -> None:
        try:
            action(*args)
        except ConvlabError as error:
            self.state.report(error, "error")

    def _data_changed(self) -> None:
        self.insight.live.set_webcam_data(self.data.kind() == "webcam")

    def _settings_changed(self) -> None:
        session = self.session
        if not session.is_training() and not session.unsaved and not self.curves.rows:
            session.show_fresh_network()

    def _classify_frame(self, result) -> None:
        model, dataset = self.session.view()
        self.insight.live.classify(result.frame, model, dataset)

    # ================================================================== showing the session
    def _show_running(self) -> None:
        running = self.session.is_training()
        self.controls.set_running(running, self.session.is_paused())
        self.settings_column.set_editable(not running)
        self.insight.throttled = running

    def _run_starting(self, description: str) -> None:
        self.curves.clear()
        self.filters.show_history()
        self.insight.clear_evaluation()
        self.readout.preparing(description)

    def _prepared(self, run_names: list[str]) -> None:
        dataset = self.session.dataset
        self.settings.set_data_shape(dataset.input_shape, dataset.num_classes)
        experiment = self.session.experiment
        if experiment is not None:
            self.experiments.begin(run_names, show_filters=experiment == "handmade")
        self.readout.training()
        self.insight.live.set_text("")

    def _show_progress(self, reports: list[TrainingProgress]) -> None:
        report = reports[0]
        # First, because QProgressBar.setValue repaints at once: done before anything else
        # changes, that repaint stays small and the rest is painted on the next loop pass.
        self.readout.show_progress(report)
        if not self.curves.rows or report.total_steps != self._total_steps:
            self._total_steps = report.total_steps
            self.curves.set_total_steps(self._total_steps)
        self.curves.add(report)
        if report.snapshots:
            self.filters.show_history()
        self._show_layers()
        if self.session.experiment is not None:
            self.experiments.update_runs(reports)
        self.insight.refresh_soon()

    def _network_reset(self) -> None:
        self.curves.clear()
        self.filters.show_history()
        self.insight.clear_evaluation()
        self.readout.end_busy("ready")
        self.readout.set_status("Reset: a fresh, untrained network.")

    def _network_loaded(self, summary: str) -> None:
        self.curves.clear()
        self.filters.show_history()
        self.readout.set_status(summary)

    def _show_network(self) -> None:
        self._show_layers()
        recipe = self.settings.recipe()
        shape = recipe.input_shape_for(self.settings_column.input_shape())
        self.insight.set_context(*self.session.view(), input_shape=shape)

    def _show_edited_weights(self) -> None:
        self._show_layers()
        self.insight.refresh()

    def _show_layers(self) -> None:
        model = self.session.view_model
        if model is None:
            self.filters.set_layers([])
            return
        names = dict(zip(map(id, model.layers), layer_names(model)))
        self.filters.set_layers(
            [(names[id(conv)], conv.params["weight"]) for conv in conv_layers(model)]
        )

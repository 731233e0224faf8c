"""The main window: composes the panels, menus, toolbar, docks and status bar.

It owns no model state. It wires ``state`` to the filter worker (every new pipeline goes to the
worker; every result the worker hands back is displayed and published), turns clicks into the
inspected pixel, and shows ``state.message`` in a banner that never blocks the window.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from convlab.engine.convolve import output_shape, padding_amounts
from convlab.engine.explain import nearest_output_pixel, window_taps
from convlab.engine.pipeline import Pipeline, PipelineResult
from convlab.ui.help import picture, show_help
from convlab.ui.kernel.panel import KernelEditorPanel
from convlab.ui.maps.panel import FeatureMapsPanel
from convlab.ui.playground.compare_view import CompareView, output_name
from convlab.ui.playground.output_controls import OutputDisplayControls
from convlab.ui.playground.video_controls import VideoControls
from convlab.ui.settings import Settings
from convlab.ui.shell import unsaved_network
from convlab.ui.shell.banner import MessageBanner
from convlab.ui.shell.docks import PanelDocks
from convlab.ui.shell.help_menu import build_help_menu
from convlab.ui.shell.hover import HoverReadout
from convlab.ui.shell.inspector_card import InspectorCard
from convlab.ui.shell.live_demand import LiveDemand
from convlab.ui.shell.menus import build_menus
from convlab.ui.shell.source_menu import SourceMenu
from convlab.ui.shell.source_messages import SourceMessages
from convlab.ui.shell.start_tour import StartTour, tour_steps
from convlab.ui.shell.status_line import StatusLine
from convlab.ui.shell.teaching_tabs import TRAIN, TeachingTabs
from convlab.ui.shell.toolbar import build_toolbar
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.inspector import PixelInspectorPanel
from convlab.ui.threads import background_jobs
from convlab.ui.threads.filter_worker import FilterWorker, SourceInfo
from convlab.ui.training.live_overlay import LiveClassificationOverlay
from convlab.ui.widgets.image_view import format_value, place_output

WINDOW_TITLE = "ConvLab — convolution playground"
_GENERAL_HELP = (
    "<p><b>ConvLab</b> slides a small grid of weights, the <i>kernel</i>, over a picture: "
    "every output pixel is the weighted sum of the input pixels under it.</p>"
    + picture("window.png", 500)
    + "<ul><li>Type numbers into the <b>Kernel</b> grid (right) and watch the <b>Output</b>.</li>"
    "<li>Point at a pixel: its window and its sum. Click it: every multiplication.</li>"
    "<li><b>Feature maps</b> (below) run a bank of kernels at once, as one CNN layer does.</li>"
    "<li>The tabs: the sliding window step by step (<i>Arithmetic</i>), why CNNs need so few "
    "weights, what kernels do to frequencies and borders, and a CNN you <i>Train</i>.</li></ul>"
    "<p><i>Help ▸ Start here</i> walks through it in seven steps; <b>?</b> or <b>F1</b> "
    "explains the panel you are in; <i>Help ▸ Keyboard shortcuts</i> lists every key.</p>"
)


class MainWindow(QMainWindow):
    """Playground tab (views), teaching tabs, panels in docks, and the live display loop."""

    def __init__(
        self,
        state: PlaygroundState,
        worker: FilterWorker,
        settings: Settings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.state, self.worker, self.settings = state, worker, settings
        state.full_frame_provider = worker.full_frame  # exports use the original pixels
        self.setWindowTitle(WINDOW_TITLE)
        self.setAcceptDrops(True)
        self._fit_to_screen()
        self.last_result: PipelineResult | None = None
        self.displayed_frames = 0
        self._display_ms = 0.0
        self._hovered: tuple[int, int] | None = None
        self._pipeline_failure: str | None = None  # the banner's "cannot run" message

        self.banner = MessageBanner()
        self.compare = CompareView()
        self.source_view = self.compare.source_view
        self.output_view = self.compare.output_view
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(self._build_playground(), "Playground")
        self.teaching = TeachingTabs(self.tabs, state, settings, self)
        self.teaching.built.connect(self._teaching_panel_built)
        self.setCentralWidget(self.tabs)

        self.kernel_panel = KernelEditorPanel(state)
        self.inspector_panel = PixelInspectorPanel(state)
        self.maps_panel = FeatureMapsPanel(state)
        self.panel_docks = PanelDocks(self, self.kernel_panel, self.maps_panel)
        self.docks = self.panel_docks.docks
        self.panel_docks.size_for(self.height())
        self.inspector_card = InspectorCard(
            self,
            state,
            self.inspector_panel,
            (self.source_view, self.output_view),
            avoid=[self.panel_docks.kernel_dock],
        )
        self.hover_readout = HoverReadout(state, (self.source_view, self.output_view))

        self.source_menu = SourceMenu(self, state, worker, settings)
        self.tour = StartTour(self, settings, lambda: tour_steps(self))
        self._build_menus_and_toolbar()
        self.status = StatusLine(self.statusBar(), worker)
        self.source_menu.show_status = self.status.show_message
        self.source_messages = SourceMessages(worker, self.banner, self.status, self.source_menu)
        self._connect()
        self._restore_layout()
        self.live_demand = LiveDemand(self)

    @property
    def source_info(self) -> SourceInfo | None:
        """What is known about the source on show (None before the first one opened)."""
        return self.status.info

    # ----------------------------------------------------------------------------- building
    def _fit_to_screen(self) -> None:
        """Nearly the whole screen (a projector's full HD included), less room for a title bar
        and a desktop panel; very large screens get a window of a sensible size."""
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        if room is not None and room.width() > 200:
            self.resize(min(2400, room.width() - 40), min(1400, room.height() - 60))
        else:
            self.resize(1500, 920)

    def _build_playground(self) -> QWidget:
        """The first tab: banner, the input/output comparison and the display controls."""
        playground = QWidget()
        playground.setObjectName("playground")
        column = QVBoxLayout(playground)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.compare, 1)
        self.video_controls = VideoControls()
        column.addWidget(self.video_controls)
        self.output_controls = OutputDisplayControls(self.state)
        self.output_controls.setMaximumHeight(150)
        column.addWidget(self.output_controls)
        return playground

    @property
    def tab_panels(self) -> list[QWidget]:
        """The teaching tabs' panels, in tab order (each is made the first time it is needed:
        asking for all of them makes them all)."""
        return self.teaching.panels()

    @property
    def training_tab(self) -> QWidget:
        return self.teaching.panel(TRAIN)

    def _teaching_panel_built(self, index: int, panel: QWidget) -> None:
        """A teaching tab was just made: wire what the window needs from it."""
        uses = getattr(panel, "editorKernelUse", None)
        if uses is not None:  # a tab's page can take up or drop the editor's kernel
            uses.connect(lambda _uses: self._tab_changed(self.tabs.currentIndex()))
        if index == TRAIN:
            LiveClassificationOverlay.attach(self.source_view, panel.liveClassification)

    def _build_menus_and_toolbar(self) -> None:
        self.mode_actions, fit = build_menus(
            self,
            source_menu=self.source_menu.menu,
            undo_stack=self.state.undo_stack,
            docks=self.docks,
            set_compare_mode=self.set_compare_mode,
            fit_image=self.compare.source_view.fit,
            reset_layout=self.reset_layout,
        )
        self.help_menu = build_help_menu(
            self, start_tour=self.tour.start, context_help=self.show_context_help
        )
        self.mode_combo = build_toolbar(
            self,
            source_actions=self.source_menu.toolbar_actions(),
            undo_stack=self.state.undo_stack,
            fit=fit,
            set_compare_mode=self.set_compare_mode,
        )

    def _connect(self) -> None:
        state, worker = self.state, self.worker
        self.tabs.currentChanged.connect(self._tab_changed)
        state.pipelineChanged.connect(worker.set_pipeline)
        state.pipelineChanged.connect(self._pipeline_changed)
        state.message.connect(self.show_message)
        state.inspectedPixelChanged.connect(lambda _pos: self._update_overlays())
        state.inspectedPixelChanged.connect(
            lambda pos: pos is not None and self.tour.happened("pixel_inspected")
        )
        state.kernelChanged.connect(lambda _kernel: self.tour.happened("kernel_edited"))
        worker.resultAvailable.connect(self._display_next_result)
        worker.sourceOpened.connect(self._source_opened)
        self.source_menu.freeze_action.toggled.connect(self._show_frozen)
        self.video_controls.playToggled.connect(self._play_video)
        self.video_controls.seekRequested.connect(worker.seek)
        worker.pipelineFailed.connect(self._pipeline_failed)
        worker.notice.connect(lambda text: self.show_message(text, "info"))
        self.compare.pixelClicked.connect(lambda r, c: state.set_inspected_pixel((r, c)))
        self.compare.hovered.connect(self._hover)

    def reset_layout(self) -> None:
        """Put the docks back where they start (after one was closed or floated away)."""
        self.restoreState(self._default_layout)
        self.panel_docks.show_all()

    def _restore_layout(self) -> None:
        self._default_layout = self.saveState()
        geometry = self.settings.get("window/geometry")
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        layout = self.settings.get("window/state")
        if layout:
            self.restoreState(QByteArray(layout))
        self.set_compare_mode(self.settings.get("view/compare_mode"))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.tour.start_if_first_run()

    # ----------------------------------------------------------------------------- behaviour
    def set_compare_mode(self, mode: str) -> None:
        self.compare.set_mode(mode)
        for name, action in self.mode_actions.items():
            action.setChecked(name == mode)
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode))
        self.settings.set("view/compare_mode", mode)

    def show_message(self, text: str, level: str = "info") -> None:
        """Routine messages go to the banner and the status bar; never a modal dialog."""
        self.banner.show_message(text, level)
        self.status.show_message(text)

    def show_context_help(self) -> None:
        """F1: the help of the panel that has the focus, else of the tab on show, else the
        general help."""
        widget = QApplication.focusWidget()
        while widget is not None:
            title = getattr(widget, "HELP_TITLE", None)
            html = getattr(widget, "HELP_HTML", None)
            if title and html:
                show_help(self, title, html)
                return
            widget = widget.parentWidget()
        # Clicking a tab leaves the focus on the tab's scroll area, outside the panel: the
        # help then belongs to the tab on show (the Playground tab has the general help).
        tab = self.tabs.currentIndex()
        if tab > 0:
            panel = self.teaching.panel(tab - 1)
            title = getattr(panel, "HELP_TITLE", None)
            html = getattr(panel, "HELP_HTML", None)
            if title and html:
                show_help(self, title, html)
                return
        show_help(self, "ConvLab", _GENERAL_HELP)

    def _pipeline_failed(self, text: str) -> None:
        """The current settings cannot run (say why); taken back once a result comes."""
        self._pipeline_failure = text
        self.show_message(text, "error")

    def _display_next_result(self) -> None:
        result = self.worker.take_result()
        if result is None:
            return
        started = time.perf_counter()
        pipeline = self.state.pipeline
        self.compare.show_result(result.frame, *self._output_picture(result, pipeline))
        self.compare.set_output_name(output_name(result))
        resized = self.last_result is None or self.last_result.frame.shape != result.frame.shape
        self.last_result = result
        if resized:  # the outline is in this frame's coordinates
            self._update_overlays()
        self.state.publish_result(result)
        if self._pipeline_failure is not None and result.generation == pipeline.generation:
            self.banner.discard(self._pipeline_failure)  # the settings work again
            self._pipeline_failure = None
        self.displayed_frames += 1
        self._display_ms = (time.perf_counter() - started) * 1000.0
        self.status.frame_displayed(result.filter_ms, self._display_ms)
        if self.video_controls.isVisible():
            self.video_controls.show_position(self.worker.frame_index)
        if self._hovered is not None:
            self._hover(self._hovered)

    def _output_picture(self, result: PipelineResult, pipeline: Pipeline):
        """The picture for the output view: the main output, or a selected bank map."""
        height, width = result.frame.shape[:2]
        if result.selected is not None:  # a feature map shown large, stretched over the frame
            return result.selected.image, QRectF(0, 0, width, height)
        conv = pipeline.conv
        rect = place_output(
            (height, width),
            result.output_image.shape[:2],
            pipeline.kernel.shape,
            padding=conv.padding,
            stride=conv.stride,
            dilation=conv.dilation,
        )
        return result.output_image, rect

    def _pipeline_changed(self, _pipeline: Pipeline) -> None:
        self._update_overlays()

    def _update_overlays(self) -> None:
        """Outline the window the inspector explains: the output pixel drawn over the
        inspected pixel (``nearest_output_pixel``) and the input taps it reads, under the
        current padding, stride and dilation (the same functions the inspector uses)."""
        position = self.state.inspected_pixel
        frame_shape = None if self.last_result is None else self.last_result.frame.shape[:2]
        if position is None or frame_shape is None:
            self.source_view.show_receptive_field(position)
            self.output_view.mark_pixel(position)
            self.inspector_card.show_window(None)
            return
        conv = self.state.pipeline.conv
        kernel_shape = self.state.pipeline.kernel.shape
        geometry = {"padding": conv.padding, "stride": conv.stride, "dilation": conv.dilation}
        output_pixel = nearest_output_pixel(position, frame_shape, kernel_shape, **geometry)
        if output_pixel is None:  # the kernel does not fit: no window to outline
            self.source_view.show_receptive_field(position, None)
            self.output_view.mark_pixel(position)
            self.inspector_card.show_window(QRectF(position[1], position[0], 1, 1))
            return
        taps = window_taps(*output_pixel, kernel_shape, **geometry)
        rows, cols = taps
        self.inspector_card.show_window(
            QRectF(
                float(min(cols)),
                float(min(rows)),
                float(max(cols) - min(cols) + 1),
                float(max(rows) - min(rows) + 1),
            )
        )
        ring = padding_amounts(kernel_shape, conv.padding, conv.dilation)
        self.source_view.show_receptive_field(position, taps, ring)
        extent = output_shape(frame_shape, kernel_shape, **geometry)
        placed = place_output(frame_shape, extent[:2], kernel_shape, **geometry)
        self.output_view.mark_pixel(
            position,
            QRectF(
                placed.left() + output_pixel[1] * conv.stride,
                placed.top() + output_pixel[0] * conv.stride,
                conv.stride,
                conv.stride,
            ),
        )

    def _source_opened(self, info: SourceInfo) -> None:
        inspected = self.state.inspected_pixel
        if inspected is not None and not (
            0 <= inspected[0] < info.height and 0 <= inspected[1] < info.width
        ):
            self.state.set_inspected_pixel(None)  # that pixel is not in the new picture
        self._show_frozen(self.source_menu.freeze_action.isChecked())
        seekable = not info.is_live and not info.is_still
        self.video_controls.set_video(info.frame_count if seekable else 0, info.fps)

    def _show_frozen(self, frozen: bool) -> None:
        """Freeze is marked on the pictures themselves; a video file is paused."""
        info = self.source_info
        video = info is not None and not info.is_live and not info.is_still
        text = ("Paused · Space: play" if video else "Frozen · Space: live") if frozen else None
        self.compare.set_badge(text)
        self.video_controls.set_playing(not frozen)

    def _play_video(self, play: bool) -> None:
        """Play / Pause under a video is the Freeze action (Space) by another name."""
        freeze = self.source_menu.freeze_action
        if freeze.isChecked() == play:
            freeze.trigger()

    def _hover(self, position: tuple[int, int] | None) -> None:
        self._hovered = position
        result = self.last_result
        self.hover_readout.hover(position, result)
        if position is None or result is None:
            self.status.show_hover(None)
            return
        row, col = position
        source = format_value(result.frame, row, col)
        values, rect = result.output, self._output_picture(result, self.state.pipeline)[1]
        if result.selected is not None:
            values = result.selected.values
        # the output pixel drawn over this source pixel (strides, valid padding, pooled maps)
        out_row = int(np.floor((row + 0.5 - rect.top()) * values.shape[0] / rect.height()))
        out_col = int(np.floor((col + 0.5 - rect.left()) * values.shape[1] / rect.width()))
        output = format_value(values, out_row, out_col)
        self.status.show_pixel(row, col, source, output)

    # ----------------------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event) -> None:
        if self.source_menu.can_open(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        if self.source_menu.open_mime(event.mimeData()):
            event.acceptProposedAction()

    # ----------------------------------------------------------------------------- closing
    def closeEvent(self, event: QCloseEvent) -> None:
        report = partial(self.show_message, level="error")
        training = self.teaching.training_tab_if_built()
        if training is not None and not unsaved_network.keep_unsaved_network(
            self, training, self.settings.path, report
        ):
            event.ignore()
            return
        # one budget for all that still runs: nothing waits a second of its own in turn
        deadline = time.monotonic() + background_jobs.CLOSE_BUDGET_S
        self.save_settings()
        if training is not None:
            training.shutdown(deadline)
        for panel in self._panels():
            shutdown = getattr(panel, "shutdown", None)
            if shutdown is not None and panel is not training:
                shutdown()
        background_jobs.finish(deadline - time.monotonic())  # exports and saves, not lookups
        self.source_menu.shutdown(timeout=max(0.1, deadline - time.monotonic()))
        self.status.stop()
        self.live_demand.timer.stop()
        self.worker.stop(timeout=max(0.1, deadline - time.monotonic()))
        super().closeEvent(event)

    def _tab_changed(self, index: int) -> None:
        self.panel_docks.tab_shown(index == 0, self._kernel_acts(index))
        self.inspector_card.set_enabled(index == 0)
        self.status.pictures_shown(index == 0)

    def _kernel_acts(self, index: int) -> bool:
        """Whether the Kernel panel's kernel is what tab ``index`` works with."""
        if index <= 0:
            return True
        uses = getattr(self.teaching.panel(index - 1), "uses_editor_kernel", None)
        return uses is None or bool(uses())

    def save_settings(self) -> None:
        self._tab_changed(0)  # the saved layout is the playground's
        self.settings.set("window/geometry", bytes(self.saveGeometry().data()))
        self.settings.set("window/state", bytes(self.saveState().data()))
        self.settings.set("playground/state", self.state.to_dict())
        self.settings.sync()

    def _panels(self) -> list[QWidget]:
        built = self.teaching.built_panels()
        return [self.kernel_panel, self.inspector_panel, self.maps_panel, *built]

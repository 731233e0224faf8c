"""The main window: composes the panels, menus, toolbar, docks and status bar.

It owns no model state. It wires ``state`` to the filter worker (every new pipeline goes to the
worker; every result the worker hands back is displayed and published), turns clicks into the
inspected pixel, and shows ``state.message`` in a banner that never blocks the window.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QEvent, QObject, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from convlab.engine.convolve import output_shape, padding_amounts
from convlab.engine.explain import nearest_output_pixel, window_taps
from convlab.engine.pipeline import Pipeline, PipelineResult
from convlab.errors import ConvlabError
from convlab.ui.help import show_help
from convlab.ui.kernel.panel import KernelEditorPanel
from convlab.ui.maps.panel import FeatureMapsPanel
from convlab.ui.playground.compare_view import COMPARE_MODES, CompareView, output_name
from convlab.ui.playground.output_controls import OutputDisplayControls
from convlab.ui.settings import Settings
from convlab.ui.shell.banner import MessageBanner
from convlab.ui.shell.source_menu import SourceMenu
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.inspector import (
    ArithmeticPanel,
    KernelLabPanel,
    PixelInspectorPanel,
    WhyCnnPanel,
)
from convlab.ui.threads.filter_worker import FilterWorker, SourceInfo
from convlab.ui.training.live_overlay import LiveClassificationOverlay
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import AUTOSAVE_NAME as WEBCAM_CLASSES_FILE
from convlab.ui.training.webcam import WebcamClasses
from convlab.ui.widgets.image_view import format_value, place_output

WINDOW_TITLE = "ConvLab — convolution playground"
_HOVER_HINT = "Hover to read pixel values · click or Shift+move to inspect"
_GENERAL_HELP = (
    "<p><b>ConvLab</b> slides a small grid of weights (the <i>kernel</i>) over a picture. "
    "Every output pixel is the weighted sum of the input pixels under the grid.</p>"
    "<ul><li>Edit the numbers in the <b>Kernel</b> panel and watch the <b>Output</b>.</li>"
    "<li>Click a pixel (or hold Shift and move the mouse) to see its multiply-add in the "
    "<b>Pixel inspector</b>; the input view outlines the pixels it reads.</li>"
    "<li><b>Feature maps</b> run a bank of kernels at once, as one CNN layer does.</li>"
    "<li>The <b>Train</b> tab learns kernels from examples.</li></ul>"
    "<p>Space freezes a live source; Ctrl+O opens a file; Ctrl+Z undoes an edit.</p>"
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
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        if room is not None and room.width() > 200:
            self.resize(min(1500, room.width() - 40), min(920, room.height() - 60))
        else:
            self.resize(1500, 920)
        self.source_info: SourceInfo | None = None
        self.last_result: PipelineResult | None = None
        self.displayed_frames = 0
        self._display_times: deque[float] = deque(maxlen=30)
        self._display_ms = 0.0
        self._hovered: tuple[int, int] | None = None

        self.banner = MessageBanner()
        self.compare = CompareView()
        self.source_view = self.compare.source_view
        self.output_view = self.compare.output_view
        playground = QWidget()
        playground.setObjectName("playground")
        column = QVBoxLayout(playground)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.compare, 1)
        self.output_controls = OutputDisplayControls(state)
        self.output_controls.setMaximumHeight(150)
        column.addWidget(self.output_controls)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(playground, "Playground")
        # captured webcam classes live next to the settings, so CONVLAB_SETTINGS isolates them
        classes = WebcamClasses(settings.path.with_name(WEBCAM_CLASSES_FILE), parent=self)
        self.training_tab = TrainingTab(state, webcam_classes=classes)
        self.tab_panels = [
            ArithmeticPanel(state),
            WhyCnnPanel(state),
            KernelLabPanel(state),
            self.training_tab,
        ]
        titles = ("Arithmetic", "Why CNNs?", "Kernel lab", "Train")
        for panel, title in zip(self.tab_panels, titles):
            self.tabs.addTab(_scrollable(panel), title)
        self.setCentralWidget(self.tabs)

        self.kernel_panel = KernelEditorPanel(state)
        self.inspector_panel = PixelInspectorPanel(state)
        self.maps_panel = FeatureMapsPanel(state)
        self.docks = [
            self._dock("Kernel", self.kernel_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            self._dock(
                "Pixel inspector", self.inspector_panel, Qt.DockWidgetArea.RightDockWidgetArea
            ),
            self._dock("Feature maps", self.maps_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
        ]
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self._size_docks()
        LiveClassificationOverlay.attach(self.source_view, self.training_tab.liveClassification)
        self._docks_put_away: list[QDockWidget] | None = None
        self._lost_text: str | None = None
        self._failures: dict[str, object] = {}  # open-failure message -> the source it names

        self.source_menu = SourceMenu(self, state, worker, settings)
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self._connect()
        self._restore_layout()

    # ----------------------------------------------------------------------------- building
    def _dock(self, title: str, panel: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        """A dock whose panel scrolls when squeezed: the side panels' natural heights add up
        to more than a 768-pixel laptop screen, and a dock's minimum would set the window's."""
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "") + "Dock")
        dock.setWidget(_SqueezableDockPanel(panel))
        self.addDockWidget(area, dock)
        return dock

    def _size_docks(self) -> None:
        """Starting split of the right column: the kernel editor whole when the window is
        tall enough, otherwise as much of it as leaves the inspector its header and a few
        lines (its panel scrolls); the feature maps get one row of tiles."""
        kernel_height = self.kernel_panel.minimumSizeHint().height() + 8
        column = self.height() - 140  # less menu bar, toolbar, status bar and dock titles
        inspector_height = max(180, min(330, column - kernel_height))
        self.resizeDocks(
            self.docks[:2], [max(kernel_height, 470), inspector_height], Qt.Orientation.Vertical
        )
        maps_height = max(230, int(0.3 * self.height()))  # a row of tiles, more when tall
        self.resizeDocks([self.docks[2]], [maps_height], Qt.Orientation.Vertical)

    def _build_menus_and_toolbar(self) -> None:
        menus = self.menuBar()
        menus.addMenu(self.source_menu.menu)
        edit = menus.addMenu("&Edit")
        undo = self.state.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.state.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addActions([undo, redo])

        view = menus.addMenu("&View")
        self.mode_actions: dict[str, QAction] = {}
        for mode, label in COMPARE_MODES.items():
            action = view.addAction(label)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, m=mode: self.set_compare_mode(m))
            self.mode_actions[mode] = action
        view.addSeparator()
        fit = view.addAction("&Fit image to view", self.compare.source_view.fit)
        fit.setShortcut(QKeySequence("Ctrl+0"))
        view.addSeparator()
        for dock in self.docks:
            view.addAction(dock.toggleViewAction())
        view.addAction("&Reset panel layout", self.reset_layout)

        help_menu = menus.addMenu("&Help")
        help_action = help_menu.addAction("&What am I looking at?", self.show_context_help)
        help_action.setShortcut(QKeySequence.StandardKey.HelpContents)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions(self.source_menu.toolbar_actions())
        toolbar.addSeparator()
        # The toolbar's own undo/redo keep a short fixed label (the Edit menu's say which step:
        # "Undo Set cell (2, 2) to 4" would shift the whole toolbar on every edit).
        toolbar.addAction(_HistoryAction(self.state.undo_stack, redo=False, parent=self))
        toolbar.addAction(_HistoryAction(self.state.undo_stack, redo=True, parent=self))
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Compare: "))
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("compareMode")
        for mode, label in COMPARE_MODES.items():
            self.mode_combo.addItem(label, mode)
        self.mode_combo.activated.connect(
            lambda index: self.set_compare_mode(self.mode_combo.itemData(index))
        )
        toolbar.addWidget(self.mode_combo)
        toolbar.addAction(fit)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.source_label = QLabel("No source")
        self.rate_label = QLabel("")
        self.timing_label = QLabel("")
        self.hover_label = QLabel(_HOVER_HINT)
        for label in (self.source_label, self.rate_label, self.timing_label, self.hover_label):
            label.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(label)
        # fixed widths: a long file name or value is cut, it never widens the window
        self.source_label.setFixedWidth(250)
        self.rate_label.setFixedWidth(100)
        self.timing_label.setFixedWidth(210)
        self.hover_label.setFixedWidth(380)
        self.source_label.setToolTip("The source: name, size (width x height), kind")
        self.timing_label.setToolTip("Milliseconds per frame: filtering (worker), display (GUI)")
        self.hover_label.setToolTip("The pixel under the mouse: its value in the input and output")
        self._status_timer = QTimer(self, interval=500, timeout=self._update_rates)
        self._status_timer.start()

    def _connect(self) -> None:
        state, worker = self.state, self.worker
        self.tabs.currentChanged.connect(self._tab_changed)
        state.pipelineChanged.connect(worker.set_pipeline)
        state.pipelineChanged.connect(self._pipeline_changed)
        state.message.connect(self.show_message)
        state.inspectedPixelChanged.connect(lambda _pos: self._update_overlays())
        worker.resultAvailable.connect(self._display_next_result)
        worker.sourceOpened.connect(self._source_opened)
        worker.sourceFailed.connect(self._source_failed)
        worker.sourceLost.connect(self._source_lost)
        worker.pipelineFailed.connect(lambda text: self.show_message(text, "error"))
        worker.notice.connect(lambda text: self.show_message(text, "info"))
        self.compare.pixelClicked.connect(lambda r, c: state.set_inspected_pixel((r, c)))
        self.compare.hovered.connect(self._hover)

    def reset_layout(self) -> None:
        """Put the docks back where they start (after one was closed or floated away)."""
        self.restoreState(self._default_layout)
        for dock in self.docks:
            dock.show()

    def _restore_layout(self) -> None:
        self._default_layout = self.saveState()
        geometry = self.settings.get("window/geometry")
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        layout = self.settings.get("window/state")
        if layout:
            self.restoreState(QByteArray(layout))
        self.set_compare_mode(self.settings.get("view/compare_mode"))

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
        self.statusBar().showMessage(text, 8000)

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
            panel = self.tab_panels[tab - 1]
            title = getattr(panel, "HELP_TITLE", None)
            html = getattr(panel, "HELP_HTML", None)
            if title and html:
                show_help(self, title, html)
                return
        show_help(self, "ConvLab", _GENERAL_HELP)

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
        self.displayed_frames += 1
        now = time.perf_counter()
        self._display_ms = (now - started) * 1000.0
        self._display_times.append(now)
        self._filter_ms = result.filter_ms
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
            return
        conv = self.state.pipeline.conv
        kernel_shape = self.state.pipeline.kernel.shape
        geometry = {"padding": conv.padding, "stride": conv.stride, "dilation": conv.dilation}
        output_pixel = nearest_output_pixel(position, frame_shape, kernel_shape, **geometry)
        if output_pixel is None:  # the kernel does not fit: no window to outline
            self.source_view.show_receptive_field(position, None)
            self.output_view.mark_pixel(position)
            return
        taps = window_taps(*output_pixel, kernel_shape, **geometry)
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
        self.source_info = info
        inspected = self.state.inspected_pixel
        if inspected is not None and not (
            0 <= inspected[0] < info.height and 0 <= inspected[1] < info.width
        ):
            self.state.set_inspected_pixel(None)  # that pixel is not in the new picture
        kind = "live" if info.is_live else "still" if info.is_still else "video"
        size = f"{info.width}x{info.height}"
        if info.preview_of is not None:
            size += f" (preview of {info.preview_of[1]}x{info.preview_of[0]})"
        self.source_label.setText(f"{info.name} · {size} · {kind}")
        self.source_label.setToolTip(f"{info.spec}")
        self.statusBar().showMessage(f"Opened {info.name}", 4000)
        # Stale now: the lost source's warning, or "could not be opened" about this very
        # source (a camera reconnected too early, then plugged back in and opened).
        if self._lost_text is not None:
            self.banner.discard(self._lost_text)
        for text, spec in self._failures.items():
            if _same_source(spec, info.spec):
                self.banner.discard(text)
        self._failures.clear()

    def _source_failed(self, spec: object, text: str) -> None:
        self._failures[text] = spec
        self.show_message(text, "error")

    def _source_lost(self, text: str) -> None:
        self._lost_text = f"{text} — the last frame stays on screen."
        self.banner.show_message(
            self._lost_text,
            "warning",
            action=("Reconnect", self.worker.reconnect),
        )
        self.statusBar().showMessage(text, 8000)

    def _update_rates(self) -> None:
        times = self._display_times
        info = self.source_info
        if info is not None and info.is_still:
            self.rate_label.setText("still image")
        elif self.worker.frozen:
            self.rate_label.setText("frozen (Space: live)")
        elif len(times) >= 2 and time.perf_counter() - times[-1] < 1.0:
            fps = (len(times) - 1) / (times[-1] - times[0])
            self.rate_label.setText(f"{fps:5.1f} fps")
        else:
            self.rate_label.setText("waiting for frames" if info else "")
        if self.last_result is not None:
            self.timing_label.setText(
                f"filter {self.last_result.filter_ms:.1f} ms · display {self._display_ms:.1f} ms"
            )

    def _hover(self, position: tuple[int, int] | None) -> None:
        self._hovered = position
        result = self.last_result
        if position is None or result is None:
            self.hover_label.setText(_HOVER_HINT)
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
        self.hover_label.setText(f"row {row}, col {col}: in {source} → out {output}")

    # ----------------------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event) -> None:
        if self.source_menu.can_open(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        if self.source_menu.open_mime(event.mimeData()):
            event.acceptProposedAction()

    # ----------------------------------------------------------------------------- closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._keep_unsaved_network():
            event.ignore()
            return
        self.save_settings()
        for panel in self._panels():
            shutdown = getattr(panel, "shutdown", None)
            if shutdown is not None:
                shutdown()
        self.source_menu.shutdown()
        self._status_timer.stop()
        self.worker.stop(timeout=1.0)
        super().closeEvent(event)

    def _keep_unsaved_network(self) -> bool:
        """A trained network nobody saved: ask where to save it, or keep a recovery copy.

        Headless runs (tests, scripted checks) and a hidden window are never asked: the
        network goes to ``recovered-network.npz`` next to the settings, so nothing is lost
        and nothing blocks. False means the person cancelled the quit.
        """
        tab = self.training_tab
        if not getattr(tab, "has_unsaved_model", lambda: False)():
            return True
        tab.stop()
        interactive = self.isVisible() and QGuiApplication.platformName() not in (
            "offscreen",
            "minimal",
        )
        target = self.settings.path.with_name("recovered-network.npz")
        if interactive:
            buttons = (
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel
            )
            answer = QMessageBox.question(
                self, "Quit ConvLab", "The network you trained is not saved. Save it first?",
                buttons, QMessageBox.StandardButton.Save,
            )  # fmt: skip
            if answer == QMessageBox.StandardButton.Cancel:
                return False
            if answer == QMessageBox.StandardButton.Discard:
                return True
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the trained network", str(Path.home() / "convlab-network.npz"),
                "Networks (*.npz)",
            )  # fmt: skip
            if not path:
                return False
            target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tab.save_model(target)
        except ConvlabError as error:
            self.show_message(str(error), "error")
            return not interactive
        return True

    def _tab_changed(self, index: int) -> None:
        """The teaching tabs get the room of the playground-only docks; the Kernel stays."""
        playground_only = self.docks[1:]  # pixel inspector, feature maps
        if index != 0 and self._docks_put_away is None:
            self._docks_put_away = [dock for dock in playground_only if not dock.isHidden()]
            for dock in self._docks_put_away:
                dock.hide()
        elif index == 0 and self._docks_put_away is not None:
            for dock in self._docks_put_away:
                dock.show()
            self._docks_put_away = None

    def save_settings(self) -> None:
        self._tab_changed(0)  # the saved layout is the playground's
        self.settings.set("window/geometry", bytes(self.saveGeometry().data()))
        self.settings.set("window/state", bytes(self.saveState().data()))
        self.settings.set("playground/state", self.state.to_dict())
        self.settings.sync()

    def _panels(self) -> list[QWidget]:
        return [self.kernel_panel, self.inspector_panel, self.maps_panel, *self.tab_panels]


def _scrollable(panel: QWidget) -> QScrollArea:
    """A teaching tab in a scroll area: its minimum size must not set the window's."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(panel)
    return area


class _SqueezableDockPanel(QScrollArea):
    """A side panel that scrolls up and down when its dock is shorter than the panel's
    minimum height, so the docks' minimums never set the window's (the kernel editor and the
    pixel inspector together need more than a 768-pixel laptop screen has).

    QScrollArea's own resizing follows the height-for-width of wrapped labels, which is the
    panel's *preferred* height: it would scroll even with room to spare. Here the panel gets
    exactly the viewport, or its minimum where the viewport is smaller.
    """

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"{panel.objectName() or type(panel).__name__}Scroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(panel)
        panel.installEventFilter(self)
        self.setMinimumWidth(panel.minimumSizeHint().width() + self._bar_width())

    def _bar_width(self) -> int:
        return self.verticalScrollBar().sizeHint().width()

    def sizeHint(self) -> QSize:
        hint = self.widget().sizeHint()
        return QSize(hint.width() + self._bar_width(), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.minimumWidth(), 60)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self._fit)  # after the panel's layout has settled
        return super().eventFilter(watched, event)

    def _fit(self) -> None:
        panel = self.widget()
        if panel is None:
            return
        minimum = panel.minimumSizeHint().expandedTo(panel.minimumSize())
        if self.minimumWidth() != minimum.width() + self._bar_width():  # e.g. a wider kernel
            self.setMinimumWidth(minimum.width() + self._bar_width())
        needs_bar = self.height() < minimum.height()
        width = self.width() - (self._bar_width() if needs_bar else 0)
        panel.resize(max(width, minimum.width()), max(self.height(), minimum.height()))


class _HistoryAction(QAction):
    """Undo or redo for the toolbar: a short fixed label (the Edit menu's say which step,
    and "Undo Set cell (2, 2) to 4" would shift the whole toolbar on every edit), with the
    step in its tooltip. Bound to the undo stack itself; a QAction subclass, so its slots
    are methods Qt disconnects when the action goes."""

    def __init__(self, stack: QUndoStack, *, redo: bool, parent: QWidget) -> None:
        super().__init__("Redo" if redo else "Undo", parent)
        self._verb, self._keys = ("Redo", "Ctrl+Shift+Z") if redo else ("Undo", "Ctrl+Z")
        self.triggered.connect(stack.redo if redo else stack.undo)
        (stack.canRedoChanged if redo else stack.canUndoChanged).connect(self.setEnabled)
        (stack.redoTextChanged if redo else stack.undoTextChanged).connect(self.show_step)
        self.setEnabled(stack.canRedo() if redo else stack.canUndo())
        self.show_step(stack.redoText() if redo else stack.undoText())

    def show_step(self, step: str) -> None:
        self.setToolTip(f"{self._verb} {step} ({self._keys})" if step else self._verb)


def _same_source(a: object, b: object) -> bool:
    """Camera indices compare as numbers, files as resolved paths."""
    if isinstance(a, (int, str)) and isinstance(b, (int, str)) and type(a) is type(b):
        if isinstance(a, str):
            return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
        return a == b
    return False

"""The feature-map panel: one frame seen through a bank of kernels, like a CNN layer sees it.

Each kernel of ``state.bank`` gets a tile with its map, its kernel as a tiny coloured grid and
its name; the grid of tiles reflows to fill the dock. Optional stages after the convolution
(ReLU, 2x2 max-pool) show the conv -> ReLU -> pool structure of a CNN layer, with the map size
after each stage; "combine" adds the gradient magnitude of the first two maps.

Tiles are rebuilt only when the bank changes (``bankChanged``); every displayed frame just
hands each tile its new pixels (``resultReady``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from convlab.engine.bank_presets import BANK_PRESETS
from convlab.engine.export import EXPORT_FORMATS, export_feature_maps
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import COMBINED_MAP, MAX_BANK_SIZE, PipelineResult
from convlab.engine.tile_plan import TILE_SPACING, TilePlan, plan_tiles
from convlab.ui.help import help_button, picture
from convlab.ui.maps.export_actions import ExportRunner
from convlab.ui.maps.tile import COMBINED_INDEX, MapTile
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.display_controls import DisplayControls
from convlab.ui.widgets.flow_layout import FlowLayout, flow_group

DEFAULT_ASPECT = 0.75  # height / width of a map before the first frame arrives

EMPTY_TEXT = (
    "<b>No feature maps yet.</b><br>Press <b>＋ Add kernel</b> (the editor's kernel), or pick a "
    "<b>Preset bank</b> (try the Edge bank) to see how several kernels see the same frame."
)


# (value, label) of the map-scale choice; the values are Pipeline.map_scale's.
MAP_SCALE_CHOICES = (
    ("auto", "Auto"),
    ("full", "Full frame"),
    ("preview", "Preview"),
)
MAP_SCALE_TIP = (
    "Where the maps are computed.\n"
    "Full frame: on the frame itself, so each kernel acts at the same scale as in the output "
    "view (the tiles show the map reduced).\n"
    "Preview: on a copy shrunk to the tile size: cheaper, but a small kernel then acts on "
    "coarser detail than in the output view.\n"
    "Auto: full frame wherever the whole frame still runs at 20 fps or more on this computer."
)


def scale_text(result: PipelineResult) -> str:
    """What the tiles show, e.g. ``maps at full scale (1280×720)`` or ``maps on a 480×270
    preview``."""
    if result.maps_size is None:
        return ""
    height, width = result.maps_size
    if result.maps_full_scale:
        return f"maps at full scale ({width}×{height})"
    return f"maps on a {width}×{height} preview"


def stage_sizes(height: int, width: int, *, relu: bool, pool: bool) -> str:
    """The map size after each stage, e.g. ``conv 1280×720 → ReLU 1280×720 → pool 640×360``."""
    parts = [f"conv {width}×{height}"]
    if relu:
        parts.append(f"ReLU {width}×{height}")
    if pool:
        parts.append(f"max-pool 2×2 {width // 2}×{height // 2}")
    return " → ".join(parts)


class _TileGrid(QWidget):
    """The tiles in a centred grid whose column count and tile size follow the visible area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: list[MapTile] = []
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(TILE_SPACING)
        # Room the tiles do not need is shared out around the grid, never stretched into it.
        self._layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plan: TilePlan | None = None

    @property
    def columns(self) -> int:
        return self.plan.columns if self.plan is not None else 0

    def set_tiles(self, tiles: list[MapTile]) -> None:
        for tile in self.tiles:
            self._layout.removeWidget(tile)
            tile.deleteLater()
        self.tiles = tiles
        self.plan = None

    def arrange(self, width: int, height: int, aspect: float, scrollbar: int) -> TilePlan | None:
        """Size and place the tiles for an area of width x height (only when that changes)."""
        if not self.tiles:
            return None
        plan = plan_tiles(len(self.tiles), width, height, aspect, self.tiles[0].chrome(), scrollbar)
        plan = self._room_for_names(plan, width)
        if plan == self.plan:
            return plan
        for tile in self.tiles:
            tile.set_compact(plan.compact)
            tile.setFixedSize(plan.tile_width, plan.tile_height)
        if self.plan is None or plan.columns != self.plan.columns:
            for tile in self.tiles:
                self._layout.removeWidget(tile)
            for index, tile in enumerate(self.tiles):
                self._layout.addWidget(tile, index // plan.columns, index % plan.columns)
        self.plan = plan
        return plan

    def _room_for_names(self, plan: TilePlan, width: int) -> TilePlan:
        """Named tiles in a row with room to spare grow wider (their maps keep their size)
        until the longest name shows whole: "Sobel, vertical edges", not "Sobel, v…"."""
        if plan.scrolls:
            return plan
        room = (width - TILE_SPACING * (plan.columns - 1)) // plan.columns
        wider = min(max(tile.name_width(plan.compact) for tile in self.tiles), room)
        return replace(plan, tile_width=wider) if wider > plan.tile_width else plan


class FeatureMapsPanel(QWidget):
    """A bank of up to 16 kernels on the same frame, with CNN stages, display and export."""

    HELP_TITLE = "Feature maps"
    HELP_HTML = (
        "<p>A CNN layer runs a <b>bank</b> of kernels on the same picture; each makes one "
        "<b>feature map</b>. One tile per kernel, its weights in the corner (red +, blue −).</p>"
        + picture("maps.png", 480)
        + "<ul><li><b>ReLU</b> keeps the positive responses; <b>max-pool 2×2</b> halves the "
        "size: conv → ReLU → pool is one classic CNN layer.</li>"
        "<li><b>Combine</b>: √(map1² + map2²) of the first two maps (Sobel x and y: edges in "
        "any direction).</li>"
        "<li>Click a map to see it large; double-click to load its kernel; drag tiles to "
        "reorder.</li>"
        "<li><b>Scale</b>: <i>Full frame</i> filters the frame itself (as the output view), "
        "<i>Preview</i> a copy shrunk to the tile (cheaper, coarser); <i>Auto</i> picks. "
        "Export always writes full-resolution maps.</li></ul>"
    )

    exportFinished = Signal(list)  # the paths written by the last export

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featureMaps")
        self._state = state
        self._bank: tuple[Kernel, ...] = ()
        self._combined_tile: MapTile | None = None
        self._frame_shape: tuple[int, int] | None = None
        self._scale_text = ""
        self._aspect = DEFAULT_ASPECT
        self.exporter = ExportRunner(state, self)
        self.exporter.finished.connect(self.exportFinished)

        self._build_toolbar()
        status_row = self._build_status_row()
        self._build_tile_area()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(self._toolbar)
        layout.addLayout(status_row)
        layout.addWidget(self.stack, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        state.bankChanged.connect(self._bank_changed)
        state.settingsChanged.connect(self._settings_changed)
        state.resultReady.connect(self.show_result)
        self._rebuild()
        self._settings_changed()
        if state.latest_result is not None:
            self.show_result(state.latest_result)

    # ------------------------------------------------------------------------------ building
    def _build_status_row(self) -> QHBoxLayout:
        """The scale and stage sizes, what the maps show, and the buttons that act on them."""
        self.stage_label = QLabel(self)
        self.stage_label.setObjectName("stageSizes")
        self.stage_label.setToolTip(
            "The scale the tiles show, and the map size after each stage at the source's "
            "full resolution"
        )
        self.stage_label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.stage_label.setMinimumWidth(20)
        self.count_label = QLabel(self)
        status_row = QHBoxLayout()
        status_row.setContentsMargins(0, 0, 0, 0)
        status_row.setSpacing(16)  # the scale line and the display line read as two sentences
        status_row.addWidget(self.stage_label)
        status_row.addWidget(self.display_controls.choice_label, 1)
        # On the status line, not the wrapping toolbar: it costs no extra line of the dock.
        status_row.addWidget(
            flow_group(self, self.main_output_button, self.export_button, self._help_button)
        )
        status_row.addWidget(self.count_label)
        return status_row

    def _build_tile_area(self) -> None:
        """The tiles in a scroll area, or a hint while the bank is empty."""
        self.grid = _TileGrid()
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.grid)
        self.scroll.installEventFilter(self)
        self.empty_label = QLabel(EMPTY_TEXT, self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setObjectName("emptyBankHint")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.scroll)

    def _build_toolbar(self) -> None:
        self._build_bank_buttons()
        self._build_stage_controls()
        self._build_output_buttons()
        # One wrapping row of small groups: a narrow side dock gets two or three lines instead
        # of a panel as wide as all the controls put together.
        self._toolbar = FlowLayout(spacing=10)
        self._toolbar.addWidget(
            flow_group(self, self.add_button, self.presets_button, self.clear_button)
        )
        self._toolbar.addWidget(
            flow_group(
                self, QLabel("Stages:", self), self.relu_check, self.pool_check, self.combine_check
            )
        )
        self._toolbar.addWidget(flow_group(self, QLabel("Scale", self), self.scale_combo))
        self.display_controls = DisplayControls(self._state, "bank", self, switch=False)
        self._toolbar.addWidget(
            flow_group(self, QLabel("Show as", self), self.display_controls.mapping_group)
        )
        self._toolbar.addWidget(self.display_controls.colour_bar)
        self._toolbar.addWidget(self.display_controls.range_group)

    def _build_bank_buttons(self) -> None:
        self.add_button = self._button(
            "＋ Add kernel", "Add the kernel from the editor to the bank"
        )
        self.add_button.clicked.connect(self.add_current_kernel)
        self.presets_button = self._button("Preset banks", "Replace the bank with a ready-made one")
        self.presets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        presets_menu = QMenu(self.presets_button)
        for name, (_, description) in BANK_PRESETS.items():
            action = presets_menu.addAction(name, lambda n=name: self.load_preset(n))
            action.setToolTip(description)
            action.setStatusTip(description)
        presets_menu.setToolTipsVisible(True)
        self.presets_button.setMenu(presets_menu)
        self.clear_button = self._button("Clear", "Remove every kernel from the bank (undoable)")
        self.clear_button.clicked.connect(self.clear_bank)

    def _build_stage_controls(self) -> None:
        self.relu_check = QCheckBox("ReLU", self)
        self.relu_check.setToolTip("max(0, v) after the convolution: keep positive responses")
        self.pool_check = QCheckBox("Max-pool 2×2", self)
        self.pool_check.setToolTip("Keep the largest value of each 2×2 block: half the size")
        self.combine_check = QCheckBox("Combine |∇|", self)
        self.combine_check.setToolTip("Add √(map1² + map2²): gradient magnitude of the first two")
        self.scale_combo = QComboBox(self)
        self.scale_combo.setObjectName("mapScale")
        for value, label in MAP_SCALE_CHOICES:
            self.scale_combo.addItem(label, value)
        self.scale_combo.setToolTip(MAP_SCALE_TIP)
        self.scale_combo.currentIndexChanged.connect(
            lambda index: self._state.set_map_scale(self.scale_combo.itemData(index))
        )
        self.relu_check.toggled.connect(lambda on: self._state.set_stages(relu=on))
        self.pool_check.toggled.connect(lambda on: self._state.set_stages(pool=on))
        self.combine_check.toggled.connect(lambda on: self._state.set_stages(combine=on))

    def _build_output_buttons(self) -> None:
        self.main_output_button = self._button(
            "Show main output", "Show the main kernel's output in the output view again"
        )
        self.main_output_button.clicked.connect(lambda: self._state.select_map(None))
        self.export_button = self._button("Export", "Save the maps at full resolution")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        export_menu.addAction("Maps as PNG and .npy…", lambda: self._export_dialog(("png", "npy")))
        export_menu.addAction("Maps as PNG (as displayed)…", lambda: self._export_dialog(("png",)))
        export_menu.addAction("Maps as .npy (raw floats)…", lambda: self._export_dialog(("npy",)))
        self.export_button.setMenu(export_menu)

        self._help_button = help_button(self, self.HELP_TITLE, self.HELP_HTML)

    def _button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    def _rebuild(self) -> None:
        """New tiles for a new bank (never per frame)."""
        self._bank = self._state.bank
        count = len(self._bank)
        tiles = [MapTile(index, kernel, count) for index, kernel in enumerate(self._bank)]
        self._combined_tile = None
        if self._state.pipeline.combine and count >= 2:
            self._combined_tile = MapTile(COMBINED_INDEX, None, count)
            tiles.append(self._combined_tile)
        for tile in tiles:
            tile.clicked.connect(self._tile_clicked)
            tile.doubleClicked.connect(self._tile_double_clicked)
            tile.moveRequested.connect(self._move_requested)
            tile.removeRequested.connect(self._state.remove_from_bank)
            tile.exportRequested.connect(self._export_one)
        self.grid.set_tiles(tiles)
        self.stack.setCurrentWidget(self.scroll if tiles else self.empty_label)
        self._update_controls()
        self._update_stage_label()
        self._reflow()
        result = self._state.latest_result
        if result is not None:
            self.show_result(result)

    def _reflow(self) -> None:
        """Lay the tiles out for the scroll area's whole room (not the viewport, which a
        scroll bar narrows): the scroll bar is switched on only when the plan scrolls, so
        showing it can never change the plan that asked for it."""
        room = self.scroll.maximumViewportSize()
        scrollbar = self.scroll.verticalScrollBar().sizeHint().width()
        plan = self.grid.arrange(room.width(), room.height(), self._aspect, scrollbar)
        policy = (
            Qt.ScrollBarPolicy.ScrollBarAlwaysOn
            if plan is not None and plan.scrolls
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        if self.scroll.verticalScrollBarPolicy() != policy:
            self.scroll.setVerticalScrollBarPolicy(policy)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scroll and event.type() == QEvent.Type.Resize:
            self._reflow()
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------------------ state
    def _bank_changed(self) -> None:
        if self._state.bank is not self._bank:
            self._rebuild()
        else:
            self._update_controls()

    def _settings_changed(self) -> None:
        pipeline = self._state.pipeline
        for box, on in (
            (self.relu_check, pipeline.relu),
            (self.pool_check, pipeline.pool),
            (self.combine_check, pipeline.combine),
        ):
            with signals_blocked(box):
                box.setChecked(on)
        with signals_blocked(self.scale_combo):
            self.scale_combo.setCurrentIndex(self.scale_combo.findData(pipeline.map_scale))
        wants_combined = pipeline.combine and len(self._bank) >= 2
        if wants_combined != (self._combined_tile is not None):
            self._rebuild()
        self._update_stage_label()

    def _update_controls(self) -> None:
        pipeline = self._state.pipeline
        count = len(self._bank)
        self.add_button.setEnabled(count < MAX_BANK_SIZE)
        self.clear_button.setEnabled(count > 0)
        self.export_button.setEnabled(count > 0)
        self.main_output_button.setEnabled(pipeline.selected_map is not None)
        self.count_label.setText(f"{count} / {MAX_BANK_SIZE} kernels")
        for tile in self.grid.tiles:
            tile.set_selected(self._selection_index(tile.index) == pipeline.selected_map)

    def _update_stage_label(self) -> None:
        pipeline = self._state.pipeline
        if self._frame_shape is None or not self._bank:
            self.stage_label.setText("")
            return
        height, width = self._frame_shape
        text = stage_sizes(height, width, relu=pipeline.relu, pool=pipeline.pool)
        if self._scale_text:
            text = f"{self._scale_text} · {text}"
        self.stage_label.setText(text)

    @staticmethod
    def _selection_index(tile_index: int) -> int:
        return COMBINED_MAP if tile_index == COMBINED_INDEX else tile_index

    # ------------------------------------------------------------------------------ frames
    def show_result(self, result: PipelineResult) -> None:
        """New pixels for the existing tiles; maps of an older bank are skipped."""
        shape = result.frame.shape[:2]
        scale = scale_text(result)
        if shape != self._frame_shape or scale != self._scale_text:
            self._frame_shape = (int(shape[0]), int(shape[1]))
            self._scale_text = scale
            self._aspect = min(3.0, max(1 / 3, shape[0] / max(1, shape[1])))
            self._update_stage_label()
            self._reflow()
        tiles = self.grid.tiles
        if len(result.maps) != len(self._bank):
            return
        for tile, feature_map, kernel in zip(tiles, result.maps, self._bank):
            if feature_map.kernel is not kernel and feature_map.kernel != kernel:
                return  # a result computed for a previous order of the bank
            tile.show_map(feature_map)
        if self._combined_tile is not None and result.combined is not None:
            self._combined_tile.show_map(result.combined)

    # ------------------------------------------------------------------------------ actions
    def add_current_kernel(self) -> None:
        self._state.add_to_bank(self._state.kernel)

    def load_preset(self, name: str) -> None:
        factory, _ = BANK_PRESETS[name]
        self._state.set_bank(factory(), text=f"Load {name}")

    def clear_bank(self) -> None:
        self._state.set_bank([], text="Clear bank")

    def _tile_clicked(self, tile_index: int) -> None:
        index = self._selection_index(tile_index)
        same = self._state.pipeline.selected_map == index
        self._state.select_map(None if same else index)

    def _tile_double_clicked(self, tile_index: int) -> None:
        if 0 <= tile_index < len(self._bank):
            # The double-click's first click selected the map; the person now wants to watch
            # the loaded kernel in the output view, so go back to the main output.
            self._state.select_map(None)
            kernel = self._bank[tile_index]
            self._state.set_kernel(kernel, text=f"Load map {tile_index + 1} kernel")

    def _move_requested(self, source: int, target: int) -> None:
        target = max(0, min(len(self._bank) - 1, target))
        if source != target and 0 <= source < len(self._bank):
            self._state.move_in_bank(source, target)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        selected = self._state.pipeline.selected_map
        if event.key() == Qt.Key.Key_Escape and selected is not None:
            self._state.select_map(None)
        elif event.key() == Qt.Key.Key_Delete and selected in range(len(self._bank)):
            self._state.remove_from_bank(selected)
        else:
            super().keyPressEvent(event)

    # ------------------------------------------------------------------------------ export
    def export_to(
        self, folder: Path, formats: tuple[str, ...] = EXPORT_FORMATS, only: int | None = None
    ) -> bool:
        """Start writing the maps of the latest frame to ``folder``; False if there is none."""
        frame = self._state.full_frame()  # the original pixels, not the live preview
        if frame is None:
            self._state.report("Export feature maps: no frame has been filtered yet", "warning")
            return False
        pipeline = self._state.pipeline
        stopped = self.exporter.cancelled
        self.exporter.start(
            lambda: export_feature_maps(
                pipeline, frame, Path(folder), formats, only=only, cancelled=stopped
            ),
            "Export feature maps",
        )
        return True

    def shutdown(self) -> None:
        """The window is closing: a running export finishes within a second, or stops."""
        self.exporter.shutdown()

    def _export_dialog(self, formats: tuple[str, ...], only: int | None = None) -> None:
        folder = self.exporter.choose_folder(self, "Export feature maps to folder")
        if folder is not None:
            self.export_to(folder, formats, only)

    def _export_one(self, tile_index: int) -> None:
        self._export_dialog(EXPORT_FORMATS, self._selection_index(tile_index))

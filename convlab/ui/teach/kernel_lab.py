"""Kernel lab: a Gaussian explorer, what the current kernel does to frequencies, and borders.

Three experiments from the slides that need more room than the kernel editor has: turning a
Gaussian's radius and deviation and watching the blur (with the 1-D profile and the 2-D kernel
next to it); reading a kernel as a filter of spatial frequencies, as separable 1-D factors, and
as convolution versus correlation; and seeing what each border rule invents beyond the image's
edge. Everything works on a reduced copy of the current frame (or a small corner of it), so it
stays interactive on a live webcam.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider, QLabeledSlider
from superqt.utils import qthrottled

from convlab.engine.convolve import convolve, padding_amounts
from convlab.engine.display import to_rgb
from convlab.engine.explain import source_index
from convlab.engine.kernels import Kernel, analyze, frequency_response, gaussian_kernel
from convlab.engine.pipeline import PipelineResult, shrink
from convlab.ui.help import help_button
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.number_grid import NumberGrid
from convlab.ui.widgets.picture_grid import PictureGrid

PREVIEW_MAX_SIDE = 480  # the Gaussian explorer blurs a copy no larger than this
LIVE_UPDATE_MS = 250  # at most four refreshes a second from a live source
GAUSSIAN_VIEWS = ("Result only", "Thumbnail of the original", "Side-by-side comparison")
BORDER_CHOICES = (
    ("constant", "zero (constant)"),
    ("reflect101", "reflect (…dcb|abcd|cba…)"),
    ("replicate", "replicate (…aaa|abcd|ddd…)"),
    ("wrap", "wrap (…bcd|abcd|abc…)"),
)
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
BORDER_VIEWS = ("Filtered with the current kernel", "Extended input (what the kernel reads)")


def compose_view(original: np.ndarray, result: np.ndarray, view: str) -> np.ndarray:
    """The three ways the slides' demo shows a blur: result, result + thumbnail, side by side."""
    if view == GAUSSIAN_VIEWS[0]:
        return result
    if view == GAUSSIAN_VIEWS[1]:
        framed = result.copy()
        height, width = original.shape[:2]
        thumb = cv2.resize(
            original, (max(1, width // 4), max(1, height // 4)), interpolation=cv2.INTER_AREA
        )
        th, tw = thumb.shape[:2]
        framed[4 : 8 + th, 4 : 8 + tw] = 255  # a white frame around the thumbnail
        framed[6 : 6 + th, 6 : 6 + tw] = thumb
        return framed
    gap = np.full((original.shape[0], 6, 3), 255, dtype=np.uint8)
    return np.ascontiguousarray(np.hstack([original, gap, result]))


def gaussian_profile(kernel: Kernel) -> np.ndarray:
    """The 1-D Gaussian whose outer product is the kernel (its column sums)."""
    return kernel.weights.sum(axis=0)


def _corner_read(
    frame: np.ndarray,
    border: str,
    corner: str,
    size: int,
    pads: tuple[tuple[int, int], tuple[int, int]],
) -> np.ndarray:
    """The corner block widened by ``pads`` ((top, bottom), (left, right)), border-extended.

    Pixels beyond the image come from the border rule applied to the whole frame (a wrap reads
    the opposite side), so the block holds exactly what a kernel at the corner reads.
    """
    height, width = frame.shape[:2]
    size_r, size_c = min(size, height), min(size, width)
    first_row = 0 if corner.startswith("top") else height - size_r
    first_col = 0 if corner.endswith("left") else width - size_c
    (top, bottom), (left, right) = pads
    rows = np.arange(first_row - top, first_row + size_r + bottom)
    cols = np.arange(first_col - left, first_col + size_c + right)
    source_rows = source_index(rows, height, border)
    source_cols = source_index(cols, width, border)
    block = frame[np.ix_(np.maximum(source_rows, 0), np.maximum(source_cols, 0))].copy()
    block[source_rows < 0] = 0
    block[:, source_cols < 0] = 0
    return np.ascontiguousarray(block)


def filtered_corner(
    frame: np.ndarray, kernel: Kernel, border: str, corner: str, size: int, mode: str = "correlate"
) -> np.ndarray:
    """``convolve(frame, kernel, border=border)`` restricted to one corner, computed on a crop.

    The crop carries the kernel's reach of border-extended pixels around the corner block, and
    a "valid" convolution of it gives exactly the full image's values there.
    """
    pads = padding_amounts(kernel.shape, "same")
    block = _corner_read(frame, border, corner, size, pads)
    return convolve(block, kernel, border=border, padding="valid", mode=mode)


def extended_corner(
    frame: np.ndarray, border: str, corner: str, size: int, margin: int
) -> np.ndarray:
    """The corner block with ``margin`` pixels of invented border on its two outer sides."""
    top = (margin, 0) if corner.startswith("top") else (0, margin)
    left = (margin, 0) if corner.endswith("left") else (0, margin)
    return _corner_read(frame, border, corner, size, (top, left))


def describe_response(response: np.ndarray) -> str:
    """Read a centred |FFT| like a person would: blur, edge filter, sharpen or all-pass."""
    rows, cols = response.shape
    centre = float(response[rows // 2, cols // 2])
    peak = float(response.max())
    if peak <= 0:
        return "This kernel is all zeros: it removes everything."
    rim = float(np.concatenate([response[0], response[-1], response[:, 0], response[:, -1]]).mean())
    if centre <= 0.1 * peak:
        kind = (
            "an edge / detail filter: it removes flat areas (dark centre) and passes "
            "changes in the bright directions"
        )
    elif centre >= 0.9 * peak and rim <= 0.5 * centre:
        kind = "a blur (low-pass): it keeps flat areas and slow changes and removes fine detail"
    elif peak >= 1.2 * centre:
        kind = "a sharpener: it keeps flat areas and boosts fine detail"
    else:
        kind = "close to all-pass: it keeps most frequencies about as they are"
    return (
        f"Centre = flat areas and slow changes (gain {centre:.3g}); the farther out, the "
        f"finer the detail; left-right is detail along x, up-down along y. Bright passes, "
        f"dark removes. This kernel is {kind}."
    )


class KernelLabPanel(QWidget):
    """Gaussian explorer, current-kernel analysis and border-mode comparison, in three tabs."""

    HELP_TITLE = "Kernel lab"
    HELP_HTML = (
        "<p><b>Gaussian explorer.</b> A Gaussian blur weighs neighbours by a bell curve. The "
        "<i>radius</i> sets the kernel size (2·radius+1), the <i>deviation σ</i> the width of "
        "the bell. The plot shows the 1-D profile; the 2-D kernel is that profile times itself. "
        "If σ is large for the radius, the bell is cut off and the blur turns box-like. "
        "<i>Use in editor</i> sends the kernel to the kernel grid.</p>"
        "<p><b>Current kernel.</b> The frequency response says what the kernel keeps (bright) "
        "and removes (dark): the centre is flat areas and slow changes, the edges are fine "
        "detail and noise. A blur is bright in the middle; an edge detector is dark there. A "
        "separable kernel is a column times a row, so it can run as two cheap 1-D passes. "
        "Correlation slides the kernel as written; true convolution flips it by 180° first "
        "(for symmetric kernels both are the same).</p>"
        "<p><b>Borders.</b> Near the edge the kernel reaches outside the image and a border "
        "rule must invent the missing pixels: zeros, a mirror image, the repeated edge pixel, "
        "or the opposite side of the image. The four views zoom into one corner so the "
        "difference is visible.</p>"
    )

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A click anywhere in the panel (even on a picture or a label) focuses it, so F1 shows
        # this panel's help.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.state = state
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_gaussian(), "Gaussian explorer")
        self.tabs.addTab(self._build_kernel_view(), "Current kernel")
        self.tabs.addTab(self._build_borders(), "Borders")
        self.tabs.setCornerWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)

        self._refresh_live = qthrottled(self.refresh_images, timeout=LIVE_UPDATE_MS, parent=self)
        state.resultReady.connect(self._on_result)
        state.kernelChanged.connect(lambda _k: self.refresh())
        state.settingsChanged.connect(self.refresh)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        self.refresh()

    def heightForWidth(self, width: int) -> int:
        """Fill a scroll area's height instead of asking for the preferred one.

        Word-wrapped labels give the layout a height-for-width, and QScrollArea then sizes the
        panel to its *preferred* height (taller than a laptop screen). The tab widget reports
        its pages' preferred heights there too, so the lab answers with its minimum; the
        pictures stretch into whatever is left.
        """
        return self.minimumSizeHint().height()

    # -- Gaussian explorer -------------------------------------------------------------------
    def _build_gaussian(self) -> QWidget:
        page = QWidget()
        self.radius_slider = QLabeledSlider(Qt.Orientation.Horizontal)
        self.radius_slider.setRange(0, 15)
        self.radius_slider.setValue(3)
        self.radius_slider.setToolTip("Kernel size is 2·radius + 1")
        self.sigma_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.sigma_slider.setRange(0.1, 10.0)
        self.sigma_slider.setValue(1.5)
        self.sigma_slider.setDecimals(2)
        self.sigma_slider.setToolTip("Standard deviation of the bell curve, in pixels")
        self.view_box = QComboBox()
        self.view_box.addItems(list(GAUSSIAN_VIEWS))
        self.view_box.setCurrentIndex(2)
        self.use_button = QPushButton("Use in editor")
        self.use_button.setToolTip("Make this Gaussian the playground's kernel (undoable)")
        self.gaussian_note = QLabel()
        self.gaussian_note.setWordWrap(True)

        self.profile_plot = pg.PlotWidget()
        self.profile_plot.setBackground(None)
        self.profile_plot.setMenuEnabled(False)
        self.profile_plot.setMouseEnabled(False, False)
        self.profile_plot.hideButtons()
        self.profile_plot.setTitle("1-D profile (weight per offset)", size="9pt")
        self.profile_plot.setLabel("bottom", "offset from the centre (pixels)")
        self.profile_stems = pg.BarGraphItem(
            x=[0], height=[1], width=0.15, brush=QColor(40, 100, 200)
        )
        self.profile_curve = pg.PlotCurveItem(pen=pg.mkPen(QColor(240, 130, 0), width=2))
        self.profile_points = pg.ScatterPlotItem(size=7, brush=QColor(40, 100, 200))
        for item in (self.profile_stems, self.profile_curve, self.profile_points):
            self.profile_plot.addItem(item)
        self.profile_plot.setMinimumSize(240, 140)
        self.kernel_picture = PictureGrid(1, 1, ["2-D kernel"])
        self.kernel_picture.setMinimumSize(140, 120)
        self.gaussian_picture = PictureGrid(1, 1, [""])
        self.gaussian_picture.setMinimumSize(320, 240)

        controls = QFormLayout()
        controls.addRow("Radius", self.radius_slider)
        controls.addRow("Deviation σ", self.sigma_slider)
        controls.addRow("View", self.view_box)
        left = QVBoxLayout()
        left.addLayout(controls)
        left.addWidget(self.use_button)
        left.addWidget(self.gaussian_note)
        left.addWidget(self.profile_plot, 1)
        left.addWidget(self.kernel_picture, 1)
        layout = QHBoxLayout(page)
        layout.addLayout(left, 2)
        layout.addWidget(self.gaussian_picture, 5)

        throttled = qthrottled(self.refresh_gaussian, timeout=40, parent=self)
        self.radius_slider.valueChanged.connect(throttled)
        self.sigma_slider.valueChanged.connect(throttled)
        self.view_box.currentTextChanged.connect(lambda _t: self.refresh_gaussian())
        self.use_button.clicked.connect(self.use_gaussian)
        return page

    def gaussian(self) -> Kernel:
        return gaussian_kernel(int(self.radius_slider.value()), float(self.sigma_slider.value()))

    def use_gaussian(self) -> None:
        kernel = self.gaussian()
        self.state.set_kernel(kernel, text=f"Use {kernel.name}")

    def refresh_gaussian(self) -> None:
        kernel = self.gaussian()
        radius = kernel.shape[0] // 2
        sigma = float(self.sigma_slider.value())
        profile = gaussian_profile(kernel)
        offsets = np.arange(-radius, radius + 1, dtype=float)
        fine = np.linspace(-radius - 0.5, radius + 0.5, 200)
        # The continuous bell through the sampled weights (they are exp(-x²/2σ²) / sum).
        bell = profile[radius] * np.exp(-(fine**2) / (2 * sigma**2))
        self.profile_stems.setOpts(x=offsets, height=profile, width=0.12)
        self.profile_points.setData(offsets, profile)
        self.profile_curve.setData(fine, bell)
        self.profile_plot.setXRange(-radius - 0.8, radius + 0.8, padding=0)
        self.profile_plot.setYRange(0, float(profile.max()) * 1.1, padding=0)
        self.kernel_picture.set_image(0, to_rgb(kernel.weights, "minmax", colormap="viridis"))
        self.kernel_picture.set_title(0, f"2-D kernel {kernel.shape[0]}×{kernel.shape[1]}")
        kept = float(np.exp(-(radius**2) / (2 * sigma**2)))
        if radius == 0:
            note = "Radius 0: a 1×1 kernel of weight 1 leaves the image unchanged."
        elif kept > 0.3:
            note = (
                f"The bell is cut off: at the edge of the kernel it is still at "
                f"{100 * kept:.0f}% of its peak, so the blur looks box-like. Raise the radius "
                f"to about {int(np.ceil(3 * sigma))} (3σ)."
            )
        elif sigma < 0.5:
            note = "σ is small: almost all the weight sits on the centre pixel (little blur)."
        else:
            note = (
                f"Size {kernel.shape[0]}×{kernel.shape[1]}, centre weight "
                f"{kernel.weights[radius, radius]:.3g}; the weights sum to 1, so brightness "
                "is kept."
            )
        self.gaussian_note.setText(note)
        frame = self._frame()
        if frame is None:
            self.gaussian_picture.set_title(0, "No image yet")
            return
        small = shrink(frame, PREVIEW_MAX_SIDE)
        blurred = np.clip(convolve(small, kernel) + 0.5, 0, 255).astype(np.uint8)
        view = self.view_box.currentText()
        self.gaussian_picture.set_image(0, compose_view(small, blurred, view))
        titles = {
            GAUSSIAN_VIEWS[0]: "Blurred",
            GAUSSIAN_VIEWS[1]: "Blurred (original inset)",
            GAUSSIAN_VIEWS[2]: "Original  |  blurred",
        }
        self.gaussian_picture.set_title(0, f"{titles[view]} — radius {radius}, σ {sigma:g}")

    # -- current kernel ----------------------------------------------------------------------
    def _build_kernel_view(self) -> QWidget:
        page = QWidget()
        self.correlate_button = QRadioButton("Correlation (kernel as written)")
        self.convolve_button = QRadioButton("Convolution (kernel flipped 180°)")
        self.mode_group = QButtonGroup(page)
        self.mode_group.addButton(self.correlate_button)
        self.mode_group.addButton(self.convolve_button)
        self.convolve_button.toggled.connect(self._on_mode_toggled)
        self.written_grid = NumberGrid("As written")
        self.applied_grid = NumberGrid("As applied")
        self.mode_note = QLabel()
        self.mode_note.setWordWrap(True)

        self.frequency_picture = PictureGrid(1, 1, ["Frequency response |FFT|"])
        self.frequency_picture.setMinimumSize(220, 220)
        self.frequency_note = QLabel()
        self.frequency_note.setWordWrap(True)

        self.column_grid = NumberGrid("Column")
        self.row_grid = NumberGrid("Row")
        self.separable_note = QLabel()
        self.separable_note.setWordWrap(True)

        mode_box = QGroupBox("Convolution or correlation?")
        mode_layout = QVBoxLayout(mode_box)
        mode_layout.addWidget(self.correlate_button)
        mode_layout.addWidget(self.convolve_button)
        grids = QHBoxLayout()
        grids.addWidget(self.written_grid, 0, Qt.AlignmentFlag.AlignTop)
        arrow = QLabel("→ rotate 180° →")
        grids.addWidget(arrow, 0, Qt.AlignmentFlag.AlignVCenter)
        grids.addWidget(self.applied_grid, 0, Qt.AlignmentFlag.AlignTop)
        grids.addStretch(1)
        mode_layout.addLayout(grids)
        mode_layout.addWidget(self.mode_note)
        mode_layout.addStretch(1)

        separable_box = QGroupBox("Separable?")
        separable_layout = QVBoxLayout(separable_box)
        factors = QHBoxLayout()
        factors.addWidget(self.column_grid, 0, Qt.AlignmentFlag.AlignTop)
        self.times_label = QLabel("×")
        factors.addWidget(self.times_label, 0, Qt.AlignmentFlag.AlignVCenter)
        factors.addWidget(self.row_grid, 0, Qt.AlignmentFlag.AlignTop)
        factors.addStretch(1)
        separable_layout.addWidget(self.separable_note)
        separable_layout.addLayout(factors)
        separable_layout.addStretch(1)

        frequency_box = QGroupBox("What it passes and what it removes")
        frequency_layout = QVBoxLayout(frequency_box)
        frequency_layout.addWidget(self.frequency_picture, 1)
        frequency_layout.addWidget(self.frequency_note)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(mode_box)
        left_layout.addWidget(separable_box)
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QHBoxLayout(page)
        layout.addWidget(scroll, 3)
        layout.addWidget(frequency_box, 2)
        return page

    def _on_mode_toggled(self, convolve_mode: bool) -> None:
        mode = "convolve" if convolve_mode else "correlate"
        if self.state.pipeline.conv.mode != mode:
            self.state.update_conv(mode=mode)

    def refresh_kernel_view(self) -> None:
        kernel = self.state.kernel
        conv = self.state.pipeline.conv
        flipped = conv.mode == "convolve"
        for button, checked in (
            (self.convolve_button, flipped),
            (self.correlate_button, not flipped),
        ):
            button.blockSignals(True)
            button.setChecked(checked)
            button.blockSignals(False)
        self.written_grid.set_values(kernel.weights)
        self.applied_grid.set_values(kernel.flipped().weights if flipped else kernel.weights)
        self.applied_grid.set_title("As applied (flipped)" if flipped else "As applied")
        analysis = analyze(kernel)
        notes = []
        if analysis.symmetric:
            notes.append(
                "This kernel looks the same after a 180° turn, so convolution and "
                "correlation give the same image."
            )
        else:
            notes.append(
                "This kernel changes under a 180° turn: convolution and correlation "
                "give different images (an edge detector's sign flips, for example)."
            )
        notes.append(
            "CNN libraries compute correlation and call it convolution; since the "
            "weights are learned, the flip does not matter there."
        )
        self.mode_note.setText(" ".join(notes))

        if analysis.separable and analysis.factors is not None:
            column, row = analysis.factors
            self.column_grid.set_values(np.asarray(column)[:, None])
            self.row_grid.set_values(np.asarray(row)[None, :])
            rows, cols = kernel.shape
            self.separable_note.setText(
                f"Yes: the kernel (divided by its divisor) is this column times this row. "
                f"Filtering costs {rows + cols} multiplications per pixel as two 1-D passes "
                f"instead of {rows * cols}."
            )
            for widget in (self.column_grid, self.row_grid, self.times_label):
                widget.show()
        else:
            self.separable_note.setText(
                f"No: its rank is {analysis.rank}, so it is a sum of {analysis.rank} "
                "column-times-row terms, not one."
            )
            for widget in (self.column_grid, self.row_grid, self.times_label):
                widget.hide()

        response = frequency_response(kernel, 64)
        self.frequency_picture.set_image(0, to_rgb(response, "minmax", colormap="magma"))
        self.frequency_note.setText(describe_response(response))

    # -- borders -----------------------------------------------------------------------------
    def _build_borders(self) -> QWidget:
        page = QWidget()
        self.corner_box = QComboBox()
        self.corner_box.addItems(list(CORNERS))
        self.zoom_slider = QLabeledSlider(Qt.Orientation.Horizontal)
        self.zoom_slider.setRange(12, 96)
        self.zoom_slider.setValue(24)
        self.zoom_slider.setToolTip("Size of the corner shown, in image pixels")
        self.border_view_box = QComboBox()
        self.border_view_box.addItems(list(BORDER_VIEWS))
        self.border_pictures = PictureGrid(2, 2, [label for _, label in BORDER_CHOICES])
        self.border_pictures.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding
        )
        # Two dashed lines per picture: where the image edge is (extended view) or where the
        # kernel stops reading invented pixels (filtered view).
        self.border_lines: list[pg.PlotCurveItem] = []
        pen = pg.mkPen(QColor(0, 200, 255), width=2, style=Qt.PenStyle.DashLine)
        for box in self.border_pictures.boxes:
            lines = pg.PlotCurveItem(pen=pen, connect="pairs")
            box.addItem(lines, ignoreBounds=True)
            self.border_lines.append(lines)
        self.border_note = QLabel()
        self.border_note.setWordWrap(True)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Corner"))
        controls.addWidget(self.corner_box)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Pixels shown"))
        controls.addWidget(self.zoom_slider, 1)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Show"))
        controls.addWidget(self.border_view_box)
        layout = QVBoxLayout(page)
        layout.addLayout(controls)
        layout.addWidget(self.border_pictures, 1)
        layout.addWidget(self.border_note)
        self.corner_box.currentTextChanged.connect(lambda _t: self.refresh_borders())
        self.zoom_slider.valueChanged.connect(lambda _v: self.refresh_borders())
        self.border_view_box.currentTextChanged.connect(lambda _t: self.refresh_borders())
        return page

    def refresh_borders(self) -> None:
        frame = self._frame()
        if frame is None:
            self.border_note.setText("No image yet: open an image or a camera.")
            return
        kernel = self.state.kernel
        conv = self.state.pipeline.conv
        corner = self.corner_box.currentText()
        size = int(self.zoom_slider.value())
        (top, bottom), (left, right) = padding_amounts(kernel.shape, "same")
        margin = max(top, bottom, left, right)
        extended = self.border_view_box.currentIndex() == 1
        height, width = frame.shape[:2]
        shown_r, shown_c = min(size, height), min(size, width)
        left_side, top_side = corner.endswith("left"), corner.startswith("top")
        if extended:  # the real image starts after the margin on the outer sides
            line_x = margin if left_side else shown_c
            line_y = margin if top_side else shown_r
        else:  # the band within ``margin`` of the image edge reads invented pixels
            line_x = margin if left_side else shown_c - margin
            line_y = margin if top_side else shown_r - margin
        filtered = (
            [
                filtered_corner(frame, kernel, border, corner, size, conv.mode)
                for border, _ in BORDER_CHOICES
            ]
            if not extended
            else []
        )
        zero_sum = analyze(kernel).zero_mean
        spread = 1.0
        if filtered:  # scale by the part all rules agree on, so the border band stands out
            inner = filtered[0][margin : shown_r - margin, margin : shown_c - margin]
            spread = float(np.abs(inner).max()) if inner.size else 0.0
            spread = spread or float(np.abs(filtered[0]).max()) or 1.0
        for index, (border, _label) in enumerate(BORDER_CHOICES):
            if extended:
                block = extended_corner(frame, border, corner, size, margin)
            elif zero_sum:  # edge kernels: sign matters, so blue/red on one shared scale
                block = to_rgb(
                    filtered[index], "signed", colormap="coolwarm", value_range=(-spread, spread)
                )
            else:
                block = to_rgb(filtered[index], "clip")
            self.border_pictures.set_image(index, block)
            block_h, block_w = block.shape[:2]
            self.border_lines[index].setData(
                [line_x, line_x, 0, block_w], [0, block_h, line_y, line_y]
            )
        if extended:
            self.border_note.setText(
                f"The image's {corner} corner with the {margin} pixel(s) of border the "
                f"{kernel.shape[0]}×{kernel.shape[1]} kernel reaches into; the dashed line is "
                "the real image's edge. Everything outside it is invented by the border rule."
            )
        else:
            self.border_note.setText(
                f"The current kernel on the {corner} corner"
                + (" (blue negative, red positive)" if zero_sum else "")
                + f". Between the dashed lines and the image edge the kernel reads up to {margin} "
                "invented pixel(s), and the four rules differ; everywhere else they agree. A "
                "bigger kernel makes that band wider."
            )

    # -- plumbing ----------------------------------------------------------------------------
    def _frame(self) -> np.ndarray | None:
        result = self.state.latest_result
        return None if result is None else result.frame

    def _on_result(self, _result: PipelineResult) -> None:
        if self.isVisible():
            self._refresh_live()

    def refresh_images(self) -> None:
        """Redraw what depends on the live frame, on the visible tab only."""
        if not self.isVisible():
            return
        index = self.tabs.currentIndex()
        if index == 0:
            self.refresh_gaussian()
        elif index == 2:
            self.refresh_borders()

    def refresh(self) -> None:
        """Redraw the visible tab (kernel or settings changed, or the tab was switched).

        Nothing happens while the lab is hidden (another tab is in front); ``showEvent`` catches
        up, so a kernel edit in the playground never pays for the lab.
        """
        if not self.isVisible():
            return
        index = self.tabs.currentIndex()
        if index == 1:
            self.refresh_kernel_view()
        else:
            self.refresh_images()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

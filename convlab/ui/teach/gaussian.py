"""The kernel lab's Gaussian explorer: radius and deviation sliders, the bell, the blur.

Turning a Gaussian's radius and deviation shows the blur on a reduced copy of the current frame
(so it stays interactive on a live webcam), with the 1-D profile and the 2-D kernel beside it.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled

from convlab.engine.convolve import convolve
from convlab.engine.display import to_rgb
from convlab.engine.kernel_analysis import gaussian_window_note
from convlab.engine.kernels import Kernel, gaussian_kernel
from convlab.engine.pipeline import shrink
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.picture_grid import PictureGrid
from convlab.ui.widgets.sliders import typed_slider

PREVIEW_MAX_SIDE = 480  # the Gaussian explorer blurs a copy no larger than this
GAUSSIAN_VIEWS = ("Result only", "Thumbnail of the original", "Side-by-side comparison")


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


def gaussian_note(kernel: Kernel, sigma: float) -> str:
    """What a newcomer should notice about this Gaussian (cut off, tiny σ, or its size)."""
    radius = kernel.shape[0] // 2
    kept = float(np.exp(-(radius**2) / (2 * sigma**2)))
    if radius == 0:
        return "Radius 0: a 1×1 kernel of weight 1 leaves the image unchanged."
    mass = gaussian_window_note(radius, sigma)
    if kept > 0.3:
        return (
            f"{mass} The bell is cut off: at the edge of the kernel it is still at "
            f"{100 * kept:.0f}% of its peak, so the blur looks box-like."
        )
    if sigma < 0.5:
        return "σ is small: almost all the weight sits on the centre pixel (little blur)."
    return (
        f"{mass} Centre weight {kernel.weights[radius, radius]:.3g}; the weights sum to 1, so "
        "brightness is kept."
    )


class GaussianPage(QWidget):
    """Radius and σ sliders, the 1-D profile, the 2-D kernel and the blurred frame."""

    follows_frame = True  # redrawn when a new frame arrives

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        # The slides' demo (and the Generate tab's default): radius 5, deviation 3.
        self.radius_slider = typed_slider(0, 15, 5, tooltip="Kernel size is 2·radius + 1")
        self.sigma_slider = typed_slider(
            0.1, 10.0, 3.0, decimals=1, tooltip="Standard deviation of the bell curve, in pixels"
        )
        self.view_box = QComboBox()
        self.view_box.addItems(list(GAUSSIAN_VIEWS))
        self.view_box.setCurrentIndex(2)
        self.use_button = QPushButton("Use in editor")
        self.use_button.setToolTip("Make this Gaussian the playground's kernel (undoable)")
        self.gaussian_note = QLabel()
        self.gaussian_note.setWordWrap(True)
        self._build_profile_plot()
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
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addWidget(self.gaussian_picture, 5)

        throttled = qthrottled(self.refresh, timeout=40, parent=self)
        self.radius_slider.valueChanged.connect(throttled)
        self.sigma_slider.valueChanged.connect(throttled)
        self.view_box.currentTextChanged.connect(lambda _t: self.refresh())
        self.use_button.clicked.connect(self.use_gaussian)

    def _build_profile_plot(self) -> None:
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

    def sigma(self) -> float:
        """The deviation in the slider's steps of 0.1 (a drag lands between them)."""
        return round(float(self.sigma_slider.value()), 1)

    def gaussian(self) -> Kernel:
        return gaussian_kernel(int(self.radius_slider.value()), self.sigma())

    def use_gaussian(self) -> None:
        kernel = self.gaussian()
        self.state.set_kernel(kernel, text=f"Use {kernel.name}")

    def refresh(self) -> None:
        kernel = self.gaussian()
        sigma = self.sigma()
        self._draw_profile(kernel, sigma)
        self.kernel_picture.set_image(0, to_rgb(kernel.weights, "minmax", colormap="viridis"))
        self.kernel_picture.set_title(0, f"2-D kernel {kernel.shape[0]}×{kernel.shape[1]}")
        self.gaussian_note.setText(gaussian_note(kernel, sigma))
        self._draw_blur(kernel, sigma)

    def _draw_profile(self, kernel: Kernel, sigma: float) -> None:
        radius = kernel.shape[0] // 2
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

    def _draw_blur(self, kernel: Kernel, sigma: float) -> None:
        result = self.state.latest_result
        if result is None:
            self.gaussian_picture.set_title(0, "No image yet")
            return
        small = shrink(result.frame, PREVIEW_MAX_SIDE)
        blurred = np.clip(convolve(small, kernel) + 0.5, 0, 255).astype(np.uint8)
        view = self.view_box.currentText()
        self.gaussian_picture.set_image(0, compose_view(small, blurred, view))
        titles = {
            GAUSSIAN_VIEWS[0]: "Blurred",
            GAUSSIAN_VIEWS[1]: "Blurred (original inset)",
            GAUSSIAN_VIEWS[2]: "Original  |  blurred",
        }
        radius = kernel.shape[0] // 2
        self.gaussian_picture.set_title(0, f"{titles[view]} — radius {radius}, σ {sigma:g}")

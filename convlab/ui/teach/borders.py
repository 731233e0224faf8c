"""The kernel lab's border comparison: what each border rule invents beyond the image's edge.

Four pictures of one corner of the current frame, one per border rule, either filtered with the
current kernel or extended by the rule (what the kernel reads). Only a small corner is computed,
on a crop that carries the kernel's reach, so it stays interactive on a live webcam.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from convlab.engine.convolve import convolve, padding_amounts
from convlab.engine.display import to_rgb
from convlab.engine.explain import source_index
from convlab.engine.kernel_analysis import analyze
from convlab.engine.kernels import Kernel
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.picture_grid import PictureGrid
from convlab.ui.widgets.sliders import typed_slider

BORDER_CHOICES = (
    ("constant", "zero (constant)"),
    ("reflect101", "reflect (…dcb|abcd|cba…)"),
    ("replicate", "replicate (…aaa|abcd|ddd…)"),
    ("wrap", "wrap (…bcd|abcd|abc…)"),
)
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
BORDER_VIEWS = ("Filtered with the current kernel", "Extended input (what the kernel reads)")


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


class BordersPage(QWidget):
    """One corner of the frame under each of the four border rules, with the band marked."""

    follows_frame = True  # redrawn when a new frame arrives

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.corner_box = QComboBox()
        self.corner_box.addItems(list(CORNERS))
        self.zoom_slider = typed_slider(
            12, 96, 24, tooltip="Size of the corner shown, in image pixels"
        )
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
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.border_pictures, 1)
        layout.addWidget(self.border_note)
        self.corner_box.currentTextChanged.connect(lambda _t: self.refresh())
        self.zoom_slider.valueChanged.connect(lambda _v: self.refresh())
        self.border_view_box.currentTextChanged.connect(lambda _t: self.refresh())

    def refresh(self) -> None:
        result = self.state.latest_result
        if result is None:
            self.border_note.setText("No image yet: open an image or a camera.")
            return
        frame = result.frame
        kernel = self.state.kernel
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
        zero_sum = analyze(kernel).zero_mean
        if extended:
            blocks = [
                extended_corner(frame, border, corner, size, margin) for border, _ in BORDER_CHOICES
            ]
        else:
            blocks = self._filtered_blocks(frame, kernel, corner, size, margin, zero_sum)
        for index, block in enumerate(blocks):
            self.border_pictures.set_image(index, block)
            block_h, block_w = block.shape[:2]
            self.border_lines[index].setData(
                [line_x, line_x, 0, block_w], [0, block_h, line_y, line_y]
            )
        self.border_note.setText(self._note(kernel, corner, margin, extended, zero_sum))

    def _filtered_blocks(
        self,
        frame: np.ndarray,
        kernel: Kernel,
        corner: str,
        size: int,
        margin: int,
        zero_sum: bool,
    ) -> list[np.ndarray]:
        """The corner filtered under each rule, as RGB on one shared scale."""
        mode = self.state.pipeline.conv.mode
        filtered = [
            filtered_corner(frame, kernel, border, corner, size, mode)
            for border, _ in BORDER_CHOICES
        ]
        if not zero_sum:
            return [to_rgb(block, "clip") for block in filtered]
        # Edge kernels: sign matters, so blue/red on one shared scale, set by the part all rules
        # agree on, so the border band stands out.
        shown_r, shown_c = filtered[0].shape[:2]
        inner = filtered[0][margin : shown_r - margin, margin : shown_c - margin]
        spread = float(np.abs(inner).max()) if inner.size else 0.0
        spread = spread or float(np.abs(filtered[0]).max()) or 1.0
        return [to_rgb(block, "signed", value_range=(-spread, spread)) for block in filtered]

    def _note(
        self, kernel: Kernel, corner: str, margin: int, extended: bool, zero_sum: bool
    ) -> str:
        if extended:
            return (
                f"The image's {corner} corner with the {margin} pixel(s) of border the "
                f"{kernel.shape[0]}×{kernel.shape[1]} kernel reaches into; the dashed line is "
                "the real image's edge. Everything outside it is invented by the border rule."
            )
        return (
            f"The current kernel on the {corner} corner"
            + (" (blue negative, red positive)" if zero_sum else "")
            + f". Between the dashed lines and the image edge the kernel reads up to {margin} "
            "invented pixel(s), and the four rules differ; everywhere else they agree. A "
            "bigger kernel makes that band wider."
        )

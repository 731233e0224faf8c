"""The kernel lab's view of the current kernel: frequencies, separable factors, the 180° flip.

Reads the playground's kernel three ways: as a filter of spatial frequencies (its centred |FFT|),
as a column times a row when it is separable, and as correlation versus true convolution.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from convlab.engine.display import to_rgb
from convlab.engine.kernel_analysis import KernelAnalysis, analyze, frequency_response
from convlab.engine.kernels import Kernel
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.number_grid import NumberGrid
from convlab.ui.widgets.picture_grid import PictureGrid


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


def flip_note(symmetric: bool) -> str:
    """Whether convolution and correlation differ for this kernel, and why CNNs do not care."""
    if symmetric:
        first = (
            "This kernel looks the same after a 180° turn, so convolution and "
            "correlation give the same image."
        )
    else:
        first = (
            "This kernel changes under a 180° turn: convolution and correlation "
            "give different images (an edge detector's sign flips, for example)."
        )
    return (
        f"{first} CNN libraries compute correlation and call it convolution; since the "
        "weights are learned, the flip does not matter there."
    )


class KernelViewPage(QWidget):
    """Convolution vs correlation, separable factors and the frequency response."""

    follows_frame = False  # depends on the kernel only

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.correlate_button = QRadioButton("Correlation (kernel as written)")
        self.convolve_button = QRadioButton("Convolution (kernel flipped 180°)")
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.correlate_button)
        self.mode_group.addButton(self.convolve_button)
        self.convolve_button.toggled.connect(self._on_mode_toggled)
        self.written_grid = NumberGrid("As written")
        self.applied_grid = NumberGrid("As applied")
        self.mode_note = QLabel()
        self.mode_note.setWordWrap(True)

        self._build_frequency_box()
        self.column_grid = NumberGrid("Column")
        self.row_grid = NumberGrid("Row")
        self.separable_note = QLabel()
        self.separable_note.setWordWrap(True)
        self.times_label = QLabel("×")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self._mode_box())
        left_layout.addWidget(self._separable_box())
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll, 3)
        layout.addWidget(self.frequency_box, 2)

    def _build_frequency_box(self) -> None:
        self.frequency_picture = PictureGrid(1, 1, ["Frequency response |FFT|"])
        self.frequency_picture.setMinimumSize(220, 220)
        self.frequency_note = QLabel()
        self.frequency_note.setWordWrap(True)
        self.frequency_box = QGroupBox("What it passes and what it removes")
        frequency_layout = QVBoxLayout(self.frequency_box)
        frequency_layout.addWidget(self.frequency_picture, 1)
        frequency_layout.addWidget(self.frequency_note)

    def _mode_box(self) -> QGroupBox:
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
        return mode_box

    def _separable_box(self) -> QGroupBox:
        separable_box = QGroupBox("Separable?")
        separable_layout = QVBoxLayout(separable_box)
        factors = QHBoxLayout()
        factors.addWidget(self.column_grid, 0, Qt.AlignmentFlag.AlignTop)
        factors.addWidget(self.times_label, 0, Qt.AlignmentFlag.AlignVCenter)
        factors.addWidget(self.row_grid, 0, Qt.AlignmentFlag.AlignTop)
        factors.addStretch(1)
        separable_layout.addWidget(self.separable_note)
        separable_layout.addLayout(factors)
        separable_layout.addStretch(1)
        return separable_box

    def _on_mode_toggled(self, convolve_mode: bool) -> None:
        mode = "convolve" if convolve_mode else "correlate"
        if self.state.pipeline.conv.mode != mode:
            self.state.update_conv(mode=mode)

    def refresh(self) -> None:
        kernel = self.state.kernel
        flipped = self.state.pipeline.conv.mode == "convolve"
        for button, checked in (
            (self.convolve_button, flipped),
            (self.correlate_button, not flipped),
        ):
            with signals_blocked(button):
                button.setChecked(checked)
        self.written_grid.set_values(kernel.weights)
        self.applied_grid.set_values(kernel.flipped().weights if flipped else kernel.weights)
        self.applied_grid.set_title("As applied (flipped)" if flipped else "As applied")
        analysis = analyze(kernel)
        self.mode_note.setText(flip_note(analysis.symmetric))
        self._show_factors(kernel, analysis)
        response = frequency_response(kernel, 64)
        self.frequency_picture.set_image(0, to_rgb(response, "minmax", colormap="magma"))
        self.frequency_note.setText(describe_response(response))

    def _show_factors(self, kernel: Kernel, analysis: KernelAnalysis) -> None:
        factors = (self.column_grid, self.row_grid, self.times_label)
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
            for widget in factors:
                widget.show()
        else:
            self.separable_note.setText(
                f"No: its rank is {analysis.rank}, so it is a sum of {analysis.rank} "
                "column-times-row terms, not one."
            )
            for widget in factors:
                widget.hide()

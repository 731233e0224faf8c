"""What the current kernel does, in numbers and one small picture, updated on every edit.

Sum (the gain on flat areas), separability (rank of the weight matrix: rank 1 means two 1-D
passes do the same job, much faster), symmetry (when convolution equals correlation), and the
frequency response: bright where the kernel passes that spatial frequency, dark where it
removes it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget
from superqt.utils import qthrottled

from convlab.engine.display import colormap_lut
from convlab.engine.kernel_analysis import analyze, frequency_response
from convlab.engine.kernel_ops import format_weight
from convlab.engine.kernels import Kernel
from convlab.ui.fonts import smaller
from convlab.ui.state import PlaygroundState

RESPONSE_SIZE = 64  # FFT size; drawn at RESPONSE_PIXELS on screen
RESPONSE_PIXELS = 76
_MAGMA = colormap_lut("magma")


def response_image(kernel: Kernel, size: int = RESPONSE_SIZE) -> np.ndarray:
    """|FFT| of the effective weights as uint8 RGB (magma), 0 .. max(peak, 1) so a blur
    (gain <= 1) and an identity (flat 1) read the same way, and sharpeners show their boost."""
    magnitude = frequency_response(kernel, size=max(size, *kernel.shape))
    top = max(float(magnitude.max()), 1.0)
    index = np.clip(np.rint(magnitude / top * 255.0), 0, 255).astype(np.intp)
    return np.ascontiguousarray(_MAGMA[index])


def summary_lines(kernel: Kernel) -> tuple[str, str, str]:
    """Sum, separability and symmetry of ``kernel`` as three short lines."""
    analysis = analyze(kernel)
    offset = kernel.offset
    shift = f" + {format_weight(offset, 4)}" if offset else ""
    if analysis.zero_mean:
        gain = f"flat areas → {format_weight(offset, 4)} (zero-sum)"
    elif abs(analysis.total - 1.0) < 1e-9:
        gain = "keeps brightness" + (f", then{shift}" if offset else "")
    else:
        gain = f"brightness ×{format_weight(analysis.total, 3)}{shift}"
    # a zero-sum kernel of float weights (LoG) adds up to rounding noise such as -4.2e-17
    total = "0" if analysis.zero_mean else format_weight(analysis.total, 5)
    sum_line = f"Sum {total}: {gain}"
    if analysis.separable:
        rows, cols = kernel.shape
        cost = rows * cols
        separable_line = (
            f"Separable (rank {analysis.rank}): {rows}+{cols} instead of {cost} multiplies"
            if min(rows, cols) > 1
            else f"Separable (rank {analysis.rank}): already 1-D"
        )
    else:
        separable_line = f"Not separable (rank {analysis.rank})"
    symmetry_line = (
        "Symmetric: convolution = correlation"
        if analysis.symmetric
        else "Not symmetric: convolution flips it"
    )
    return sum_line, separable_line, symmetry_line


class KernelReadouts(QWidget):
    """Three lines of numbers and the frequency-response thumbnail."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sum_label = QLabel()
        self.sum_label.setObjectName("kernelSum")
        self.separable_label = QLabel()
        self.separable_label.setObjectName("kernelSeparable")
        self.symmetry_label = QLabel()
        for label in (self.sum_label, self.separable_label, self.symmetry_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
        self.response = QLabel()
        self.response.setObjectName("frequencyResponse")
        self.response.setFixedSize(RESPONSE_PIXELS, RESPONSE_PIXELS)
        self.response.setScaledContents(True)
        self.response.setToolTip(
            "Frequency response |FFT|: the centre is flat areas (low frequencies), the edges "
            "are fine detail. Bright passes, dark removes."
        )
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(1)
        layout.addWidget(self.sum_label, 0, 0)
        layout.addWidget(self.separable_label, 1, 0)
        layout.addWidget(self.symmetry_label, 2, 0)
        layout.setRowStretch(3, 1)
        caption = QLabel("frequencies")
        caption.setStyleSheet("color: palette(placeholder-text);")
        caption.setFont(smaller(caption.font()))
        caption.setToolTip(self.response.toolTip())
        layout.addWidget(self.response, 0, 1, 4, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(caption, 4, 1, Qt.AlignmentFlag.AlignHCenter)
        layout.setColumnStretch(0, 1)
        self.response_rgb = np.zeros((1, 1, 3), np.uint8)
        # While a cell is scrubbed, at most one analysis every 50 ms (the first one at once).
        # A bound method as the slot: Qt drops the connection when this widget goes.
        self._throttled_update = qthrottled(self.update_for, 50, parent=self)
        state.kernelChanged.connect(self._on_kernel_changed)
        self.update_for(state.kernel)

    def _on_kernel_changed(self, kernel: Kernel) -> None:
        self._throttled_update(kernel)

    def update_for(self, kernel: Kernel) -> None:
        sum_line, separable_line, symmetry_line = summary_lines(kernel)
        self.sum_label.setText(sum_line)
        self.separable_label.setText(separable_line)
        self.symmetry_label.setText(symmetry_line)
        self.response_rgb = response_image(kernel)
        height, width = self.response_rgb.shape[:2]
        image = QImage(
            self.response_rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888
        )
        self.response.setPixmap(QPixmap.fromImage(image.copy()))

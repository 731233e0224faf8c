"""How the kernel slides over the image: border, padding, stride, dilation, mode, channels.

Next to the controls the output size is worked out with the formula from the slides,
floor((n + 2p - d(k-1) - 1) / s) + 1, with this image's numbers plugged in, so a person sees
why stride 2 halves the picture or why a 15x15 kernel with "valid" padding shrinks it. A
combination with no output pixel is explained in red instead of failing.
"""

from __future__ import annotations

import html
from contextlib import ExitStack
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled, signals_blocked

from convlab.engine.pipeline import ConvSettings, PipelineResult
from convlab.engine.sizes import output_size
from convlab.errors import ConvlabError
from convlab.ui.state import PlaygroundState

EXAMPLE_SHAPE = (480, 640)  # shown until the first frame arrives
MAX_PADDING = 64
MAX_STRIDE = 16
MAX_DILATION = 16

BORDERS = {
    "reflect101": ("Reflect 101", "Mirror without repeating the edge pixel: dcb|abcd|cba"),
    "reflect": ("Reflect", "Mirror, repeating the edge pixel: cba|abcd|dcb"),
    "replicate": ("Replicate edge", "Repeat the edge pixel: aaa|abcd|ddd"),
    "constant": ("Zeros", "Pad with black (0): what a CNN layer's zero padding does"),
    "wrap": ("Wrap around", "The image repeats like a tile: bcd|abcd|abc"),
}
MODES = {
    "correlate": ("Correlation (as CNNs)", "The kernel is laid on the image as drawn"),
    "convolve": ("Convolution (flipped)", "The kernel is rotated 180° first: true convolution"),
}
CHANNELS = {
    "per_channel": ("Per channel (RGB)", "The same kernel on red, green and blue"),
    "gray": ("Gray", "Convert to gray first, then one channel"),
    "sum": (
        "Sum channels (CNN layer)",
        "One k×k×3 filter, as in a CNN layer: the kernel on red, green and blue, the three "
        "results added into one map (the offset is the bias)",
    ),
}


@dataclass(frozen=True)
class AxisSize:
    """The output size along one axis: the formula with numbers, the size, or why none."""

    formula: str
    size: int | None
    problem: str | None = None


def explain_axis(n: int, k: int, *, padding: str | int, stride: int, dilation: int) -> AxisSize:
    """Work out one axis' output size the way the slides write it.

    "same" pads d(k-1) in total (the extra pixel after, for even kernels), which the formula
    shows as the 2p term; it always gives ceil(n / s).
    """
    reach = f"{dilation}·({k}−1)" if dilation != 1 else f"({k}−1)"
    if padding == "same":
        total = dilation * (k - 1)
        pads = (total // 2, total - total // 2)
        size = output_size(n, k, padding=pads, stride=stride, dilation=dilation)
        formula = f"⌊({n} + {total} − {reach} − 1) / {stride}⌋ + 1 = {size}"
        return AxisSize(formula, size)
    pad = 0 if padding == "valid" else int(padding)
    raw = (n + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    formula = f"⌊({n} + 2·{pad} − {reach} − 1) / {stride}⌋ + 1 = {raw}"
    try:
        return AxisSize(formula, output_size(n, k, padding=pad, stride=stride, dilation=dilation))
    except ConvlabError as error:
        return AxisSize(formula, None, str(error))


def explain_output(
    image_shape: tuple[int, int], kernel_shape: tuple[int, int], conv: ConvSettings
) -> tuple[str, bool]:
    """Rich text for the output-size readout, and whether the combination works at all."""
    settings = {"padding": conv.padding, "stride": conv.stride, "dilation": conv.dilation}
    rows = explain_axis(image_shape[0], kernel_shape[0], **settings)
    cols = explain_axis(image_shape[1], kernel_shape[1], **settings)
    lines = [
        "out = ⌊(n + 2p − d(k−1) − 1) / s⌋ + 1",
        f"height: {rows.formula}",
        f"width: {cols.formula}",
    ]
    text = "<br>".join(html.escape(line) for line in lines)
    problems = [
        f"{axis}: {p.problem}" for axis, p in (("height", rows), ("width", cols)) if p.problem
    ]
    if problems:
        red = "<br>".join(html.escape(problem) for problem in problems)
        return f"{text}<br><span style='color:#d03030'><b>No output.</b> {red}</span>", False
    size = f"{image_shape[0]}×{image_shape[1]} → <b>{rows.size}×{cols.size}</b>"
    return f"{size}<br>{text}", True


class ConvControls(QWidget):
    """Form for ``state.pipeline.conv`` plus the output-size readout."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._image_shape: tuple[int, int] | None = None
        self._shown: tuple | None = None
        self.border = self._combo(BORDERS, "border")
        self.padding = QComboBox()
        for value, tooltip in (
            ("same", "Output as large as the input (÷ stride): pads d(k−1) in total"),
            ("valid", "No padding: only where the kernel fits inside the image"),
            ("custom", "p pixels of padding on every side"),
        ):
            self.padding.addItem(value, value)
            self.padding.setItemData(self.padding.count() - 1, tooltip, 3)  # ToolTipRole
        self.pad_amount = self._spin(0, MAX_PADDING, "Padding p on every side, in pixels")
        self.stride = self._spin(1, MAX_STRIDE, "Stride s: the kernel jumps s pixels")
        self.dilation = self._spin(1, MAX_DILATION, "Dilation d: gaps of d−1 between taps")
        self.mode = self._combo(MODES, "mode")
        self.channels = self._combo(CHANNELS, "channels")
        self.output = QLabel()
        self.output.setObjectName("outputSizeFormula")
        self.output.setWordWrap(True)
        self.output.setToolTip("n: input size, k: kernel size, p: padding, d: dilation, s: stride")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(self._form())
        layout.addWidget(self.output)
        layout.addStretch(1)

        self.border.activated.connect(lambda: self._apply(border=self.border.currentData()))
        self.mode.activated.connect(lambda: self._apply(mode=self.mode.currentData()))
        self.channels.activated.connect(lambda: self._apply(channels=self.channels.currentData()))
        self.padding.activated.connect(self._on_padding)
        self.pad_amount.valueChanged.connect(self._on_padding)
        self.stride.valueChanged.connect(lambda v: self._apply(stride=int(v)))
        self.dilation.valueChanged.connect(lambda v: self._apply(dilation=int(v)))
        state.settingsChanged.connect(self.sync)
        state.kernelChanged.connect(self.refresh_output)
        self._throttled_check = qthrottled(self._check_frame_shape, 250, parent=self)
        state.resultReady.connect(self._on_result)
        self.sync()

    def _form(self) -> QFormLayout:
        padding_row = QHBoxLayout()
        padding_row.setContentsMargins(0, 0, 0, 0)
        padding_row.setSpacing(6)
        padding_row.addWidget(self.padding, 1)
        padding_row.addWidget(QLabel("p ="))
        padding_row.addWidget(self.pad_amount)
        steps_row = QHBoxLayout()
        steps_row.setContentsMargins(0, 0, 0, 0)
        steps_row.setSpacing(6)
        steps_row.addWidget(self.stride)
        steps_row.addSpacing(12)
        steps_row.addWidget(QLabel("Dilation"))
        steps_row.addWidget(self.dilation)
        steps_row.addStretch(1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        form.addRow("Border", self.border)
        form.addRow("Padding", padding_row)
        form.addRow("Stride", steps_row)
        form.addRow("Operation", self.mode)
        form.addRow("Channels", self.channels)
        return form

    def _combo(self, choices: dict[str, tuple[str, str]], what: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"conv_{what}")
        for value, (label, tooltip) in choices.items():
            combo.addItem(label, value)
            combo.setItemData(combo.count() - 1, tooltip, 3)  # ToolTipRole
        return combo

    def _spin(self, low: int, high: int, tooltip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setKeyboardTracking(False)
        spin.setToolTip(tooltip)
        spin.setFixedWidth(spin.fontMetrics().horizontalAdvance("000") + 40)
        return spin

    # ------------------------------------------------------------------------- state -> view
    def image_shape(self) -> tuple[int, int]:
        """The shape n is taken from: the latest frame, or an example until one arrives."""
        return self._image_shape or EXAMPLE_SHAPE

    def sync(self) -> None:
        conv = self._state.pipeline.conv
        custom = not isinstance(conv.padding, str)
        widgets = (
            self.border,
            self.padding,
            self.pad_amount,
            self.stride,
            self.dilation,
            self.mode,
            self.channels,
        )
        with ExitStack() as stack:
            for widget in widgets:
                stack.enter_context(signals_blocked(widget))
            self.border.setCurrentIndex(max(0, self.border.findData(conv.border)))
            self.padding.setCurrentIndex(
                self.padding.findData("custom" if custom else conv.padding)
            )
            self.pad_amount.setEnabled(custom)
            if custom:
                self.pad_amount.setValue(int(conv.padding))
            self.stride.setValue(int(conv.stride))
            self.dilation.setValue(int(conv.dilation))
            self.mode.setCurrentIndex(max(0, self.mode.findData(conv.mode)))
            self.channels.setCurrentIndex(max(0, self.channels.findData(conv.channels)))
        self.refresh_output()

    def refresh_output(self, *_args: object) -> None:
        shape = self.image_shape()
        key = (shape, self._state.kernel.shape, self._state.pipeline.conv, self._image_shape)
        if key == self._shown:  # most kernel edits change weights, not the sizes
            return
        self._shown = key
        text, _works = explain_output(shape, self._state.kernel.shape, self._state.pipeline.conv)
        if self._image_shape is None:
            text += "<br><i>(example image size until a frame arrives)</i>"
        self.output.setText(text)

    def _on_result(self, result: PipelineResult) -> None:
        self._throttled_check(result)  # a bound slot: disconnected when this widget goes

    def _check_frame_shape(self, result: PipelineResult) -> None:
        shape = tuple(int(v) for v in result.frame.shape[:2])
        if shape != self._image_shape:
            self._image_shape = shape  # type: ignore[assignment]
            self.refresh_output()

    # ------------------------------------------------------------------------- view -> state
    def _apply(self, **changes: object) -> None:
        try:
            self._state.update_conv(**changes)
        except (ConvlabError, TypeError, ValueError) as error:
            self._state.report(f"Convolution settings: {error}", "warning")
            self.sync()

    def _on_padding(self, *_args: object) -> None:
        choice = self.padding.currentData()
        self.pad_amount.setEnabled(choice == "custom")
        self._apply(padding=int(self.pad_amount.value()) if choice == "custom" else choice)

"""The pixel inspector: the multiply-accumulate behind one output pixel, number by number.

A convolution is easy to define and hard to believe until you see one pixel worked out: the
patch under the kernel, the kernel, their element-wise products, the sum, the divisor and
offset, and a result that is exactly the number in the output image. This panel shows that for
the pixel a person clicked, live (every frame of a webcam, at most ten times a second) or frozen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled

from convlab.engine.explain import nearest_output_pixel, window_breakdown
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import ConvSettings, PipelineResult
from convlab.ui.fonts import readable
from convlab.ui.help import help_button, picture
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.number_grid import NumberGrid, format_number

CHANNEL_CHOICES = ("R", "G", "B", "All")
LIVE_UPDATE_MS = 100  # a pinned pixel follows the webcam at most ten times a second
# The output image is float32 (about 7 digits, and OpenCV sums in another order), so it is
# shown to 5 digits: -7.99999 reads -8, like the exact sum it equals.
OUTPUT_DIGITS = 5
INFO_WIDTH = 150  # px; the settings text under the weights wraps at this width (or theirs)
LARGE_TEXT_POINTS = 2  # a window tall enough for it (a full-HD projector) reads this much larger
# BT.601 luma in float, as convolve(channels="gray") computes it (no rounding to uint8), so the
# inspector's gray patch holds exactly the numbers the convolution saw.
GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class PixelExplanation:
    """What the inspector shows for one pixel: one breakdown per channel shown."""

    pixel: tuple[int, int]  # source-frame (row, col) that was clicked
    output_pixel: tuple[int, int]  # the output pixel drawn over it (nearest_output_pixel)
    kernel: Kernel  # as applied (flipped when the mode is "convolve")
    channels: tuple[str, ...]  # "R", "G", "B" or "gray"
    parts: tuple[dict, ...]  # window_breakdown dicts, one per channel
    summed: bool = False  # channels="sum": the parts are partial sums of ONE output value

    @property
    def result(self) -> float:
        """The output value: per channel its own; summed, (sum of the partial sums) / divisor
        + offset, as a CNN layer adds its filter's channels and then its bias."""
        if not self.summed:
            return float(self.parts[0]["result"])
        first = self.parts[0]
        total = sum(float(parts["total"]) for parts in self.parts)
        return total / float(first["divisor"]) + float(first["offset"])


def explain_pixel(
    frame: np.ndarray,
    kernel: Kernel,
    conv: ConvSettings,
    pixel: tuple[int, int],
    channel_choice: str = "All",
) -> PixelExplanation | None:
    """The breakdowns for ``pixel`` of ``frame`` under the playground's settings.

    The output pixel is the one the output view draws over ``pixel`` (with "same" padding and
    stride 1, ``pixel`` itself); its window follows ``convolve``'s padding, stride and dilation
    rules. Returns None when the pixel is outside the frame or the kernel does not fit.
    """
    row, col = pixel
    if not (0 <= row < frame.shape[0] and 0 <= col < frame.shape[1]):
        return None
    applied = kernel.flipped() if conv.mode == "convolve" else kernel
    output_pixel = nearest_output_pixel(
        pixel,
        frame.shape,
        applied.shape,
        padding=conv.padding,
        stride=conv.stride,
        dilation=conv.dilation,
    )
    if output_pixel is None:
        return None
    if conv.channels == "gray" and frame.ndim == 3:
        image = frame[:, :, :3].astype(np.float32) @ GRAY_WEIGHTS
    else:
        image = frame
    summed = conv.channels == "sum" and image.ndim == 3
    if image.ndim == 2:
        names: tuple[str, ...] = ("gray",)
        planes = [image]
    elif channel_choice == "All" or summed:
        names, planes = ("R", "G", "B"), [image[:, :, index] for index in range(3)]
    else:
        names, planes = (channel_choice,), [image[:, :, "RGB".index(channel_choice)]]
    parts = tuple(
        window_breakdown(
            plane,
            applied,
            *output_pixel,
            border=conv.border,
            padding=conv.padding,
            stride=conv.stride,
            dilation=conv.dilation,
        )
        for plane in planes
    )
    return PixelExplanation(pixel, output_pixel, applied, names, parts, summed)


def output_value(
    result: PipelineResult | None, output_pixel: tuple[int, int], channel: str
) -> float | None:
    """The number the output image holds at ``output_pixel`` (None if there is no such pixel)."""
    if result is None:
        return None
    output = result.output
    row, col = output_pixel
    if not (0 <= row < output.shape[0] and 0 <= col < output.shape[1]):
        return None
    if output.ndim == 2:
        return float(output[row, col])
    index = 0 if channel == "gray" else "RGB".index(channel)
    return float(output[row, col, min(index, output.shape[2] - 1)])


def grid_digits(shape: tuple[int, ...]) -> int:
    """Significant digits per cell: fewer for big kernels, so a 7x7 grid fits a dock."""
    return 3 if max(shape) <= 5 else 2


def matches_output(result: float, output: float) -> bool:
    """The breakdown's result and the output image's float32 value agree (to float32 rounding)."""
    return bool(np.isclose(result, output, rtol=1e-5, atol=1e-3))


def result_summary(explanation: PixelExplanation, outputs: list[float | None], fresh: bool) -> str:
    """One line with every channel's result and whether the output image holds the same.

    Stays at the top of the panel, so a short dock still shows the answer; the grids below
    show how it came about.
    """
    if explanation.summed:
        return summed_result(explanation, outputs[0], fresh)
    named = len(explanation.parts) > 1 or explanation.channels[0] != "gray"
    values = " · ".join(
        f"<b>{format_number(float(parts['result']), 6)}</b>" + (f" ({name})" if named else "")
        for name, parts in zip(explanation.channels, explanation.parts)
    )
    text = f"Result = {values}"
    if not fresh or any(output is None for output in outputs):
        return text
    if all(
        matches_output(float(parts["result"]), output)
        for parts, output in zip(explanation.parts, outputs)
    ):
        return text + " &nbsp;<span style='color:#2a8a2a'>✓ matches the output</span>"
    return text + " &nbsp;<span style='color:#c03030'>✗ differs from the output</span>"


def summed_result(explanation: PixelExplanation, output: float | None, fresh: bool) -> str:
    """The sum of the channels' partial sums, the divisor and the offset (the layer's bias)."""
    first = explanation.parts[0]
    partials = " + ".join(
        f"{format_number(float(parts['total']), 6)} ({name})"
        for name, parts in zip(explanation.channels, explanation.parts)
    )
    text = (
        f"Result = ({partials}) ÷ {format_number(float(first['divisor']), 6)} + bias "
        f"{format_number(float(first['offset']), 6)} = "
        f"<b>{format_number(explanation.result, 6)}</b>"
    )
    if output is None or not fresh:
        return text
    if matches_output(explanation.result, output):
        return text + " &nbsp;<span style='color:#2a8a2a'>✓ matches the output</span>"
    return text + " &nbsp;<span style='color:#c03030'>✗ differs from the output</span>"


def cell_describer(parts: dict, border: str) -> Callable[[int, int], str]:
    """Tooltips for a patch cell: which pixel it is, where the border rule read it, the product."""

    def describe(u: int, v: int) -> str:
        row, col = int(parts["rows"][u]), int(parts["cols"][v])
        value, weight = float(parts["patch"][u, v]), float(parts["weights"][u, v])
        source_row, source_col = int(parts["source_rows"][u]), int(parts["source_cols"][v])
        if parts["in_bounds"][u, v]:
            where = f"image pixel (row {row}, col {col})"
        elif source_row < 0 or source_col < 0:
            where = f"outside the image at (row {row}, col {col}): the {border} border reads 0"
        else:
            where = (
                f"outside the image at (row {row}, col {col}): the {border} border copies "
                f"pixel (row {source_row}, col {source_col})"
            )
        return (
            f"{where}\nvalue {format_number(value, 6)} × weight {format_number(weight, 6)}"
            f" = {format_number(value * weight, 6)}"
        )

    return describe


class _ChannelRow(QWidget):
    """One channel: its input patch, "× weights =", the products, and the sum.

    Stacked (patch above products) when the channels stand side by side; in a row when one
    channel is shown alone and width is what the inspector has.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.border = "reflect101"
        self.patch = NumberGrid("Input patch")
        self.products = NumberGrid("Products")
        self.sum_label = QLabel()
        self.sum_label.setTextFormat(Qt.TextFormat.RichText)
        self.sum_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sum_label.setWordWrap(True)
        self.times = QLabel("× weights =")
        self.times.setToolTip("Each input value is multiplied by the kernel weight on top of it.")
        self.times.setStyleSheet("color: palette(placeholder-text);")
        self.grids = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.grids.setSpacing(2)
        self.grids.addWidget(self.patch, 0, Qt.AlignmentFlag.AlignLeft)
        self.grids.addWidget(self.times, 0, Qt.AlignmentFlag.AlignLeft)
        self.grids.addWidget(self.products, 0, Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.grids)
        layout.addWidget(self.sum_label)
        layout.addStretch(1)

    def set_across(self, across: bool) -> None:
        """Patch, weights and products left to right (one channel) or stacked (several)."""
        self.grids.setDirection(
            QBoxLayout.Direction.LeftToRight if across else QBoxLayout.Direction.TopToBottom
        )
        self.grids.setSpacing(8 if across else 2)
        self.grids.setAlignment(self.times, Qt.AlignmentFlag.AlignVCenter if across else
                                Qt.AlignmentFlag.AlignLeft)  # fmt: skip

    def show_parts(
        self,
        name: str,
        parts: dict,
        pixel: tuple[int, int],
        output: float | None,
        fresh: bool,
        partial: bool = False,
    ) -> None:
        marked = ~np.asarray(parts["in_bounds"], dtype=bool)
        centre = np.outer(
            np.asarray(parts["rows"]) == pixel[0], np.asarray(parts["cols"]) == pixel[1]
        )
        digits = grid_digits(parts["weights"].shape)
        self.patch.set_title(f"Input patch ({name})")
        self.patch.set_values(
            parts["patch"], scale="gray", marked=marked, highlight=centre, digits=digits
        )
        self.products.set_values(parts["products"], scale="signed", marked=marked, digits=digits)
        describe = cell_describer(parts, self.border)
        self.patch.set_describer(describe)
        self.products.set_describer(describe)
        total = float(parts["total"])
        if partial:
            self.sum_label.setText(
                f"partial sum ({name}) = Σ products = <b>{format_number(total, 6)}</b>"
            )
            return
        divisor = float(parts["divisor"])
        offset = float(parts["offset"])
        result = float(parts["result"])
        if divisor == 1.0 and offset == 0.0:
            text = f"Σ products = <b>{format_number(result, 6)}</b>"
        else:
            text = f"Σ products = {format_number(total, 6)}"
            if divisor != 1.0:
                text += f" ÷ {format_number(divisor, 6)}"
            if offset != 0.0:
                text += f" + {format_number(offset, 6)}"
            text += f" = <b>{format_number(result, 6)}</b>"
        if output is not None and fresh:
            same = matches_output(result, output)
            mark = (
                "<span style='color:#2a8a2a'>✓ equals the output pixel</span>"
                if same
                else "<span style='color:#c03030'>✗ differs from the output pixel</span>"
            )
            text += f"<br>output holds {format_number(output, OUTPUT_DIGITS)} {mark}"
        elif output is not None:
            text += (
                "<br><i>the output image was made with other settings; it is compared "
                "again with the next frame</i>"
            )
        self.sum_label.setText(text)


class PixelInspectorPanel(QWidget):
    """Shows, for the inspected pixel, the patch, kernel, products, sum and result per channel."""

    HELP_TITLE = "Pixel inspector"
    HELP_HTML = (
        "<p>How one output pixel is computed. Click a pixel (or point at one to see just its "
        "sum); Esc closes this card, and you can drag it anywhere.</p>"
        + picture("inspector.png", 480)
        + "<ul><li><b>Input patch</b>: the input values under the kernel, the clicked pixel "
        "outlined. Hatched cells lie outside the picture: the border rule invents them (hover "
        "a cell to see where it came from).</li>"
        "<li><b>Weights</b>: the kernel (turned 180° in convolve mode).</li>"
        "<li><b>Products</b>: value × weight (red +, blue −). Their sum ÷ divisor + offset is "
        "the very number in the output image (✓).</li>"
        "<li>Colour pictures are filtered per channel, side by side here. With <i>Sum "
        "channels (CNN layer)</i> the three partial sums make ONE value, plus the bias.</li>"
        "<li><i>Live</i> follows a webcam ten times a second; untick it to freeze the "
        "numbers.</li></ul>"
    )

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A click anywhere in the panel (even on a picture or a label) focuses it, so F1 shows
        # this panel's help.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.state = state
        self.explanation: PixelExplanation | None = None
        self._frozen_frame: np.ndarray | None = None
        self._frozen_result: PipelineResult | None = None
        self._text_delta = 0  # points added to every font (set_large)
        self._base_points: dict[QWidget, float] | None = None
        header = self._build_header()
        self.result_label = QLabel()
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body = self._build_numbers()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.result_label)
        layout.addLayout(self.body)
        layout.addStretch(1)

        self._refresh_live = qthrottled(self.refresh, timeout=LIVE_UPDATE_MS, parent=self)
        state.inspectedPixelChanged.connect(lambda _pos: self.refresh())
        state.kernelChanged.connect(lambda _k: self.refresh())
        state.settingsChanged.connect(self.refresh)
        state.resultReady.connect(self._on_result)
        self.channel_box.currentTextChanged.connect(lambda _t: self.refresh())
        self.live_box.toggled.connect(self._on_live_toggled)
        self.refresh()

    def _build_header(self) -> QHBoxLayout:
        """Which pixel, which channel, live or frozen, and the help button."""
        self.title = QLabel("Click a pixel in the source or output view.")
        self.title.setWordWrap(True)
        self.channel_box = QComboBox()
        self.channel_box.addItems(list(CHANNEL_CHOICES))
        self.channel_box.setCurrentText("All")
        self.channel_box.setToolTip("Colour images are filtered channel by channel.")
        self.live_box = QCheckBox("Live")
        self.live_box.setChecked(True)
        self.live_box.setToolTip("Follow every new frame (webcam). Off: freeze the numbers.")
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(QLabel("Channel"))
        header.addWidget(self.channel_box)
        header.addWidget(self.live_box)
        header.addWidget(help_button(self, self.HELP_TITLE, self.HELP_HTML))
        self.close_button = QToolButton()
        self.close_button.setObjectName("inspectorClose")
        self.close_button.setAutoRaise(True)
        self.close_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton)
        )
        self.close_button.setToolTip("Stop inspecting (Esc)")
        self.close_button.clicked.connect(lambda: self.state.set_inspected_pixel(None))
        header.addWidget(self.close_button)
        return header

    def _build_numbers(self) -> QHBoxLayout:
        """The weights with the settings under them, then one column per channel (patch,
        products, sum): a 7x7 kernel's three channels fit a laptop screen side by side, none
        below the fold."""
        self.kernel_grid = NumberGrid("Weights")
        self.kernel_info = QLabel()
        self.kernel_info.setWordWrap(True)
        small = self.kernel_info.font()
        small.setPointSizeF(readable(small.pointSizeF() - 1.0))
        self.kernel_info.setFont(small)
        self.kernel_info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.rows = [_ChannelRow() for _ in range(3)]
        weights = QVBoxLayout()
        weights.setSpacing(4)
        weights.addWidget(self.kernel_grid, 0, Qt.AlignmentFlag.AlignLeft)
        weights.addWidget(self.kernel_info)
        weights.addStretch(1)
        body = QHBoxLayout()
        body.setSpacing(14)
        body.addLayout(weights)
        for row in self.rows:
            body.addWidget(row, 0, Qt.AlignmentFlag.AlignTop)
        body.addStretch(1)
        return body

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def set_large(self, large: bool) -> None:
        """Numbers a little larger (read from the back of a room) or the usual size; the card
        then grows to them. Each widget's own font is set (a style sheet on the card stops a
        parent's font from reaching its children)."""
        delta = LARGE_TEXT_POINTS if large else 0
        if delta == self._text_delta:
            return
        self._text_delta = delta
        if self._base_points is None:
            widgets = [self, *self.findChildren(QWidget)]
            self._base_points = {widget: widget.font().pointSizeF() for widget in widgets}
        for widget, points in self._base_points.items():
            font = widget.font()
            font.setPointSizeF(points + delta)
            widget.setFont(font)

    # -- reacting to the state ---------------------------------------------------------------
    def _on_result(self, _result: PipelineResult) -> None:
        if self.live_box.isChecked():
            self._refresh_live()

    def _on_live_toggled(self, live: bool) -> None:
        self._frozen_result = None if live else self.state.latest_result
        self._frozen_frame = (
            None if live or self._frozen_result is None else self._frozen_result.frame
        )
        self.refresh()

    def _source(self) -> tuple[np.ndarray | None, PipelineResult | None]:
        if not self.live_box.isChecked() and self._frozen_frame is not None:
            return self._frozen_frame, self._frozen_result
        result = self.state.latest_result
        return (None, None) if result is None else (result.frame, result)

    def refresh(self) -> None:
        """Recompute the breakdown for the inspected pixel and redraw the grids.

        A closed or hidden dock does no work; it catches up when it is shown again.
        """
        if not self.isVisible():
            return
        frame, result = self._source()
        pixel = self.state.inspected_pixel
        self.channel_box.setEnabled(
            frame is not None
            and frame.ndim == 3
            and self.state.pipeline.conv.channels not in ("gray", "sum")
        )
        if pixel is None or frame is None:
            self._show_message(
                "Click a pixel in the source or output view to see how its "
                "output value is computed."
                if frame is not None
                else "No image yet: open an image or a camera."
            )
            return
        conv = self.state.pipeline.conv
        explanation = explain_pixel(
            frame, self.state.kernel, conv, tuple(pixel), self.channel_box.currentText()
        )
        if explanation is None:
            self._show_message(
                f"Pixel ({pixel[0]}, {pixel[1]}) has no output: it is outside "
                "the frame, or the kernel does not fit the image."
            )
            return
        self.explanation = explanation
        fresh = result is not None and result.generation == self.state.pipeline.generation
        self._show(explanation, result, fresh)

    # -- drawing -----------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.explanation = None
        self.title.setText(text)
        self.result_label.hide()
        self.kernel_grid.hide()
        self.kernel_info.hide()
        for row in self.rows:
            row.hide()

    def _show_kernel(self, explanation: PixelExplanation, result: PipelineResult | None) -> None:
        """The kernel as applied, and the settings that decide which pixels it reads."""
        conv = self.state.pipeline.conv
        kernel = explanation.kernel
        flipped = conv.mode == "convolve"
        self.kernel_grid.set_title("Weights (flipped 180°)" if flipped else "Weights")
        weights = explanation.parts[0]["weights"]
        self.kernel_grid.set_values(weights, scale="signed", digits=grid_digits(weights.shape))
        outside = int((~np.asarray(explanation.parts[0]["in_bounds"], dtype=bool)).sum())
        info = [
            f"{kernel.shape[0]}×{kernel.shape[1]} kernel · border <b>{conv.border}</b> · padding "
            f"{conv.padding} · stride {conv.stride} · dilation {conv.dilation}",
        ]
        if flipped:
            info.append("Mode <b>convolve</b>: the kernel is applied rotated by 180°.")
        if result is not None and result.selected is not None:
            info.append(
                "The output view shows a feature map; these numbers are for the main kernel."
            )
        if outside:
            info.append(
                f"<span style='color:#b86e00'>{outside} hatched cell(s): outside the "
                f"image, filled in by the {conv.border} border.</span>"
            )
        self.kernel_info.setText("<br>".join(info))
        self.kernel_info.setFixedWidth(max(self.kernel_grid.sizeHint().width(), INFO_WIDTH))
        self.kernel_grid.show()
        self.kernel_info.show()

    def _show(
        self, explanation: PixelExplanation, result: PipelineResult | None, fresh: bool
    ) -> None:
        row, col = explanation.pixel
        out_row, out_col = explanation.output_pixel
        where = f"Row {row}, col {col}"
        if (out_row, out_col) != (row, col):
            where += f" → output ({out_row}, {out_col})"
        self.title.setText(f"<b>{where}</b>")
        self.title.setToolTip(
            f"Input pixel (row {row}, col {col}); its output pixel is "
            f"(row {out_row}, col {out_col}) of the output image."
        )
        conv = self.state.pipeline.conv
        self._show_kernel(explanation, result)
        outputs = [
            output_value(result, explanation.output_pixel, "gray" if explanation.summed else name)
            for name in explanation.channels
        ]
        self.result_label.setText(result_summary(explanation, outputs, fresh))
        self.result_label.show()
        for index, widget in enumerate(self.rows):
            if index < len(explanation.parts):
                widget.border = conv.border
                widget.set_across(len(explanation.parts) == 1)
                widget.show_parts(
                    explanation.channels[index],
                    explanation.parts[index],
                    explanation.pixel,
                    outputs[index],
                    fresh,
                    partial=explanation.summed,
                )
                widget.show()
            else:
                widget.hide()

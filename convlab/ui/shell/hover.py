"""Point at a pixel, see its window and its sum: no click needed (CNN Explainer's best habit).

While the mouse is over the input or the output, the window of input pixels behind the output
pixel there is outlined on the input (dashed), and a tip beside the mouse gives the sum of the
products and the output value. It is worked out by the pixel inspector's own arithmetic, at
most ``HOVER_MS`` apart, from the k x k taps only (well under a millisecond for a 15x15
kernel on three channels).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QRectF
from superqt.utils import qthrottled

from convlab.engine.pipeline import PipelineResult
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.inspector import PixelExplanation, explain_pixel
from convlab.ui.widgets.image_view import ImageView
from convlab.ui.widgets.number_grid import format_number

HOVER_MS = 30  # the outline and the tip follow the mouse at most ~33 times a second


def window_area(explanation: PixelExplanation) -> QRectF:
    """The bounding box of the window's taps, in source coordinates."""
    parts = explanation.parts[0]
    rows, cols = np.asarray(parts["rows"]), np.asarray(parts["cols"])
    return QRectF(
        float(cols.min()),
        float(rows.min()),
        float(cols.max() - cols.min() + 1),
        float(rows.max() - rows.min() + 1),
    )


def _values(numbers: list[float]) -> str:
    return " · ".join(format_number(value, 5) for value in numbers)


def tip_text(explanation: PixelExplanation, inspected: bool = False) -> str:
    """Two or three short lines: the sum of the products, and the output value; and that a
    click shows every product, unless the card already shows this pixel's."""
    parts = explanation.parts
    first = parts[0]
    divisor, offset = float(first["divisor"]), float(first["offset"])
    totals = [float(p["total"]) for p in parts]
    names = "" if explanation.channels == ("gray",) else f"  ({' · '.join(explanation.channels)})"
    row, col = explanation.output_pixel
    lines = [f"output pixel ({row}, {col})"]
    if getattr(explanation, "summed", False):  # one value from the channels' partial sums
        lines.append(f"Σ w·x = {' + '.join(format_number(t, 5) for t in totals)}")
        total = sum(totals)
        lines.append(f"= {format_number(total, 6)}")
        results = [total / divisor + offset]
        names = ""
    else:
        lines.append(f"Σ w·x = {_values(totals)}{names}")
        results = [float(p["result"]) for p in parts]
    if divisor != 1.0 or offset != 0.0:
        scale = f"÷ {format_number(divisor, 6)}" if divisor != 1.0 else ""
        shift = f" + {format_number(offset, 6)}" if offset != 0.0 else ""
        lines.append(f"{scale}{shift} = {_values(results)}".strip())
    if not inspected:
        lines.append("click: every product")
    return "\n".join(lines)


class HoverReadout(QObject):
    """Keeps the hover outline and tip of ``views`` (input, output) up to date."""

    def __init__(self, state: PlaygroundState, views: tuple[ImageView, ImageView]) -> None:
        super().__init__(views[0])
        self.state, self.views = state, views
        self.position: tuple[int, int] | None = None
        self.result: PipelineResult | None = None
        self.explanation: PixelExplanation | None = None
        self.update = qthrottled(self._update, timeout=HOVER_MS, parent=self)
        state.inspectedPixelChanged.connect(lambda _pixel: self.update())  # the tip's last line

    def hover(self, position: tuple[int, int] | None, result: PipelineResult | None) -> None:
        """The mouse is over ``position`` (source coordinates) or left the pictures."""
        self.position, self.result = position, result
        if position is None:
            self._clear()  # at once: a stale outline must not trail the mouse out
            return
        self.update()

    def _clear(self) -> None:
        self.explanation = None
        for view in self.views:
            view.show_hover_window(None)
            view.show_tip(None)

    def _update(self) -> None:
        position, result = self.position, self.result
        if position is None or result is None:
            self._clear()
            return
        pipeline = self.state.pipeline
        explanation = explain_pixel(result.frame, pipeline.kernel, pipeline.conv, position)
        self.explanation = explanation
        source, output = self.views
        # the window is drawn on the input; with the input view hidden, on the output view
        drawn_on = source if source.isVisible() else output
        inspected = self.state.inspected_pixel is not None and tuple(
            self.state.inspected_pixel
        ) == tuple(position)
        for view in self.views:
            view.show_hover_window(
                window_area(explanation) if view is drawn_on and explanation else None
            )
            view.show_tip(tip_text(explanation, inspected) if explanation is not None else None)

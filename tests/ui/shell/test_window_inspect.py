"""The inspected pixel in the real window: the outline on the input view is the window the
pixel inspector explains, for every padding, stride and dilation."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from convlab.engine.kernels import Kernel
from convlab.ui.teach.inspector import explain_pixel
from tests.ui.conftest import wait_for_result


def _cells(path, rows: range, cols: range) -> set[tuple[int, int]]:
    """The pixels whose centres a drawn outline covers."""
    return {(r, c) for r in rows for c in cols if path.contains(QPointF(c + 0.5, r + 0.5))}


def _drawn_taps(view, height: int, width: int) -> tuple[set, set]:
    """(every outlined tap, the taps outlined as invented by the border rule)."""
    rows, cols = range(-12, height + 12), range(-12, width + 12)
    footprint = view._footprint.item
    outside = view._outside.item
    inside_cells = _cells(footprint.path(), rows, cols) if footprint.isVisible() else set()
    outside_cells = _cells(outside.path(), rows, cols) if outside.isVisible() else set()
    return inside_cells | outside_cells, outside_cells


@pytest.mark.parametrize(
    ("shape", "pixel", "padding", "stride", "dilation"),
    [
        ((3, 3), (0, 5), "same", 1, 1),  # top row: the window leaves the image
        ((7, 7), (5, 6), "same", 2, 1),  # stride 2: not the window centred on the pixel
        ((5, 5), (0, 0), "valid", 1, 1),  # valid: no padded taps at all
        ((3, 5), (1, 2), 2, 2, 1),  # integer padding and stride 2
        ((3, 3), (0, 127), "same", 1, 2),  # dilation 2 at the top-right corner: spread taps
        ((3, 3), (40, 50), "valid", 2, 2),
    ],
)
def test_the_outline_is_the_window_the_inspector_explains(
    window, qtbot, shape, pixel, padding, stride, dilation
):
    state = window.state
    state.set_kernel(Kernel(np.ones(shape), divisor=float(np.prod(shape))))
    state.update_conv(padding=padding, stride=stride, dilation=dilation)
    wait_for_result(qtbot, window)
    frame = window.last_result.frame
    height, width = frame.shape[:2]
    state.set_inspected_pixel(pixel)

    explanation = explain_pixel(frame, state.kernel, state.pipeline.conv, pixel)
    parts = explanation.parts[0]
    rows, cols = np.asarray(parts["rows"]), np.asarray(parts["cols"])
    in_bounds = np.asarray(parts["in_bounds"], dtype=bool)
    expected = {(int(r), int(c)) for r in rows for c in cols}
    expected_outside = {(int(rows[u]), int(cols[v])) for u, v in zip(*np.nonzero(~in_bounds))}
    drawn, drawn_outside = _drawn_taps(window.source_view, height, width)
    assert drawn == expected
    assert drawn_outside == expected_outside
    if padding == "valid":
        assert not drawn_outside and not window.source_view._padded.item.isVisible()
    if expected_outside:  # the padded ring: the image grown by the padding on each side
        pad = {"same": (dilation * (shape[0] - 1) // 2, dilation * (shape[1] - 1) // 2)}.get(
            padding, (padding, padding)
        )
        ring = window.source_view._padded.item.path().boundingRect()
        assert (ring.top(), ring.left()) == (-pad[0], -pad[1])
    # independent of the engine's helpers: the output pixel is the box mean of the drawn taps
    # (all inside here, or for padded taps the border rule would have to be redone)
    result = window.last_result
    out_row, out_col = explanation.output_pixel
    if not expected_outside:
        window_values = frame[np.ix_(rows, cols)].astype(np.float64)
        assert result.output[out_row, out_col] == pytest.approx(
            window_values.mean(axis=(0, 1)), abs=1e-3
        )


def test_stride_two_outlines_the_window_actually_read(window, qtbot):
    """The 7x7 stride-2 case by hand: pixel (5, 6) is drawn over output pixel (3, 3), which
    reads input rows and columns 3*2 - 3 .. 3*2 + 3 = 3..9 (not 2..8 around the pixel)."""
    window.state.set_kernel(Kernel(np.ones((7, 7))))
    window.state.update_conv(stride=2)
    wait_for_result(qtbot, window)
    window.state.set_inspected_pixel((5, 6))
    outline = window.source_view._footprint.item.path().boundingRect()
    assert outline.getRect() == (3.0, 3.0, 7.0, 7.0)
    # the output view marks where output pixel (3, 3) is drawn: 2x2 source pixels centred
    # on its window's centre, 6.5
    marked = window.output_view._footprint.item.path().boundingRect()
    assert marked.getRect() == (5.5, 5.5, 2.0, 2.0)

"""The arithmetic animation's drawing: INPUT (with its padding ring), KERNEL, OUTPUT, the window.

A plain QPainter canvas over a ``Scene`` (see ``convlab.engine.arithmetic``): it draws what the
scene says and turns a click on a cell into the number of steps that reach it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from convlab.engine.arithmetic import (
    INPUT_CELL,
    INSERTED_ZERO,
    ZERO_INSERTED,
    ScatterStep,
    Scene,
    WindowStep,
)
from convlab.ui.fonts import readable
from convlab.ui.teach.canvas_pieces import draw_arrow, draw_cell, draw_operator, draw_title
from convlab.ui.widgets.number_grid import format_number

INPUT_COLOUR = QColor(40, 100, 200)
OUTPUT_COLOUR = QColor(30, 140, 70)
WINDOW_COLOUR = QColor(240, 130, 0)
PAD_COLOUR = QColor(225, 225, 225)
ERROR_BOX_WIDTH = 260.0  # px kept for the "why these settings cannot work" box


class ArithmeticCanvas(QWidget):
    """Draws INPUT (with its padding ring), KERNEL and OUTPUT, and the current window.

    Clicking an output cell (an input cell for the transposed convolution) asks to jump to the
    step that writes (reads) it: ``stepRequested`` carries the number of steps to show.
    """

    stepRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene: Scene | None = None
        self._geometry: tuple[QRectF, QRectF, float] | None = None
        # Focusable, so that after a click the arrow keys and Space drive the animation.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.key_actions: dict[Qt.Key, Callable[[], object]] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(560, 240)

    def sizeHint(self) -> QSize:
        return QSize(900, 460)

    def set_scene(self, scene: Scene) -> None:
        self.scene = scene
        self.update()

    # -- layout ----------------------------------------------------------------------------
    def _blocks(self, scene: Scene) -> tuple[int, int, int]:
        """Cells across the input, kernel and output blocks."""
        n, k = scene.grid.shape[0], scene.kernel.shape[0]
        if scene.mode == "transposed":
            full = (n - 1) * scene.stride + scene.dilation * (k - 1) + 1
            return n, k, max(full, scene.output_shape[0] + scene.padding, 1)
        if scene.mode == ZERO_INSERTED:
            return n, k, max(scene.output_shape[0], 1)
        return n + 2 * scene.padding, k, max(scene.output_shape[0], 1)

    def paintEvent(self, event) -> None:
        scene = self.scene
        if scene is None:
            return
        painter = QPainter(self)
        # Grid cells are axis-aligned: no antialiasing (it halves the paint cost); the arrow
        # and the rounded error box turn it on for themselves.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        painter.fillRect(self.rect(), self.palette().base())
        inputs, kernel_cells, outputs = self._blocks(scene)
        title_h = 40.0
        gap = 64.0
        # An impossible setting has no output grid: its explanation box takes that room.
        error_w = ERROR_BOX_WIDTH if scene.error else 0.0
        output_cells = 0 if scene.error else outputs
        usable_w = self.width() - 2 * gap - 24 - error_w
        usable_h = self.height() - title_h - 16
        tallest = max(inputs, output_cells, kernel_cells)
        cell = min(64.0, usable_w / (inputs + kernel_cells + output_cells), usable_h / tallest)
        cell = max(cell, 14.0)
        font = QFont(self.font())
        font.setPointSizeF(readable(min(13.0, cell * 0.3)))
        painter.setFont(font)
        drawing_w = (inputs + kernel_cells + output_cells) * cell + 2 * gap + error_w
        x = max(12.0, (self.width() - drawing_w) / 2)
        top = title_h + max(0.0, (usable_h - tallest * cell) / 2)
        input_rect = QRectF(x, top, inputs * cell, inputs * cell)
        x += inputs * cell + gap
        kernel_top = top + max(0.0, (inputs - kernel_cells) * cell / 2)
        kernel_rect = QRectF(x, kernel_top, kernel_cells * cell, kernel_cells * cell)
        x += kernel_cells * cell + gap
        output_rect = QRectF(x, top, outputs * cell, outputs * cell)
        self._geometry = (input_rect, output_rect, cell)

        self._draw_input(painter, scene, input_rect, cell)
        self._draw_kernel(painter, scene, kernel_rect, cell)
        if scene.mode in ("convolution", "transposed"):
            draw_operator(painter, input_rect, kernel_rect, "×")
        draw_arrow(painter, kernel_rect, output_rect)
        if scene.error:
            self._draw_error(
                painter,
                scene.error,
                output_rect.topLeft(),
                min(ERROR_BOX_WIDTH, self.width() - x - 12),
            )
        else:
            self._draw_output(painter, scene, output_rect, cell)
        painter.end()

    def step_for_point(self, point: QPointF) -> int | None:
        """How many steps to show so that the clicked cell is the current one (None: no cell)."""
        scene = self.scene
        if scene is None or scene.error or self._geometry is None:
            return None
        input_rect, output_rect, cell = self._geometry
        if scene.mode == "transposed":
            n = scene.grid.shape[0]
            row = int((point.y() - input_rect.top()) // cell)
            col = int((point.x() - input_rect.left()) // cell)
            inside = input_rect.contains(point) and 0 <= row < n and 0 <= col < n
            return row * n + col + 1 if inside else None
        rows, cols = scene.output_shape
        row = int((point.y() - output_rect.top()) // cell)
        col = int((point.x() - output_rect.left()) // cell)
        inside = output_rect.contains(point) and 0 <= row < rows and 0 <= col < cols
        return row * cols + col + 1 if inside else None

    def keyPressEvent(self, event) -> None:
        action = self.key_actions.get(Qt.Key(event.key()))
        if action is None:
            super().keyPressEvent(event)
        else:
            action()

    def mousePressEvent(self, event) -> None:
        done = self.step_for_point(event.position())
        if done is not None:
            self.stepRequested.emit(done)
        super().mousePressEvent(event)

    # -- pieces ----------------------------------------------------------------------------
    def _draw_input(self, painter: QPainter, scene: Scene, rect: QRectF, cell: float) -> None:
        n = scene.grid.shape[0]
        p = 0 if scene.mode in ("transposed", ZERO_INSERTED) else scene.padding
        if scene.mode == ZERO_INSERTED:
            frame = scene.dilation * (scene.kernel.shape[0] - 1) - scene.padding
            draw_title(
                painter,
                rect,
                "ZERO-INSERTED INPUT",
                f"{scene.source_size}×{scene.source_size} spread {scene.stride} apart, "
                f"framed by {frame} zero(s)"
                + (f" + {scene.output_padding} (output padding)" if scene.output_padding else ""),
                INPUT_COLOUR,
            )
        else:
            ring = "zeros" if scene.mode != "max_pool" else "cells the max ignores"
            sub = f"{n}×{n}" + (f", padding {p} (ring of {ring})" if p else ", no padding")
            draw_title(painter, rect, "INPUT", sub, INPUT_COLOUR)
        step = scene.current
        sampled: dict[tuple[int, int], float] = {}
        if isinstance(step, WindowStep):
            for u, r in enumerate(step.rows):
                for v, c in enumerate(step.cols):
                    sampled[(r, c)] = float(scene.kernel[u, v])
        for r in range(-p, n + p):
            for c in range(-p, n + p):
                box = QRectF(rect.left() + (c + p) * cell, rect.top() + (r + p) * cell, cell, cell)
                self._input_cell(painter, scene, step, box, r, c)
                if (r, c) in sampled:
                    painter.fillRect(box, QColor(240, 130, 0, 70))
                    if scene.mode in ("convolution", ZERO_INSERTED) and cell >= 26:
                        self._weight_tag(painter, box, sampled[(r, c)])
        if p:
            painter.setPen(QPen(INPUT_COLOUR, 2))
            painter.drawRect(
                QRectF(rect.left() + p * cell, rect.top() + p * cell, n * cell, n * cell)
            )
        if isinstance(step, WindowStep):
            self._draw_window(
                painter, scene, step, QPointF(rect.left() + p * cell, rect.top() + p * cell), cell
            )

    def _input_cell(
        self, painter: QPainter, scene: Scene, step, box: QRectF, r: int, c: int
    ) -> None:
        """One input cell: a number, a padding zero (hatched) or an inserted zero (grey)."""
        n = scene.grid.shape[0]
        if not (0 <= r < n and 0 <= c < n):
            text = "" if scene.mode == "max_pool" else "0"
            draw_cell(painter, box, text, PAD_COLOUR, QColor(190, 190, 190), hatched=True)
            return
        kind = INPUT_CELL if scene.kinds is None else int(scene.kinds[r, c])
        if kind == INSERTED_ZERO:
            draw_cell(painter, box, "0", QColor(244, 244, 244), QColor(200, 200, 200))
            return
        if kind != INPUT_CELL:
            draw_cell(painter, box, "0", PAD_COLOUR, QColor(190, 190, 190), hatched=True)
            return
        fill = QColor(235, 243, 255)
        if isinstance(step, ScatterStep) and (r, c) == (step.in_row, step.in_col):
            fill = QColor(255, 214, 160)
        draw_cell(painter, box, format_number(scene.grid[r, c]), fill, INPUT_COLOUR.lighter(130))

    def _weight_tag(self, painter: QPainter, box: QRectF, weight: float) -> None:
        """The kernel weight that multiplies this input cell, small in its corner."""
        small = QFont(painter.font())
        small.setPointSizeF(readable(painter.font().pointSizeF() * 0.7))
        painter.save()
        painter.setFont(small)
        painter.setPen(QColor(170, 80, 0))
        painter.drawText(
            box.adjusted(2, 1, -2, -1),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
            "×" + format_number(weight),
        )
        painter.restore()

    def _draw_window(
        self, painter: QPainter, scene: Scene, step: WindowStep, origin: QPointF, cell: float
    ) -> None:
        """Outline the sampled input cells; ``origin`` is where input cell (0, 0) is drawn."""
        painter.setPen(QPen(WINDOW_COLOUR, 3))
        for r in step.rows:
            for c in step.cols:
                painter.drawRect(
                    QRectF(
                        origin.x() + c * cell + 1.5, origin.y() + r * cell + 1.5, cell - 3, cell - 3
                    )
                )
        if scene.dilation > 1:
            span = QRectF(
                origin.x() + step.cols[0] * cell,
                origin.y() + step.rows[0] * cell,
                (step.cols[-1] - step.cols[0] + 1) * cell,
                (step.rows[-1] - step.rows[0] + 1) * cell,
            )
            painter.setPen(QPen(WINDOW_COLOUR, 1.5, Qt.PenStyle.DashLine))
            painter.drawRect(span)

    def _draw_kernel(self, painter: QPainter, scene: Scene, rect: QRectF, cell: float) -> None:
        k = scene.kernel.shape[0]
        if scene.mode in ("max_pool", "avg_pool"):
            kind = "max" if scene.mode == "max_pool" else "mean"
            draw_title(painter, rect, "WINDOW", f"{k}×{k}, takes the {kind}", WINDOW_COLOUR)
            for u in range(k):
                for v in range(k):
                    box = QRectF(rect.left() + v * cell, rect.top() + u * cell, cell, cell)
                    draw_cell(painter, box, kind, QColor(255, 238, 214), WINDOW_COLOUR)
        else:
            turned = ", turned 180°" if scene.mode == ZERO_INSERTED else ""
            draw_title(
                painter,
                rect,
                "KERNEL",
                f"{k}×{k}, dilation {scene.dilation}{turned}",
                WINDOW_COLOUR,
            )
            for u in range(k):
                for v in range(k):
                    box = QRectF(rect.left() + v * cell, rect.top() + u * cell, cell, cell)
                    draw_cell(
                        painter,
                        box,
                        format_number(scene.kernel[u, v]),
                        QColor(255, 238, 214),
                        WINDOW_COLOUR,
                    )
        painter.setPen(QPen(WINDOW_COLOUR, 2))
        painter.drawRect(rect)

    def _draw_output(self, painter: QPainter, scene: Scene, rect: QRectF, cell: float) -> None:
        if scene.mode == "transposed":
            self._draw_scattered_output(painter, scene, rect, cell)
            return
        values = scene.output()
        step = scene.current
        size = scene.output_shape[0]
        draw_title(painter, rect, "OUTPUT", f"{size}×{size}", OUTPUT_COLOUR)
        filled = {(s.out_row, s.out_col) for s in scene.steps[: scene.done]}
        for r in range(size):
            for c in range(size):
                box = QRectF(rect.left() + c * cell, rect.top() + r * cell, cell, cell)
                text = format_number(values[r, c]) if (r, c) in filled else ""
                draw_cell(painter, box, text, QColor(232, 247, 236), OUTPUT_COLOUR.lighter(140))
        if isinstance(step, WindowStep):
            painter.setPen(QPen(WINDOW_COLOUR, 3))
            painter.drawRect(
                QRectF(
                    rect.left() + step.out_col * cell + 1.5,
                    rect.top() + step.out_row * cell + 1.5,
                    cell - 3,
                    cell - 3,
                )
            )
        painter.setPen(QPen(OUTPUT_COLOUR, 2))
        painter.drawRect(QRectF(rect.left(), rect.top(), size * cell, size * cell))

    def _draw_scattered_output(
        self, painter: QPainter, scene: Scene, rect: QRectF, cell: float
    ) -> None:
        """A transposed convolution's output, with the ring its padding crops away."""
        values = scene.output()
        step = scene.current
        size = scene.output_shape[0]
        p = scene.padding
        n, k = scene.grid.shape[0], scene.kernel.shape[0]
        extent = (n - 1) * scene.stride + scene.dilation * (k - 1) + 1  # before any cropping
        full = max(extent, size + p)
        draw_title(
            painter,
            rect,
            "OUTPUT",
            f"{size}×{size}"
            + (f" (hatched ring: cropped by padding {p})" if p else "")
            + (f", {scene.output_padding} added by output padding" if scene.output_padding else ""),
            OUTPUT_COLOUR,
        )
        touched = set()
        if isinstance(step, ScatterStep):
            touched = {(r, c) for r in step.rows for c in step.cols}
        done_cells = set()
        for previous in scene.steps[: scene.done]:
            done_cells |= {(r, c) for r in previous.rows for c in previous.cols}
        for r in range(-p, full - p):
            for c in range(-p, full - p):
                box = QRectF(rect.left() + (c + p) * cell, rect.top() + (r + p) * cell, cell, cell)
                inside = 0 <= r < size and 0 <= c < size
                if not inside:
                    draw_cell(painter, box, "", PAD_COLOUR, QColor(190, 190, 190), True)
                else:
                    text = format_number(values[r, c]) if (r, c) in done_cells else ""
                    draw_cell(painter, box, text, QColor(232, 247, 236), OUTPUT_COLOUR.lighter(140))
                if (r, c) in touched:
                    painter.fillRect(box, QColor(240, 130, 0, 60))
                    painter.setPen(QPen(WINDOW_COLOUR, 2.5))
                    painter.drawRect(box.adjusted(1.5, 1.5, -1.5, -1.5))
        painter.setPen(QPen(OUTPUT_COLOUR, 2))
        painter.drawRect(
            QRectF(rect.left() + p * cell, rect.top() + p * cell, size * cell, size * cell)
        )

    def _draw_error(self, painter: QPainter, message: str, at: QPointF, width: float) -> None:
        """The reason, word-wrapped in a red box as tall as the text needs."""
        font = QFont(self.font())
        font.setPointSizeF(10)
        text = message[:1].upper() + message[1:] + "."
        flags = Qt.TextFlag.TextWordWrap
        needed = QFontMetrics(font).boundingRect(0, 0, int(width) - 20, 10_000, flags, text)
        box = QRectF(at.x(), at.y(), width, needed.height() + 18)
        draw_title(painter, box, "OUTPUT", "none: these settings do not work", QColor(190, 40, 40))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(190, 40, 40), 1.5))
        painter.setBrush(QColor(255, 238, 238))
        painter.drawRoundedRect(box, 6, 6)
        painter.setFont(font)
        painter.setPen(QColor(120, 20, 20))
        painter.drawText(box.adjusted(10, 9, -10, -9), flags, text)
        painter.restore()

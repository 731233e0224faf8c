"""``python -m convlab.bench explain``: GUI-thread cost of the explain panels' updates.

Goal: every update an explain panel does on the GUI thread takes
< 25 ms, on a 1280x720 frame, for the worst cases a person can pick: the pixel inspector with a
15x15 kernel on all three channels, the Gaussian explorer at radius 15, the border comparison
with a 31x31 kernel at the largest zoom, the shuffle demo, and one animation step of the
largest arithmetic grid; and the hover readout (the window and the sum of the pixel under the
mouse, redrawn at most ~33 times a second while the mouse moves). Each figure is the median of
``--repeat`` runs, measured offscreen with event processing included (what the person waits
for).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator

from convlab.bench.report import environment_lines

BUDGET_MS = 25.0


def _median_ms(action: Callable[[], object], process: Callable[[], None], repeat: int) -> float:
    action()
    process()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        process()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench explain")
    parser.add_argument("--repeat", type=int, default=15, help="runs per measurement")
    options = parser.parse_args(args)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for line in environment_lines():
        print(line)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    bench = _ExplainBench()
    results = [
        (name, _median_ms(action, app.processEvents, options.repeat))
        for name, action in bench.measurements()
    ]
    worst = max(ms for _, ms in results)
    for name, ms in results:
        print(f"{name:42s} {ms:7.1f} ms  {'ok' if ms < BUDGET_MS else 'OVER BUDGET'}")
    print(f"worst {worst:.1f} ms (budget {BUDGET_MS:.0f} ms per GUI-thread update)")
    bench.close()
    return 0 if worst < BUDGET_MS else 1


class _ExplainBench:
    """The four explain panels on one 1280x720 test card, set to their slowest choices."""

    def __init__(self) -> None:
        from convlab.engine.kernels import gaussian_kernel
        from convlab.engine.patterns import draw_test_card
        from convlab.ui.state import PlaygroundState
        from convlab.ui.teach.arithmetic import ArithmeticPanel
        from convlab.ui.teach.inspector import PixelInspectorPanel
        from convlab.ui.teach.kernel_lab import KernelLabPanel
        from convlab.ui.teach.why_cnn import WhyCnnPanel

        self.frame = frame = draw_test_card(1280, 720)
        self.state = state = PlaygroundState()
        state.set_kernel(gaussian_kernel(7, 2.5))
        state.publish_result(state.pipeline.run(frame))
        self.inspector = PixelInspectorPanel(state)
        self.why = WhyCnnPanel(state)
        self.lab = KernelLabPanel(state)
        self.arithmetic = ArithmeticPanel(state)
        self.panels = (self.inspector, self.why, self.lab, self.arithmetic)
        from convlab.ui.shell.hover import HoverReadout
        from convlab.ui.widgets.image_view import ImageView

        self.views = (ImageView("input"), ImageView("output"))
        for view in self.views:
            view.resize(600, 400)
            view.set_source_size(*frame.shape[:2])
            view.show()
        self.hover = HoverReadout(state, self.views)
        self._hover_spots = [(360, 640), (361, 641)]
        for panel in self.panels:
            panel.resize(1200, 800)
            panel.show()
        state.set_inspected_pixel((0, 0))
        self.lab.gaussian_page.radius_slider.setValue(15)
        self.lab.gaussian_page.sigma_slider.setValue(5.0)
        self.lab.borders_page.zoom_slider.setValue(96)
        self.arithmetic.set_config(mode="convolution", n=9, k=5, padding=3, stride=1, dilation=1)
        # A live webcam: every refresh sees a new frame (a still image would skip the redraw).
        self.results_ab = [state.latest_result, state.pipeline.run(frame[::-1].copy())]

    def inspect_new_frame(self) -> None:
        self.results_ab.reverse()
        self.state.latest_result = self.results_ab[0]
        self.inspector.refresh()

    def hover_move(self) -> None:
        """The mouse moved one pixel over a live picture: outline, sum and tip redrawn."""
        self._hover_spots.reverse()
        self.hover.position, self.hover.result = self._hover_spots[0], self.state.latest_result
        self.hover._update()

    def arithmetic_step(self) -> None:
        arithmetic = self.arithmetic
        if arithmetic.scene.done >= len(arithmetic.scene.steps):
            arithmetic.go_to(0)
        arithmetic.step_forward()
        arithmetic.canvas.repaint()

    def wide_borders(self) -> None:
        self.lab.tabs.setCurrentIndex(2)
        self.lab.borders_page.refresh()

    def measurements(self) -> Iterator[tuple[str, Callable[[], object]]]:
        """(name, action) pairs; the settings between them change as each is reached."""
        from convlab.engine import presets
        from convlab.engine.kernels import gaussian_kernel

        state, frame = self.state, self.frame
        yield "inspector, 15x15 kernel, R+G+B, new frame", self.inspect_new_frame
        yield "hover readout, 15x15 kernel, R+G+B", self.hover_move
        yield "Gaussian explorer, radius 15", self.lab.gaussian_page.refresh
        yield "shuffle demo", self.why.refresh_demo
        yield "parameter counts + chart", self.why.update_counts
        yield "arithmetic step (9x9, k=5, p=3)", self.arithmetic_step
        state.set_kernel(presets.get("sobel_x"))
        self.results_ab[:] = [state.pipeline.run(frame), state.pipeline.run(frame[::-1].copy())]
        yield "inspector, 3x3 kernel, R+G+B, new frame", self.inspect_new_frame
        yield "hover readout, 3x3 kernel, R+G+B", self.hover_move
        state.set_kernel(gaussian_kernel(15, 5.0))
        yield "border comparison, 31x31 kernel, 96 px", self.wide_borders
        self.lab.tabs.setCurrentIndex(1)
        self.inspector.hide()  # measured above; here only the lab answers the kernel change
        kernels = [gaussian_kernel(15, 5.0), gaussian_kernel(15, 4.0)]

        def analyse_new_kernel() -> None:
            kernels.reverse()
            state.set_kernel(kernels[0])  # the lab refreshes from kernelChanged

        yield "kernel lab analysis, 31x31, new kernel", analyse_new_kernel

    def close(self) -> None:
        for panel in (*self.panels, *self.views):
            panel.close()

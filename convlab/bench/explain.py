"""``python -m convlab.bench explain``: GUI-thread cost of the explain panels' updates.

Goal (issue 4 / UI contract): every update an explain panel does on the GUI thread takes
< 25 ms, on a 1280x720 frame, for the worst cases a person can pick: the pixel inspector with a
15x15 kernel on all three channels, the Gaussian explorer at radius 15, the border comparison
with a 31x31 kernel at the largest zoom, the shuffle demo, and one animation step of the
largest arithmetic grid. Each figure is the median of ``--repeat`` runs, measured offscreen
with event processing included (what the person waits for).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

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

    from PySide6.QtWidgets import QApplication

    from convlab.engine.kernels import gaussian_kernel, presets
    from convlab.engine.patterns import draw_test_card
    from convlab.ui.state import PlaygroundState
    from convlab.ui.teach.arithmetic import ArithmeticPanel
    from convlab.ui.teach.inspector import PixelInspectorPanel
    from convlab.ui.teach.kernel_lab import KernelLabPanel
    from convlab.ui.teach.why_cnn import WhyCnnPanel

    app = QApplication.instance() or QApplication([])
    frame = draw_test_card(1280, 720)
    state = PlaygroundState()
    big = gaussian_kernel(7, 2.5)
    state.set_kernel(big)
    state.publish_result(state.pipeline.run(frame))

    inspector = PixelInspectorPanel(state)
    why = WhyCnnPanel(state)
    lab = KernelLabPanel(state)
    arithmetic = ArithmeticPanel(state)
    for panel in (inspector, why, lab, arithmetic):
        panel.resize(1200, 800)
        panel.show()
    state.set_inspected_pixel((0, 0))
    lab.gaussian_page.radius_slider.setValue(15)
    lab.gaussian_page.sigma_slider.setValue(5.0)
    lab.borders_page.zoom_slider.setValue(96)
    arithmetic.set_config(mode="convolution", n=9, k=5, padding=3, stride=1, dilation=1)

    def wide_borders() -> None:
        lab.tabs.setCurrentIndex(2)
        lab.borders_page.refresh()

    # A live webcam: every refresh sees a new frame (a still image would skip the redraw).
    results_ab = [state.latest_result, state.pipeline.run(frame[::-1].copy())]

    def inspect_new_frame() -> None:
        results_ab.reverse()
        state.latest_result = results_ab[0]
        inspector.refresh()

    def arithmetic_step() -> None:
        if arithmetic.scene.done >= len(arithmetic.scene.steps):
            arithmetic.go_to(0)
        arithmetic.step_forward()
        arithmetic.canvas.repaint()

    measurements: list[tuple[str, Callable[[], object]]] = [
        ("inspector, 15x15 kernel, R+G+B, new frame", inspect_new_frame),
        ("Gaussian explorer, radius 15", lab.gaussian_page.refresh),
        ("shuffle demo", why.refresh_demo),
        ("parameter counts + chart", why.update_counts),
        ("arithmetic step (9x9, k=5, p=3)", arithmetic_step),
    ]
    results = [
        (name, _median_ms(action, app.processEvents, options.repeat))
        for name, action in measurements
    ]
    state.set_kernel(presets.get("sobel_x"))
    results_ab[:] = [state.pipeline.run(frame), state.pipeline.run(frame[::-1].copy())]
    results.append(
        (
            "inspector, 3x3 kernel, R+G+B, new frame",
            _median_ms(inspect_new_frame, app.processEvents, options.repeat),
        )
    )
    state.set_kernel(gaussian_kernel(15, 5.0))
    results.append(
        (
            "border comparison, 31x31 kernel, 96 px",
            _median_ms(wide_borders, app.processEvents, options.repeat),
        )
    )
    lab.tabs.setCurrentIndex(1)
    inspector.hide()  # measured above; here only the lab answers the kernel change
    kernels = [gaussian_kernel(15, 5.0), gaussian_kernel(15, 4.0)]

    def analyse_new_kernel() -> None:
        kernels.reverse()
        state.set_kernel(kernels[0])  # the lab refreshes from kernelChanged

    results.append(
        (
            "kernel lab analysis, 31x31, new kernel",
            _median_ms(analyse_new_kernel, app.processEvents, options.repeat),
        )
    )

    worst = max(ms for _, ms in results)
    for name, ms in results:
        print(f"{name:42s} {ms:7.1f} ms  {'ok' if ms < BUDGET_MS else 'OVER BUDGET'}")
    print(f"worst {worst:.1f} ms (budget {BUDGET_MS:.0f} ms per GUI-thread update)")
    for panel in (inspector, why, lab, arithmetic):
        panel.close()
    return 0 if worst < BUDGET_MS else 1

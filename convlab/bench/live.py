"""``python -m convlab.bench live``: a 30 fps MJPEG-over-HTTP stream, filtered and shown live.

A local server (``mjpeg_server``) plays the part of a phone-as-webcam app or an IP camera and
draws each frame's number into it; reading the number back from what was shown gives the
end-to-end latency (server and reader share this process's clock). Measured, each for
``--seconds`` (60 by default):

- the baseline: OpenCV's own in-order reading (``VideoSource.read`` in the filter's loop),
  which falls further behind with every frame as soon as the filter is slower than the stream;
- the capture thread (newest frame) feeding the real pipeline, fast and with a 100 ms filter;
- the same stream through the real window (offscreen), read back from its input view, with
  its own filter and with 100 ms added to every filtering;
- how long after its last frame a stream whose server died is said to be lost (engine, and
  the window's banner);
- the share of a core the whole app takes with a still image on screen, and with a live
  source while nothing on screen shows it (the Train tab).

The server runs in a process of its own, as a camera or a phone would.

Prints a table; ``--output FILE`` also saves it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from convlab.bench.mjpeg_server import MjpegServer, MjpegServerProcess, read_frame_number
from convlab.bench.report import environment_lines, load_average, save_report
from convlab.engine import presets
from convlab.engine.capture import Capture
from convlab.engine.pipeline import Pipeline
from convlab.engine.sources import SourceLost, VideoSource, default_image_path, open_source

BASELINE_SECONDS = 10.0  # in-order reading only grows worse; ten seconds show how


class Run:
    """Latencies (seconds) of the frames shown during one run, and when each was shown."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.shown_at: list[float] = []
        self.latencies: list[float] = []
        self.illegible = 0  # frames whose number could not be read (never expected)

    def record(self, image: np.ndarray, server: MjpegServer) -> None:
        number = read_frame_number(image)
        sent = None if number is None else server.sent_at(number)
        if sent is None:
            self.illegible += 1
            return
        now = time.monotonic()
        self.shown_at.append(now)
        self.latencies.append(now - sent)

    def row(self) -> str:
        if len(self.shown_at) < 2:
            return f"{self.name:<34} no frames shown"
        span = self.shown_at[-1] - self.shown_at[0]
        fps = (len(self.shown_at) - 1) / span if span > 0 else float("nan")
        ms = np.array(self.latencies) * 1000.0
        window = min(10.0, span / 3)
        first = ms[np.array(self.shown_at) <= self.shown_at[0] + window]
        last = ms[np.array(self.shown_at) >= self.shown_at[-1] - window]
        return (
            f"{self.name:<34} {fps:6.1f} {np.median(ms):7.0f} {np.percentile(ms, 95):6.0f} "
            f"{ms.max():6.0f} {first.max():9.0f} {last.max():9.0f}"
        )


HEADER = f"{'':<34} {'fps':>6} {'median':>7} {'p95':>6} {'max':>6} {'first max':>9} {'last max':>9}"


def serve(fps: float, size: tuple[int, int]) -> MjpegServer | MjpegServerProcess:
    """The stream, from another process where the clocks agree (the server's Python must not
    take turns with ours for the interpreter lock), else from a thread of this one."""
    if sys.platform.startswith(("linux", "darwin")):
        return MjpegServerProcess(fps, size)
    return MjpegServer(fps, size).start()


def filter_step(pipeline: Pipeline, slow_s: float) -> Callable[[np.ndarray], None]:
    """The real pipeline on a frame, padded with sleep to take at least ``slow_s``."""

    def step(image: np.ndarray) -> None:
        started = time.perf_counter()
        pipeline.run(image)
        rest = slow_s - (time.perf_counter() - started)
        if rest > 0:
            time.sleep(rest)

    return step


def in_order(server: MjpegServer, step: Callable, seconds: float, name: str) -> Run:
    """What a filter loop that reads its own frames sees: OpenCV's queue, oldest first."""
    run = Run(name)
    source = VideoSource(server.url, open_timeout=5.0)
    try:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            image = source.read()
            if image is not None:
                step(image)
                run.record(image, server)
    finally:
        source.close()
    return run


def newest_first(server: MjpegServer, step: Callable, seconds: float, name: str) -> Run:
    """The capture thread keeps the newest frame; the filter takes it when it is free."""
    run = Run(name)
    capture = Capture(open_source(server.url, open_timeout=5.0))
    try:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            frame = capture.take()
            if frame is None:
                time.sleep(0.001)
                continue
            step(frame.image)
            run.record(frame.image, server)
    finally:
        capture.close()
    return run


def lost_delay(server: MjpegServer) -> float:
    """Seconds from the last frame a dying server sent to the capture saying it is lost."""
    capture = Capture(open_source(server.url, open_timeout=5.0))
    try:
        time.sleep(1.0)
        server.kill()
        last = server.sent_at(server.last_sent) or time.monotonic()
        while True:
            try:
                capture.take()
            except SourceLost:
                return time.monotonic() - last
            time.sleep(0.002)
    finally:
        capture.close()


def run(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlab.bench live")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument("--fps", type=float, default=30.0, help="the stream's frame rate")
    parser.add_argument("--size", default="640x480", help="the stream's frame size")
    parser.add_argument("--slow-ms", type=float, default=100.0, help="the slow filter's time")
    parser.add_argument("--output", type=Path, help="also save the report to this file")
    options = parser.parse_args(args)
    width, height = (int(v) for v in options.size.split("x"))
    # a fast filter (3x3, no bank): what is measured is the live path, not the kernel's cost
    pipeline = Pipeline(kernel=presets.get("sharpen"))
    slow = options.slow_ms / 1000.0
    lines = [
        f"ConvLab live — {time.strftime('%Y-%m-%d %H:%M')}, {load_average()}",
        f"MJPEG over HTTP on 127.0.0.1: {width}x{height} at {options.fps:g} fps; kernel "
        "'sharpen' (3x3, no feature maps); latency = shown - sent, in ms",
        *environment_lines(),
        "",
        HEADER,
    ]
    print("\n".join(lines), flush=True)
    from convlab.bench import live_window

    runs: list[Run] = []
    with serve(options.fps, (width, height)) as server:
        baseline_s = min(options.seconds, BASELINE_SECONDS)
        seconds = options.seconds
        for measure in (
            lambda: in_order(server, filter_step(pipeline, slow), baseline_s, "in order, slow"),
            lambda: newest_first(server, filter_step(pipeline, 0.0), seconds, "capture, filter"),
            lambda: newest_first(server, filter_step(pipeline, slow), seconds, "capture, slow"),
            lambda: live_window.window_run(server, seconds, 0.0, "window, its filter"),
            lambda: live_window.window_run(server, seconds, slow, "window, +slow filter"),
        ):
            runs.append(measure())
            lines.append(runs[-1].row())
            print(lines[-1], flush=True)
        delay = lost_delay(server)
        server.start()
        window_delay = live_window.window_lost_delay(server)
    still, unseen = live_window.idle_cpu(str(default_image_path()))
    lines += _summary(runs, options.slow_ms, (delay, window_delay), (still, unseen))
    print("\n".join(lines[-7:]))
    save_report(lines, options.output)
    return 0


def _summary(
    runs: list[Run], slow_ms: float, delays: tuple[float, float], idle: tuple[float, float]
) -> list[str]:
    """The report's last lines: what the columns mean and each goal beside its figure."""
    window, window_slow = runs[3], runs[4]
    return [
        "",
        "in order = OpenCV's own queue read by the filter loop (the baseline); capture = the "
        f"capture thread's newest frame; slow = {slow_ms:.0f} ms per filtering",
        "'first/last max' = worst latency in the first/last 10 s of a run",
        f"goals: window >= 24 fps (got {_fps(window):.1f}), latency <= 300 ms and not growing "
        f"(max {_max_ms(window):.0f} ms), <= 250 ms with the slow filter "
        f"(max {_max_ms(window_slow):.0f} ms)",
        f"stream server killed: said lost {delays[0]:.2f} s after its last frame by the "
        f"capture, {delays[1]:.2f} s by the window's banner (goal < 1 s)",
        f"idle: {idle[0]:.1%} of a core with a still image on screen (goal < 2%), {idle[1]:.1%} "
        "with a live source nobody looks at (Train tab)",
        f"after the run: {load_average()}",
    ]


def _max_ms(run: Run) -> float:
    return max(run.latencies) * 1000.0 if run.latencies else float("nan")


def _fps(run: Run) -> float:
    if len(run.shown_at) < 2:
        return float("nan")
    return (len(run.shown_at) - 1) / (run.shown_at[-1] - run.shown_at[0])

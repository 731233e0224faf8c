"""``python -m convlab.bench live``: a 30 fps MJPEG-over-HTTP stream, filtered and shown live.

A local server (``mjpeg_server``) plays the part of a phone-as-webcam app or an IP camera and
draws each frame's number into it; reading the number back from what was shown gives the
end-to-end latency (server and reader share this process's clock). Measured, each for
``--seconds`` (60 by default):

- the baseline: OpenCV's own in-order reading (``VideoSource.read`` in the filter's loop),
  which falls further behind with every frame as soon as the filter is slower than the stream;
- the capture thread (newest frame) feeding the real pipeline, fast and with a 100 ms filter;
- how long after its last frame a stream whose server died is said to be lost.

The server runs in a process of its own, as a camera or a phone would.

Prints a table; ``--output FILE`` also saves it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from convlab.bench.mjpeg_server import MjpegServer, MjpegServerProcess, read_frame_number
from convlab.bench.report import LIVE_BANK
from convlab.engine import presets
from convlab.engine.capture import Capture
from convlab.engine.pipeline import Pipeline
from convlab.engine.sources import SourceLost, VideoSource, open_source

BASELINE_SECONDS = 10.0  # in-order reading only grows worse; ten seconds show how


class Run:
    """Latencies (seconds) of the frames shown during one run, and when each was shown."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.shown_at: list[float] = []
        self.latencies: list[float] = []
        self.illegible = 0

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
    pipeline = Pipeline(
        kernel=presets.get("sharpen"), bank=tuple(presets.get(n) for n in LIVE_BANK)
    )
    slow = options.slow_ms / 1000.0
    lines = [
        f"ConvLab live — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}",
        f"MJPEG over HTTP on 127.0.0.1: {width}x{height} at {options.fps:g} fps; kernel "
        f"'sharpen' + a {len(LIVE_BANK)}-map bank; latency = shown - sent, in ms",
        "",
        HEADER,
    ]
    print("\n".join(lines), flush=True)
    runs: list[Run] = []
    with serve(options.fps, (width, height)) as server:
        baseline_s = min(options.seconds, BASELINE_SECONDS)
        for runner, step, seconds, name in (
            (in_order, filter_step(pipeline, slow), baseline_s, "in order (baseline), slow filter"),
            (newest_first, filter_step(pipeline, 0.0), options.seconds, "capture thread, filter"),
            (newest_first, filter_step(pipeline, slow), options.seconds, "capture thread, slow"),
        ):
            runs.append(runner(server, step, seconds, name))
            lines.append(runs[-1].row())
            print(lines[-1], flush=True)
        delay = lost_delay(server)
    fast, slowed = runs[1], runs[2]
    lines += [
        "",
        f"slow filter = the pipeline padded to {options.slow_ms:.0f} ms per frame; "
        f"'first/last max' = worst latency in the first/last 10 s of a run",
        f"goals: >= 24 fps shown (got {_fps(fast):.1f}), latency <= 300 ms and not growing "
        f"(max {max(fast.latencies) * 1000:.0f} ms), <= 250 ms with the slow filter "
        f"(max {max(slowed.latencies) * 1000:.0f} ms)",
        f"stream server killed: said lost {delay:.2f} s after its last frame (goal < 1 s)",
        f"load average after the run: {os.getloadavg()[0]:.1f}",
    ]
    print("\n".join(lines[-5:]))
    if options.output:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text("\n".join(lines) + "\n")
        print(f"saved to {options.output}")
    return 0


def _fps(run: Run) -> float:
    if len(run.shown_at) < 2:
        return float("nan")
    return (len(run.shown_at) - 1) / (run.shown_at[-1] - run.shown_at[0])

"""Quitting by a signal while threads are inside OpenCV: the process ends cleanly (status 0),
never by abort() ("terminate called without an active exception", status -6)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from convlab.engine import calibration

ROOT = Path(__file__).resolve().parents[3]

# The app as main.py runs it, except that the convolve calibration starts at once and keeps
# measuring (a busy machine, where it is never cached), and the process sends itself SIGTERM
# while the calibration thread is inside OpenCV.
QUIT_WHILE_CALIBRATING = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from convlab import app
    from convlab.engine import calibration

    measure = calibration.calibrate
    calibration.MAX_ROUNDS = 10_000
    calibration.calibrate = lambda: measure(budget_s=60.0)
    start = calibration.calibrate_in_background
    calibration.calibrate_in_background = lambda delay_s=0.0: start(0.0)

    def quit_while_measuring():
        deadline = time.monotonic() + 30
        while signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or not any(
            t.name == "convolve-calibration" for t in threading.enumerate()
        ):
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)
        time.sleep(0.5)  # the window is up, the calibration measures for a minute
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=quit_while_measuring, daemon=True).start()
    raise SystemExit(app.main(sys.argv[1:]))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_terminating_while_the_calibration_measures_exits_cleanly(tmp_path, scene_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CONVLAB_SETTINGS": str(tmp_path / "app.ini"),
        calibration.CACHE_ENV: str(tmp_path / "cache"),  # nothing cached: it measures
    }
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", QUIT_WHILE_CALIBRATING, str(scene_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-2000:]  # it was -6, abort()
    assert "terminate called" not in process.stderr
    assert "QThread" not in process.stderr and "Traceback" not in process.stderr
    assert time.perf_counter() - started < 30  # the minute of measuring did not hold it up


def test_stopping_the_background_calibration_ends_it_between_two_timings(monkeypatch, tmp_path):
    monkeypatch.setenv(calibration.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(calibration, "MAX_ROUNDS", 10_000)
    measure = calibration.calibrate
    monkeypatch.setattr(calibration, "calibrate", lambda: measure(budget_s=60.0))
    calibration.use_table(None)
    try:
        worker = calibration.calibrate_in_background(delay_s=0.0)
        time.sleep(0.3)
        assert worker.is_alive()  # measuring, for up to a minute
        started = time.perf_counter()
        assert calibration.stop_background(timeout=5.0)
        assert time.perf_counter() - started < 1.0
        assert not worker.is_alive()
        assert not any(t.name == "convolve-calibration" for t in threading.enumerate())
        assert list(tmp_path.iterdir()) == []  # and nothing cached
    finally:
        calibration.use_table(None)

"""Worker threads step aside for the GUI thread when the cores are busy.

Qt's QThread priorities do nothing under Linux's default scheduler, and on two cores the filter
worker, training and the GUI compete: without this the GUI thread waits for a time slice behind
a worker and stalls for tens of milliseconds. ``nice`` applies to a single thread on Linux, and a
niced thread still gets every cycle nobody else wants, so on an idle machine nothing is slower.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from convlab.priority import MAX_NICE, step_aside

T = TypeVar("T")

BACKGROUND_NICE = 5
"""Nice levels below the GUI for one-shot jobs that run long (exports of big pictures)."""


def run_below_the_gui(steps: int) -> None:
    """Lower the calling thread's priority by ``steps`` nice levels (Linux; elsewhere nothing).

    Call it first thing on the worker thread: a thread starts at its creator's (the GUI's)
    nice value, so the worker ends up ``steps`` below the GUI, whatever that runs at.
    """
    step_aside(steps)  # (convlab.priority: the training process lowers itself the same way)


def keep_below_the_gui(steps: int) -> None:
    """Make the calling thread run at least ``steps`` nice levels below the GUI thread (Linux).

    For a pooled thread that runs many jobs: unlike ``run_below_the_gui`` it never lowers
    a thread that is already far enough below, whatever ran on it before.
    """
    if not sys.platform.startswith("linux"):
        return
    thread_id = threading.get_native_id()
    with contextlib.suppress(OSError):
        target = min(MAX_NICE, os.getpriority(os.PRIO_PROCESS, os.getpid()) + steps)
        if os.getpriority(os.PRIO_PROCESS, thread_id) < target:
            os.setpriority(os.PRIO_PROCESS, thread_id, target)


def below_the_gui(job: Callable[[], T], steps: int = BACKGROUND_NICE) -> Callable[[], T]:
    """``job`` made to run ``steps`` below the GUI thread on whatever thread calls it."""

    def niced() -> T:
        keep_below_the_gui(steps)
        return job()

    return niced

"""Work that steps aside for the window when the cores are busy: filtering, capturing, training.

On two cores the filter worker, training and the GUI compete, and without this the GUI thread
waits for a time slice behind a worker and stalls for tens of milliseconds. Qt's QThread
priorities do nothing under Linux's default scheduler; ``nice`` does, and on Linux it is a
per-thread value, so one thread can step aside alone. A lowered thread still gets every cycle
nobody else wants: on an idle machine nothing is slower. No Qt here: the training process and
the engine use it too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

MAX_NICE = 19


def step_aside(steps: int, *, whole_process: bool = False) -> None:
    """Lower the calling thread's priority by ``steps`` nice levels.

    Call it first thing on the thread: a thread starts at its creator's nice value, so it ends
    up ``steps`` below its creator, whatever that runs at; threads it starts later follow it.
    Where a thread cannot be lowered alone (outside Linux), only a process of its own may lower
    itself whole (``whole_process``); a thread of the window's process then keeps its priority.
    """
    if sys.platform.startswith("linux"):
        thread_id = threading.get_native_id()
        with contextlib.suppress(OSError):  # not allowed here: the thread keeps its priority
            current = os.getpriority(os.PRIO_PROCESS, thread_id)
            os.setpriority(os.PRIO_PROCESS, thread_id, min(MAX_NICE, current + steps))
    elif whole_process and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(steps)
    elif whole_process and sys.platform == "win32":  # pragma: no cover - Windows only
        with contextlib.suppress(Exception):
            import ctypes

            below_normal = 0x4000
            kernel32 = ctypes.windll.kernel32
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)

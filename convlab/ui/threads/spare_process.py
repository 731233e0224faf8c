"""A training process started before Train is pressed, so that Train answers at once.

A fresh training process spends seconds before its first batch: the new interpreter imports
numpy, OpenCV and the CNN code, then makes the synthetic digits (3,000 of them take most of
that time). While the Train tab is on screen and nothing trains, one spare process does all
of this ahead of time, at low priority, and waits. Train hands it the plan. A plan for other
data than the spare made still takes it once it is ready (the imports are done; it makes
the data the plan asks for); one still busy making the wrong data is ended, and a fresh
process starts instead.

There is at most one spare, shared by the process's windows; closing a window ends it.
Every training process, spare or not, is started by ``spawn`` here.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from convlab.cnn.dataset import DataSpec
from convlab.cnn.loop import serve_as_spare

log = logging.getLogger(__name__)

#: False: no spare is made (every Train starts a fresh process), e.g. in tests of other things
ENABLED = True
_KILL_WAIT_S = 1.0


@dataclass
class Spare:
    """A waiting training process and the window's ends of its two pipes."""

    data: DataSpec | None
    process: Any
    commands: Any  # plan and commands go in here
    reports: Any  # reports come out here
    _ready: bool = field(default=False, repr=False)

    def ready(self) -> bool:
        """Whether it has made its data and waits for a plan (reads its "ready" message)."""
        if not self._ready:
            with contextlib.suppress(OSError, EOFError, ValueError):
                if self.reports.poll():
                    self._ready = self.reports.recv() == ("ready",)
        return self._ready

    def close(self) -> None:
        """End the process (it has no work worth keeping) and close the pipes."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if self.process.is_alive():
                self.process.kill()
            self.process.join(_KILL_WAIT_S)
        for end in (self.commands, self.reports):
            with contextlib.suppress(OSError):
                end.close()


_lock = threading.Lock()
_spare: Spare | None = None
_starting: DataSpec | bool | None = False  # the data a spare is being started for


def spawn(target: Callable[..., None], what: Any, *more: Any) -> tuple[Any, Any, Any]:
    """A training process running ``target(what, commands, reports, *more)`` in a fresh
    interpreter, on two one-way pipes: (process, the end commands go down, the end reports
    come up)."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, never a fork
    commands_in, commands_out = context.Pipe(duplex=False)
    reports_in, reports_out = context.Pipe(duplex=False)
    process = context.Process(
        target=target,
        args=(what, commands_in, reports_out, *more),
        name="convlab-training",
        daemon=True,  # ends with this process, whatever happens to the window
    )
    process.start()
    commands_in.close()  # the child's ends: only the child holds them now
    reports_out.close()
    return process, commands_out, reports_in


def start(data: DataSpec | None) -> Spare:
    """A new spare process that makes ``data`` (None: nothing) and waits."""
    return Spare(data, *spawn(serve_as_spare, data))


def keep(data: DataSpec | None) -> None:
    """Have a spare ready for ``data`` (replacing one made for other data); returns at once,
    the process is started on a helper thread."""
    global _spare, _starting
    if not ENABLED:
        return
    with _lock:
        current = _spare
        if _starting is not False and _starting == data:
            return  # under way
        if current is not None and current.data == data and current.process.is_alive():
            return
        _spare, _starting = None, data
    if current is not None:
        current.close()
    threading.Thread(target=_start_for, args=(data,), name="convlab-spare", daemon=True).start()


def _start_for(data: DataSpec | None) -> None:
    global _spare, _starting
    try:
        spare = start(data)
    except Exception:  # no process could be started: Train will say so when pressed
        log.warning("starting a spare training process failed", exc_info=True)
        spare = None
    with _lock:
        wanted = _starting is not False and _starting == data
        if wanted:
            _spare, _starting = spare, False
    if not wanted and spare is not None:
        spare.close()  # something else was asked for meanwhile (or it was discarded)


def claim(data: DataSpec) -> Spare | None:
    """The spare, for a run on ``data``, now the caller's (no longer a spare); None when there
    is none worth taking (then a fresh process is the quicker start)."""
    global _spare, _starting
    with _lock:
        spare, _spare, _starting = _spare, None, False  # one still starting is not wanted
    if spare is None:
        return None
    if spare.process.is_alive() and (spare.data == data or spare.ready()):
        return spare
    spare.close()
    return None


def discard() -> None:
    """End the spare (the window closes); a spare still being started is ended as it comes."""
    global _spare, _starting
    with _lock:
        spare, _spare, _starting = _spare, None, False
    if spare is not None:
        spare.close()


def current() -> Spare | None:
    """The spare waiting now, if any (for tests and the benchmark)."""
    with _lock:
        return _spare

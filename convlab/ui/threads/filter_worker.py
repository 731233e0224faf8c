"""The filter worker: owns the frame source and turns frames into results off the GUI thread.

Why a QThread subclass with its own loop rather than superqt's ``thread_worker``: the filter
loop is long-lived and event-driven in three directions at once (a new pipeline snapshot, a
new frame due, the GUI having consumed the last result), it must sleep on one condition that
all three can wake, and ``stop()`` must *join* it within a second. A ``GeneratorWorker`` runs on
the shared QThreadPool (it cannot be joined on its own) and only sees an abort between yields,
which may be a whole blocking camera read apart. One-shot jobs (probing cameras, exporting)
do use superqt's ``create_worker``; see ``source_menu.py``.

Flow control, so that frames never queue:

- the GUI calls ``set_pipeline`` with each new immutable ``Pipeline``: a reference swap;
- the worker computes one result, parks it in a one-slot mailbox and emits
  ``resultAvailable``; it computes nothing more until the GUI ``take_result()``s it, so a slow
  GUI sees fewer, newer frames (latest frame wins), never a backlog;
- a result whose pipeline was replaced while it was being computed is dropped and recomputed
  (unless that would leave the screen unchanged for more than ``_MAX_STALE_S``);
- a still image (or a frozen camera) is recomputed only when the pipeline changes; a video
  file is paced at its own frame rate; a camera or stream runs as fast as it delivers.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QThread, Signal

from convlab.engine.pipeline import Pipeline, PipelineResult
from convlab.engine.sources import FrameSource, SourceLost, open_source
from convlab.errors import ConvlabError

log = logging.getLogger(__name__)

_MAX_STALE_S = 0.15
_IDLE_WAIT_S = 0.25

# Threads that did not stop in time (stuck in a camera driver call): kept referenced so Qt does
# not destroy a running QThread; ``wait_for_stragglers`` gives them a last chance at exit.
_STRAGGLERS: list[QThread] = []


@dataclass(frozen=True)
class SourceInfo:
    """What the window shows about the open source."""

    spec: Any
    name: str
    width: int
    height: int
    fps: float
    is_live: bool
    is_still: bool
    preview_of: tuple[int, int] | None = None  # (height, width) of the full image if reduced


def is_camera(spec: Any) -> bool:
    return isinstance(spec, int) and not isinstance(spec, bool)


class FilterWorker(QThread):
    """Reads frames from one ``FrameSource`` and runs the current pipeline on them."""

    resultAvailable = Signal()  # call take_result(); at most one is ever outstanding
    sourceOpened = Signal(object)  # SourceInfo
    sourceFailed = Signal(object, str)  # (spec, message): the previous source stays
    sourceLost = Signal(str)  # the last frame stays on screen; reconnect() tries again
    pipelineFailed = Signal(str)  # the current pipeline cannot run on this frame
    notice = Signal(str)  # informational, e.g. "showing a reduced preview"

    def __init__(self, pipeline: Pipeline | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("filterWorker")
        self._cond = threading.Condition()
        self._pipeline = pipeline or Pipeline()
        self._stopping = False
        self._open_request: tuple[Any, Any, dict] | None = None
        self._mailbox: PipelineResult | None = None
        self._outstanding = False
        self._frozen = False
        self._mirror = False
        # Worker-thread state (only the worker touches these, except reads of frames).
        self._source: FrameSource | None = None
        self._spec: Any = None
        self._paced = False
        self._lost = False
        self._frame: np.ndarray | None = None  # the frame being filtered (maybe a preview)
        self._full_frame: np.ndarray | None = None  # full resolution, for exports
        self._computed_generation = -1
        self._failed_generation = -1
        self._next_due = 0.0
        self._last_emit = 0.0
        self.frames_read = 0
        self.results_emitted = 0

    # ----------------------------------------------------------------------------- GUI side
    def set_pipeline(self, pipeline: Pipeline) -> None:
        with self._cond:
            self._pipeline = pipeline
            self._cond.notify_all()

    def open(self, spec: Any, *, fallback: Any = None, **options: Any) -> None:
        """Open ``spec`` on the worker thread; on failure try ``fallback`` (if any).

        ``options`` go to ``open_source`` (e.g. a camera resolution).
        """
        with self._cond:
            if self._stopping:  # the window is closing: open nothing more
                return
            self._open_request = (spec, fallback, options)
            self._cond.notify_all()
        if not self.isRunning():
            self.start()

    def reconnect(self) -> None:
        """Reopen the current source (after a camera was unplugged and plugged back)."""
        if self._spec is not None:
            self.open(self._spec)

    def take_result(self) -> PipelineResult | None:
        """The newest result, once; lets the worker go on to the next frame."""
        with self._cond:
            result, self._mailbox = self._mailbox, None
            self._outstanding = False
            self._cond.notify_all()
        return result

    def set_frozen(self, frozen: bool) -> None:
        with self._cond:
            self._frozen = frozen
            self._cond.notify_all()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def set_mirror(self, mirror: bool) -> None:
        """Mirror camera frames (a selfie view); files and patterns are never flipped."""
        with self._cond:
            self._mirror = mirror
            self._cond.notify_all()

    @property
    def spec(self) -> Any:
        return self._spec

    def full_frame(self) -> np.ndarray | None:
        """The current frame at full resolution (a still's original, not its preview)."""
        return self._full_frame

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop the loop, close the source, and join; True when the thread has ended."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if not self.isRunning():
            return True
        if self.wait(int(timeout * 1000)):
            return True
        log.warning("filter worker did not stop within %.1f s (blocked in the source)", timeout)
        _STRAGGLERS.append(self)
        return False

    # ----------------------------------------------------------------------------- worker
    def run(self) -> None:
        _lower_this_threads_priority()
        try:
            while True:
                with self._cond:
                    while not self._stopping and not self._has_work():
                        self._cond.wait(self._wait_time())
                    if self._stopping:
                        return
                    request, self._open_request = self._open_request, None
                    pipeline = self._pipeline
                try:
                    if request is not None:
                        self._open_source(*request)
                        continue
                    frame = self._next_frame()
                    if frame is not None:
                        self._filter(frame, pipeline)
                except Exception as error:  # a bug must not end the thread: say so, go on
                    log.error("filter worker:\n%s", traceback.format_exc())
                    self.pipelineFailed.emit(f"Unexpected error in the filter worker: {error!r}")
                    time.sleep(0.2)
        finally:
            self._close_source()

    def _has_work(self) -> bool:
        if self._open_request is not None:
            return True
        if self._outstanding:
            return False
        generation = self._pipeline.generation
        if (
            self._frame is not None
            and generation != self._computed_generation
            and generation != self._failed_generation
        ):
            return True
        return self._wants_new_frame() and time.perf_counter() >= self._next_due

    def _wants_new_frame(self) -> bool:
        return (
            self._source is not None
            and not self._source.is_still
            and not self._lost
            and not self._frozen
        )

    def _wait_time(self) -> float:
        if self._wants_new_frame() and not self._outstanding:
            return max(0.0005, min(_IDLE_WAIT_S, self._next_due - time.perf_counter()))
        return _IDLE_WAIT_S

    def _next_frame(self) -> np.ndarray | None:
        """A new frame from a running source, or the current one when only the pipeline changed."""
        if not self._wants_new_frame() or time.perf_counter() < self._next_due:
            return self._frame
        source = self._source
        assert source is not None
        started = time.perf_counter()
        try:
            frame = source.read()
        except SourceLost as lost:
            self._lost = True
            self.sourceLost.emit(str(lost))
            return self._frame
        except ConvlabError as error:
            self._lost = True
            self.sourceLost.emit(str(error))
            return self._frame
        except Exception as error:  # a driver or decoder failing in a way nobody foresaw
            log.error("reading %s failed:\n%s", source.name, traceback.format_exc())
            self._lost = True
            self.sourceLost.emit(f"{source.name}: stopped with an error ({error!r})")
            return self._frame
        if frame is None:  # nothing new yet (a camera skipped a beat): try again shortly
            self._next_due = time.perf_counter() + 0.005
            return None
        if self._paced:
            period = 1.0 / float(source.fps or 30.0)
            # stay on the video's clock, but never try to catch up on a backlog of frames
            self._next_due = max(self._next_due + period, started)
        self.frames_read += 1
        frame = self._prepare(frame)
        self._frame = self._full_frame = frame
        self._computed_generation = -1
        return frame

    def _prepare(self, frame: np.ndarray) -> np.ndarray:
        if self._mirror and is_camera(self._spec):
            frame = cv2.flip(frame, 1)
        return np.ascontiguousarray(frame)

    def _filter(self, frame: np.ndarray, pipeline: Pipeline) -> None:
        try:
            result = pipeline.run(frame)
        except ConvlabError as error:
            self._report_failure(pipeline, str(error))
            return
        except Exception as error:  # keep the loop alive whatever the engine throws
            log.error("filtering failed:\n%s", traceback.format_exc())
            self._report_failure(pipeline, f"Filtering failed unexpectedly: {error!r}")
            return
        now = time.perf_counter()
        with self._cond:
            stale = self._pipeline.generation != pipeline.generation
            if stale and now - self._last_emit < _MAX_STALE_S:
                return  # the next pass uses the new pipeline on the newest frame
            self._computed_generation = pipeline.generation
            self._mailbox = result
            self._outstanding = True
            self._last_emit = now
        self.results_emitted += 1
        self.resultAvailable.emit()

    def _report_failure(self, pipeline: Pipeline, message: str) -> None:
        with self._cond:
            first_time = self._failed_generation != pipeline.generation
            self._failed_generation = pipeline.generation
            self._computed_generation = pipeline.generation
        if first_time:
            self.pipelineFailed.emit(message)

    def _open_source(self, spec: Any, fallback: Any, options: dict) -> None:
        if _same_spec(spec, self._spec) or is_camera(spec):
            self._close_source()  # a camera cannot be opened twice: release it first
        try:
            source = self._open_abandonable(spec, options)
            if source is None:  # stopping while a slow device was still opening
                return
        except ConvlabError as error:
            self.sourceFailed.emit(spec, str(error))
            if fallback is not None and self._source is None:
                self._open_source(fallback, None, {})
            return
        except Exception as error:
            log.error("opening %r failed:\n%s", spec, traceback.format_exc())
            self.sourceFailed.emit(spec, f"{spec}: could not be opened ({error!r})")
            return
        self._close_source()
        self._source, self._spec, self._lost = source, spec, False
        # Files and patterns are paced at their own rate; cameras and streams wait in read().
        self._paced = not source.is_live and not source.is_still
        self._next_due = 0.0
        preview_of = None
        if source.is_still:
            # ImageSource filters a reduced preview of a huge picture and keeps the original.
            frame = np.ascontiguousarray(source.read())
            full = getattr(source, "full_image", frame)
            if full.shape != frame.shape:
                preview_of = full.shape[:2]
            self._frame, self._full_frame = frame, full
        else:
            self._frame = self._full_frame = None
        self._computed_generation = -1
        if self._frame is not None:
            height, width = self._frame.shape[:2]
        else:
            width, height = source.size or (0, 0)
        self.sourceOpened.emit(
            SourceInfo(
                spec=spec,
                name=source.name,
                width=int(width),
                height=int(height),
                fps=float(source.fps or 0.0),
                is_live=bool(source.is_live),
                is_still=bool(source.is_still),
                preview_of=preview_of,
            )
        )
        for warning in source.warnings:
            self.notice.emit(f"{source.name}: {warning}")

    def _open_abandonable(self, spec: Any, options: dict) -> FrameSource | None:
        """``open_source`` on a helper thread, so ``stop()`` need not wait for a slow device.

        A camera or stream may take seconds to answer (or to time out). The worker waits for
        the helper but gives up when asked to stop; the helper then closes whatever it opened.
        It is a daemon thread holding no Qt object, so it can outlive the window harmlessly.
        """
        pending = _PendingOpen(spec, options)
        pending.start()
        while not pending.done.wait(0.05):
            with self._cond:
                stopping = self._stopping
            if stopping and pending.abandon():
                return None
        return pending.result()

    def _close_source(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception:
                log.warning("closing the source failed:\n%s", traceback.format_exc())


class _PendingOpen(threading.Thread):
    """One ``open_source`` call on a daemon thread, which the worker may abandon."""

    def __init__(self, spec: Any, options: dict) -> None:
        super().__init__(name="convlab-open", daemon=True)
        self._spec, self._options = spec, options
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._abandoned = False
        self._source: FrameSource | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            source = open_source(self._spec, **self._options)
        except BaseException as error:  # handed to the worker, which reports it
            self._error = error
            source = None
        with self._lock:
            abandoned = self._abandoned
            self._source = source
            self.done.set()
        if abandoned and source is not None:
            source.close()  # nobody wants it any more: release the device

    def abandon(self) -> bool:
        """Give up on the result; False if it arrived meanwhile (then take ``result()``)."""
        with self._lock:
            if self.done.is_set():
                return False
            self._abandoned = True
            return True

    def result(self) -> FrameSource:
        if self._error is not None:
            raise self._error
        assert self._source is not None
        return self._source


def _lower_this_threads_priority() -> None:
    """Let the GUI thread win the CPU when the machine is busy (Linux: per-thread nice).

    Qt's QThread priorities do nothing under Linux's default scheduler, but ``nice`` applies
    to a single thread there: a worker at +5 still gets the idle core, while the GUI thread
    is not held up behind it (it stayed late by up to half a second under load without this).
    """
    if not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return
    try:
        thread_id = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread_id, os.getpriority(os.PRIO_PROCESS, thread_id) + 5)
    except OSError:
        pass


def _same_spec(a: Any, b: Any) -> bool:
    """Equality for names and numbers; identity for arrays and source objects."""
    if isinstance(a, (int, str)) and isinstance(b, (int, str)):
        return a == b
    return a is b


def wait_for_stragglers(timeout: float = 3.0) -> bool:
    """At exit: give workers stuck in a driver call a last chance; True if none is left."""
    deadline = time.perf_counter() + timeout
    for thread in list(_STRAGGLERS):
        remaining = max(0.0, deadline - time.perf_counter())
        if thread.wait(int(remaining * 1000)):
            _STRAGGLERS.remove(thread)
    return not _STRAGGLERS

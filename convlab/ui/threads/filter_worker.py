"""The filter worker: turns the newest frame into a result off the GUI thread.

Why a QThread subclass with its own loop rather than superqt's ``thread_worker``: the filter
loop is long-lived and woken from four directions (a new pipeline snapshot, a new frame from
the capture thread, an open that finished, the GUI having consumed the last result); it sleeps
on one condition all of them can wake, and ``stop()`` must *join* it within a second. One-shot
jobs (looking up cameras, exporting) run as ``background_jobs``; see ``camera_menu.py`` and
``source_menu.py``.

Nothing here ever waits for a device:

- frames are read by the source's own capture thread (``engine.capture``): a camera or stream
  gives its newest frame, a video file its next one when due; a source that stops is said to
  be lost within a second;
- an open runs beside the playing source (``engine.opening``): the picture keeps playing and
  edits keep applying until the new source is there; a newer open cancels a pending one; a
  camera or stream that does not answer in time, like any failed open, leaves the current
  source playing;
- the GUI calls ``set_pipeline`` with each new immutable ``Pipeline`` (a reference swap); one
  result at a time waits in a mailbox until the GUI ``take_result()``s it, so a slow GUI sees
  fewer, newer frames, never a backlog; a result whose pipeline was replaced meanwhile is
  recomputed (unless the screen would stay unchanged for more than ``_MAX_STALE_S``);
- when nothing on screen shows the result (``set_demand``), nothing is filtered: a video file
  waits where it is, a camera is only drained; ``max_fps`` caps the rate (e.g. while training).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QThread, Signal

from convlab.engine.capture import Capture
from convlab.engine.masking import mask_credentials
from convlab.engine.opening import PendingOpen
from convlab.engine.pipeline import Pipeline, PipelineResult
from convlab.engine.sources import FrameSource, SourceLost, open_deadline, open_source
from convlab.errors import ConvlabError
from convlab.ui.threads.priority import run_below_the_gui

log = logging.getLogger(__name__)

_MAX_STALE_S = 0.15
_IDLE_WAIT_S = 0.25
_RELEASE_WAIT_S = 3.0  # reopening a camera: how long to wait for the old capture to let go
FILTER_NICE = 5  # nice levels below the GUI thread (Linux): the GUI wins a busy machine

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
    detail: str = ""  # what a camera's driver agreed to, e.g. "1280x720 MJPG 30 fps"
    frame_count: int = 0  # frames of a video file a person can seek in (0: not seekable)


def is_camera(spec: Any) -> bool:
    return isinstance(spec, int) and not isinstance(spec, bool)


class FilterWorker(QThread):
    """Runs the current pipeline on the newest frame of one source at a time."""

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
        self._show_one = False  # frozen, but a seek asked for the frame it lands on
        self._frame_index: int | None = None  # a seekable file's frame on show
        self._mirror = False
        self._wanted = True
        self._max_fps: float | None = None
        self._capture_signalled = False
        # Worker-thread state (set under the lock where the GUI side reads it).
        self._source: FrameSource | None = None
        self._capture: Capture | None = None
        self._pending: PendingOpen | None = None
        self._pending_fallback: Any = None
        self._spec: Any = None
        self._frame: np.ndarray | None = None  # the frame being filtered (maybe a preview)
        self._full_frame: np.ndarray | None = None  # full resolution, for exports
        self._computed_generation = -1
        self._failed_generation = -1
        self._capture_due = float("inf")
        self._next_allowed = 0.0
        self._last_emit = 0.0
        self.frames_read = 0
        self.results_emitted = 0

    # ----------------------------------------------------------------------------- GUI side
    def set_pipeline(self, pipeline: Pipeline) -> None:
        with self._cond:
            self._pipeline = pipeline
            self._cond.notify_all()

    def open(self, spec: Any, *, fallback: Any = None, **options: Any) -> None:
        """Open ``spec`` beside the current source; on failure try ``fallback`` if nothing
        plays yet. A newer call replaces an older one that has not finished (last wins).
        ``options`` go to ``open_source`` (e.g. a camera resolution)."""
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
            self._frozen = bool(frozen)
            self._apply_draining()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def seek(self, index: int) -> None:
        """Show frame ``index`` of the video file on show (paused or playing)."""
        with self._cond:
            if self._capture is None:
                return
            self._capture.seek(index)
            self._show_one = True
            self._cond.notify_all()

    @property
    def frame_index(self) -> int | None:
        """The frame of the video file on show (None for other sources)."""
        return self._frame_index

    def set_demand(self, wanted: bool, max_fps: float | None = None) -> None:
        """Whether anything on screen shows the results, and at most how many a second."""
        with self._cond:
            self._wanted = bool(wanted)
            self._max_fps = max_fps if max_fps and max_fps > 0 else None
            self._apply_draining()

    @property
    def wanted(self) -> bool:
        return self._wanted

    @property
    def max_fps(self) -> float | None:
        return self._max_fps

    def set_mirror(self, mirror: bool) -> None:
        """Mirror camera frames (a selfie view); files and patterns are never flipped."""
        with self._cond:
            self._mirror = mirror
            self._cond.notify_all()

    @property
    def spec(self) -> Any:
        return self._spec

    @property
    def opening(self) -> Any:
        """The spec of the open still under way (None when none is)."""
        with self._cond:
            request = self._open_request
            pending = self._pending
        if request is not None:
            return request[0]
        return None if pending is None else pending.spec

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
        run_below_the_gui(FILTER_NICE)
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
                    self._step(request, pipeline)
                except Exception as error:  # a bug must not end the thread: say so, go on
                    log.error("filter worker:\n%s", traceback.format_exc())
                    self.pipelineFailed.emit(f"Unexpected error in the filter worker: {error!r}")
                    time.sleep(0.2)
        finally:
            if self._pending is not None:
                self._pending.cancel()
            self._detach(timeout=0.3)

    def _step(self, request: tuple | None, pipeline: Pipeline) -> None:
        if request is not None:
            self._begin_open(*request)
        elif self._pending is not None and self._pending.done.is_set():
            self._finish_open()
        else:
            frame = self._next_frame(pipeline)
            if frame is not None:
                self._filter(frame, pipeline)

    def _has_work(self) -> bool:
        if self._open_request is not None:
            return True
        if self._pending is not None and self._pending.done.is_set():
            return True
        if self._outstanding or not self._wanted:
            return False
        generation = self._pipeline.generation
        if (
            self._frame is not None
            and generation != self._computed_generation
            and generation != self._failed_generation
        ):
            return True
        if not self._takes_frames():
            return False
        now = time.perf_counter()
        return now >= self._next_allowed and (self._capture_signalled or now >= self._capture_due)

    def _takes_frames(self) -> bool:
        return self._capture is not None and self._wanted and (not self._frozen or self._show_one)

    def _wait_time(self) -> float:
        if self._takes_frames() and not self._outstanding:
            due = max(self._capture_due, self._next_allowed)
            return max(0.0005, min(_IDLE_WAIT_S, due - time.perf_counter()))
        return _IDLE_WAIT_S

    def _capture_woke(self) -> None:
        """Called by the capture thread: a frame, the end of a file, or the source lost."""
        with self._cond:
            self._capture_signalled = True
            self._cond.notify_all()

    def _apply_draining(self) -> None:
        """(Lock held.) A live source nobody takes frames from is only drained."""
        if self._capture is not None:
            self._capture.set_draining(self._frozen or not self._wanted)
        self._cond.notify_all()

    def _next_frame(self, pipeline: Pipeline) -> np.ndarray | None:
        """A new frame when one is due, else the current one if only the pipeline changed."""
        frame = self._take_frame() if self._takes_frames() else None
        if frame is not None:
            return frame
        if self._frame is not None and pipeline.generation != self._computed_generation:
            return self._frame
        return None

    def _take_frame(self) -> np.ndarray | None:
        capture = self._capture
        assert capture is not None
        with self._cond:
            self._capture_signalled = False
        if time.perf_counter() < self._next_allowed:
            return None
        try:
            taken = capture.take()
        except SourceLost as lost:
            self._lose(str(lost))
            return None
        # when to look again without being woken: a paced file's next frame is due, or a
        # silent live source may have to be declared lost
        now, wait = time.perf_counter(), capture.wait_time()
        self._capture_due = float("inf") if wait is None else now + wait
        if taken is None:
            return None
        self._next_allowed = now + 1.0 / self._max_fps if self._max_fps else 0.0
        self.frames_read += 1
        self._show_one = False
        self._frame_index = taken.index
        frame = self._prepare(taken.image)
        self._frame = self._full_frame = frame
        self._computed_generation = -1
        return frame

    def _lose(self, message: str) -> None:
        """The live source stopped: the last frame stays (edits still apply to it)."""
        self._detach(timeout=0.0)
        self.sourceLost.emit(mask_credentials(message))

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

    # ----------------------------------------------------------------------------- opening
    def _begin_open(self, spec: Any, fallback: Any, options: dict) -> None:
        """Start opening beside the current source; a pending older open is abandoned."""
        if self._pending is not None:
            self._pending.cancel()
        before = None
        if _same_spec(spec, self._spec):
            # the same camera (or source object) cannot be open twice: let go of it first;
            # the last frame stays, and edits apply to it meanwhile
            released = self._detach(timeout=0.0)
            if released is not None:
                before = lambda: released.join(_RELEASE_WAIT_S)  # noqa: E731
        self._pending_fallback = fallback
        name, seconds = open_deadline(spec, options) or (None, None)
        self._pending = PendingOpen(
            spec,
            options,
            opener=open_source,
            wake=self._capture_woke,
            before=before,
            deadline=seconds,
            name=name,
        )

    def _finish_open(self) -> None:
        pending, self._pending = self._pending, None
        assert pending is not None
        spec, fallback = pending.spec, self._pending_fallback
        try:
            source = pending.result()
        except ConvlabError as error:
            self.sourceFailed.emit(spec, mask_credentials(str(error)))
            if fallback is not None and self._source is None and self._frame is None:
                self._begin_open(fallback, None, {})
            return
        except Exception as error:
            trace = mask_credentials(traceback.format_exc())  # a URL's password stays out
            log.error("opening %s failed:\n%s", mask_credentials(repr(spec)), trace)
            text = mask_credentials(f"{spec}: could not be opened ({error!r})")
            self.sourceFailed.emit(spec, text)
            return
        self._install(spec, source)

    def _install(self, spec: Any, source: FrameSource) -> None:
        self._detach(timeout=0.0)
        preview_of = None
        frame = full = None
        if source.is_still:
            # ImageSource filters a reduced preview of a huge picture and keeps the original.
            frame = np.ascontiguousarray(source.read())
            full = getattr(source, "full_image", frame)
            preview_of = full.shape[:2] if full.shape != frame.shape else None
        with self._cond:
            self._source, self._spec = source, spec
            self._frame_index, self._show_one = None, False
            self._frame, self._full_frame = frame, full
            self._computed_generation = -1
            self._capture_due, self._next_allowed = float("inf"), 0.0
            if not source.is_still:
                self._capture = Capture(source, wake=self._capture_woke)
                self._apply_draining()
        width, height = (
            (frame.shape[1], frame.shape[0]) if frame is not None else source.size or (0, 0)
        )
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
                detail=getattr(source, "negotiated", None) or "",
                frame_count=int(source.frame_count or 0) if source.seekable else 0,
            )
        )
        for warning in source.warnings:
            self.notice.emit(f"{source.name}: {warning}")

    def _detach(self, timeout: float) -> Capture | None:
        """Stop using the current source (its capture thread closes it); the last frame
        stays. Returns the capture being closed, to wait for its release if need be."""
        with self._cond:
            source, self._source = self._source, None
            capture, self._capture = self._capture, None
        if capture is not None:
            capture.close(timeout=timeout)
        elif source is not None:
            try:
                source.close()
            except Exception:
                log.warning("closing the source failed:\n%s", traceback.format_exc())
        return capture


def _same_spec(a: Any, b: Any) -> bool:
    """Equality for camera numbers; identity for source objects and arrays."""
    if is_camera(a) and is_camera(b):
        return a == b
    return a is b and a is not None and not isinstance(a, str)


def wait_for_stragglers(timeout: float = 3.0) -> bool:
    """At exit: give workers stuck in a driver call a last chance; True if none is left."""
    deadline = time.perf_counter() + timeout
    for thread in list(_STRAGGLERS):
        remaining = max(0.0, deadline - time.perf_counter())
        if thread.wait(int(remaining * 1000)):
            _STRAGGLERS.remove(thread)
    return not _STRAGGLERS

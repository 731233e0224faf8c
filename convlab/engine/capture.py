"""Capture threads: every moving source is read beside the filter, never by it.

A camera or a stream produces frames at its own pace whether or not anyone is ready for them;
OpenCV and the camera driver queue what is not read. A filter that reads its own frames and is
slower than the source therefore works through an ever older queue: the picture lags seconds
behind the world. A ``Capture`` reads the source on its own thread as fast as it delivers and
keeps only the newest frame (the queues stay empty), so whatever the filter takes is never more
than one frame period old, and the filter's own time is the only other delay.

Video files and the test pattern are the opposite case: every frame matters and the clock is
the file's. Their thread decodes one frame ahead and ``take()`` hands it over when it is due,
so a file plays at its own rate, does not skip ahead while nobody takes frames, and a slow
filter slows it down instead of making it jump.

A live source that stops (a stream whose server died, an unplugged camera) is declared lost
when no frame has come for ``lost_after`` seconds (longer for a source that is slow anyway),
even while its thread is still stuck inside a read; frames that trickle in after that are
dropped, never replayed. The thread closes its source itself when it ends, so a driver call
that hangs never blocks whoever closes the capture.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from convlab.engine.masking import mask_credentials
from convlab.engine.sources import FrameSource, SourceLost
from convlab.errors import ConvlabError

log = logging.getLogger(__name__)

DEFAULT_LOST_AFTER_S = 0.75
_LOST_AFTER_PERIODS = 4  # a 2 fps camera is not lost after 0.75 s: wait 4 of its frames
_IDLE_READ_S = 0.005  # a live source that had nothing new: do not spin
_FALLBACK_FPS = 30.0


@dataclass(frozen=True)
class Frame:
    """One picture from a source, numbered in the order it came, with when it came."""

    image: np.ndarray
    number: int  # 1, 2, 3, ... (gaps are frames a live capture dropped for newer ones)
    captured_at: float  # time.monotonic() when the source handed it over
    index: int | None = None  # its place in a seekable file (0 = the first frame)


class Capture:
    """Reads one ``FrameSource`` on a daemon thread; ``take()`` gives the frame to show next.

    ``wake`` is called (from the capture thread) whenever ``take()`` may have something new:
    a frame, the end of a file, or the source being lost. ``clock`` replaces
    ``time.monotonic`` in tests.
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        wake: Callable[[], None] | None = None,
        lost_after: float = DEFAULT_LOST_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.newest_first = bool(source.is_live)
        self._wake = wake or (lambda: None)
        self._lost_after = float(lost_after)
        self._clock = clock
        self._period = 1.0 / float(source.fps or _FALLBACK_FPS)
        self._cond = threading.Condition()
        self._frame: Frame | None = None  # the newest (live) or the next (paced) frame
        self._lost: str | None = None
        self._ended = False
        self._stopping = False
        self._draining = False
        self._due = -float("inf")
        self._seek_to: int | None = None  # a frame a person asked for, read next
        self._seeks = 0  # a frame decoded before the latest seek is not shown
        self._last_arrival = clock()
        self._intervals: deque[float] = deque(maxlen=30)
        self.captured = 0
        self.dropped = 0
        self.taken = 0
        self._thread = threading.Thread(
            target=self._run, name=f"convlab-capture {source.name}", daemon=True
        )
        self._thread.start()

    # ----------------------------------------------------------------------------- consumer
    def take(self) -> Frame | None:
        """The frame to show now, once; None when there is none (yet).

        Live sources: the newest frame not taken before. Files and patterns: the next frame,
        when its time has come. Raises ``SourceLost`` (every time) once the source is lost.
        """
        with self._cond:
            now = self._clock()
            self._check_alive(now)
            frame = self._frame
            if frame is None or (not self.newest_first and now < self._due):
                return None
            if not self.newest_first:
                # keep the file's clock, but never rush through frames to catch up a delay
                self._due = (now if now - self._due > self._period else self._due) + self._period
            self._frame = None
            self.taken += 1
            self._cond.notify_all()  # a paced thread decodes the next frame now
            return frame

    def wait_time(self) -> float | None:
        """Seconds until ``take()`` may change its answer without a ``wake``; None: wait for
        one. (A live source's answer changes when it has been silent long enough to be lost.)"""
        with self._cond:
            if self._lost is not None or self._ended or self._stopping:
                return None
            now = self._clock()
            if self.newest_first:
                return max(0.0, self._last_arrival + self._lost_limit() - now)
            if self._frame is None:
                return None
            return max(0.0, self._due - now)

    @property
    def ended(self) -> bool:
        """A file that reached its end without looping: nothing more will come."""
        with self._cond:
            return self._ended and self._frame is None

    @property
    def lost(self) -> str | None:
        """Why the source was declared lost, None while it is alive."""
        with self._cond:
            self._declare_if_silent(self._clock())
            return self._lost

    def set_draining(self, draining: bool) -> None:
        """While nobody looks, a live source is only drained (frames grabbed, not decoded):
        its queues stay empty, its CPU cost small, and the first frame taken afterwards is a
        fresh one. Files and patterns simply wait: nothing is taken from them."""
        if not self.newest_first:
            return
        with self._cond:
            if draining and not self._draining:
                self._frame = None  # old by the time anyone looks again
            self._draining = bool(draining)
            self._cond.notify_all()

    def seek(self, index: int) -> None:
        """Show frame ``index`` of a seekable file next, at once (the frame decoded ahead is
        dropped; the file's clock starts again from there)."""
        if not self.source.seekable:
            return
        with self._cond:
            self._seek_to, self._seeks = int(index), self._seeks + 1
            self._frame, self._due = None, -float("inf")
            self._cond.notify_all()

    def close(self, timeout: float = 0.5) -> bool:
        """Stop reading; the thread closes the source. True if it ended within ``timeout``
        (False: it is stuck in a read and will close the source when that returns)."""
        with self._cond:
            self._stopping = True
            self._frame = None
            self._cond.notify_all()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread (and so the source's release); True when it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ----------------------------------------------------------------------------- lost
    def _lost_limit(self) -> float:
        """How long a silence means lost: ``lost_after``, or a few frame periods of a slow
        source (measured once a few frames came; the rate it claims until then)."""
        typical = statistics.median(self._intervals) if len(self._intervals) >= 3 else None
        return max(self._lost_after, _LOST_AFTER_PERIODS * (typical or self._period))

    def _declare_if_silent(self, now: float) -> None:
        if self._lost is not None or not self.newest_first or self._stopping:
            return
        silent = now - self._last_arrival
        if silent > self._lost_limit():
            self._lose(
                f"{self.source.name}: no picture for {silent:.1f} s (the stream stopped, "
                "or the camera was unplugged?)"
            )

    def _check_alive(self, now: float) -> None:
        self._declare_if_silent(now)
        if self._lost is not None:
            raise SourceLost(self._lost)

    def _lose(self, message: str) -> None:
        """Called with the lock held: no frame from now on, and the thread may stop."""
        self._lost = message
        self._frame = None
        self._stopping = True
        self._cond.notify_all()

    # ----------------------------------------------------------------------------- thread
    def _run(self) -> None:
        try:
            while self._wait_for_room():
                self._read_one()
        finally:
            try:
                self.source.close()
            except Exception:
                log.warning("closing %s failed:\n%s", self.source.name, traceback.format_exc())
            self._wake()

    def _wait_for_room(self) -> bool:
        """Paced sources decode one frame ahead, no more; False when the thread should end."""
        with self._cond:
            while (
                not self._stopping
                and not self.newest_first
                and self._frame is not None
                and self._seek_to is None
            ):
                self._cond.wait()
            return not self._stopping

    def _read_one(self) -> None:
        with self._cond:
            draining, seek_to, self._seek_to = self._draining, self._seek_to, None
            seeks = self._seeks
        try:
            if seek_to is not None:
                self.source.seek(seek_to)
            image = None if draining else self.source.read()
            arrived = self.source.skip() if draining else image is not None
        except ConvlabError as error:
            self._end_with(str(error))
            return
        except Exception as error:  # a driver or decoder failing in a way nobody foresaw
            trace = mask_credentials(traceback.format_exc())  # a URL's password stays out
            log.error("reading %s failed:\n%s", self.source.name, trace)
            self._end_with(f"{self.source.name}: stopped with an error ({error!r})")
            return
        if not arrived:
            if self.newest_first:
                time.sleep(_IDLE_READ_S)  # a camera that skipped a beat
                return
            with self._cond:  # a file at its end (not looping)
                self._ended = True
                self._stopping = True
            self._wake()
            return
        self._store(image, seeks)

    def _store(self, image: np.ndarray | None, seeks: int = 0) -> None:
        now = self._clock()
        index = self.source.next_index
        with self._cond:
            if self._stopping:
                return  # closed or lost meanwhile: a late frame is never shown
            if seeks != self._seeks:
                return  # decoded before a seek: the frame asked for comes next
            self._intervals.append(now - self._last_arrival)
            self._last_arrival = now
            self.captured += 1
            if image is None or self._draining:
                return  # drained (or decoded just before draining began): not to be shown
            if self._frame is not None:
                self.dropped += 1
            self._frame = Frame(image, self.captured, now, None if index is None else index - 1)
        self._wake()

    def _end_with(self, message: str) -> None:
        with self._cond:
            if self._lost is None and not self._stopping:
                self._lose(message)
        self._wake()

    def __repr__(self) -> str:
        kind = "newest-first" if self.newest_first else "paced"
        return f"<Capture {self.source.name!r} {kind} captured={self.captured}>"


__all__ = ["DEFAULT_LOST_AFTER_S", "Capture", "Frame"]

"""Opening beside what plays: on its own thread, abandonable, and given up after a deadline.

A camera can take seconds to answer and a stream may never answer at all. Opening happens on a
daemon thread, so whoever asked goes on with the picture it has; ``wake`` says when the answer
is in. A newer request makes an older one pointless: ``cancel()`` abandons it. With a
``deadline`` the answer is "did not respond" once that many seconds have passed; the thread
may still be stuck in the driver. Whatever an abandoned or late open gives is released at once
(``discard``) instead of being left holding a device.

The same mechanism serves probing cameras one by one (``cameras.probe_indices``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from convlab.errors import SourceError


def release(result: Any) -> None:
    """Let go of what an open gave that nobody will use (a source, or a raw capture)."""
    for method in ("close", "release"):
        if callable(getattr(result, method, None)):
            getattr(result, method)()
            return


class PendingOpen:
    """One ``opener(spec, **options)`` call running on a daemon thread.

    ``before`` runs first on that thread (e.g. waiting until the previous capture of the same
    camera has let go of the device); the ``deadline`` (seconds, None: wait for ever) counts
    from when ``opener`` is called, and its message names the source as ``name``. ``wake`` is
    called (from a helper thread) when the answer is in (``done``), unless it was cancelled.
    """

    def __init__(
        self,
        spec: Any,
        options: dict[str, Any] | None = None,
        *,
        opener: Callable[..., Any],
        wake: Callable[[], None] = lambda: None,
        before: Callable[[], object] | None = None,
        deadline: float | None = None,
        name: str | None = None,
        discard: Callable[[Any], None] = release,
    ) -> None:
        self.spec = spec
        self._options = dict(options or {})
        self._wake, self._opener, self._before = wake, opener, before
        self._deadline, self._discard = deadline, discard
        self._name = name or str(spec)
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._cancelled = False
        self._timer: threading.Timer | None = None
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="convlab-open", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        result, error = None, None
        try:
            if self._before is not None:
                self._before()
            if not self.cancelled:
                self._start_the_clock()
                result = self._opener(self.spec, **self._options)
        except BaseException as raised:  # handed over by result()
            error = raised
        self._answer(result, error)

    def _start_the_clock(self) -> None:
        if self._deadline is None:
            return
        message = (
            f"{self._name}: did not respond within {self._deadline:g} s "
            "(device busy, or stream unreachable?)"
        )
        timer = threading.Timer(self._deadline, self._answer, (None, SourceError(message)))
        timer.daemon = True
        with self._lock:
            self._timer = timer
        timer.start()

    def _answer(self, result: Any, error: BaseException | None) -> None:
        """The opener's answer, or the deadline's: whichever comes first counts."""
        with self._lock:
            late = self.done.is_set() or self._cancelled
            if not late:
                self._result, self._error = result, error
                self.done.set()
            timer = self._timer
        if timer is not None:
            timer.cancel()
        if late:
            if result is not None:
                self._discard(result)  # nobody wants it any more: release the device
            return
        self._wake()

    @property
    def cancelled(self) -> bool:
        with self._lock:
            return self._cancelled

    def cancel(self) -> None:
        """Abandon the open; what it opens (now or later) is released, never handed over."""
        with self._lock:
            self._cancelled = True
            result, self._result = self._result, None
            timer = self._timer
        if timer is not None:
            timer.cancel()
        if result is not None:
            self._discard(result)

    def result(self) -> Any:
        """What the opener returned (once ``done``); raises what it raised, or the deadline's
        SourceError."""
        if not self.done.is_set():
            raise RuntimeError("the open has not finished")
        if self._error is not None:
            raise self._error
        with self._lock:
            result, self._result = self._result, None
        if result is None:
            raise RuntimeError("the open was cancelled, or its result already taken")
        return result

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the opener's thread (not only the answer); True when it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

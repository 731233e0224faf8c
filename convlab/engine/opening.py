"""Opening a source beside the one that is playing: on its own thread, and abandonable.

A camera can take seconds to answer and a stream may never answer at all. Opening happens on a
daemon thread, so whoever asked goes on with the picture it has; ``wake`` says when the answer
is in. A newer request makes an older one pointless: ``cancel()`` abandons it, and whatever it
opens after that is closed again at once instead of being left holding a device.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from convlab.engine.sources import FrameSource, open_source


class PendingOpen:
    """One ``opener(spec, **options)`` call running on a daemon thread.

    ``before`` runs first on that thread (e.g. waiting until the previous capture of the same
    camera has let go of the device). ``wake`` is called from the thread when the answer is in
    (``done``), unless the open was cancelled.
    """

    def __init__(
        self,
        spec: Any,
        options: dict[str, Any] | None = None,
        *,
        wake: Callable[[], None] = lambda: None,
        opener: Callable[..., FrameSource] = open_source,
        before: Callable[[], object] | None = None,
    ) -> None:
        self.spec = spec
        self._options = dict(options or {})
        self._wake, self._opener, self._before = wake, opener, before
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._cancelled = False
        self._source: FrameSource | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="convlab-open", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        source = None
        try:
            if self._before is not None:
                self._before()
            if not self.cancelled:
                source = self._opener(self.spec, **self._options)
        except BaseException as error:  # handed over by result()
            self._error = error
        with self._lock:
            cancelled = self._cancelled
            self._source = None if cancelled else source
            self.done.set()
        if cancelled:
            if source is not None:
                source.close()  # nobody wants it any more: release the device
            return
        self._wake()

    @property
    def cancelled(self) -> bool:
        with self._lock:
            return self._cancelled

    def cancel(self) -> None:
        """Abandon the open; what it opens (now or later) is closed, never handed over."""
        with self._lock:
            self._cancelled = True
            source, self._source = self._source, None
        if source is not None:
            source.close()

    def result(self) -> FrameSource:
        """The opened source (once ``done``); raises what the open raised."""
        if not self.done.is_set():
            raise RuntimeError("the open has not finished")
        if self._error is not None:
            raise self._error
        with self._lock:
            source, self._source = self._source, None
        if source is None:
            raise RuntimeError("the open was cancelled, or its result already taken")
        return source

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

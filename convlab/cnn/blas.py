"""How many threads the BLAS library (OpenBLAS, MKL) uses for the CNN's matrix products.

One, by default, inside every ``Sequential.forward`` and ``backward``. A LeNet step is a dozen
small matrix products. With two BLAS threads on a two-core machine, any other busy thread (the
GUI, the camera filter, another program) makes each product wait for a helper thread that is
not running: measured, training with two threads fell to 1,255 images/s with one core busy,
while PyTorch held 6,800. One thread is steady under load and loses little on an idle machine.

``Sequential.threads = None`` leaves BLAS alone (e.g. on a big idle machine), a number sets
that many; ``blas_threads(n)`` does the same around any code. The limit is process-wide while
it is set (BLAS has one setting): limits entered from several threads at once are counted, the
newest open one applies, and the setting from before comes back when the last one ends. It
uses threadpoolctl; the controller that finds the BLAS libraries is made once, so entering the
limit costs about 15 microseconds.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

DEFAULT_THREADS = 1

_controller: dict[str, Any] = {}
_controller_lock = threading.Lock()


def _blas_controller() -> Any | None:
    """threadpoolctl's controller, made on first use (None without threadpoolctl)."""
    with _controller_lock:
        if "controller" not in _controller:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:
                _controller["controller"] = None
            else:
                _controller["controller"] = ThreadpoolController()
        return _controller["controller"]


def blas_threads(count: int | None) -> contextlib.AbstractContextManager[object]:
    """Limit BLAS to ``count`` threads while the context is open (None: leave it alone)."""
    if count is None:
        return contextlib.nullcontext()
    controller = _blas_controller()
    if controller is None:
        return contextlib.nullcontext()
    return _limited(controller, count)


# BLAS has one setting for the whole process, but limits are entered from more than one
# thread at once (the window's forward pass, an evaluation on a helper thread) and may end in
# any order. So every open limit is listed: the newest one still open is in effect, and only
# when the last one ends does the setting from before the first come back.
_open_limits: dict[object, int] = {}  # one entry per open context, oldest first
_before_first: list[Any] = []  # the limiter that restores the setting from before
_open_lock = threading.Lock()


@contextlib.contextmanager
def _limited(controller: Any, count: int) -> Iterator[None]:
    token = object()
    with _open_lock:
        limiter = controller.limit(limits=count, user_api="blas")
        if not _open_limits:
            _before_first[:] = [limiter]
        _open_limits[token] = count
    try:
        yield
    finally:
        with _open_lock:
            del _open_limits[token]
            if _open_limits:
                controller.limit(limits=list(_open_limits.values())[-1], user_api="blas")
            else:
                _before_first.pop().restore_original_limits()

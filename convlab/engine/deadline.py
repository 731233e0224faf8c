"""Calls that may hang (a camera driver, a network stream) run on a helper thread, with a
deadline."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class DeadlineError(Exception):
    """The helper thread did not finish in time."""


def run_with_deadline(
    work: Callable[[], Any], timeout: float, discard: Callable[[Any], None]
) -> Any:
    """Run ``work`` on a daemon thread; its result, or DeadlineError after ``timeout`` seconds.

    A result that arrives after the deadline is handed to ``discard`` (to release a camera
    nobody will use) instead of leaking; the caller is never blocked longer than ``timeout``.
    """
    lock = threading.Lock()
    outcome: dict[str, Any] = {}

    def runner() -> None:
        try:
            value = work()
        except BaseException as exc:  # handed to the caller's thread
            with lock:
                outcome["error"] = exc
            return
        with lock:
            if outcome.get("abandoned"):
                discard(value)
            else:
                outcome["value"] = value

    thread = threading.Thread(target=runner, name="convlab-open-source", daemon=True)
    thread.start()
    thread.join(timeout)
    with lock:
        if "error" in outcome:
            raise outcome["error"]
        if "value" in outcome:
            return outcome["value"]
        outcome["abandoned"] = True
    raise DeadlineError

"""Worker threads run below the GUI thread, which keeps its own priority."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from convlab.ui.threads.priority import MAX_NICE, below_the_gui, run_below_the_gui

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="per-thread nice is Linux's"
)


def _nice_after(steps: int) -> int:
    seen: list[int] = []

    def work() -> None:
        run_below_the_gui(steps)
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    return seen[0]


def test_a_worker_runs_the_given_steps_below_its_creator_and_the_creator_is_untouched():
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert _nice_after(3) == min(MAX_NICE, own + 3)
    assert _nice_after(100) == MAX_NICE  # capped at the lowest priority there is
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own


def test_a_pooled_job_runs_below_the_gui_however_often_its_thread_is_reused():
    gui = os.getpriority(os.PRIO_PROCESS, os.getpid())
    seen: list[int] = []

    def job() -> int:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return len(seen)

    def reuse() -> None:  # one thread, three jobs: the thread is lowered once, not thrice
        assert [below_the_gui(job, 4)() for _ in range(3)] == [1, 2, 3]

    thread = threading.Thread(target=reuse)
    thread.start()
    thread.join(5)
    assert seen == [min(MAX_NICE, gui + 4)] * 3


def test_training_steps_aside_through_the_same_helper_and_only_its_own_thread_goes_down():
    from convlab.priority import step_aside

    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[int] = []

    def training() -> None:
        step_aside(5, whole_process=True)  # what the training process does once it has data
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=training)
    thread.start()
    thread.join(5)
    assert seen == [min(MAX_NICE, own + 5)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own

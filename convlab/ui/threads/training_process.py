"""Training in a process of its own, so it never makes the window wait.

numpy holds Python's interpreter lock between its calls; a training thread in the window's
process took it for up to 30 ms at a time and the window stuttered. Here training runs in a
child process (``convlab.cnn.loop.run_in_process``) started with multiprocessing's "spawn"
method: a fresh interpreter, never a fork of this one (forking a process whose Qt threads are
running copies their locks in whatever state they are in). The plan goes over at the start;
commands (pause, resume, step, stop, edited weights) go through one pipe, reports come back
through another, read by a small thread here that turns them into Qt signals.

The process is started from that thread too (spawning writes the plan, webcam captures
included, into the child before returning). The networks the window holds (``models()``)
are updated from every report before it is announced, so they always carry the last weights
training reported: if the process dies (killed, out of memory), the window says so and keeps
them. Stop is a command between two batches (a process still starting or loading its data
has nothing to keep and is ended at once); closing the window stops the process, and kills
it if it does not end in time.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from convlab.cnn.loop import run_in_process
from convlab.cnn.model import Sequential
from convlab.cnn.plan import TrainingPlan
from convlab.ui.threads import spare_process

log = logging.getLogger(__name__)

#: longest the GUI thread waits for training to end on close
JOIN_TIMEOUT_MS = 1000
_KILL_WAIT_S = 2.0


class TrainingProcess(QObject):
    """Trains a ``TrainingPlan`` in a child process; the session's ``TrainingRunner``.

    Signals carry the runner first, so the session can tell a current run from one it has
    already stopped: ``prepared(runner, dataset, [run names], [model copies])``,
    ``progress(runner, [TrainingProgress])``, ``failed(runner, message)``, and last
    ``completed(runner, outcome)`` with "done", "stopped" or "failed" (also when the process
    died: then ``failed`` said so first).
    """

    prepared = Signal(object, object, object, object)
    progress = Signal(object, object)
    failed = Signal(object, str)
    completed = Signal(object, str)

    def __init__(
        self, plan: TrainingPlan, *, start_paused: bool = False, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self._paused = start_paused
        self._start_paused = start_paused
        self._lock = threading.Lock()
        self._models: list[Sequential] = []
        self._process: Any = None
        self._commands: Any = None
        self._pending: list[tuple] = []  # commands given before the process existed
        self._receiver: threading.Thread | None = None
        self._completed = False
        self._stopping = False
        self._edits_sent = 0
        self.outcome = ""

    # ------------------------------------------------------------------ control (GUI thread)
    def start(self) -> None:
        self._receiver = threading.Thread(
            target=self._run, name="convlab-training-reports", daemon=True
        )
        self._receiver.start()

    def _launch(self) -> Any:
        """Start the child (on the reports thread), or hand the plan to the spare process
        made while the Train tab was on screen; the pipe its reports come through."""
        spare = spare_process.claim(self.plan.data)
        if spare is not None:
            process, commands_out, reports_in = spare.process, spare.commands, spare.reports
            with contextlib.suppress(OSError, ValueError):  # ended meanwhile: reported so
                commands_out.send(("plan", self.plan, self._start_paused))
        else:
            process, commands_out, reports_in = self._spawn()
        with self._lock:
            self._process, self._commands = process, commands_out
            pending, self._pending = self._pending, []
        for command in pending:
            self._send(*command)
        if self._stopping:
            self.stop()
        return reports_in

    def _spawn(self) -> tuple[Any, Any, Any]:
        """A fresh process for the plan: (process, commands in, reports out)."""
        return spare_process.spawn(run_in_process, self.plan, self._start_paused)

    def _send(self, *command: object) -> None:
        with self._lock:
            commands = self._commands
            if commands is None:
                if self._process is None:  # not started yet: sent once it is
                    self._pending.append(command)
                return
        with contextlib.suppress(OSError, ValueError):  # it has ended: nothing to control
            commands.send(command)

    def pause(self) -> None:
        self._paused = True
        self._send("pause")

    def resume(self) -> None:
        self._paused = False
        self._send("resume")

    def step(self) -> None:
        """Let exactly one more batch (of every run) through, then stay paused."""
        self._paused = True
        self._send("step")

    def stop(self) -> None:
        """End training after the current batch; ``wait`` waits for it. A process that has
        not prepared its networks yet is ended at once: there is nothing to keep."""
        self._stopping = True
        with self._lock:
            process, prepared = self._process, bool(self._models)
        if process is not None and not prepared and process.is_alive():
            process.kill()
        else:
            self._send("stop")

    def edit(self, index: int, change: Callable[[Sequential], None]) -> None:
        """Weights edited in the window (while paused): ``change`` edits network ``index`` and
        training goes on from the result. The edit is counted before it is made, under the
        lock the report thread takes, so a report made before the process took the edit can
        never write the old weights over it, here or in what is sent."""
        with self._lock:
            self._edits_sent += 1
            number = self._edits_sent
            model = self._models[index]
            change(model)
            state = model.state()
        self._send("state", index, state, number)

    def weights(self, index: int = 0) -> list[dict[str, Any]]:
        """A copy of network ``index``'s parameters as of the last report (edits included),
        taken under the lock the report thread writes under."""
        with self._lock:
            return self._models[index].state()

    def snapshot(self, index: int = 0) -> Sequential:
        """A copy of network ``index`` as of the last report, taken under the lock the report
        thread writes under (the window's network itself changes with every report)."""
        with self._lock:
            return self._models[index].copy()

    @property
    def is_paused(self) -> bool:
        return self._paused

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def models(self) -> list[Sequential]:
        """The window's copies of the networks being trained (empty until the data is
        loaded), carrying the weights of the last report."""
        with self._lock:
            return list(self._models)

    def isRunning(self) -> bool:
        receiving = self._receiver is not None and self._receiver.is_alive()
        return receiving or (self._process is not None and self._process.is_alive())

    def wait(self, timeout_ms: int = JOIN_TIMEOUT_MS) -> bool:
        """Wait for the process to end and its last report to be read; True if both did."""
        if self._receiver is not None:
            self._receiver.join(timeout_ms / 1000)
        if self._process is not None and not self.isRunning():
            self._process.join(0.5)
        return not self.isRunning()

    def kill(self, timeout_ms: int = JOIN_TIMEOUT_MS) -> None:
        """End the process at once (it did not stop when asked); the weights stay. Waits up
        to ``timeout_ms`` for it and its last report."""
        deadline = time.monotonic() + timeout_ms / 1000
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(max(0.0, deadline - time.monotonic()))
        if self._receiver is not None:
            self._receiver.join(max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------------ reports (own thread)
    def _run(self) -> None:
        if self._stopping:  # stopped before it began
            self.outcome = "stopped"
            self.completed.emit(self, self.outcome)
            return
        try:
            reports = self._launch()
        except Exception as error:  # no process could be started (resources, a sandbox)
            log.exception("starting the training process failed")
            self.failed.emit(self, f"Training could not start a process: {error}")
            self.outcome = "failed"
            self.completed.emit(self, self.outcome)
            return
        self._receive(reports)

    def _receive(self, reports: Any) -> None:
        try:
            while True:
                try:
                    message = reports.recv()
                except (EOFError, OSError):
                    break
                except Exception as error:  # a report that cannot be read: training goes on
                    log.warning("unreadable training report: %r", error)
                    continue
                self._handle(message)
        finally:
            reports.close()
            self._ended()

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "prepared":
            _, dataset, names, models = message
            with self._lock:
                self._models = models
            self.prepared.emit(self, dataset, names, [copy.deepcopy(m) for m in models])
        elif kind == "progress":
            reports, edits_applied = message[1], message[2]
            with self._lock:
                if edits_applied >= self._edits_sent:
                    for model, report in zip(self._models, reports):
                        model.set_state(report.state)
                else:  # made before an edit reached the process: the edited weights stand
                    reports = [
                        dataclasses.replace(report, state=tuple(model.state()))
                        for model, report in zip(self._models, reports)
                    ]
            self.progress.emit(self, reports)
        elif kind == "failed":
            self.failed.emit(self, str(message[1]))
        elif kind == "completed":
            self.outcome = str(message[1])
            self._completed = True

    def _ended(self) -> None:
        """The report pipe closed: the process has ended, normally or not."""
        process = self._process
        if process is not None:
            process.join(_KILL_WAIT_S)
        if not self._completed and self._stopping:
            self.outcome = "stopped"  # ended at once when stopped while starting
        elif not self._completed:
            code = None if process is None else process.exitcode
            why = "no exit code" if code is None else f"exit code {code}"
            if code is not None and code < 0:
                why = f"signal {-code}"
            self.outcome = "failed"
            self.failed.emit(
                self,
                f"The training process ended unexpectedly ({why}); the network keeps the "
                "weights of its last report",
            )
        with self._lock:
            commands, self._commands = self._commands, None
        if commands is not None:
            commands.close()
        self.completed.emit(self, self.outcome)


def process_runner(plan: TrainingPlan, start_paused: bool) -> TrainingProcess:
    """Training in a child process (the session's default runner)."""
    return TrainingProcess(plan, start_paused=start_paused)

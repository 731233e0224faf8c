"""The training loop, Qt-free: load the data, build the networks, train them batch by batch.

``TrainingLoop`` asks each network's ``RunTally`` for one batch at a time, checks its
``LoopControl`` between batches (pause, one step, stop, weights edited meanwhile), and reports
a few times a second, when pausing, after a step and at each epoch end, never per batch.
Several networks (the side-by-side experiments) are interleaved batch by batch, so their
curves grow together.

The app runs it in a process of its own (``run_in_process``): numpy holds Python's
interpreter lock between its calls, and a training thread beside the window's would make the
window wait for it. The process gets its plan when it starts, its commands through one pipe
and sends its reports through another; it ends when the window goes away.
"""

from __future__ import annotations

import contextlib
import copy
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from convlab.cnn.data import LoadingStopped
from convlab.cnn.dataset import Dataset, DataSpec
from convlab.cnn.model import Sequential
from convlab.cnn.plan import RunSpec, TrainingPlan, TrainingSettings
from convlab.cnn.progress import RunTally, TrainingProgress
from convlab.errors import ConvlabError
from convlab.priority import step_aside

#: seconds between progress reports
EMIT_INTERVAL = 0.2
#: how much lower than the window the training process runs (nice value, 0-19)
TRAINING_NICE = 5
#: how often a paused loop looks for a command (seconds)
_PAUSED_POLL_S = 0.01

State = Sequence[dict[str, np.ndarray]]


class LoopControl(Protocol):
    """What the loop asks between batches; ``wait_while_paused`` also announces a pause."""

    def stopping(self) -> bool: ...
    def paused(self) -> bool: ...
    def wait_while_paused(self, announce: Callable[[], None]) -> tuple[float, bool]: ...
    def edited_states(self) -> list[tuple[int, State]]: ...


class LoopEvents(Protocol):
    """Where the loop's news goes."""

    def prepared(self, dataset: Dataset, names: list[str], models: list[Sequential]) -> None: ...
    def progress(self, reports: list[TrainingProgress]) -> None: ...
    def failed(self, message: str) -> None: ...


class TrainingLoop:
    """One run of a ``TrainingPlan`` under a ``LoopControl``, telling ``LoopEvents``."""

    def __init__(self, plan: TrainingPlan, control: LoopControl, events: LoopEvents) -> None:
        self.plan, self.control, self.events = plan, control, events
        self.settings: TrainingSettings = plan.settings
        self.runs: list[RunSpec] = []

    def run(self) -> str:
        """Train until done; "done", "stopped" or "failed" (``failed`` was told why)."""
        try:
            return self._train_all()
        except LoadingStopped:
            return "stopped"
        except ConvlabError as error:
            self.events.failed(str(error))
            return "failed"

    def _train_all(self) -> str:
        dataset = self.plan.load_data(self.control.stopping)  # Stop interrupts loading too
        if self.control.stopping():
            return "stopped"
        self.runs = self.plan.build_runs(dataset)
        names, models = [spec.name for spec in self.runs], [spec.model for spec in self.runs]
        self.events.prepared(dataset, names, models)
        tallies = [RunTally.start(spec, dataset, self.settings) for spec in self.runs]
        started = time.perf_counter()
        paused_seconds, last_emit = 0.0, 0.0
        while not all(run.finished for run in tallies):
            waited, stepping = self.control.wait_while_paused(
                lambda seconds=paused_seconds: self._emit(tallies, started, seconds)
            )
            self._apply_edits()
            if self.control.stopping():
                self._emit(tallies, started, paused_seconds)
                return "stopped"
            paused_seconds += waited
            if waited:
                last_emit = time.perf_counter()
            epoch_end = False
            for run in tallies:
                if not run.finished:
                    epoch_end |= run.advance(dataset, self.settings)
            now = time.perf_counter()
            paused = self.control.paused()
            if stepping or epoch_end or paused or now - last_emit >= EMIT_INTERVAL:
                self._emit(tallies, started, paused_seconds)
                last_emit = now
            failure = next((run for run in tallies if run.error), None)
            if failure is not None:
                self._emit(tallies, started, paused_seconds)
                prefix = f"{failure.spec.name}: " if len(tallies) > 1 else ""
                self.events.failed(prefix + failure.error)
                return "failed"
        self._emit(tallies, started, paused_seconds)
        return "done"

    def _apply_edits(self) -> None:
        """Weights the person wrote into a filter while paused: training goes on from them."""
        for index, state in self.control.edited_states():
            if 0 <= index < len(self.runs):
                self.runs[index].model.set_state(state)

    def _emit(self, tallies: list[RunTally], started: float, paused: float) -> None:
        elapsed = max(time.perf_counter() - started - paused, 1e-9)
        paused_now = self.control.paused() and not self.control.stopping()
        reports = [
            run.report(epochs=self.settings.epochs, elapsed=elapsed, paused=paused_now)
            for run in tallies
        ]
        self.events.progress(reports)


# --------------------------------------------------------------------------- in a process
@dataclass
class PipeControl:
    """The loop's control in the training process: commands arrive through ``commands``.

    Commands: ("pause",), ("resume",), ("step",), ("stop",), ("state", run index, state,
    edit number). A closed pipe (the window went away) counts as stop. ``edits_applied`` is
    the number of the last edit handed to the loop, so the window can tell reports made
    before it from those made after.
    """

    commands: Any  # multiprocessing.connection.Connection, receiving end
    start_paused: bool = False
    _paused: bool = field(init=False)
    _steps: int = field(init=False)
    _stop: bool = field(default=False, init=False)
    _states: list[tuple[int, State]] = field(default_factory=list, init=False)
    _reported: bool = field(default=False, init=False)
    _edits_received: int = field(default=0, init=False)
    edits_applied: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._paused = self.start_paused
        self._steps = 1 if self.start_paused else 0

    def _drain(self) -> None:
        try:
            while not self._stop and self.commands.poll():
                self._apply(self.commands.recv())
        except (EOFError, OSError):
            self._stop = True

    def _apply(self, command: tuple) -> None:
        kind = command[0]
        if kind == "pause":
            self._paused, self._steps = True, 0
        elif kind == "resume":
            self._paused = False
        elif kind == "step":
            self._paused, self._steps = True, self._steps + 1
        elif kind == "stop":
            self._stop = True
        elif kind == "state":
            self._states.append((int(command[1]), command[2]))
            self._edits_received = max(self._edits_received, int(command[3]))

    def stopping(self) -> bool:
        self._drain()
        return self._stop

    def paused(self) -> bool:
        self._drain()
        return self._paused

    def wait_while_paused(self, announce: Callable[[], None]) -> tuple[float, bool]:
        """Block while paused (reporting the pause once); (seconds waited, one step?)."""
        self._drain()
        if not self._paused or self._stop:
            self._reported = False
            return 0.0, False
        began = time.perf_counter()
        if not self._reported:
            announce()
            self._reported = True
        while self._paused and self._steps == 0 and not self._stop:
            with contextlib.suppress(EOFError, OSError):
                self.commands.poll(_PAUSED_POLL_S)
            self._drain()
        stepping = self._paused and self._steps > 0 and not self._stop
        if stepping:
            self._steps -= 1
            self._reported = False
        return time.perf_counter() - began, stepping

    def edited_states(self) -> list[tuple[int, State]]:
        self._drain()
        states, self._states = self._states, []
        self.edits_applied = self._edits_received
        return states


class PipeEvents:
    """The loop's news as messages to the window: ("prepared", dataset, names, models),
    ("progress", reports, edits applied), ("failed", message); the process ends with
    ("completed", outcome).

    The window never trains on the dataset it gets: its training images are left out (a
    60,000-image set would cross the pipe for nothing), the validation set goes along.
    """

    def __init__(self, reports: Any, control: PipeControl) -> None:
        self._reports, self._control = reports, control

    def send(self, *message: object) -> None:
        self._reports.send(message)

    def prepared(self, dataset: Dataset, names: list[str], models: list[Sequential]) -> None:
        # from here on training competes with the window for the cores: step aside (starting
        # up and loading the data ran at the window's own priority, like the window's start)
        _be_nice()
        shown = copy.copy(dataset)
        shown.train_images = dataset.train_images[:0]
        shown.train_labels = dataset.train_labels[:0]
        self.send("prepared", shown, names, models)

    def progress(self, reports: list[TrainingProgress]) -> None:
        self.send("progress", reports, self._control.edits_applied)

    def failed(self, message: str) -> None:
        self.send("failed", message)


def run_in_process(plan: TrainingPlan, commands: Any, reports: Any, start_paused: bool) -> None:
    """The training process's whole life: train ``plan``, report, end (see the module)."""
    control = PipeControl(commands, start_paused)
    events = PipeEvents(reports, control)
    outcome = "failed"
    try:
        outcome = TrainingLoop(plan, control, events).run()
    except (BrokenPipeError, EOFError):
        return  # the window went away: nobody to tell
    except BaseException as error:  # a bug or MemoryError: say what, then end like a run
        with contextlib.suppress(OSError):
            events.failed(f"training stopped: {type(error).__name__}: {error}")
            traceback.print_exc()
    with contextlib.suppress(OSError):
        events.send("completed", outcome)


def serve_as_spare(warm: DataSpec | None, commands: Any, reports: Any) -> None:
    """A training process started before Train was pressed (see ``ui/threads/spare_process``):
    its imports are done by now; it makes ``warm``'s data (kept in the dataset cache), says
    ("ready",), then trains the plan it is sent as ("plan", plan, start_paused)."""
    _be_nice()  # nobody waits for it yet
    if warm is not None:
        with contextlib.suppress(Exception):  # the plan's own load says what is wrong
            warm.load()
    try:
        reports.send(("ready",))
        message = commands.recv()
    except (EOFError, OSError):
        return  # the window went away, or wanted no spare any more
    if isinstance(message, tuple) and message[:1] == ("plan",):
        run_in_process(message[1], commands, reports, bool(message[2]))


_niced = False


def _be_nice() -> None:
    """Let the window, the camera and the filter go first when the cores are busy; training
    still gets every cycle nobody else wants. (Once per process.)"""
    global _niced
    if _niced:
        return
    _niced = True
    step_aside(TRAINING_NICE, whole_process=True)

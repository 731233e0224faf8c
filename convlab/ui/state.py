"""The playground's single source of truth, shared by every panel.

Widgets hold no model state of their own: they read ``state.pipeline`` and call the
``set_*``/``update_*`` methods, and they repaint when a signal says something changed. Every
change builds a new immutable ``Pipeline`` (the filter worker swaps it in atomically), and the
changes a person would want to take back go through one ``QUndoStack``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from convlab.engine.display import SETTING_MODES, colormap_names
from convlab.engine.kernel_ops import resize_remembering
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import (
    MAP_SCALES,
    MAX_BANK_SIZE,
    ConvSettings,
    DisplaySettings,
    Pipeline,
    PipelineResult,
)
from convlab.errors import ConvlabError, KernelError

_KERNEL_FIELDS = {"kernel"}
_BANK_FIELDS = {"bank", "selected_map"}


MAX_EDIT_TEXT = 120


class _PipelineEdit(QUndoCommand):
    """Swap some fields of the pipeline; undo swaps the old values back."""

    def __init__(
        self, state: PlaygroundState, old: dict, new: dict, text: str, merge_key: str | None
    ) -> None:
        # the text names the edit in menus and tooltips; a kernel file's 100,000-character
        # name in it cost Qt ~150 ms of layout per edit
        super().__init__(text if len(text) <= MAX_EDIT_TEXT else text[: MAX_EDIT_TEXT - 1] + "…")
        self._state = state
        self._old = old
        self._new = new
        self._merge_key = merge_key

    def id(self) -> int:
        # Qt merges consecutive commands with the same id >= 0 (e.g. scrubbing one cell).
        return -1 if self._merge_key is None else hash(self._merge_key) & 0x7FFFFFFF

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _PipelineEdit) or other._merge_key != self._merge_key:
            return False
        if set(other._new) != set(self._new):
            return False
        self._new = other._new
        self.setText(other.text())  # the menu names where the drag ended, not where it began
        return True

    def redo(self) -> None:
        self._state._apply(self._new)

    def undo(self) -> None:
        self._state._apply(self._old)


class PlaygroundState(QObject):
    """Current kernel, convolution and display settings, feature-map bank, latest result."""

    pipelineChanged = Signal(object)  # Pipeline: every change, the worker listens to this
    kernelChanged = Signal(object)  # Kernel
    settingsChanged = Signal()  # conv / display / stages changed
    bankChanged = Signal()  # bank contents or the selected map changed
    resultReady = Signal(object)  # PipelineResult, always emitted on the GUI thread
    inspectedPixelChanged = Signal(object)  # (row, col) in source-frame coordinates, or None
    message = Signal(str, str)  # (text, level) with level "info" | "warning" | "error"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._pipeline = Pipeline()
        self.latest_result: PipelineResult | None = None
        self.inspected_pixel: tuple[int, int] | None = None
        # Set by the window to the filter worker's ``full_frame``: a huge still is filtered
        # live as a reduced preview, but exports must use the original pixels.
        self.full_frame_provider: Callable[[], np.ndarray | None] | None = None
        # the larger kernel a shrink cut down: growing back gives back its weights
        self._before_shrink: Kernel | None = None

    # ----------------------------------------------------------------------------- reading
    @property
    def pipeline(self) -> Pipeline:
        return self._pipeline

    @property
    def kernel(self) -> Kernel:
        return self._pipeline.kernel

    @property
    def bank(self) -> tuple[Kernel, ...]:
        return self._pipeline.bank

    # ----------------------------------------------------------------------------- editing
    def set_kernel(
        self, kernel: Kernel, *, text: str = "Edit kernel", merge_key: str | None = None
    ) -> None:
        """Make ``kernel`` the current kernel (undoable)."""
        self._change(text, merge_key, kernel=kernel)

    def resize_kernel(self, rows: int, cols: int, *, name: str = "custom") -> bool:
        """Crop the kernel around its anchor cell or grow it (one undo step); growing back
        after a shrink gives back what the shrink cut off, as long as the kernel was not
        edited in between (``resize_remembering``), else zeros. False (and a warning) when
        the size is refused."""
        kernel = self.kernel
        if (rows, cols) == kernel.shape:
            return True
        try:
            new, memory = resize_remembering(kernel, self._before_shrink, rows, cols, name)
        except KernelError as error:
            self.report(error, "warning")
            return False
        self._before_shrink = memory
        self.set_kernel(new, text=f"Resize kernel to {rows}×{cols}")
        return True

    def update_conv(self, **changes: Any) -> None:
        """Change border, padding, stride, dilation, mode or channels (undoable)."""
        conv = ConvSettings(**{**self._pipeline.conv.as_kwargs(), **changes})
        self._change("Change " + ", ".join(changes), None, conv=conv)

    def update_display(self, **changes: Any) -> None:
        """Change how the main output is drawn (not undoable: it loses no work)."""
        self._apply({"display": _replace(self._pipeline.display, changes)})

    def update_bank_display(self, **changes: Any) -> None:
        self._apply({"bank_display": _replace(self._pipeline.bank_display, changes)})

    def set_stages(self, **changes: bool) -> None:
        """Switch the CNN stages after the bank's convolution: relu, pool, combine."""
        unknown = set(changes) - {"relu", "pool", "combine"}
        if unknown:
            raise ValueError(f"unknown stages: {sorted(unknown)}")
        self._apply(changes)

    def set_map_scale(self, scale: str) -> None:
        """Where the bank's maps are computed: "auto", "full" (the frame's own scale) or
        "preview" (a shrunk copy); a view setting, so not undoable."""
        if scale not in MAP_SCALES:
            raise ValueError(f"map scale must be one of {', '.join(MAP_SCALES)}, got {scale!r}")
        self._apply({"map_scale": scale})

    def set_bank(self, kernels: list[Kernel] | tuple[Kernel, ...], *, text: str = "Set bank"):
        """Replace the whole feature-map bank (undoable)."""
        kernels = tuple(kernels)
        if len(kernels) > MAX_BANK_SIZE:
            self.report(
                f"Feature-map bank: {len(kernels)} kernels given, the bank holds "
                f"{MAX_BANK_SIZE}; kept the first {MAX_BANK_SIZE}.",
                "warning",
            )
            kernels = kernels[:MAX_BANK_SIZE]
        self._change(text, None, bank=kernels, selected_map=None)

    def add_to_bank(self, kernel: Kernel) -> None:
        if len(self.bank) >= MAX_BANK_SIZE:
            self.report(f"Feature-map bank is full ({MAX_BANK_SIZE} kernels).", "warning")
            return
        self._change("Add to bank", None, bank=(*self.bank, kernel), selected_map=None)

    def remove_from_bank(self, index: int) -> None:
        bank = list(self.bank)
        del bank[index]
        self._change("Remove from bank", None, bank=tuple(bank), selected_map=None)

    def move_in_bank(self, source: int, target: int) -> None:
        bank = list(self.bank)
        bank.insert(target, bank.pop(source))
        self._change("Reorder bank", None, bank=tuple(bank), selected_map=None)

    def select_map(self, index: int | None) -> None:
        """Show bank map ``index`` large in the output view (None: the main kernel)."""
        self._apply({"selected_map": index})

    def set_inspected_pixel(self, position: tuple[int, int] | None) -> None:
        self.inspected_pixel = position
        self.inspectedPixelChanged.emit(position)

    # ----------------------------------------------------------------------------- results
    def publish_result(self, result: PipelineResult) -> None:
        """Called by the window (GUI thread) for every displayed frame."""
        self.latest_result = result
        self.resultReady.emit(result)

    def full_frame(self) -> np.ndarray | None:
        """The current frame at full resolution, for exports; the displayed frame when no
        provider is set (or it has nothing yet), None before the first frame."""
        frame = self.full_frame_provider() if self.full_frame_provider is not None else None
        if frame is None and self.latest_result is not None:
            frame = self.latest_result.frame
        return frame

    def report(self, problem: ConvlabError | str, level: str = "error") -> None:
        """Show a message in the window without blocking it."""
        self.message.emit(str(problem), level)

    # ----------------------------------------------------------------------------- persistence
    def to_dict(self) -> dict:
        """What survives a restart: the kernel, its settings and the bank."""
        p = self._pipeline
        return {
            "kernel": p.kernel.to_dict(),
            "conv": p.conv.as_kwargs(),
            "display": {"mode": p.display.mode, "colormap": p.display.colormap},
            "bank": [k.to_dict() for k in p.bank],
            "stages": {"relu": p.relu, "pool": p.pool, "combine": p.combine},
            "map_scale": p.map_scale,
        }

    def restore(self, data: dict) -> set[str]:
        """Load what ``to_dict`` saved; anything unreadable keeps its default.

        Returns the keys that were restored, so the caller can give the others its own
        defaults (the first-run kernel rather than identity).
        """
        changes: dict[str, Any] = {}
        readers = {
            "kernel": lambda d: Kernel.from_dict(d),
            "conv": lambda d: ConvSettings(**d),
            "display": _read_display,
            # only as many kernels as a bank holds are read: a saved list of 100,000 is not
            "bank": lambda d: tuple(Kernel.from_dict(k) for k in d[:MAX_BANK_SIZE]),
        }
        for key, read in readers.items():
            if key in data:
                try:
                    changes[key] = read(data[key])
                except (ConvlabError, KeyError, TypeError, ValueError) as error:
                    self.report(f"Saved {key} could not be restored: {error}", "warning")
        stages = data.get("stages", {})
        if isinstance(stages, dict):
            changes.update(
                {k: bool(v) for k, v in stages.items() if k in ("relu", "pool", "combine")}
            )
        if data.get("map_scale") in MAP_SCALES:
            changes["map_scale"] = data["map_scale"]
        self._apply(changes)
        return set(changes)

    # ----------------------------------------------------------------------------- internals
    def _change(self, text: str, merge_key: str | None, **new: Any) -> None:
        old = {name: getattr(self._pipeline, name) for name in new}
        if all(_same(old[name], new[name]) for name in new):
            return
        self.undo_stack.push(_PipelineEdit(self, old, new, text, merge_key))

    def _apply(self, fields: dict) -> None:
        if not fields:
            return
        self._pipeline = self._pipeline.evolve(**fields)
        names = set(fields)
        if names & _KERNEL_FIELDS:
            self.kernelChanged.emit(self._pipeline.kernel)
        if names & _BANK_FIELDS:
            self.bankChanged.emit()
        if names - _KERNEL_FIELDS - _BANK_FIELDS:
            self.settingsChanged.emit()
        self.pipelineChanged.emit(self._pipeline)


def _read_display(data: dict) -> DisplaySettings:
    """A saved display mapping; a mode chosen by hand is kept as it was (Auto is only the
    first run's default)."""
    mode, colormap = data["mode"], data["colormap"]
    if mode not in SETTING_MODES:
        raise ValueError(f"unknown display mode {mode!r}")
    if colormap not in colormap_names() and colormap not in ("diverging", "grey"):
        raise ValueError(f"unknown colormap {colormap!r}")
    return DisplaySettings(mode=mode, colormap=colormap, robust=True)


def _replace(settings: DisplaySettings, changes: dict) -> DisplaySettings:
    """A copy with ``changes``; fields not named (e.g. ``robust``) keep their values."""
    return dataclasses.replace(settings, **changes)


def _same(a: Any, b: Any) -> bool:
    """Equality that also works for kernels (numpy weights) and tuples of them."""
    if isinstance(a, Kernel) and isinstance(b, Kernel):
        return (
            a.shape == b.shape
            and np.array_equal(a.weights, b.weights)
            and (a.divisor, a.offset, a.name) == (b.divisor, b.offset, b.name)
        )
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b

"""The first layer's filters through a run: snapshots every few steps, bounded.

Training sends a snapshot of the first convolution's weights every N steps; the Train tab's
history scrubber slides back through them and shows the start beside the weights now. The
history belongs to the run, not to the widget that draws it: it is kept here, in the
session, and the panel only reads it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from convlab.cnn.progress import Snapshot

#: the most snapshots kept; past it every second one goes, the first and the newest stay
MAX_SNAPSHOTS = 400


class FilterHistory:
    """(step, weights) snapshots of one run's first layer, oldest first."""

    def __init__(self, limit: int = MAX_SNAPSHOTS) -> None:
        self.limit = limit
        self._snapshots: list[Snapshot] = []

    def add(self, snapshots: Iterable[Snapshot]) -> bool:
        """Keep these snapshots; thin the history out when it grows past the limit, keeping
        the start (step 0) and the newest. True if anything was added."""
        added = list(snapshots)
        self._snapshots.extend(added)
        if len(self._snapshots) > self.limit:
            self._snapshots = [*self._snapshots[:-1:2], self._snapshots[-1]]
        return bool(added)

    def clear(self) -> None:
        self._snapshots = []

    def __len__(self) -> int:
        return len(self._snapshots)

    def __bool__(self) -> bool:
        return bool(self._snapshots)

    def __getitem__(self, index: int) -> Snapshot:
        return self._snapshots[index]

    def start(self) -> np.ndarray | None:
        """The weights of the first snapshot (the start of the run), if any."""
        return self._snapshots[0][1] if self._snapshots else None

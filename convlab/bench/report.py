"""What the window benchmarks (``gui``, ``soak``) share: the bank they run and how a report ends.

Not a benchmark itself (``__main__`` lists the suites): one place for the ending, so every saved
report carries the load average after its run, which tells a reader whether other processes on
the shared cores were competing while it was measured.
"""

from __future__ import annotations

import os
from pathlib import Path

# The 4-map bank of the goal ("default 3x3 kernel plus a 4-map bank").
LIVE_BANK = ("sobel_x", "sobel_y", "prewitt_x", "laplacian")


def finish_report(lines: list[str], output: Path) -> int:
    """Append the load average, print the report, save it to ``output``; exit status 0."""
    lines.append(f"load average after the run: {os.getloadavg()[0]:.1f}")
    text = "\n".join(lines)
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n")
    print(f"\nsaved to {output}")
    return 0

"""The CNN library stays free of Qt, so it runs in a notebook or a test without a display."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_cnn_package_loads_no_qt():
    code = (
        "import sys, convlab.cnn, convlab.cnn.data, convlab.cnn.train;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt')];"
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

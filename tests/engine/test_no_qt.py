"""The engine and the CNN must run without Qt: importing them may not pull in any GUI module."""

from __future__ import annotations

import subprocess
import sys
import textwrap

GUI_PACKAGES = ("PySide6", "pyqtgraph", "superqt", "shiboken6")


def test_engine_and_cnn_import_no_gui_module() -> None:
    script = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        import convlab.engine, convlab.cnn
        imported = []
        for package in (convlab.engine, convlab.cnn):
            for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                importlib.import_module(info.name)
                imported.append(info.name)
        gui = sorted(name for name in sys.modules if name.split(".")[0] in {GUI_PACKAGES!r})
        print("imported", len(imported), ",".join(imported))
        print("gui", ",".join(gui))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        lines[key] = value
    assert "convlab.engine.convolve" in lines["imported"]
    assert "convlab.engine.kernels" in lines["imported"]
    assert lines["gui"].strip() == "", f"GUI modules imported: {lines['gui']}"

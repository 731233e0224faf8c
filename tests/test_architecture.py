"""The architecture as contracts: the import rules of pyproject.toml hold for the whole package.

The engine and the CNN never import Qt, the window or the app (they run in a notebook); the
engine never imports the CNN; the window's areas import each other only through the shell.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports_command as lint; sys.exit(lint())"


def test_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


NO_QT_CHECK = """
import importlib, pkgutil, sys
import convlab.cnn, convlab.engine
for package in (convlab.engine, convlab.cnn):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
qt = ("PySide6", "shiboken6", "pyqtgraph", "superqt")
print(sorted(name for name in qt if name in sys.modules))
print(len([name for name in sys.modules if name.startswith(("convlab.engine.", "convlab.cnn."))]))
"""


def test_importing_every_engine_and_cnn_module_loads_no_qt() -> None:
    """What the import rules cannot see: an import made inside a function at run time, or
    one a third-party module makes on our behalf."""
    done = subprocess.run(
        [sys.executable, "-c", NO_QT_CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded_qt, module_count = done.stdout.split("\n")[:2]
    assert loaded_qt == "[]"
    assert int(module_count) >= 40  # every module was imported, not just the packages

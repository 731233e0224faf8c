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

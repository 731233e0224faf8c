"""The wheel is the whole app: built, installed into a fresh virtual environment and started from
a folder far from the source tree, it opens on the built-in photo with its icon.

The new environment gets its dependencies (numpy, OpenCV, PySide6, ...) from the environment
running the tests, through a ``.pth`` line, so nothing is downloaded but the build backend.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import convlab

ROOT = Path(__file__).resolve().parents[1]
# What an sdist holds: everything the build reads, nothing else (no caches, no .venv).
SOURCES = ("convlab", "resources", "docs", "pyproject.toml", "setup.py", "README.md", "LICENSE")

pytestmark = pytest.mark.slow

START_APP = """
import os, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
import convlab
from convlab.app import build_window
from convlab.engine.sources import default_image_path

app = QApplication([])
window = build_window(["--settings", str(Path("settings.ini").resolve())])
deadline = time.monotonic() + 90
while window.source_info is None and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
info = window.source_info
print("package", Path(convlab.__file__).resolve().parent)
print("default", default_image_path())
print("opened", None if info is None else info.spec)
print("kernel", window.state.pipeline.kernel.name)
print("icon", not window.windowIcon().isNull())
from convlab.ui.shell.help_menu import guided_tour_path
print("guide", guided_tour_path())
window.close()
"""


def _run(
    command: list[str], cwd: Path, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a person's shell: no PYTHONPATH pointing into the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_REQUIRE"))}
    env.update(extra)
    return env


def _build_wheel(work: Path, env: dict[str, str]) -> Path:
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(
                item, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(item, source / name)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(work / "dist"),
            str(source),
        ],
        work,
        env,
        timeout=600,
    )
    (wheel,) = (work / "dist").glob("convlab-*.whl")
    return wheel


def _fresh_venv(work: Path, env: dict[str, str]) -> Path:
    """A new virtual environment that borrows this one's installed dependencies."""
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], work, env)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work, env
    ).stdout.strip()
    borrowed = {
        sysconfig.get_path("purelib"),
        sysconfig.get_path("platlib"),
        *site.getsitepackages(),
    }
    # Plain path lines: the .pth files in there (this checkout's editable install) stay unread.
    (Path(purelib) / "borrowed-dependencies.pth").write_text(
        "\n".join(sorted(p for p in borrowed if Path(p).is_dir())) + "\n"
    )
    return python


def test_the_wheel_installs_the_app_with_its_pictures(tmp_path: Path) -> None:
    env = _clean_env(QT_QPA_PLATFORM="offscreen")
    wheel = _build_wheel(tmp_path, env)
    python = _fresh_venv(tmp_path, env)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        tmp_path,
        env,
    )
    elsewhere = tmp_path / "somewhere else"
    elsewhere.mkdir()
    bindir = python.parent

    command = shutil.which("convlab", path=str(bindir))
    assert command is not None, f"no convlab command in {bindir}"
    assert _run([command, "--version"], elsewhere, env).stdout.strip() == \
        f"convlab {convlab.__version__}"  # fmt: skip
    assert _run([str(python), "-m", "convlab", "--version"], elsewhere, env).stdout.strip() == \
        f"convlab {convlab.__version__}"  # fmt: skip

    report = dict(
        line.split(" ", 1)
        for line in _run([str(python), "-c", START_APP], elsewhere, env).stdout.splitlines()
        if " " in line
    )
    installed = Path(report["package"])
    assert installed.is_relative_to(tmp_path / "venv"), "the app ran from the source tree"
    assert Path(report["default"]) == installed / "resources" / "images" / "astronaut.jpg"
    assert report["opened"] == report["default"]
    assert report["kernel"] == "outline"
    assert report["icon"] == "True"
    licence = installed / "resources" / "images" / "LICENSE.md"
    assert "astronaut.jpg" in licence.read_text()
    # Help shows the guided tour and the help pictures from the installed package
    guide = installed / "resources" / "docs" / "tour.md"
    assert Path(report["guide"]) == guide
    for picture in ("tour-inspector.png", "tour-arithmetic.png"):
        assert (guide.parent / "images" / picture).is_file()
    assert (installed / "resources" / "help" / "inspector.png").is_file()
    # the scripts that drew the pictures stay in the source tree
    assert not list((installed / "resources").rglob("make_*.py"))

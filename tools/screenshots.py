"""Screenshots of ConvLab as a newcomer first sees it, for the README and the in-app help.

    make screenshots                       # both screen sizes, into docs/images and resources/help
    python tools/screenshots.py --sizes 1366x768 --only inspector --out /tmp/shots

Each screen size runs in its own X server (``xvfb-run``), so the pictures are real X
screenshots with the fonts a desktop renders; without ``xvfb-run`` the window draws itself
offscreen (``QWidget.grab``). Every run starts from empty settings, as on a first start, and
opens the built-in astronaut photo. The window keeps the size ConvLab gives itself on that
screen (a little smaller than the screen, as a window with a title bar and a desktop panel).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = ("1366x768", "1920x1080")
HELP_SIZE = "1366x768"  # the in-app help pictures come from the laptop-sized run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="screen sizes, e.g. 1366x768")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--help-out", type=Path, default=ROOT / "resources" / "help")
    parser.add_argument("--only", help="take only the scenes whose names contain this")
    parser.add_argument(
        "--offscreen", action="store_true", help="draw offscreen even if xvfb-run is there"
    )
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.inside:
        return _take(options)
    status = 0
    for size in options.sizes.split(","):
        status |= _run_at(size, options)
    return status


def _run_at(size: str, options: argparse.Namespace) -> int:
    """One process per screen size, in its own virtual X screen when xvfb-run exists."""
    command = [sys.executable, str(Path(__file__).resolve()), "--inside", "--sizes", size,
               "--out", str(options.out), "--help-out", str(options.help_out)]  # fmt: skip
    if options.only:
        command += ["--only", options.only]
    env = dict(os.environ)
    env.pop("CONVLAB_SETTINGS", None)
    xvfb = None if options.offscreen else shutil.which("xvfb-run")
    if xvfb:
        command = [xvfb, "-a", "-s", f"-screen 0 {size}x24", *command]
        env["QT_QPA_PLATFORM"] = "xcb"
    else:
        if not options.offscreen:
            print("xvfb-run not found: drawing offscreen instead", file=sys.stderr)
        command += ["--offscreen"]
        env["QT_QPA_PLATFORM"] = "offscreen"
    print(f"{size}: " + " ".join(command[-9:]))
    return subprocess.call(command, env=env, cwd=ROOT)


# ----------------------------------------------------------------------------- inside
def _take(options: argparse.Namespace) -> int:
    size = options.sizes
    width, height = (int(v) for v in size.split("x"))
    workdir = Path(tempfile.mkdtemp(prefix="convlab-shots-"))
    os.environ["CONVLAB_SETTINGS"] = str(workdir / "settings.ini")
    sys.path[:0] = [str(ROOT), str(ROOT / "tools")]
    from PySide6.QtWidgets import QApplication

    from convlab.app import build_window

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("ConvLab")
    window = build_window([])
    if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        window.resize(width - 40, height - 60)
    window.move(0, 0)
    window.show()
    shooter = Shooter(app, window, options, size)
    shooter.settle(lambda: window.last_result is not None, 15.0)
    shooter.settle(lambda: False, 1.5)
    from screenshot_scenes import SCENES

    for name, scene in SCENES:
        if options.only and options.only not in name:
            continue
        scene(shooter)
    window.tour.close()
    window.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


class Shooter:
    """What a scene uses: the window, waiting for the event loop, and taking pictures."""

    def __init__(self, app, window, options: argparse.Namespace, size: str) -> None:
        self.app, self.window, self.options, self.size = app, window, options, size
        options.out.mkdir(parents=True, exist_ok=True)

    def settle(self, condition: Callable[[], bool], seconds: float = 1.0) -> None:
        """Run the event loop until ``condition()`` holds or ``seconds`` have passed."""
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            if condition():
                break
            time.sleep(0.01)
        self.app.processEvents()

    def wait(self, seconds: float) -> None:
        self.settle(lambda: False, seconds)

    def window_picture(self, name: str) -> Path:
        """The whole window, as the X server shows it (title bars aside)."""
        self.wait(0.4)
        window = self.window
        screen = window.screen()
        if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
            pixmap = window.grab()
        else:
            frame = window.frameGeometry()
            pixmap = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
        path = self.options.out / f"{name}-{self.size}.png"
        pixmap.save(str(path), "PNG")
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path

    def tour_picture(self, name: str) -> Path:
        """The whole window for docs/tour.md (one size: the pictures follow its text)."""
        self.wait(0.6)
        path = self.window_picture(name)
        sized = path.with_name(f"{name}.png")
        path.replace(sized)
        return sized

    def help_picture(self, name: str, widget, width: int = 480, area=None) -> Path | None:
        """A picture of one widget for the in-app help, at most ``width`` pixels wide (from
        the laptop-sized run only, so the help looks the same whoever ran the script)."""
        if self.size != HELP_SIZE:
            return None
        from PySide6.QtCore import Qt

        self.wait(0.3)
        pixmap = widget.grab() if area is None else widget.grab(area)
        if pixmap.width() > width:
            pixmap = pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        self.options.help_out.mkdir(parents=True, exist_ok=True)
        path = self.options.help_out / name
        if path.suffix == ".jpg":  # a photograph-like picture: a tenth of the PNG's size
            pixmap.save(str(path), "JPG", 85)
        else:
            pixmap.save(str(path), "PNG")
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path


if __name__ == "__main__":
    raise SystemExit(main())

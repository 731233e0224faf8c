"""``make screenshots`` runs from the repository: the script starts its own window on the
first-run picture and writes the pictures the README and the help show."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def test_the_screenshot_script_draws_the_first_screen_and_the_help_pictures(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CONVLAB_SETTINGS"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "screenshots.py"), "--offscreen",
         "--sizes", "1366x768", "--only", "playground",
         "--out", str(tmp_path / "docs"), "--help-out", str(tmp_path / "help")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    shot = cv2.imread(str(tmp_path / "docs" / "playground-1366x768.png"))
    assert shot is not None
    assert shot.shape[:2] == (708, 1326)  # the window as it opens on a 1366x768 screen
    assert float(shot.std()) > 20  # a real picture, not an empty window
    # the first screen's photograph is in it (the astronaut's orange suit)
    b, g, r = (shot[..., i].astype(int) for i in range(3))
    assert np.count_nonzero((r > 180) & (g < 140) & (b < 90)) > 2000
    for name in ("window.png", "maps.png", "kernel.png"):
        picture = cv2.imread(str(tmp_path / "help" / name))
        assert picture is not None and picture.shape[1] <= 500, name

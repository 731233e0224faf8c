"""Where the pictures and the icon that ship with ConvLab are.

They live in the top-level ``resources/`` folder of the source tree, which the build installs as
the package ``convlab.resources`` (``setup.py``): inside the wheel, and mapped onto the folder
itself by an editable install (``pip install -e .``). A checkout run without any install
(``python main.py`` with the dependencies available) finds the folder beside the package.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import convlab


def resources_root() -> Path:
    """The folder holding ``images/`` and ``icons/`` (it may be missing in a broken install)."""
    try:
        root = importlib.resources.files("convlab.resources")
    except ModuleNotFoundError:
        return Path(convlab.__file__).resolve().parent.parent / "resources"
    # pip installs wheels unpacked, so this is a real folder; OpenCV needs real file paths.
    return Path(str(root))


def resource_path(*parts: str) -> Path:
    """A path inside the shipped resources, e.g. ``resource_path("icons", "convlab.png")``."""
    return resources_root().joinpath(*parts)

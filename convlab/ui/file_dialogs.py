"""Where file dialogs start.

``open_file``, ``save_file`` and ``choose_folder`` ask, and note the folder chosen. A dialog
opens in the folder last used for that kind of file during this run, else in the
folder the caller suggests (the current picture's, for Open), else in the person's Pictures
folder (or home). Never in the working directory, which for a desktop launch is wherever the
launcher was, and never in the folder of a sample picture that ships inside ConvLab: after a
wheel install that is a package folder inside the Python installation, no place for exports.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from convlab.engine.assets import resources_root

# kind of file ("export", "kernel", "model", ...) -> the folder last chosen for it
_last_folders: dict[str, Path] = {}


def default_folder() -> Path:
    """The person's Pictures folder where the desktop has one, else their home folder."""
    location = QStandardPaths.StandardLocation.PicturesLocation
    pictures = QStandardPaths.writableLocation(location)
    if pictures and os.path.isdir(pictures):
        return Path(pictures)
    return Path.home()


def is_shipped(folder: Path) -> bool:
    """True for a folder inside ConvLab's own resources (compared as text: no file access)."""
    shipped = os.path.abspath(resources_root())
    here = os.path.abspath(folder)
    return here == shipped or here.startswith(shipped + os.sep)


def start_folder(kind: str, suggested: str | Path | None = None) -> Path:
    """The folder a dialog for ``kind`` opens in (see the module's docstring)."""
    remembered = _last_folders.get(kind)
    if remembered is not None and not is_shipped(remembered):
        return remembered
    if suggested and os.path.isdir(suggested) and not is_shipped(Path(suggested)):
        return Path(suggested)
    return default_folder()


def start_path(kind: str, name: str, suggested: str | Path | None = None) -> str:
    """A file name offered in the start folder, for a save dialog."""
    return str(start_folder(kind, suggested) / name)


def remember(kind: str, chosen: str) -> None:
    """Note the folder of a file (or the folder itself) a dialog for ``kind`` returned."""
    if chosen:
        path = Path(chosen)
        _last_folders[kind] = path if os.path.isdir(path) else path.parent


def open_file(
    parent: QWidget | None,
    kind: str,
    title: str,
    filters: str,
    suggested: str | Path | None = None,
    selected: str = "",
) -> str:
    """Ask for a file to open, starting where ``kind``'s dialogs start; "" if cancelled."""
    start = str(start_folder(kind, suggested))
    path, _ = QFileDialog.getOpenFileName(parent, title, start, filters, selected)
    remember(kind, path)
    return path


def save_file(
    parent: QWidget | None,
    kind: str,
    title: str,
    name: str,
    filters: str,
    suggested: str | Path | None = None,
) -> str:
    """Ask where to save, offering ``name`` where ``kind``'s dialogs start; "" if cancelled."""
    start = start_path(kind, name, suggested)
    path, _ = QFileDialog.getSaveFileName(parent, title, start, filters)
    remember(kind, path)
    return path


def choose_folder(parent: QWidget | None, kind: str, title: str) -> str:
    """Ask for a folder, starting where ``kind``'s dialogs start; "" if cancelled."""
    folder = QFileDialog.getExistingDirectory(parent, title, str(start_folder(kind)))
    remember(kind, folder)
    return folder


def forget_all() -> None:
    """Start afresh (tests: each starts from the defaults)."""
    _last_folders.clear()

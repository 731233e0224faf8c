"""A menu entry and icon for ConvLab on Linux desktops (GNOME, KDE, Xfce, ...).

``python -m convlab.desktop install`` writes ``applications/convlab.desktop`` and the icon into
the user's data folder (``$XDG_DATA_HOME``, else ``~/.local/share``), pointing at the ``convlab``
command of the environment it runs in; ``python -m convlab.desktop uninstall`` removes both.
``make install-desktop`` / ``make uninstall-desktop`` run these for the checkout's ``.venv``.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from convlab.engine.assets import resource_path

DESKTOP_ID = "convlab"  # the .desktop file's name, and the icon's
ICON_SIZE = "256x256"  # resources/icons/convlab.png
IMAGE_TYPES = ("image/png", "image/jpeg", "image/bmp", "image/tiff", "image/webp",
               "video/mp4", "video/x-msvideo", "video/x-matroska", "video/webm")  # fmt: skip


def data_home() -> Path:
    """The XDG data folder: ``$XDG_DATA_HOME`` if set to an absolute path, else ~/.local/share."""
    configured = os.environ.get("XDG_DATA_HOME", "")
    if configured and Path(configured).is_absolute():
        return Path(configured)
    return Path.home() / ".local" / "share"


def installed_paths(home: Path | None = None) -> tuple[Path, Path]:
    """(desktop entry, icon) as ``install`` writes them."""
    home = data_home() if home is None else home
    return (
        home / "applications" / f"{DESKTOP_ID}.desktop",
        home / "icons" / "hicolor" / ICON_SIZE / "apps" / f"{DESKTOP_ID}.png",
    )


def convlab_command() -> Path:
    """The ``convlab`` script pip installed beside this interpreter."""
    name = "convlab.exe" if os.name == "nt" else "convlab"
    return Path(sysconfig.get_path("scripts")) / name


def _quoted(path: Path) -> str:
    """A path as one argument of the Exec key (Desktop Entry Specification, "Exec key")."""
    text = str(path)
    for special in ("\\", '"', "`", "$"):
        text = text.replace(special, "\\" + special)
    return f'"{text}"'.replace("%", "%%")


def desktop_entry(command: Path) -> str:
    """The text of the .desktop file: ConvLab opens files given to it (%f), one at a time."""
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=ConvLab",
            "GenericName=Convolution playground",
            "Comment=Edit a convolution kernel and watch it act live on a webcam or a photo",
            f"Exec={_quoted(command)} %f",
            f"Icon={DESKTOP_ID}",
            "Terminal=false",
            "Categories=Education;Science;Graphics;",
            "Keywords=convolution;kernel;filter;CNN;neural network;webcam;",
            f"MimeType={';'.join(IMAGE_TYPES)};",
            "",
        ]
    )


def install(home: Path | None = None, command: Path | None = None) -> tuple[Path, Path]:
    """Write the desktop entry and the icon; (entry, icon) written."""
    command = convlab_command() if command is None else command
    if not command.is_file():
        raise FileNotFoundError(f"no convlab command at {command}: install ConvLab first")
    entry, icon = installed_paths(home)
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resource_path("icons", "convlab.png"), icon)
    entry.write_text(desktop_entry(command), encoding="utf-8")
    return entry, icon


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what ``install`` wrote; the paths that were there."""
    removed = []
    for path in installed_paths(home):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["install"]:
        try:
            written = install()
        except (FileNotFoundError, OSError) as error:
            print(f"convlab.desktop: {error}", file=sys.stderr)
            return 1
        print(
            "installed "
            + " and ".join(str(p) for p in written)
            + "\nConvLab is now in the applications menu (log out and in if it does not show)."
        )
        return 0
    if args == ["uninstall"]:
        removed = uninstall()
        print("removed " + ", ".join(str(p) for p in removed) if removed else "nothing to remove")
        return 0
    print("usage: python -m convlab.desktop {install,uninstall}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

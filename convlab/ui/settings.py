"""Everything ConvLab remembers between runs: one table of keys, types and defaults.

Values are stored as JSON text in an INI file (QSettings' own type guessing differs between
formats and platforms), and every read is checked against the key's type and allowed values:
a corrupt file, a hand-edited value or one written by an older version reads as the default,
never as an exception. A file Qt cannot parse at all is kept aside as ``*.corrupt`` and the
defaults are used.

The file is ``$CONVLAB_SETTINGS`` when set (tests and benchmarks use that so they never touch
a person's settings), otherwise Qt's per-user location for "ConvLab/convlab.ini".
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_VERSION = 1
MAX_RECENT = 10
CAMERA_RESOLUTIONS: tuple[str, ...] = ("default", "640x480", "1280x720", "1920x1080")
COMPARE_MODE_NAMES: tuple[str, ...] = ("side_by_side", "wipe", "output", "thumbnail")


@dataclass(frozen=True)
class Key:
    """One remembered value: its type, its default and, for choices, the allowed values."""

    name: str
    kind: type
    default: Any
    choices: tuple | None = None


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("version", int, SETTINGS_VERSION),
        Key("window/geometry", bytes, b""),
        Key("window/state", bytes, b""),
        Key("source/last", str, ""),  # last image or video file opened
        Key("source/recent", list, []),  # most recent first
        Key("playground/state", dict, {}),  # PlaygroundState.to_dict(): kernel, settings, bank
        Key("view/compare_mode", str, "side_by_side", COMPARE_MODE_NAMES),
        Key("camera/index", int, 0),
        Key("camera/resolution", str, "default", CAMERA_RESOLUTIONS),
        Key("camera/mirror", bool, True),
    )
}


def settings_path() -> Path:
    override = os.environ.get("CONVLAB_SETTINGS")
    if override:
        return Path(override)
    probe = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "ConvLab", "convlab")
    return Path(probe.fileName())


class Settings:
    """Typed access to the settings file; ``problems`` lists what fell back to a default."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else settings_path()
        self.problems: list[str] = []
        self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._qsettings.allKeys()  # Qt parses lazily; the status is only known after a read
        if self._qsettings.status() != QSettings.Status.NoError:
            self._set_aside_corrupt_file()
        stored_version = self.get("version")
        if stored_version > SETTINGS_VERSION:
            self.problems.append(
                f"settings file {self.path} is from a newer ConvLab (version {stored_version})"
            )

    def _set_aside_corrupt_file(self) -> None:
        backup = self.path.with_name(self.path.name + ".corrupt")
        try:
            shutil.move(str(self.path), str(backup))
            where = f"kept as {backup.name}"
        except OSError as error:
            where = f"could not be moved aside ({error.strerror})"
        self.problems.append(f"settings file {self.path} was unreadable ({where}); using defaults")
        self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._qsettings.clear()

    def get(self, name: str) -> Any:
        key = KEYS[name]
        raw = self._qsettings.value(name)
        if raw is None:
            return _copy(key.default)
        try:
            value = _decode(key, raw)
        except (TypeError, ValueError) as error:
            self.problems.append(f"setting {name!r} was unreadable ({error}); using the default")
            return _copy(key.default)
        return value

    def set(self, name: str, value: Any) -> None:
        key = KEYS[name]
        if key.kind is bytes:
            self._qsettings.setValue(name, bytes(value).hex())
        else:
            self._qsettings.setValue(name, json.dumps(value))
        self._qsettings.setValue("version", json.dumps(SETTINGS_VERSION))

    def add_recent(self, path: str) -> list[str]:
        """Put ``path`` first in the recent-files list (no duplicates, at most MAX_RECENT)."""
        recent = [p for p in self.get("source/recent") if p != path]
        recent.insert(0, path)
        recent = recent[:MAX_RECENT]
        self.set("source/recent", recent)
        return recent

    def remove_recent(self, path: str) -> None:
        self.set("source/recent", [p for p in self.get("source/recent") if p != path])

    def sync(self) -> None:
        self._qsettings.sync()

    def clear(self) -> None:
        self._qsettings.clear()


def _decode(key: Key, raw: Any) -> Any:
    if isinstance(raw, QByteArray):
        raw = bytes(raw.data()).decode("ascii", errors="strict")
    if not isinstance(raw, str):
        raise TypeError(f"expected text, found {type(raw).__name__}")
    if key.kind is bytes:
        return bytes.fromhex(raw)
    value = json.loads(raw)
    if key.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if key.kind is int and isinstance(value, bool):
        raise TypeError("expected a number, found true/false")
    if not isinstance(value, key.kind):
        raise TypeError(f"expected {key.kind.__name__}, found {type(value).__name__}")
    if key.kind is list and not all(isinstance(item, str) for item in value):
        raise TypeError("expected a list of file names")
    if key.choices is not None and value not in key.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(map(str, key.choices))}")
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return type(value)(value)
    return value


def geometry_bytes(value: QByteArray) -> bytes:
    """Window geometry/state as plain bytes for ``Settings.set``."""
    return bytes(value.data())

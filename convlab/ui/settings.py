"""Everything ConvLab remembers between runs: one table of keys, types and defaults.

Values are stored as JSON text in an INI file (QSettings' own type guessing differs between
formats and platforms), and every read is checked against the key's type and allowed values:
a corrupt file, a hand-edited value or one written by an older version reads as the default,
never as an exception. A file Qt cannot parse at all (or one over ``MAX_SETTINGS_BYTES``) is
kept aside as ``*.corrupt`` and the defaults are used. A path that is not a regular file (a
folder, a named pipe, a device, a link loop) is never opened, renamed or replaced: the
session runs on defaults kept in memory and says so. Every stored value is size-checked
before it is parsed, so a hand-edited 10000 x 10000 kernel cannot stall the start.

The file is ``$CONVLAB_SETTINGS`` when set (tests and benchmarks use that so they never touch
a person's settings), otherwise Qt's per-user location for "ConvLab/convlab.ini".
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from convlab.files import MB, describe_os_error, format_size

SETTINGS_VERSION = 1
MAX_SETTINGS_BYTES = 10 * MB
"""A settings file holds a few kB; one larger than this is not read."""
MAX_RECENT = 10
COMPARE_MODE_NAMES: tuple[str, ...] = ("side_by_side", "wipe", "output", "thumbnail")


@dataclass(frozen=True)
class Key:
    """One remembered value: its type, its default and, for choices, the allowed values."""

    name: str
    kind: type
    default: Any
    choices: tuple | None = None
    max_chars: int = 4096
    """The stored text may be at most this long (checked before it is parsed)."""
    bounds: tuple[int, int] = (0, 10_000)
    """Whole numbers must lie within these."""


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("version", int, SETTINGS_VERSION),
        Key("window/geometry", bytes, b"", max_chars=65536),
        Key("window/state", bytes, b"", max_chars=65536),
        Key("source/last", str, ""),  # last image or video file opened
        Key("source/recent", list, [], max_chars=MAX_RECENT * 4200),  # most recent first
        # PlaygroundState.to_dict(): kernel, settings, bank (a full bank of 31x31 is ~1 MB)
        Key("playground/state", dict, {}, max_chars=4_000_000),
        Key("view/compare_mode", str, "side_by_side", COMPARE_MODE_NAMES),
        Key("camera/index", int, 0),
        Key("camera/name", str, "", max_chars=200),  # found again by name when renumbered
        Key("camera/resolution", str, "default", max_chars=16),  # "default" or "1280x720"
        Key("camera/mirror", bool, True),
        Key("help/tour_seen", bool, False),  # the "Start here" tour was finished or closed
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
        refusal = _refusal(self.path)
        self.saving = refusal is None
        """False when the path cannot hold settings: this session's changes stay in memory."""
        if refusal is not None:
            self.problems.append(
                f"settings file {self.path} {refusal}; using defaults, and this session's "
                "settings will not be saved"
            )
            self._qsettings: QSettings | _MemoryStore = _MemoryStore()
        else:
            self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)
            too_large = _too_large(self.path)
            if too_large:
                self._set_aside_corrupt_file(too_large)
            else:
                self._qsettings.allKeys()  # Qt parses lazily; the status is known after a read
                if self._qsettings.status() != QSettings.Status.NoError:
                    self._set_aside_corrupt_file("was unreadable")
        stored_version = self.get("version")
        if stored_version > SETTINGS_VERSION:
            self.problems.append(
                f"settings file {self.path} is from a newer ConvLab (version {stored_version})"
            )

    def _set_aside_corrupt_file(self, why: str) -> None:
        """Move a damaged regular file out of the way (never a folder or a special file)."""
        backup = self.path.with_name(self.path.name + ".corrupt")
        try:
            shutil.move(str(self.path), str(backup))
            where = f"kept as {backup.name}"
        except OSError as error:
            where = f"could not be moved aside: {describe_os_error(error)}"
        self.problems.append(f"settings file {self.path} {why} ({where}); using defaults")
        self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._qsettings.clear()

    def get(self, name: str) -> Any:
        key = KEYS[name]
        raw = self._qsettings.value(name)
        if raw is None:
            return _copy(key.default)
        try:
            value = _decode(key, raw)
        except (TypeError, ValueError, RecursionError) as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            self.problems.append(f"setting {name!r} was unreadable ({reason}); using the default")
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
    if len(raw) > key.max_chars:
        raise ValueError(f"{len(raw):,} characters, more than the {key.max_chars:,} it may hold")
    if key.kind is bytes:
        return bytes.fromhex(raw)
    value = json.loads(raw)
    if key.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if key.kind is int and isinstance(value, bool):
        raise TypeError("expected a number, found true/false")
    if key.kind is int and isinstance(value, int) and not key.bounds[0] <= value <= key.bounds[1]:
        shown = str(value) if len(str(value)) < 20 else f"a {len(str(value))}-digit number"
        raise ValueError(f"{shown} is outside {key.bounds[0]}..{key.bounds[1]}")
    if not isinstance(value, key.kind):
        raise TypeError(f"expected {key.kind.__name__}, found {type(value).__name__}")
    if key.kind is list and not all(isinstance(item, str) for item in value):
        raise TypeError("expected a list of file names")
    if key.kind is list:
        value = [item for item in value if len(item) <= 4096][:MAX_RECENT]
    if key.choices is not None and value not in key.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(map(str, key.choices))}")
    return value


def _refusal(path: Path) -> str | None:
    """Why ``path`` cannot be a settings file (None: a regular file, or nothing there yet)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None if not path.is_symlink() else "is a link to nothing"
    except OSError as error:
        return f"cannot be used ({describe_os_error(error)})"
    except ValueError:
        return "cannot be used (the name is not valid)"
    if stat.S_ISREG(info.st_mode):
        return None
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(info.st_mode):
        return "is a named pipe (FIFO), not a file"
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        return "is a device, not a file"
    return "is not a regular file"


def _too_large(path: Path) -> str | None:
    try:
        size = path.stat().st_size
    except OSError:
        return None  # gone meanwhile: Qt starts an empty file
    if size <= MAX_SETTINGS_BYTES:
        return None
    limit = format_size(MAX_SETTINGS_BYTES)
    return f"is {format_size(size)}, larger than a settings file can be ({limit})"


class _MemoryStore:
    """QSettings' few methods used here, kept in memory: for a path that must not be touched."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def value(self, name: str) -> Any:
        return self._values.get(name)

    def setValue(self, name: str, value: Any) -> None:
        self._values[name] = value

    def sync(self) -> None:
        return None

    def clear(self) -> None:
        self._values.clear()


def _copy(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return type(value)(value)
    return value

"""The Linux menu entry: written where desktops look, pointing at this environment's command."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from convlab import desktop
from convlab.engine.assets import resource_path


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_install_writes_an_entry_and_icon_and_uninstall_removes_them(tmp_path: Path) -> None:
    command = tmp_path / "my venv" / "bin" / "convlab"
    command.parent.mkdir(parents=True)
    command.write_text("#!/bin/sh\n")
    home = tmp_path / "share"
    entry, icon = desktop.install(home, command)
    assert entry == home / "applications" / "convlab.desktop"
    assert icon == home / "icons" / "hicolor" / "256x256" / "apps" / "convlab.png"
    assert icon.read_bytes() == resource_path("icons", "convlab.png").read_bytes()
    fields = _entry(entry)
    assert fields["Type"] == "Application"
    assert fields["Name"] == "ConvLab"
    assert fields["Icon"] == "convlab"
    # the path with a space stays one argument; %f is where the desktop puts a dropped file
    assert shlex.split(fields["Exec"]) == [str(command), "%f"]
    assert "image/png" in fields["MimeType"].split(";")
    assert sorted(desktop.uninstall(home)) == sorted([entry, icon])
    assert not entry.exists() and not icon.exists()
    assert desktop.uninstall(home) == []


def test_install_refuses_a_missing_command(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="install ConvLab first"):
        desktop.install(tmp_path / "share", tmp_path / "nowhere" / "convlab")
    assert not (tmp_path / "share").exists()


def test_exec_quoting_escapes_what_the_spec_reserves() -> None:
    assert desktop._quoted(Path('/a "b"/$c/100%')) == '"/a \\"b\\"/\\$c/100%%"'


def test_data_home_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert desktop.data_home() == tmp_path
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert desktop.data_home() == Path.home() / ".local" / "share"


def test_command_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(desktop, "convlab_command", lambda: Path(__file__))
    assert desktop.main(["install"]) == 0
    assert (tmp_path / "applications" / "convlab.desktop").is_file()
    assert desktop.main(["uninstall"]) == 0
    assert "removed" in capsys.readouterr().out
    assert desktop.main([]) == 2

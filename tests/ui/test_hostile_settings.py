"""Settings paths that are not files, settings files that are too big, values that are absurd:
a clear message, defaults, and the person's folder or device never touched."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from convlab.ui.settings import MAX_SETTINGS_BYTES, Settings


def test_a_folder_as_the_settings_path_is_never_renamed(tmp_path):
    folder = tmp_path / "my documents"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work")
    settings = Settings(folder)
    settings.set("camera/index", 3)
    settings.sync()
    assert settings.get("camera/index") == 3  # this session still remembers, in memory
    assert folder.is_dir() and (folder / "thesis.txt").read_text() == "years of work"
    assert not (tmp_path / "my documents.corrupt").exists()
    assert settings.saving is False
    assert any("is a folder" in p and "will not be saved" in p for p in settings.problems)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_named_pipe_as_the_settings_file_does_not_block_start_up(tmp_path):
    pipe = tmp_path / "convlab.ini"
    os.mkfifo(pipe)
    started = time.perf_counter()
    settings = Settings(pipe)
    settings.set("camera/index", 1)
    settings.sync()
    assert time.perf_counter() - started < 1.0
    assert any("named pipe" in problem for problem in settings.problems)
    assert Path(pipe).is_fifo()


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_device_or_a_link_loop_as_the_settings_file(tmp_path):
    device = Settings("/dev/null")
    assert any("is a device" in problem for problem in device.problems)
    loop = tmp_path / "loop.ini"
    loop.symlink_to(loop)
    looped = Settings(loop)
    assert any("loop of symbolic links" in problem for problem in looped.problems)
    assert loop.is_symlink()


def test_a_settings_file_over_the_limit_is_set_aside_unread(tmp_path):
    path = tmp_path / "convlab.ini"
    with path.open("wb") as handle:
        handle.write(b"[General]\n")
        handle.truncate(MAX_SETTINGS_BYTES + 1)
    started = time.perf_counter()
    settings = Settings(path)
    assert time.perf_counter() - started < 1.0
    assert any("larger than a settings file can be" in p for p in settings.problems)
    assert (tmp_path / "convlab.ini.corrupt").exists()
    assert settings.get("camera/index") == 0


def test_values_are_size_checked_before_they_are_parsed(tmp_path):
    path = tmp_path / "convlab.ini"
    huge_kernel = json.dumps({"kernel": {"weights": [[0.0] * 1000] * 1000}})
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(
        "[General]\n"
        f"playground\\state={json.dumps(huge_kernel)}\n"
        f"source\\last={json.dumps(json.dumps('x' * 10_000))}\n"
        f"source\\recent={json.dumps(deep)}\n"
        f"camera\\index={'9' * 5000}\n"
    )
    started = time.perf_counter()
    settings = Settings(path)
    for name in ("playground/state", "source/last", "source/recent", "camera/index"):
        assert settings.get(name) == settings.get(name)  # defaults, no exception
    assert time.perf_counter() - started < 1.0
    text = " | ".join(settings.problems)
    assert "'playground/state' was unreadable" in text and "characters, more than" in text
    assert "'source/recent' was unreadable" in text
    assert "'camera/index' was unreadable" in text
    assert settings.get("playground/state") == {}


def test_deeply_nested_or_giant_number_values_read_as_defaults(tmp_path):
    path = tmp_path / "convlab.ini"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(
        f"[General]\nplayground\\state={json.dumps(deep)}\ncamera\\index={'9' * 4000}1\n"
    )
    settings = Settings(path)
    assert settings.get("playground/state") == {}
    assert settings.get("camera/index") == 0
    text = " | ".join(settings.problems)
    assert "'playground/state' was unreadable (nested too deeply)" in text
    assert "'camera/index' was unreadable" in text


def test_a_saved_bank_of_100000_kernels_reads_only_what_a_bank_holds(qtbot, monkeypatch):
    from convlab.engine.kernels import Kernel
    from convlab.ui.state import MAX_BANK_SIZE, PlaygroundState

    read: list[object] = []
    original = Kernel.from_dict.__func__

    def counting(cls, data):
        read.append(data)
        return original(cls, data)

    monkeypatch.setattr(Kernel, "from_dict", classmethod(counting))
    state = PlaygroundState()
    # what lies past a bank's room is not a kernel at all: reading it would refuse the bank
    saved = {"bank": [{"weights": [[1.0]], "name": "x"}] * MAX_BANK_SIZE + ["junk"] * 100_000}
    assert "bank" in state.restore(saved)
    assert len(state.pipeline.bank) == MAX_BANK_SIZE
    assert len(read) == MAX_BANK_SIZE

"""Where file dialogs start: never in ConvLab's own sample folder nor the working directory,
then where the person last chose for that kind of file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from convlab.engine.assets import resource_path, resources_root
from convlab.ui import file_dialogs
from tests.ui.conftest import wait_for_result


@pytest.fixture
def sample_window(qtbot):
    """The window on a picture that ships with ConvLab, as on a first start."""
    from convlab.app import build_window

    win = build_window([str(resource_path("images", "astronaut.jpg"))])
    qtbot.addWidget(win)
    wait_for_result(qtbot, win)
    yield win
    win.close()


def asked_folders(monkeypatch, answers: list[Path], method: str) -> list[Path]:
    """Replace a QFileDialog question: note the folder it would open in, answer in turn."""
    folders: list[Path] = []

    def ask(_parent, _title, start="", *_rest, **_kw):
        start = Path(start)
        folders.append(start.parent if method == "getSaveFileName" else start)
        answer = str(answers[len(folders) - 1])
        return answer if method == "getExistingDirectory" else (answer, "")

    monkeypatch.setattr(QFileDialog, method, ask)
    return folders


def test_exporting_from_a_sample_starts_in_the_pictures_folder_then_where_it_went(
    sample_window, qtbot, tmp_path, monkeypatch
):
    chosen = tmp_path / "exports"
    chosen.mkdir()
    folders = asked_folders(
        monkeypatch, [chosen / "one.png", chosen / "two.png"], "getSaveFileName"
    )
    for _ in range(2):
        with qtbot.waitSignal(sample_window.source_menu.exportFinished, timeout=10000):
            sample_window.source_menu.export_png()
    assert not file_dialogs.is_shipped(folders[0])
    assert folders[0] == file_dialogs.default_folder()
    assert folders[1] == chosen
    assert (chosen / "one.png").is_file() and (chosen / "two.png").is_file()


def test_open_starts_beside_the_last_picture_unless_it_is_a_sample(
    sample_window, tmp_path, monkeypatch
):
    folders = asked_folders(monkeypatch, ["", ""], "getOpenFileName")
    sample_window.source_menu.choose_file()
    assert folders[0] == file_dialogs.default_folder()
    sample_window.source_menu._settings.set("source/last", str(tmp_path / "photo.png"))
    sample_window.source_menu.choose_file()
    assert folders[1] == tmp_path


def test_a_kernel_save_is_offered_in_a_real_folder_not_the_working_directory(
    window, tmp_path, monkeypatch
):
    tools = window.kernel_panel.actions_bar
    folders = asked_folders(monkeypatch, [tmp_path / "mine.json", ""], "getSaveFileName")
    tools.save_dialog()
    tools.save_dialog()  # the second time: where the first went
    assert folders[0].is_absolute() and folders[0] == file_dialogs.default_folder()
    assert folders[1] == tmp_path


def test_the_shipped_folder_and_its_subfolders_are_recognised():
    assert file_dialogs.is_shipped(resources_root())
    assert file_dialogs.is_shipped(resources_root() / "images")
    assert not file_dialogs.is_shipped(Path(str(resources_root()) + "-copy"))
    assert not file_dialogs.is_shipped(Path(os.path.expanduser("~")))


@pytest.mark.parametrize("method", ["getOpenFileName", "getExistingDirectory"])
def test_the_train_tabs_data_dialogs_start_where_the_last_data_came_from(
    window, tmp_path, monkeypatch, method
):
    data = window.training_tab.data
    chosen = tmp_path / "mnist"
    chosen.mkdir()
    answer = chosen / "train-images-idx3-ubyte" if method == "getOpenFileName" else chosen
    folders = asked_folders(monkeypatch, [answer, ""], method)
    browse = data._browse_images if method == "getOpenFileName" else data._browse_folder
    browse()
    browse()  # cancelled: nothing changes
    assert folders == [file_dialogs.default_folder(), chosen]
    shown = data.images_edit if method == "getOpenFileName" else data.folder_edit
    assert shown.text() == str(answer)

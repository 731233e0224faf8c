"""Hostile inputs through the real window: pipes and bombs as kernel files and pictures, odd
dropped names, Stop while training data loads. The window answers, says what is wrong in a
sentence, and the next valid input works."""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import quote_from_bytes

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QPushButton

from convlab.bench import bombs
from convlab.bench.report import StallProbe
from tests.ui.conftest import wait_for_result


def load_kernel(qtbot, window, path) -> bool:
    actions = window.kernel_panel.actions_bar
    with qtbot.waitSignal(actions.fileFinished, timeout=5000) as outcome:
        actions.load_from(path)
    return outcome.args[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_kernel_file_that_is_a_pipe_never_freezes_the_window(window, qtbot, tmp_path):
    pipe = tmp_path / "kernel.json"
    os.mkfifo(pipe)
    kernel = window.state.kernel
    probe = StallProbe()
    assert not load_kernel(qtbot, window, pipe)
    assert probe.stop() < 1.0  # done on the GUI thread it would freeze it for seconds or for good
    assert "named pipe" in window.banner.text() and window.state.kernel == kernel
    good = tmp_path / "good.json"
    good.write_text('{"weights": [[0, 1, 0], [1, -4, 1], [0, 1, 0]], "name": "mine"}')
    assert load_kernel(qtbot, window, good) and window.state.kernel.name == "mine"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"weights": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
        ('{"weights": [[' + "9" * 5000 + "]]}", "not a kernel file"),
        ('{"weights": [["1", "2"]]}', "must be a number"),
        ('{"weights": [[true]]}', "must be a number"),
        ('{"weights": [[1]], "name": 5}', "name must be text"),
    ],
)
def test_kernel_files_that_lie_get_a_sentence_about_the_file(
    window, qtbot, tmp_path, content, words
):
    path = tmp_path / "odd.json"
    path.write_text(content)
    assert not load_kernel(qtbot, window, path)
    assert words in window.banner.text() and "odd.json" in window.banner.text()
    assert "Something went wrong" not in window.banner.text()


def test_a_dropped_file_whose_name_is_not_utf8_opens(window, qtbot, tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9 photo.png"
    encoded = cv2.imencode(".png", np.full((20, 30, 3), 200, np.uint8))[1]
    with open(raw, "wb") as handle:
        handle.write(encoded.tobytes())
    mime = QMimeData()
    mime.setUrls([QUrl.fromEncoded(b"file://" + quote_from_bytes(raw).encode())])
    assert window.source_menu.open_mime(mime)
    qtbot.waitUntil(lambda: "photo.png" in window.status.source_label.text(), timeout=5000)
    assert window.source_info.width == 30
    assert "not found" not in window.banner.text()


def test_a_decompression_bomb_opened_leaves_the_picture_and_the_next_open_works(
    window, qtbot, tmp_path, scene_path
):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(bombs.png(30000, 30000))
    probe = StallProbe()
    window.source_menu.open_spec(str(bomb))
    qtbot.waitUntil(lambda: "30000x30000" in window.banner.text(), timeout=5000)
    assert probe.stop() < 1.0  # done on the GUI thread it would freeze it for seconds or for good
    assert "100 MP" in window.banner.text()
    window.source_menu.open_spec(str(scene_path))
    wait_for_result(qtbot, window, generation=window.state.pipeline.generation)
    assert window.source_info.name == scene_path.name


def slow_folder(root: Path, per_class: int = 80) -> Path:
    """Two classes of 1200 x 1200 JPEGs: decoding them all takes seconds."""
    rng = np.random.default_rng(0)
    picture = cv2.imencode(".jpg", rng.integers(0, 256, (1200, 1200), dtype=np.uint8))[1]
    for name in ("noisy", "noisier"):
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            (root / name / f"{index}.jpg").write_bytes(picture.tobytes())
    return root


def test_stop_interrupts_loading_an_image_folder_within_half_a_second(window, qtbot, tmp_path):
    root = slow_folder(tmp_path / "classes")
    tab = window.training_tab
    tab.data.set_kind("folder")
    tab.data.folder_edit.setText(str(root))
    window.findChild(QPushButton, "trainButton").click()
    qtbot.wait(300)  # loading is under way
    assert tab.is_training()
    pressed = time.perf_counter()
    tab.stop_button.click()
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=3000)
    assert time.perf_counter() - pressed < 1.0  # 0.5 s goal; margin for a busy machine
    assert tab.train_button.isEnabled()

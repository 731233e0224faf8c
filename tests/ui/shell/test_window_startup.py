"""Starting the window: what it falls back to, where it keeps things, what it tells a person,
and the room each dock gets."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from convlab.app import FIRST_RUN_KERNEL, build_window
from convlab.engine import presets
from convlab.ui.help import HelpWindow
from convlab.ui.settings import Settings
from convlab.ui.shell.banner import MessageBanner
from convlab.ui.training.webcam import AUTOSAVE_NAME
from tests.ui.conftest import make_scene, wait_for_result


def test_webcam_classes_are_kept_next_to_the_settings_file(qtbot, scene_path, tmp_path):
    settings_file = Settings().path
    assert settings_file.parent == tmp_path  # CONVLAB_SETTINGS, set by conftest
    window = build_window([str(scene_path)])
    qtbot.addWidget(window)
    classes = window.training_tab.webcam_classes
    classes.rename(0, "mug")
    classes.capture(0, make_scene(64, 64))
    classes.save()
    stored = tmp_path / AUTOSAVE_NAME
    assert classes.path == stored and stored.is_file()
    with np.load(stored) as archive:
        assert list(archive["names"][:1]) == ["mug"] and archive["class0"].shape[0] == 1
    window.close()
    again = build_window([str(scene_path)])  # and a new window reads them back from there
    qtbot.addWidget(again)
    assert again.training_tab.webcam_classes.names[0] == "mug"
    again.close()


def test_an_unreadable_saved_kernel_starts_on_the_first_run_kernel(qtbot, scene_path):
    settings = Settings()
    settings.set(
        "playground/state",
        {"kernel": {"weights": "not numbers"}, "bank": [presets.get("emboss").to_dict()]},
    )
    settings.sync()
    window = build_window([str(scene_path)])
    qtbot.addWidget(window)
    assert window.state.kernel == presets.get(FIRST_RUN_KERNEL)  # not identity
    assert [k.name for k in window.state.bank] == ["emboss"]  # what could be read stays
    assert "kernel" in window.banner.text()
    assert window.state.undo_stack.count() == 0
    window.close()


def test_several_startup_problems_are_all_shown(qtbot, tmp_path):
    Settings().path.write_text(
        "[General]\n"
        "view/compare_mode=wipe-o-matic\n"
        'playground/state="{\\"kernel\\": [[1, 2], [3, 4]]}"\n'
    )
    missing = tmp_path / "no such picture.png"
    window = build_window([str(missing), "--kernel", "no_such_kernel"])
    qtbot.addWidget(window)
    wait_for_result(qtbot, window)

    def all_listed() -> None:
        text = window.banner.text()
        for expected in ("compare_mode", "Saved kernel", "no_such_kernel", missing.name):
            assert expected in text, text

    qtbot.waitUntil(all_listed, timeout=3000)
    assert window.banner.text().startswith(f"{len(window.banner.messages())} problems:")
    window.close()


def test_the_banner_lists_a_burst_and_starts_afresh_after_a_pause(qtbot, monkeypatch):
    banner = MessageBanner()
    qtbot.addWidget(banner)
    clock = [100.0]
    monkeypatch.setattr("convlab.ui.shell.banner.time.monotonic", lambda: clock[0])
    banner.show_message("Settings: compare mode reset", "warning")
    banner.show_message("Image 'a.png': missing", "error")
    banner.show_message("Settings: compare mode reset", "warning")  # repeated: listed once
    assert banner.messages() == ["Image 'a.png': missing", "Settings: compare mode reset"]
    assert banner.text() == (
        "2 problems:\n• Image 'a.png': missing\n• Settings: compare mode reset"
    )
    assert MessageBanner._COLOURS["error"] in banner.styleSheet()  # the worst one's colour
    clock[0] += MessageBanner.BURST_SECONDS + 1  # a quiet moment: the next message stands alone
    banner.show_message("Opened b.png", "info")
    assert banner.text() == "Opened b.png"
    for index in range(MessageBanner.MAX_LISTED + 3):
        banner.show_message(f"problem {index}", "warning")
    assert len(banner.messages()) == MessageBanner.MAX_LISTED
    assert banner.text().startswith(f"{MessageBanner.MAX_LISTED + 4} problems (4 earlier")
    banner.discard(f"problem {MessageBanner.MAX_LISTED + 2}")
    assert f"problem {MessageBanner.MAX_LISTED + 2}" not in banner.text()
    banner.hide()  # dismissed: the list is done
    banner.show_message("later", "error")
    assert banner.text() == "later"


def test_f1_after_clicking_a_tab_shows_that_tabs_help(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(2).center())
    assert window.tabs.currentIndex() == 2
    wrapper = window.tabs.currentWidget()  # the scroll area around the panel
    wrapper.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is wrapper, timeout=2000)
    window.show_context_help()
    boxes = [b for b in window.findChildren(HelpWindow) if b.isVisible()]
    assert [b.topic for b in boxes] == [window.tab_panels[1].HELP_TITLE]
    for box in boxes:
        box.close()
    window.tabs.setCurrentIndex(0)
    window.tabs.currentWidget().setFocus()
    window.show_context_help()  # the playground itself: the general help
    boxes = [b for b in window.findChildren(HelpWindow) if b.isVisible()]
    assert [b.topic for b in boxes] == ["ConvLab"]

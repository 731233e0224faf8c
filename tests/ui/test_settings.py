"""Settings: typed defaults, round trips, and corrupt or foreign files falling back."""

from __future__ import annotations

from convlab.ui.settings import KEYS, MAX_RECENT, SETTINGS_VERSION, Settings


def test_an_empty_file_gives_the_defaults(tmp_path):
    settings = Settings(tmp_path / "s.ini")
    for name, key in KEYS.items():
        assert settings.get(name) == key.default
    assert settings.problems == []


def test_values_round_trip_with_their_types(tmp_path):
    path = tmp_path / "s.ini"
    settings = Settings(path)
    settings.set("window/geometry", b"\x00\x01\xffgeometry")
    settings.set("camera/mirror", False)
    settings.set("camera/index", 2)
    settings.set("view/compare_mode", "wipe")
    settings.set("playground/state", {"kernel": {"weights": [[1.5]]}, "bank": []})
    settings.sync()
    again = Settings(path)
    assert again.get("window/geometry") == b"\x00\x01\xffgeometry"
    assert again.get("camera/mirror") is False
    assert again.get("camera/index") == 2
    assert again.get("view/compare_mode") == "wipe"
    assert again.get("playground/state") == {"kernel": {"weights": [[1.5]]}, "bank": []}
    assert again.get("version") == SETTINGS_VERSION


def test_wrong_types_and_unknown_choices_read_as_defaults(tmp_path):
    path = tmp_path / "s.ini"
    path.write_text(
        "[General]\n"
        "version=1\n"
        'camera\\index="three"\n'
        "camera\\mirror=42\n"
        'view\\compare_mode="\\"hologram\\""\n'
        "source\\recent=[1, 2]\n"
        "playground\\state={not json\n"
    )
    settings = Settings(path)
    assert settings.get("camera/index") == 0
    assert settings.get("camera/mirror") is True
    assert settings.get("view/compare_mode") == "side_by_side"
    assert settings.get("source/recent") == []
    assert settings.get("playground/state") == {}
    assert len(settings.problems) == 5


def test_a_binary_garbage_file_is_set_aside(tmp_path):
    path = tmp_path / "s.ini"
    path.write_bytes(bytes(range(256)) * 8)
    settings = Settings(path)
    for name, key in KEYS.items():
        assert settings.get(name) == key.default
    assert "unreadable" in settings.problems[0]
    assert (tmp_path / "s.ini.corrupt").read_bytes() == bytes(range(256)) * 8
    settings.set("camera/index", 1)
    settings.sync()
    assert Settings(path).get("camera/index") == 1


def test_a_file_from_a_newer_version_is_flagged_but_read(tmp_path):
    path = tmp_path / "s.ini"
    path.write_text("[General]\nversion=99\ncamera\\index=1\n")
    settings = Settings(path)
    assert settings.get("camera/index") == 1
    assert any("newer" in problem for problem in settings.problems)


def test_recent_files_are_unique_newest_first_and_capped(tmp_path):
    settings = Settings(tmp_path / "s.ini")
    for index in range(MAX_RECENT + 3):
        settings.add_recent(f"/pictures/{index}.png")
    settings.add_recent("/pictures/5.png")
    recent = settings.get("source/recent")
    assert recent[0] == "/pictures/5.png"
    assert len(recent) == MAX_RECENT == len(set(recent))
    settings.remove_recent("/pictures/5.png")
    assert "/pictures/5.png" not in settings.get("source/recent")

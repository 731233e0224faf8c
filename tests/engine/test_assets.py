"""The shipped pictures and icon are found installed, editable or in a bare checkout."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

import convlab
from convlab.engine import assets


def test_resources_are_found_through_the_package() -> None:
    assert assets.resource_path("images", "astronaut.jpg").is_file()
    assert assets.resource_path("icons", "convlab.png").is_file()


def test_a_checkout_without_an_install_finds_the_folder_beside_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_installed(name: str):
        raise ModuleNotFoundError(f"No module named {name!r}")

    monkeypatch.setattr(importlib.resources, "files", not_installed)
    expected = Path(convlab.__file__).resolve().parent.parent / "resources"
    assert assets.resources_root() == expected
    assert assets.resource_path("images", "test_card.png").is_file()

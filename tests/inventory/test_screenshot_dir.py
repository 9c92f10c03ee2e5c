"""Where the browser tests keep their screenshots (tests/inventory/shots.py): CI names a directory it uploads."""

from __future__ import annotations

from tests.inventory.shots import SCREENSHOT_DIR_ENV, screenshot_dir


def test_the_environment_variable_names_a_directory_per_module(tmp_path, tmp_path_factory, monkeypatch):
    monkeypatch.setenv(SCREENSHOT_DIR_ENV, str(tmp_path / "uploaded"))
    page = screenshot_dir(tmp_path_factory, "inventory-page")
    assert page == tmp_path / "uploaded" / "inventory-page" and page.is_dir()
    assert screenshot_dir(tmp_path_factory, "inventory-page") == page  # a second call reuses it
    assert screenshot_dir(tmp_path_factory, "inventory-browser") != page


def test_without_it_screenshots_stay_in_pytests_temporary_directory(tmp_path_factory, monkeypatch):
    monkeypatch.delenv(SCREENSHOT_DIR_ENV, raising=False)
    directory = screenshot_dir(tmp_path_factory, "inventory-page")
    assert directory.is_dir() and directory.is_relative_to(tmp_path_factory.getbasetemp())

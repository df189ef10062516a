"""Test-wide settings: offscreen Qt, and a private LRPSTUDIO_HOME per test session."""

from __future__ import annotations

import os

# Set before anything imports Qt: GUI tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep settings, logs and demo data of tests out of the user's real folders."""
    home = tmp_path_factory.getbasetemp() / "lrpstudio-home"
    monkeypatch.setenv("LRPSTUDIO_HOME", str(home))

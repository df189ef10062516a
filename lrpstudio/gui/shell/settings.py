"""User settings of the desktop app: the recent-folders list and the window size, kept as JSON.

A JSON file in :func:`lrpstudio.core.paths.user_config_dir` (not QSettings) so the same
file is readable on every platform and by hand, and tests can point it anywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.paths import user_config_dir

MAX_RECENT = 10


def settings_file() -> Path:
    """The GUI settings file (created on first write)."""
    return user_config_dir() / "gui.json"


def _read_settings(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a missing or damaged settings file must never stop the app
    return data if isinstance(data, dict) else {}


def _write_setting(path: Path, key: str, value: object) -> None:
    data = _read_settings(path)
    data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=2))


@dataclass(frozen=True)
class WindowPlacement:
    """The main window's size (not maximised) and whether it was maximised."""

    width: int
    height: int
    maximized: bool = False


class WindowMemory:
    """The main window's last size and maximised state, in the same JSON file as the
    recent folders (key ``"window"``).

    Parameters
    ----------
    path
        The JSON file; defaults to :func:`settings_file`.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_file()

    def load(self) -> WindowPlacement | None:
        """The saved placement, or None (none saved, or not readable)."""
        entry = _read_settings(self.path).get("window")
        if not isinstance(entry, dict):
            return None
        width, height = entry.get("width"), entry.get("height")
        if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
            return None
        return WindowPlacement(width, height, bool(entry.get("maximized", False)))

    def save(self, placement: WindowPlacement) -> None:
        """Remember ``placement`` for the next launch."""
        _write_setting(self.path, "window", {"width": placement.width, "height": placement.height,
                                             "maximized": placement.maximized})


class RecentList:
    """Most-recently opened folders, newest first, persisted to a JSON file.

    Parameters
    ----------
    path
        The JSON file; defaults to :func:`settings_file`.
    limit
        How many entries are kept.
    """

    def __init__(self, path: Path | None = None, limit: int = MAX_RECENT) -> None:
        self.path = path or settings_file()
        self.limit = limit

    def _read(self) -> dict:
        return _read_settings(self.path)

    def items(self) -> list[Path]:
        """Recent paths that still exist, newest first."""
        entries = self._read().get("recent", [])
        return [Path(p) for p in entries if isinstance(p, str) and Path(p).exists()]

    def add(self, path: Path) -> None:
        """Put ``path`` first and save."""
        resolved = str(Path(path).resolve())
        entries = [p for p in self._read().get("recent", []) if p != resolved]
        _write_setting(self.path, "recent", [resolved, *entries][: self.limit])

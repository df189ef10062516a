"""User settings of the desktop app, kept as JSON: the recent folders, the window size and
the session (training form, last case and slice, dock layout).

A JSON file in :func:`lrpstudio.core.paths.user_config_dir` (not QSettings) so the same
file is readable on every platform and by hand, and tests can point it anywhere. Each
kind of setting has its own key, read and written on its own: a damaged entry is
ignored and loses nothing else.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.paths import user_config_dir

MAX_RECENT = 10
#: Bumped when the docks change, so an old layout is not applied to new docks.
DOCK_LAYOUT_VERSION = 1


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


@dataclass(frozen=True)
class LastView:
    """Where the user was: the folder opened (as in the recent list), the case and the cursor."""

    folder: Path
    case_id: str
    cursor: tuple[int, int, int]


class SessionMemory:
    """The training form's values, the last case and slice, and the dock layout, in the
    same JSON file as the recent folders (keys ``"training_form"``, ``"last_view"`` and
    ``"dock_layout"``).

    Parameters
    ----------
    path
        The JSON file; defaults to :func:`settings_file`.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_file()

    def _entry(self, key: str) -> Any:
        return _read_settings(self.path).get(key)

    def form(self) -> dict[str, Any] | None:
        """The training form's saved values, or None."""
        entry = self._entry("training_form")
        return entry if isinstance(entry, dict) else None

    def save_form(self, values: dict[str, Any] | None) -> None:
        """Remember the training form's values (None forgets them)."""
        _write_setting(self.path, "training_form", values)

    def last_view(self) -> LastView | None:
        """The last case and cursor, or None (none saved, or not readable)."""
        entry = self._entry("last_view")
        if not isinstance(entry, dict):
            return None
        folder, case_id, cursor = entry.get("folder"), entry.get("case"), entry.get("cursor")
        if not (isinstance(folder, str) and isinstance(case_id, str) and isinstance(cursor, list)
                and len(cursor) == 3 and all(isinstance(c, int) for c in cursor)):
            return None
        return LastView(Path(folder), case_id, (cursor[0], cursor[1], cursor[2]))

    def save_last_view(self, view: LastView | None) -> None:
        """Remember the case and slice shown (None forgets them)."""
        value = None if view is None else {"folder": str(view.folder), "case": view.case_id,
                                           "cursor": list(view.cursor)}
        _write_setting(self.path, "last_view", value)

    def dock_layout(self) -> bytes | None:
        """The saved ``QMainWindow.saveState`` bytes of this dock layout version, or None."""
        entry = self._entry("dock_layout")
        if not isinstance(entry, dict) or entry.get("version") != DOCK_LAYOUT_VERSION:
            return None
        try:
            return base64.b64decode(str(entry.get("state", "")), validate=True) or None
        except (binascii.Error, ValueError):
            return None

    def save_dock_layout(self, state: bytes) -> None:
        """Remember the dock layout (``QMainWindow.saveState``)."""
        _write_setting(self.path, "dock_layout", {"version": DOCK_LAYOUT_VERSION,
                                                  "state": base64.b64encode(state).decode("ascii")})

"""User settings of the desktop app: the recent-folders list, kept as JSON.

A JSON file in :func:`lrpstudio.core.paths.user_config_dir` (not QSettings) so the same
file is readable on every platform and by hand, and tests can point it anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.paths import user_config_dir

MAX_RECENT = 10


def settings_file() -> Path:
    """The GUI settings file (created on first write)."""
    return user_config_dir() / "gui.json"


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
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # a missing or damaged settings file must never stop the app
        return data if isinstance(data, dict) else {}

    def items(self) -> list[Path]:
        """Recent paths that still exist, newest first."""
        entries = self._read().get("recent", [])
        return [Path(p) for p in entries if isinstance(p, str) and Path(p).exists()]

    def add(self, path: Path) -> None:
        """Put ``path`` first and save."""
        resolved = str(Path(path).resolve())
        entries = [p for p in self._read().get("recent", []) if p != resolved]
        data = self._read()
        data["recent"] = [resolved, *entries][: self.limit]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(data, indent=2))

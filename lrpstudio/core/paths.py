"""Where lrpstudio keeps things: the user's data, config and log folders, and resources.

One helper, :func:`resource_path`, finds files under ``resources/`` both from a source
checkout and inside a frozen (PyInstaller) bundle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _xdg(env: str, default: str) -> Path:
    value = os.environ.get(env)
    return Path(value) if value else Path.home() / default


def user_data_dir() -> Path:
    """The user's lrpstudio data folder (``$LRPSTUDIO_HOME`` overrides; demo data lives here)."""
    override = os.environ.get("LRPSTUDIO_HOME")
    if override:
        return Path(override) / "data"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "lrpstudio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "lrpstudio"
    return _xdg("XDG_DATA_HOME", ".local/share") / "lrpstudio"


def user_config_dir() -> Path:
    """The user's lrpstudio settings folder (recent files, window state)."""
    override = os.environ.get("LRPSTUDIO_HOME")
    if override:
        return Path(override) / "config"
    if sys.platform in ("win32", "darwin"):
        return user_data_dir() / "config"
    return _xdg("XDG_CONFIG_HOME", ".config") / "lrpstudio"


def user_log_dir() -> Path:
    """The folder for lrpstudio's log files."""
    override = os.environ.get("LRPSTUDIO_HOME")
    if override:
        return Path(override) / "logs"
    if sys.platform in ("win32", "darwin"):
        return user_data_dir() / "logs"
    return _xdg("XDG_STATE_HOME", ".local/state") / "lrpstudio" / "logs"


def demo_data_dir(design: int = 1) -> Path:
    """Where the built-in demo data set of a generator design is generated on first use.

    Design 1 lived in ``<data>/demo``; later designs get their own ``<data>/demo-v<N>``, so
    a changed generator gives existing users the new set without touching the old one
    (whose workspace may hold their corrections of *its* cases).
    """
    return user_data_dir() / ("demo" if design == 1 else f"demo-v{design}")


def resources_root() -> Path:
    """The ``resources/`` folder, from a checkout or from a PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    """Path of one file under ``resources/``; raises FileNotFoundError naming it."""
    path = resources_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path}: resource not found")
    return path

"""The one workspace rule: where a data folder's corrections, reviews, datasets and runs live.

Every front end asks here, so a mask corrected in the desktop app is the mask
``lrpstudio train`` prepares its slices from:

- a workspace folder given explicitly is used as it is;
- the built-in demo set keeps its workspace outside itself, in the per-user folder
  (:func:`~lrpstudio.core.data.workspace.fallback_workspace_dir`): the demo generator
  regenerates that folder only while it is empty, and would delete a workspace inside
  it with the demo;
- any other data folder gets :func:`~lrpstudio.core.data.workspace.default_workspace`:
  ``<data>/.lrpstudio``, or the per-user folder when the data is read-only.

A workspace folder (one with a ``workspace.json``) stands for the data folder it records.
"""

from __future__ import annotations

from pathlib import Path

from lrpstudio.core.data.demo import is_demo_set
from lrpstudio.core.data.workspace import (
    Workspace, default_workspace, fallback_workspace_dir, is_workspace, open_workspace,
)
from lrpstudio.core.errors import InputError

__all__ = ["Workspace", "is_workspace", "resolve_data", "workspace_for"]


def workspace_for(data_root: str | Path, explicit: str | Path | None = None) -> Workspace:
    """The workspace of a data folder, by the rule above.

    Parameters
    ----------
    data_root
        The BraTS data folder.
    explicit
        A workspace folder the user chose (created when missing); None applies the rule.

    Raises
    ------
    InputError
        ``data_root`` is not a folder.
    StorageError
        No workspace can be written (the data and the per-user folder are read-only).
    """
    root = Path(data_root)
    if explicit is not None:
        return open_workspace(explicit, root)
    if is_demo_set(root):
        return open_workspace(fallback_workspace_dir(root), root)
    return default_workspace(root)


def resolve_data(path: str | Path, workspace: str | Path | None = None) -> tuple[Path, Workspace]:
    """The data folder and workspace that ``path`` names.

    Parameters
    ----------
    path
        A data folder, a file inside one (its folder is meant), or a workspace folder
        (its recorded data folder is meant, and it is the workspace).
    workspace
        An explicit workspace for a data folder (ignored when ``path`` is a workspace).

    Raises
    ------
    InputError
        ``path`` does not exist, or is a workspace that records no data folder.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("folder does not exist", path)
    if is_workspace(path):
        ws = open_workspace(path)
        if ws.data_root is None:
            raise InputError("workspace records no data folder", path)
        return Path(ws.data_root), ws
    root = path if path.is_dir() else path.parent
    return root, workspace_for(root, workspace)

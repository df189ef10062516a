"""The workspace: lrpstudio's own folder beside a data set (corrections, review status).

Layout::

    <workspace>/
      workspace.json                      format, data root, creation time, version
      review.json                         review status per case (written by the GUI)
      corrections/<case_id>/<case_id>_seg.nii.gz   corrected segmentation
      corrections/<case_id>/<case_id>_seg.json     its sidecar (when, from what)

The default workspace of a data folder is ``<data_root>/.lrpstudio`` when that can be
written, else ``<user data>/workspaces/<name>-<hash>`` (read-only data stays untouched).
Everything lrpstudio writes in a workspace must resolve inside it: a data folder that
arrives with ``.lrpstudio``, ``corrections`` or a case folder as a symbolic link to
elsewhere is refused (:meth:`Workspace.contain`), never followed.
``workspace.json`` records the data root, relative to the workspace when the workspace
sits inside it (so moving the whole folder keeps them together), so opening a workspace
later reopens its data.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lrpstudio import __version__
from lrpstudio.core.atomic import atomic_write_text, make_dirs
from lrpstudio.core.errors import InputError, StorageError, WorkspacePathError
from lrpstudio.core.paths import user_data_dir

WORKSPACE_FILE = "workspace.json"
REVIEW_FILE = "review.json"
CORRECTIONS_DIR = "corrections"
DEFAULT_NAME = ".lrpstudio"
WORKSPACE_FORMAT = 1
REVIEW_STATUSES: tuple[str, ...] = ("not started", "in progress", "done", "flagged")


def utc_now() -> str:
    """The current UTC time as ISO 8601 with a ``Z`` (seconds precision)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read workspace file ({error})", path) from error
    if not isinstance(data, dict):
        raise InputError("workspace file is not a JSON object", path,
                         expected="object", actual=type(data).__name__)
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented, sorted JSON, atomically (the folder is created)."""
    make_dirs(path.parent)
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Workspace:
    """A workspace folder. Create one with :func:`open_workspace` or :func:`default_workspace`."""

    root: Path
    data_root: Path | None = None

    @property
    def corrections_dir(self) -> Path:
        return self.root / CORRECTIONS_DIR

    def correction_path(self, case_id: str) -> Path:
        """Where the correction of ``case_id`` lives (whether or not it exists)."""
        _check_case_id(case_id)
        return self.corrections_dir / case_id / f"{case_id}_seg.nii.gz"

    def sidecar_path(self, case_id: str) -> Path:
        """The JSON sidecar of ``case_id``'s correction."""
        return self.correction_path(case_id).with_name(f"{case_id}_seg.json")

    def find_correction(self, case_id: str) -> Path | None:
        """The correction file of ``case_id``, or None when there is none."""
        path = self.correction_path(case_id)
        return path if path.is_file() else None

    def read_sidecar(self, case_id: str) -> dict[str, Any] | None:
        """The sidecar of ``case_id``'s correction, or None when it is absent."""
        path = self.sidecar_path(case_id)
        return _read_json(path) if path.is_file() else None

    def contain(self, path: str | Path) -> Path:
        """``path`` itself, once checked to resolve inside the workspace.

        Every symbolic link on the way is followed (as a write would follow it); a path
        that ends up outside the workspace's real folder, or runs into a loop of links,
        is refused.

        Raises
        ------
        WorkspacePathError
            The path leaves the workspace.
        """
        path = Path(path)
        try:
            root, resolved = self.root.resolve(), path.resolve()
        except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python < 3.13)
            raise WorkspacePathError(f"refusing to write through a broken or looping link ({error})",
                                     path) from error
        if not resolved.is_relative_to(root):
            raise WorkspacePathError(
                "refusing to write outside the workspace: a symbolic link leads elsewhere; "
                "remove the link", path, expected=f"inside {root}", actual=str(resolved))
        return path

    def corrected_cases(self) -> list[str]:
        """Ids of every case with a correction, sorted."""
        if not self.corrections_dir.is_dir():
            return []
        return sorted(p.name for p in self.corrections_dir.iterdir()
                      if (p / f"{p.name}_seg.nii.gz").is_file())

    @property
    def review(self) -> "ReviewStore":
        """The review-status store of this workspace."""
        return ReviewStore(self.root / REVIEW_FILE)


def _check_case_id(case_id: str) -> None:
    """A case id becomes a folder name: refuse anything that could escape the workspace."""
    if not case_id or case_id in (".", "..") or any(c in case_id for c in "/\\\0"):
        raise InputError("invalid case id for a workspace path", expected="a plain name",
                         actual=case_id)


def open_workspace(path: str | Path, data_root: str | Path | None = None) -> Workspace:
    """Open the workspace at ``path``, creating it (and its ``workspace.json``) if needed.

    Parameters
    ----------
    path
        The workspace folder.
    data_root
        The data folder to record when the workspace is new, or to update the record
        with. When None, the recorded one (if any) is used.
    """
    root = Path(path)
    record_file = root / WORKSPACE_FILE
    if root.exists() and not root.is_dir():
        raise InputError("workspace path is not a folder", root)
    record = _read_json(record_file) if record_file.is_file() else {}
    recorded = _resolve_data_root(root, record.get("data_root"))
    new_root = Path(data_root).resolve() if data_root is not None else None
    if not record or (new_root is not None and new_root != recorded):
        make_dirs(root)
        record = {"format": WORKSPACE_FORMAT, "created_utc": record.get("created_utc", utc_now()),
                  "lrpstudio_version": __version__,
                  "data_root": _data_root_text(root, new_root or recorded)}
        write_json(record_file, record)
        recorded = new_root or recorded
    return Workspace(root=root, data_root=recorded)


def _data_root_text(workspace: Path, data_root: Path | None) -> str | None:
    """Relative when the workspace lives inside the data root, absolute otherwise."""
    if data_root is None:
        return None
    ws = workspace.resolve()
    try:
        return os.path.relpath(data_root, ws) if ws.is_relative_to(data_root) else str(data_root)
    except ValueError:  # different drives on Windows
        return str(data_root)


def _resolve_data_root(workspace: Path, text: object) -> Path | None:
    if not isinstance(text, str) or not text:
        return None
    path = Path(text)
    return path if path.is_absolute() else (workspace.resolve() / path).resolve()


def _writable(folder: Path) -> bool:
    """True when a workspace folder can be created in ``folder`` (tried, not guessed)."""
    target = folder / DEFAULT_NAME
    _refuse_linked_default(folder, target)
    try:
        target.mkdir(exist_ok=True)
        probe = target / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def _refuse_linked_default(data_root: Path, target: Path) -> None:
    """A data folder's own ``.lrpstudio`` must not be a link out of the data folder.

    Such a link arrives with copied or synced data; following it would write the
    workspace (and probe files) wherever it points.
    """
    if not target.is_symlink():
        return
    try:
        resolved, inside = target.resolve(), data_root.resolve()
    except (OSError, RuntimeError) as error:
        raise WorkspacePathError(f"the workspace link is broken or loops ({error}); remove it",
                                 target) from error
    if not resolved.is_relative_to(inside):
        raise WorkspacePathError("the data folder's workspace is a symbolic link out of the data "
                                 "folder; remove the link (lrpstudio then makes its own)", target,
                                 expected=f"inside {inside}", actual=str(resolved))


def fallback_workspace_dir(data_root: str | Path) -> Path:
    """The per-user workspace folder of a data root: ``<user data>/workspaces/<name>-<hash>``."""
    resolved = Path(data_root).resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:10]
    return user_data_dir() / "workspaces" / f"{resolved.name or 'data'}-{digest}"


def default_workspace(data_root: str | Path) -> Workspace:
    """The workspace of a data folder: ``<data_root>/.lrpstudio`` or a per-user fallback.

    Raises
    ------
    InputError
        ``data_root`` is not a folder.
    WorkspacePathError
        The data folder's ``.lrpstudio`` is a link out of it.
    StorageError
        Neither the data folder nor the per-user fallback can be written.
    """
    data_root = Path(data_root)
    if not data_root.is_dir():
        raise InputError("data folder does not exist", data_root)
    if _writable(data_root):
        return open_workspace(data_root / DEFAULT_NAME, data_root)
    fallback = fallback_workspace_dir(data_root)
    try:
        return open_workspace(fallback, data_root)
    except StorageError as error:
        # Both places failed: say so, and where the second one is (it is not obvious).
        raise StorageError(f"the data folder is read-only and the per-user workspace cannot be "
                           f"made either ({os.strerror(error.errno) if error.errno else error.detail()}); make it writable or set "
                           "LRPSTUDIO_HOME to a writable folder", fallback, code=error.errno) from error


def is_workspace(path: str | Path) -> bool:
    """True when ``path`` is a workspace folder (it has a ``workspace.json``)."""
    return (Path(path) / WORKSPACE_FILE).is_file()


@dataclass(frozen=True)
class ReviewStore:
    """Review status per case, in a JSON file written atomically on every change."""

    path: Path

    def all(self) -> dict[str, str]:
        """Every recorded status (cases not listed are ``"not started"``)."""
        if not self.path.is_file():
            return {}
        data = _read_json(self.path).get("cases", {})
        return {str(k): str(v) for k, v in data.items() if v in REVIEW_STATUSES}

    def get(self, case_id: str) -> str:
        """The status of ``case_id`` (default ``"not started"``)."""
        return self.all().get(case_id, REVIEW_STATUSES[0])

    def set(self, case_id: str, status: str) -> None:
        """Record ``status`` for ``case_id`` (one of :data:`REVIEW_STATUSES`)."""
        if status not in REVIEW_STATUSES:
            raise InputError("unknown review status", self.path,
                             expected=", ".join(REVIEW_STATUSES), actual=status)
        cases = self.all()
        cases[case_id] = status
        write_json(self.path, {"format": WORKSPACE_FORMAT, "updated_utc": utc_now(),
                                "cases": dict(sorted(cases.items()))})

"""Looking after run folders: rename, tag, delete to a trash folder and restore.

A run is its folder: renaming moves the folder (its records inside move with it) and the
review queue's state, kept in the workspace by run name, follows it. Tags live in the
run folder as ``tags.json``. Deleting moves the folder to ``<parent>/trash/<run>-<time>``
beside the runs folder (inside the workspace when the runs live there), with a note of
where it came from, so it can be restored; nothing is erased.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.data.workspace import is_workspace, open_workspace
from lrpstudio.core.errors import InputError, LrpStudioError
from lrpstudio.core.review.verdicts import QueueStateStore
from lrpstudio.core.train.run_folder import RunFolder

__all__ = ["TAGS_FILE", "TRASH_DIR", "TRASH_NOTE", "RunAdminError", "Trashed", "delete_run",
           "parse_tags", "read_tags", "rename_run", "restore_run", "trash_dir", "write_tags"]

TAGS_FILE = "tags.json"
TRASH_DIR = "trash"
#: Written into a trashed run folder: where it came from (restore puts it back there).
TRASH_NOTE = "trashed.json"
#: A run name: letters, digits and ``._-+=,@`` (no separators, not hidden).
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._\-+=,@]{0,119}$")
_TAG = re.compile(r"^[^\s,][^,\n]{0,39}$")


class RunAdminError(InputError):
    """A run cannot be renamed, tagged, deleted or restored (the reason and the path)."""


@dataclass(frozen=True)
class Trashed:
    """A run moved to the trash: where it is now and where it was."""

    path: Path
    origin: Path


def _check_run(run: Path, training: Path | None) -> None:
    if not RunFolder(run).is_run():
        raise RunAdminError("not a run folder", run, expected="a folder with config.json")
    if training is not None and Path(training).resolve() == run.resolve():
        raise RunAdminError("the run is training now; stop it first", run)


def _queue_store(runs_dir: Path) -> QueueStateStore | None:
    """The review queue state of the workspace the runs folder lies in (None: no workspace)."""
    root = runs_dir.parent
    if not is_workspace(root):
        return None
    try:
        return QueueStateStore(open_workspace(root))
    except (LrpStudioError, OSError):
        return None


def rename_run(run: str | Path, name: str, training: str | Path | None = None) -> Path:
    """Rename a run folder to ``name`` (in the same folder); returns the new path.

    The review queue's states of the run (kept in the workspace by run name) follow it.

    Raises
    ------
    RunAdminError
        Not a run, the run is ``training``, ``name`` is not a plain folder name, or a
        folder of that name exists.
    """
    run = Path(run)
    _check_run(run, Path(training) if training is not None else None)
    name = name.strip()
    if not _NAME.match(name):
        raise RunAdminError("not a usable run name", run, expected="letters, digits and ._-+=,@",
                            actual=name[:60])
    target = run.parent / name
    if target == run:
        return run
    if target.exists():
        raise RunAdminError("a folder of that name exists", target)
    run.rename(target)
    store = _queue_store(run.parent)
    if store is not None:
        store.rename_run(run.name, name)
    return target


def read_tags(run: str | Path) -> list[str]:
    """The run's tags (``tags.json``), sorted; an empty list when it has none.

    Raises
    ------
    RunAdminError
        The file is damaged (not a JSON object with a list of strings).
    """
    path = Path(run) / TAGS_FILE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise RunAdminError("damaged tags file", path, expected="JSON", actual=str(error)[:60]) from error
    tags = data.get("tags") if isinstance(data, dict) else None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RunAdminError("damaged tags file", path, expected='{"tags": [strings]}', actual=str(data)[:60])
    return sorted(set(tags))


def parse_tags(text: str) -> list[str]:
    """Tags typed as one line, separated by commas (blank ones dropped, sorted, unique)."""
    return sorted({t.strip() for t in text.split(",") if t.strip()})


def write_tags(run: str | Path, tags: list[str]) -> list[str]:
    """Replace the run's tags (an empty list removes ``tags.json``); returns them sorted.

    Raises
    ------
    RunAdminError
        Not a run, or a tag that is blank, longer than 40 characters or holds a comma.
    """
    run = Path(run)
    _check_run(run, None)
    clean = sorted({t.strip() for t in tags})
    bad = [t for t in clean if not _TAG.match(t)]
    if bad:
        raise RunAdminError("not a usable tag", run / TAGS_FILE, expected="1-40 characters, no comma",
                            actual=bad[0][:60])
    path = run / TAGS_FILE
    if not clean:
        path.unlink(missing_ok=True)
    else:
        atomic_write_text(path, json.dumps({"format": 1, "tags": clean}, indent=2) + "\n")
    return clean


def trash_dir(runs_dir: str | Path) -> Path:
    """Where deleted runs of ``runs_dir`` go: ``trash`` beside it (in its workspace)."""
    return Path(runs_dir).parent / TRASH_DIR


def delete_run(run: str | Path, training: str | Path | None = None) -> Trashed:
    """Move a run folder to the trash (``<parent of its runs folder>/trash/<run>-<time>``).

    Raises
    ------
    RunAdminError
        Not a run, or the run is ``training``.
    """
    run = Path(run)
    _check_run(run, Path(training) if training is not None else None)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    bin_dir = trash_dir(run.parent)
    bin_dir.mkdir(parents=True, exist_ok=True)
    target = bin_dir / f"{run.name}-{stamp}"
    shutil.move(str(run), str(target))
    atomic_write_text(target / TRASH_NOTE, json.dumps({"format": 1, "origin": str(run.resolve()),
                                                        "trashed_utc": stamp}, indent=2) + "\n")
    return Trashed(target, run)


def restore_run(trashed: str | Path) -> Path:
    """Put a trashed run back where it was; returns its path.

    Raises
    ------
    RunAdminError
        No note of its origin, or a folder of that name is there again.
    """
    trashed = Path(trashed)
    note = trashed / TRASH_NOTE
    try:
        origin = Path(json.loads(note.read_text(encoding="utf-8"))["origin"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise RunAdminError("not a trashed run (no origin note)", note) from error
    if origin.exists():
        raise RunAdminError("a folder of that name exists; rename it first", origin)
    origin.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(trashed), str(origin))
    (origin / TRASH_NOTE).unlink(missing_ok=True)
    return origin

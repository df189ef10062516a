"""A prepared dataset folder on disk as one atomic unit: built aside, swapped in whole.

A dataset folder holds ``slices.npz`` (the arrays) and ``manifest.json``. The two must
never disagree, so a new dataset is never written into the folder file by file:

1. both files are written into a sibling staging folder ``.<name>.<pid>.<token>.new``
   (arrays first, each fsynced; the manifest last, recording the arrays' size and the
   CRC-32 of every array in them);
2. the staging folder is renamed onto the dataset's name (an existing dataset is first
   renamed aside to ``....old`` and deleted after).

A process killed at any point leaves either the old dataset, or the new one, or, between
the two renames, the old one aside and the new one complete beside it; the next call
(:func:`settle`) finishes or undoes the swap and deletes leftovers. Writers and that
repair hold a lock file ``.<name>.lock`` beside the folder, so a leftover found under
the lock is never a live writer's.

On load, the manifest's record of the arrays is compared with the arrays file's own
directory (sizes and CRC-32s, without reading the data); reading each array then checks
its CRC-32 (zipfile does), so arrays that are not the manifest's are found without
reading the file twice.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Callable

from lrpstudio.core.atomic import atomic_write_text, fsync_folder, make_dirs, temporary_prefix
from lrpstudio.core.errors import DatasetError, storage_error
from lrpstudio.core.locks import file_lock

ARRAYS_FILE = "slices.npz"
MANIFEST_FILE = "manifest.json"
#: The manifest entry that binds it to its arrays file.
ARRAYS_KEY = "arrays"
_NEW, _OLD = ".new", ".old"


def arrays_fingerprint(arrays_file: Path) -> dict[str, Any]:
    """Size of the arrays file and ``[CRC-32, bytes]`` of each array in it (its zip directory)."""
    try:
        with zipfile.ZipFile(arrays_file) as archive:
            members = {info.filename: [info.CRC, info.file_size] for info in archive.infolist()}
        size = arrays_file.stat().st_size
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        raise DatasetError(f"cannot read the arrays file ({error})", arrays_file) from error
    return {"file": ARRAYS_FILE, "bytes": size, "members": members}


def _lock_file(folder: Path) -> Path:
    return folder.parent / f"{temporary_prefix(folder.name)}lock"


def _leftovers(folder: Path) -> list[Path]:
    """Staging (``.new``) and set-aside (``.old``) folders of ``folder``'s earlier writes."""
    prefix = temporary_prefix(folder.name)
    try:
        names = os.listdir(folder.parent)
    except OSError:
        return []
    return [folder.parent / n for n in names if n.startswith(prefix) and n.endswith((_NEW, _OLD))]


def _complete(staging: Path) -> bool:
    """Whether a staging folder holds a whole dataset (its manifest matches its arrays)."""
    try:
        manifest = json.loads((staging / MANIFEST_FILE).read_text(encoding="utf-8"))
        return manifest.get(ARRAYS_KEY) == arrays_fingerprint(staging / ARRAYS_FILE)
    except (OSError, ValueError, AttributeError, DatasetError):
        return False


def _newest(paths: list[Path]) -> Path:
    return max(paths, key=lambda p: p.stat().st_mtime_ns)


def settle(folder: str | Path) -> None:
    """Finish or undo a swap a killed writer left half done; delete every leftover.

    Cheap when there is nothing to do (one listing of the parent folder, no lock).
    """
    folder = Path(folder).absolute()
    if not _leftovers(folder):
        return
    with file_lock(_lock_file(folder)):
        _settle_locked(folder)


def _settle_locked(folder: Path) -> None:
    """:func:`settle`'s work; the caller holds the lock, so no leftover is a live writer's."""
    leftovers = _leftovers(folder)
    if leftovers and not folder.exists():
        ready = [p for p in leftovers if p.name.endswith(_NEW) and _complete(p)]
        olds = [p for p in leftovers if p.name.endswith(_OLD)]
        if ready or olds:  # the new build if it is whole, else the old one back
            back = _newest(ready) if ready else _newest(olds)
            os.rename(back, folder)
            leftovers.remove(back)
            fsync_folder(folder.parent)
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


def _write_file(path: Path, write: Callable[[BinaryIO], object]) -> None:
    with open(path, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _swap_in(staging: Path, folder: Path) -> None:
    """Rename ``staging`` onto ``folder``, an existing dataset there first set aside."""
    old = None
    if folder.exists() or folder.is_symlink():
        old = folder.parent / f"{temporary_prefix(folder.name)}{os.getpid()}.{secrets.token_hex(4)}{_OLD}"
        os.rename(folder, old)
    os.rename(staging, folder)
    fsync_folder(folder.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _refuse_foreign(folder: Path) -> None:
    """Never set aside (and delete) a folder holding anything but a dataset's files."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise DatasetError("the dataset path exists and is not a folder", folder)
    if folder.is_dir():
        foreign = [n for n in os.listdir(folder) if n not in (ARRAYS_FILE, MANIFEST_FILE)
                   and not (n.startswith(".") and n.endswith(".tmp"))]
        if foreign:
            raise DatasetError("the folder holds files that are not a dataset's; choose a new or "
                               "empty folder", folder, actual=sorted(foreign)[:3])


def write_dataset(folder: str | Path, write_arrays: Callable[[BinaryIO], object],
                  manifest: dict[str, Any]) -> Path:
    """Write a whole dataset (arrays, then the manifest that records them) and swap it in.

    Raises
    ------
    DatasetError
        ``folder`` holds something other than a dataset.
    StorageError
        The disk is full, read-only, or the folder cannot be written.
    """
    folder = Path(folder).absolute()
    make_dirs(folder.parent)
    with file_lock(_lock_file(folder)):
        _settle_locked(folder)
        _refuse_foreign(folder)
        staging = folder.parent / f"{temporary_prefix(folder.name)}{os.getpid()}.{secrets.token_hex(4)}{_NEW}"
        try:
            staging.mkdir()
            _write_file(staging / ARRAYS_FILE, write_arrays)
            record = {**manifest, ARRAYS_KEY: arrays_fingerprint(staging / ARRAYS_FILE)}
            text = json.dumps(record, indent=2, sort_keys=True, default=str)
            _write_file(staging / MANIFEST_FILE, lambda handle: handle.write(text.encode("utf-8")))
            fsync_folder(staging)
            _swap_in(staging, folder)
        except BaseException as error:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(error, OSError):
                raise storage_error(error, folder) from error
            raise
    return folder


def rewrite_manifest(folder: str | Path, manifest: dict[str, Any]) -> Path:
    """Replace only the manifest of a dataset whose arrays stay as they are.

    The arrays' record is carried over after checking that the arrays file is still the
    one the current manifest describes (one atomic file replace: consistent before and after).
    """
    folder = Path(folder).absolute()
    with file_lock(_lock_file(folder)):
        current = read_manifest(folder)
        arrays = current[ARRAYS_KEY]
        path = atomic_write_text(folder / MANIFEST_FILE, json.dumps(
            {**manifest, ARRAYS_KEY: arrays}, indent=2, sort_keys=True, default=str))
    return path


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest, once checked against the arrays file's directory (``arrays`` included).

    Raises
    ------
    DatasetError
        A file is missing, the manifest is unreadable or records no arrays, or the arrays
        file is not the one the manifest records (one line naming the file).
    """
    folder = Path(folder)
    settle(folder)
    arrays_file, manifest_file = folder / ARRAYS_FILE, folder / MANIFEST_FILE
    if not arrays_file.is_file() or not manifest_file.is_file():
        raise DatasetError(f"not a prepared slice dataset (needs {ARRAYS_FILE} and {MANIFEST_FILE}; "
                           "make one with `lrpstudio prepare`)", folder)
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise DatasetError(f"cannot read the manifest ({error})", manifest_file) from error
    found = arrays_fingerprint(arrays_file)  # an unreadable arrays file is the first problem
    if not isinstance(manifest, dict) or not isinstance(manifest.get(ARRAYS_KEY), dict):
        raise DatasetError("the manifest does not record its arrays (made by an older lrpstudio, "
                           "or edited); prepare the dataset again", manifest_file)
    if manifest[ARRAYS_KEY] != found:
        raise DatasetError("the arrays are not the ones the manifest records (an interrupted or "
                           "partial copy?); prepare the dataset again", arrays_file,
                           expected=_short(manifest[ARRAYS_KEY]), actual=_short(found))
    return manifest


def _short(record: Any) -> str:
    """A fingerprint in a few words: bytes and the images array's CRC."""
    if not isinstance(record, dict):
        return repr(record)[:40]
    crc = (record.get("members") or {}).get("images.npy", ["?"])[0]
    return f"{record.get('bytes')} bytes, images CRC {crc}"

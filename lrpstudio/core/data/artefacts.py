"""Artefact regions: per case, the voxels a classifier must not use, as stored in a workspace.

A reviewer marks an outside-the-tumour blob of relevance as "artefact / shortcut"
(:mod:`lrpstudio.core.review.verdicts`); training may then penalise relevance there
(:mod:`lrpstudio.core.xai.forbidden`). This module is the file format, kept in
``core/data`` because the dataset preparation reads it::

    <workspace>/review/artefacts/<case_id>.npz    shape (3,) int64 and indices: the flat
                                                  (C-order) indices of the region's voxels
                                                  in the case's voxel grid (X, Y, Z)
    <workspace>/review/artefacts/<case_id>.json   where each part came from: slice, source
                                                  (e.g. the run), time, voxels

Storing the voxel indices keeps a region of a few hundred voxels at a few kilobytes,
where the 3D mask of a 240x240x155 case is 9 MB. A damaged or mismatched file is an
:class:`ArtefactRegionError` that names it; it concerns that case only.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.core.atomic import atomic_write, make_dirs
from lrpstudio.core.errors import InputError

ARTEFACTS_DIR = Path("review") / "artefacts"
#: Bump when the stored layout changes; a file of another version is refused by name.
ARTEFACT_FORMAT = 1


class ArtefactRegionError(InputError):
    """An artefact-region file is unreadable, damaged or does not fit its case's grid."""


def artefacts_dir(workspace: Any) -> Path:
    """``<workspace>/review/artefacts`` of a ``Workspace`` (or of a workspace folder)."""
    root = getattr(workspace, "root", workspace)
    return Path(root) / ARTEFACTS_DIR


def artefact_path(workspace: Any, case_id: str) -> Path:
    """Where the artefact region of ``case_id`` lives (whether or not it exists)."""
    if not case_id or case_id in (".", "..") or any(c in case_id for c in "/\\\0"):
        raise InputError("invalid case id for a workspace path", expected="a plain name",
                         actual=case_id)
    return artefacts_dir(workspace) / f"{case_id}.npz"


def find_artefact(workspace: Any, case_id: str) -> Path | None:
    """The artefact file of ``case_id`` in ``workspace``, or None (also for no workspace)."""
    if workspace is None:
        return None
    path = artefact_path(workspace, case_id)
    return path if path.is_file() else None


def read_artefact(path: str | Path, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The 3D boolean region stored in ``path``.

    Parameters
    ----------
    path
        An artefact ``.npz``.
    shape
        The case's voxel grid; a file recorded for another grid is refused.

    Raises
    ------
    ArtefactRegionError
        Unreadable, damaged, of another format, or not on ``shape``.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            stored_shape = tuple(int(n) for n in npz["shape"])
            indices = np.asarray(npz["indices"])
            version = int(npz["format"]) if "format" in npz.files else ARTEFACT_FORMAT
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as error:
        raise ArtefactRegionError(f"cannot read the artefact region ({error})", path) from error
    if version != ARTEFACT_FORMAT:
        raise ArtefactRegionError("artefact region of an unknown format version", path,
                                  expected=ARTEFACT_FORMAT, actual=version)
    size = int(np.prod(stored_shape)) if len(stored_shape) == 3 else -1
    if size < 0 or indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer) or (
            indices.size and (indices.min() < 0 or indices.max() >= size)):
        raise ArtefactRegionError("artefact region is damaged", path,
                                  expected="3D shape and voxel indices inside it",
                                  actual=f"shape {stored_shape}, {indices.size} indices")
    if shape is not None and stored_shape != tuple(int(n) for n in shape):
        raise ArtefactRegionError("artefact region was recorded on another voxel grid", path,
                                  expected=tuple(int(n) for n in shape), actual=stored_shape)
    mask = np.zeros(stored_shape, dtype=bool)
    mask.reshape(-1)[indices] = True
    return mask


def write_artefact(path: str | Path, mask: np.ndarray) -> int:
    """Store the 3D boolean ``mask`` in ``path`` atomically; returns its voxel count.

    An empty mask removes the file (a case without a region has no file).
    """
    path = Path(path)
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 3:
        raise ArtefactRegionError("an artefact region must be 3D", path, expected=3, actual=mask.ndim)
    indices = np.flatnonzero(mask.reshape(-1))
    if indices.size == 0:
        path.unlink(missing_ok=True)
        return 0
    dtype = np.int32 if mask.size <= np.iinfo(np.int32).max else np.int64
    buffer = io.BytesIO()
    np.savez_compressed(buffer, format=np.int64(ARTEFACT_FORMAT),
                        shape=np.asarray(mask.shape, dtype=np.int64), indices=indices.astype(dtype))
    make_dirs(path.parent)
    atomic_write(path, lambda handle: handle.write(buffer.getvalue()))
    return int(indices.size)

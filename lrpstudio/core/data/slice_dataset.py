"""The 2D slice dataset: the container, and how it is stored on disk.

A prepared dataset is a folder holding ``slices.npz`` (the arrays) and
``manifest.json`` (source files with sizes and hashes, parameters, version, and the
record of the arrays it belongs to). Building one from BraTS cases is
:mod:`lrpstudio.core.data.prepare`'s job; this module only holds, subsets, saves and
loads it. The folder is written and verified as one unit
(:mod:`lrpstudio.core.data.dataset_store`): a dataset whose arrays and manifest
disagree is refused, never used.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.core.data.dataset_store import (
    ARRAYS_FILE, ARRAYS_KEY, MANIFEST_FILE, read_manifest, rewrite_manifest, write_dataset,
)
from lrpstudio.core.errors import DatasetError

__all__ = ["ARRAYS_FILE", "MANIFEST_FILE", "GRADES", "SPLITS", "SliceDataset", "load_dataset",
           "save_dataset", "save_manifest"]
SPLITS: tuple[str, ...] = ("train", "val", "test")
GRADES: tuple[str, ...] = ("LGG", "HGG")  # label 0 = LGG, 1 = HGG (HGG is the positive class)


@dataclass(frozen=True, eq=False)
class SliceDataset:
    """Axial slices ready for training.

    Attributes
    ----------
    images
        float32 (N, C, H, W), normalised per channel inside the brain.
    tumor_masks, brain_masks
        bool (N, H, W). The brain mask includes the tumour.
    labels
        int64 (N,), 0 = LGG, 1 = HGG.
    case_ids
        str (N,), the patient each slice comes from.
    slice_index
        int64 (N,), the axial index in the source volume's voxel order.
    split
        str (N,), one of ``"train"``, ``"val"``, ``"test"``; no patient is in two.
    channels
        Modality names of the C channels, e.g. ``("t1", "t2", "flair")``.
    manifest
        Provenance: parameters, source files with sizes and hashes, version.
    forbidden_masks
        bool (N, H, W): the case's artefact region on each slice, where training may
        penalise relevance (all False for cases without one; None on creation means that).
    """

    images: np.ndarray
    tumor_masks: np.ndarray
    brain_masks: np.ndarray
    labels: np.ndarray
    case_ids: np.ndarray
    slice_index: np.ndarray
    split: np.ndarray
    channels: tuple[str, ...] = ("t1", "t2", "flair")
    manifest: dict[str, Any] = field(default_factory=dict)
    forbidden_masks: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.forbidden_masks is None:  # no artefact region anywhere
            object.__setattr__(self, "forbidden_masks", np.zeros(self.tumor_masks.shape, dtype=bool))
        for name in ("images", "tumor_masks", "brain_masks", "case_ids", "slice_index", "split",
                     "forbidden_masks"):
            if len(getattr(self, name)) != n:
                raise DatasetError(
                    f"field {name} has a different length than labels",
                    expected=n, actual=len(getattr(self, name)),
                )
        if self.images.ndim != 4 or self.images.shape[1] != len(self.channels):
            raise DatasetError(
                "images must be (N, C, H, W) with one channel per name in channels",
                expected=f"(N, {len(self.channels)}, H, W)", actual=self.images.shape,
            )

    def __len__(self) -> int:
        return int(len(self.labels))

    @property
    def forbidden(self) -> np.ndarray:
        """The forbidden (artefact) masks, bool (N, H, W); never None once created."""
        assert self.forbidden_masks is not None  # filled in by __post_init__
        return self.forbidden_masks

    def forbidden_counts(self) -> dict[str, int]:
        """How many cases and slices carry an artefact region."""
        rows = self.forbidden.reshape(len(self), -1).any(axis=1) if len(self) else np.zeros(0, bool)
        return {"cases": int(np.unique(self.case_ids[rows]).size), "slices": int(rows.sum())}

    def forbidden_record(self) -> dict[str, Any]:
        """``{"forbidden": counts}`` for the manifest when a slice has a region, else ``{}``."""
        counts = self.forbidden_counts()
        return {"forbidden": counts} if counts["slices"] else {}

    @property
    def image_size(self) -> int:
        """Height (= width) of the slices in pixels."""
        return int(self.images.shape[-1])

    def select(self, index: np.ndarray) -> "SliceDataset":
        """A new dataset holding the rows ``index`` (a bool mask or integer indices)."""
        return SliceDataset(
            images=self.images[index], tumor_masks=self.tumor_masks[index],
            brain_masks=self.brain_masks[index], labels=self.labels[index],
            case_ids=self.case_ids[index], slice_index=self.slice_index[index],
            split=self.split[index], channels=self.channels, manifest=self.manifest,
            forbidden_masks=self.forbidden[index],
        )

    def subset(self, split: str) -> "SliceDataset":
        """The rows of one split (``"train"``, ``"val"``, ``"test"``) or all of them (``"all"``)."""
        if split == "all":
            return self
        if split not in SPLITS:
            raise DatasetError(f"unknown split {split!r}", expected=SPLITS + ("all",), actual=split)
        return self.select(self.split == split)

    def find(self, case_id: str, slice_index: int | None = None) -> int:
        """Row of a case's slice (its largest-tumour slice in the set when ``slice_index`` is None)."""
        rows = np.flatnonzero(self.case_ids == case_id)
        if rows.size == 0:
            raise DatasetError(f"case {case_id!r} is not in the dataset")
        if slice_index is None:
            areas = self.tumor_masks[rows].reshape(rows.size, -1).sum(axis=1)
            return int(rows[int(np.argmax(areas))])
        hit = rows[self.slice_index[rows] == slice_index]
        if hit.size == 0:
            raise DatasetError(
                f"case {case_id!r} has no slice {slice_index} in the dataset",
                expected=sorted(int(z) for z in self.slice_index[rows]), actual=slice_index,
            )
        return int(hit[0])


def save_dataset(dataset: SliceDataset, folder: str | Path) -> Path:
    """Write ``dataset`` as the folder ``folder``, atomically and whole.

    Both files are written beside it and swapped in together; an existing dataset in
    ``folder`` is replaced, a folder holding anything else is refused
    (:func:`lrpstudio.core.data.dataset_store.write_dataset`).
    """
    folder = Path(folder)
    arrays: dict[str, Any] = {  # keyword arrays of np.savez (its stubs type **kwds as its options)
        "images": dataset.images.astype(np.float32, copy=False),
        "tumor_masks": dataset.tumor_masks.astype(bool, copy=False),
        "brain_masks": dataset.brain_masks.astype(bool, copy=False),
        "labels": dataset.labels.astype(np.int64, copy=False),
        "case_ids": dataset.case_ids.astype(str),
        "slice_index": dataset.slice_index.astype(np.int64, copy=False),
        "split": dataset.split.astype(str),
        "channels": np.asarray(dataset.channels, dtype=str),
    }
    # Only the slices with an artefact region are stored: most datasets have none, and
    # a dataset without any keeps exactly the arrays of older versions.
    rows = np.flatnonzero(dataset.forbidden.reshape(len(dataset), -1).any(axis=1))
    if rows.size:
        arrays["forbidden_rows"] = rows.astype(np.int64)
        arrays["forbidden_masks"] = dataset.forbidden[rows].astype(bool, copy=False)
    write_dataset(folder, lambda f: np.savez(f, **arrays), dataset.manifest)
    return folder


def save_manifest(manifest: dict[str, Any], folder: str | Path) -> Path:
    """Rewrite the ``manifest.json`` of a saved dataset whose arrays stay; returns its path."""
    return rewrite_manifest(folder, manifest)


def load_dataset(path: str | Path) -> SliceDataset:
    """Load a prepared slice dataset from its folder (or its ``slices.npz``).

    The manifest must record the arrays file it belongs to and match it; each array's
    CRC-32 is checked as it is read. The returned manifest leaves that record out.

    Raises
    ------
    DatasetError
        When the folder, the arrays or the manifest are missing, damaged or disagree.
    """
    path = Path(path)
    folder = path.parent if path.name == ARRAYS_FILE else path
    manifest = read_manifest(folder)
    manifest.pop(ARRAYS_KEY)
    arrays_file = folder / ARRAYS_FILE
    try:
        with np.load(arrays_file, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetError(f"cannot read the dataset: {error}", arrays_file) from error
    missing = {"images", "tumor_masks", "brain_masks", "labels", "case_ids",
               "slice_index", "split", "channels"} - set(data)
    if missing:
        raise DatasetError(f"arrays missing from {ARRAYS_FILE}: {sorted(missing)}", folder)
    channels = tuple(str(c) for c in data.pop("channels"))
    forbidden = _forbidden(data.pop("forbidden_rows", None), data.pop("forbidden_masks", None),
                           data["tumor_masks"].shape, arrays_file)
    return SliceDataset(**data, channels=channels, manifest=manifest, forbidden_masks=forbidden)


def _forbidden(rows: np.ndarray | None, masks: np.ndarray | None, shape: tuple[int, ...],
               arrays_file: Path) -> np.ndarray:
    """The full (N, H, W) forbidden masks from the stored rows (none stored: all False)."""
    full = np.zeros(shape, dtype=bool)
    if rows is None and masks is None:
        return full
    if (rows is None or masks is None or rows.ndim != 1 or masks.shape != (len(rows),) + shape[1:]
            or (rows.size and (rows.min() < 0 or rows.max() >= shape[0]))):
        raise DatasetError("the dataset's artefact masks do not fit its slices", arrays_file,
                           expected=f"rows in [0, {shape[0]}) with masks {shape[1:]}",
                           actual=f"{None if rows is None else rows.shape}, "
                                  f"{None if masks is None else masks.shape}")
    full[rows] = masks.astype(bool)
    return full

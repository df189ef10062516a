"""A BraTS case: its reference (found by discovery) and the loaded case (arrays in memory).

:class:`CaseRef` is cheap: names, files, grade, release and the problems found from the
headers. :class:`Case` holds the voxels.
:func:`lrpstudio.core.data.loading.load_case` turns a CaseRef, a case folder
or a single volume file into a validated :class:`Case`, preferring a corrected mask
from a workspace when one exists.

Array conventions of :class:`Case`:

- ``images``: modality name -> ndarray ``[x, y, z]`` in the file's voxel order and in the
  file's numeric dtype (BraTS: int16; scaled NIfTI data is float32). Convert with
  ``.astype(np.float32)`` where floats are needed; nothing is copied or normalised here.
- ``seg``: uint8 canonical labels (0 background, 1 core, 2 oedema, 3 enhancing) or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, MODALITIES, Release
from lrpstudio.core.data.volume_io import VolumeHeader
from lrpstudio.core.errors import Problem


@dataclass(frozen=True)
class CaseRef:
    """A case found on disk, before its voxels are read.

    Attributes
    ----------
    id
        The case folder name (or the file stem of a single volume).
    grade
        ``"HGG"``, ``"LGG"`` or None (unlabelled: reviewable, never trained on).
    release
        The layout the case was recognised as.
    label_convention
        Name of the release's :class:`~lrpstudio.core.data.layouts.LabelConvention`.
    folder
        The case folder.
    files
        Kind -> path: ``t1``, ``t1ce``, ``t2``, ``flair`` and ``seg`` when present (a
        single volume uses its modality's name, or ``image``).
    problems
        Everything wrong with the case (errors and warnings).
    single_volume
        True for a case made from one volume file (and an optional mask) by hand.
    """

    id: str
    grade: str | None
    release: Release
    label_convention: str
    folder: Path
    files: Mapping[str, Path]
    problems: tuple[Problem, ...] = ()
    single_volume: bool = False

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that make the case unusable."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def usable_for_review(self) -> bool:
        """True when every file reads and agrees (warnings allowed)."""
        return not self.errors

    @property
    def usable_for_training(self) -> bool:
        """Reviewable, graded, with a non-empty segmentation and no warning at all."""
        return not self.problems and self.grade is not None and "seg" in self.files

    @property
    def status(self) -> str:
        """``"ok"``, ``"review only"`` or ``"unusable"`` (for tables)."""
        if not self.usable_for_review:
            return "unusable"
        return "ok" if self.usable_for_training else "review only"

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly summary (used by ``lrpstudio inspect --json``)."""
        return {
            "id": self.id, "grade": self.grade, "release": self.release.value,
            "label_convention": self.label_convention, "folder": str(self.folder),
            "files": {kind: str(path) for kind, path in self.files.items()},
            "status": self.status, "usable_for_review": self.usable_for_review,
            "usable_for_training": self.usable_for_training,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(eq=False)
class Case:
    """A loaded, validated case. See the module docstring for array conventions.

    Attributes
    ----------
    reference
        Header of the grid file (the original segmentation when there is one, else the
        first modality): corrections are written with its affine and NIfTI header.
    correction
        The workspace correction used as ``seg``, or None when ``seg`` is the original.
    notices
        Things the user should know that are not problems (e.g. a correction is used).
    """

    id: str
    grade: str | None
    images: dict[str, np.ndarray]
    seg: np.ndarray | None
    affine: np.ndarray
    files: dict[str, Path]
    release: Release
    label_convention: str
    reference: VolumeHeader
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    correction: Path | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Voxel grid shape ``(x, y, z)``."""
        return self.reference.shape

    @property
    def tumor_mask(self) -> np.ndarray:
        """bool ``seg > 0`` (all False when there is no segmentation)."""
        if self.seg is None:
            return np.zeros(self.shape, bool)
        return self.seg > 0

    @property
    def brain_mask(self) -> np.ndarray:
        """bool: any modality > 0 (BraTS is skull-stripped), tumour included."""
        mask = self.tumor_mask  # a new array, in the volumes' (Fortran) memory order
        # ndarray.copy() would make it C-ordered: OR-ing it with the Fortran-ordered
        # volumes then walks memory across the grain (~16x slower on a BraTS case).
        above = np.empty_like(mask)
        for array in self.images.values():
            np.greater(array, 0, out=above)
            mask |= above
        return mask

    @property
    def usable_for_training(self) -> bool:
        """Graded, segmented and without any problem (a correction may fix an empty seg)."""
        return (self.grade is not None and self.seg is not None and bool(self.seg.any())
                and not self.problems)

    @property
    def modalities(self) -> tuple[str, ...]:
        """The image names present, canonical ones first."""
        return tuple([m for m in MODALITIES if m in self.images]
                     + [m for m in self.images if m not in MODALITIES])


def convention_of(release: Release) -> str:
    """The label convention name a release uses."""
    return LABEL_CONVENTIONS[release].name

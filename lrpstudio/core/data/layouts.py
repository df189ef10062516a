"""BraTS releases: how each one names its folders and files, and its label convention.

This module is the single source of the naming rules; discovery reads with it and the
demo-data generator writes with it, so the two can never drift apart.

Inside lrpstudio the modalities are always ``t1, t1ce, t2, flair`` and the
segmentation labels are canonical: 0 background, 1 necrotic / non-enhancing core,
2 oedema, 3 enhancing tumour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Mapping

#: Canonical modality names, in the order lrpstudio uses everywhere.
MODALITIES: tuple[str, ...] = ("t1", "t1ce", "t2", "flair")
#: Canonical segmentation labels and their meaning.
CANONICAL_LABELS: Mapping[int, str] = MappingProxyType(
    {0: "background", 1: "necrotic / non-enhancing core", 2: "oedema", 3: "enhancing tumour"}
)
#: File extensions read for a case's files, longest first so ``.nii.gz`` wins over ``.gz``.
VOLUME_EXTENSIONS: tuple[str, ...] = (".nii.gz", ".nii", ".nrrd", ".mha", ".mhd")


class Release(str, Enum):
    """A BraTS folder layout. ``BRATS2019`` also covers 2018 (HGG/ and LGG/ folders)."""

    BRATS2019 = "brats2019"
    BRATS2020 = "brats2020"
    BRATS2021 = "brats2021"
    BRATS2023 = "brats2023"
    #: BraTS 2024 post-treatment glioma: 2023 naming, but label 4 = resection cavity.
    BRATS2024 = "brats2024"
    #: A single volume opened by hand (no release).
    SINGLE = "single"


@dataclass(frozen=True)
class LabelConvention:
    """How a release's segmentation values map to the canonical labels.

    ``mapping`` maps every value the release defines to a canonical label; values
    mapped to 0 that are not 0 (the 2024 resection cavity) are *not tumour*.
    """

    name: str
    mapping: Mapping[int, int] = field(default_factory=dict)
    description: str = ""

    def allowed_values(self) -> frozenset[int]:
        """Every value a segmentation of this release may contain."""
        return frozenset(self.mapping)


LABELS_BRATS_2017_2021 = LabelConvention(
    "brats2017-2021", MappingProxyType({0: 0, 1: 1, 2: 2, 4: 3}),
    "1 NCR/NET, 2 ED, 4 ET (4 mapped to canonical 3)",
)
LABELS_BRATS_2023 = LabelConvention(
    "brats2023", MappingProxyType({0: 0, 1: 1, 2: 2, 3: 3}),
    "1 NETC, 2 SNFH, 3 ET (already canonical)",
)
LABELS_BRATS_2024 = LabelConvention(
    "brats2024", MappingProxyType({0: 0, 1: 1, 2: 2, 3: 3, 4: 0}),
    "1 NETC, 2 SNFH, 3 ET, 4 resection cavity (not tumour: mapped to 0)",
)
LABELS_CANONICAL = LabelConvention(
    "canonical", MappingProxyType({0: 0, 1: 1, 2: 2, 3: 3}), "lrpstudio's own labels"
)

LABEL_CONVENTIONS: Mapping[Release, LabelConvention] = MappingProxyType({
    Release.BRATS2019: LABELS_BRATS_2017_2021,
    Release.BRATS2020: LABELS_BRATS_2017_2021,
    Release.BRATS2021: LABELS_BRATS_2017_2021,
    Release.BRATS2023: LABELS_BRATS_2023,
    Release.BRATS2024: LABELS_BRATS_2024,
    Release.SINGLE: LABELS_CANONICAL,
})

#: The file suffix each release uses for each canonical modality (and "seg").
_SUFFIXES_2017_2021 = MappingProxyType(
    {"t1": "t1", "t1ce": "t1ce", "t2": "t2", "flair": "flair", "seg": "seg"}
)
_SUFFIXES_2023 = MappingProxyType(
    {"t1": "t1n", "t1ce": "t1c", "t2": "t2w", "flair": "t2f", "seg": "seg"}
)
FILE_SUFFIXES: Mapping[Release, Mapping[str, str]] = MappingProxyType({
    Release.BRATS2019: _SUFFIXES_2017_2021,
    Release.BRATS2020: _SUFFIXES_2017_2021,
    Release.BRATS2021: _SUFFIXES_2017_2021,
    Release.BRATS2023: _SUFFIXES_2023,
    Release.BRATS2024: _SUFFIXES_2023,
})

#: Regular expressions of case folder names per release (2018/2019 names vary).
CASE_NAME_PATTERNS: Mapping[Release, str] = MappingProxyType({
    Release.BRATS2019: r"^Brats\d{2}_.+$",
    Release.BRATS2020: r"^BraTS20_(Training|Validation)_\d{3}$",
    Release.BRATS2021: r"^BraTS2021_\d{5}$",
    Release.BRATS2023: r"^BraTS-[A-Z]{2,4}-\d{5}-\d{3}$",
    Release.BRATS2024: r"^BraTS-[A-Z]{2,4}-\d{5}-\d{3}$",
})


def separator(release: Release) -> str:
    """The character between a case id and its modality suffix (``_`` or ``-``)."""
    return "-" if release in (Release.BRATS2023, Release.BRATS2024) else "_"


def case_file_name(release: Release, case_id: str, kind: str, ext: str = ".nii.gz") -> str:
    """The file name a release gives to one of a case's files.

    Parameters
    ----------
    release
        The layout.
    case_id
        The case folder name, e.g. ``BraTS2021_00012``.
    kind
        A canonical modality (``t1``, ``t1ce``, ``t2``, ``flair``) or ``"seg"``.
    ext
        One of :data:`VOLUME_EXTENSIONS`.

    Examples
    --------
    >>> case_file_name(Release.BRATS2023, "BraTS-GLI-00001-000", "flair")
    'BraTS-GLI-00001-000-t2f.nii.gz'
    """
    suffix = FILE_SUFFIXES[release][kind]
    return f"{case_id}{separator(release)}{suffix}{ext}"


def split_extension(name: str) -> tuple[str, str]:
    """Split a file name into stem and a known volume extension (``("", "")`` if none)."""
    lower = name.lower()
    for ext in VOLUME_EXTENSIONS:
        if lower.endswith(ext):
            return name[: -len(ext)], name[-len(ext):]
    return name, ""
